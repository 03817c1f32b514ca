package policy

import (
	"os"
	"path/filepath"
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// npmCommand maps npm's aliases to the command they stand for.
func npmCommand(s string) string {
	switch s {
	case "i", "in", "ins", "inst", "insta", "instal", "isnt", "isnta", "isntal", "isntall", "add":
		return "install"
	case "un", "remove", "rm", "r", "unlink":
		return "uninstall"
	case "up", "upgrade", "udpate":
		return "update"
	case "ln":
		return "link"
	case "x":
		return "exec"
	case "c":
		return "config"
	case "login", "add-user":
		return "adduser"
	}
	return s
}

// jsTool reports the JavaScript tools npx may fetch and run by name.
func jsTool(name string) bool {
	switch name {
	case "tsc", "vitest", "jest", "vite", "next", "eslint", "prettier", "playwright", "mocha", "tsx", "ts-node":
		return true
	}
	return false
}

// checkNpm allows the project's own scripts and dependencies, and refuses
// what changes things beyond the worktree: global installs, the registry,
// the user's npm configuration.
func checkNpm(ck *checker, c *call) *denial {
	if d := ck.moreDenial(c); d != nil {
		return d
	}
	p := parseArgs(c.argv, "wC", "--prefix", "--workspace", "--registry", "--cache", "--userconfig", "--globalconfig",
		"--location", "--loglevel", "--tag", "--access", "--otp", "--save-prefix", "--omit", "--include",
		"--install-strategy", "--script-shell", "--node-options")
	if d := ck.unsureDenial(c, p); d != nil {
		return d
	}
	if p.has("--script-shell", "--node-options") {
		return ck.deny(c, "npm --script-shell/--node-options is not allowed: it makes npm run other programs")
	}
	for _, v := range p.values("--prefix", "-C", "--cache") {
		if d := ck.checkWrite(c, v, "npm --prefix", writeFollow); d != nil {
			return d
		}
	}
	global := p.has("-g", "--global")
	for _, v := range p.values("--location") {
		global = global || (v.ok && v.lit == "global")
	}
	if len(p.operands) == 0 {
		return nil
	}
	if !p.operands[0].ok {
		return ck.deny(c, "npm's command must be written out, not %s", p.operands[0].why)
	}
	sub := npmCommand(p.operands[0].lit)
	rest := p.operands[1:]
	switch sub {
	case "install", "uninstall", "update", "link", "rebuild", "ci", "dedupe", "prune":
		if global {
			return ck.refuse(c, "npm install -g", "\"npm %s -g\" is not allowed: it changes the machine's global packages; add a dev dependency (npm install -D) and run it with npx", p.operands[0].lit)
		}
		if sub == "link" && len(rest) == 0 {
			return ck.refuse(c, "npm link", "\"npm link\" without a package is not allowed: it links into the global folder")
		}
	case "publish", "unpublish", "adduser", "logout", "token", "owner", "access", "deprecate", "dist-tag", "team",
		"org", "star", "unstar", "hook", "profile", "whoami-set":
		return ck.refuse(c, "npm "+sub, "\"npm %s\" is not allowed: it changes the npm registry or your npm account; leave it to the user", sub)
	case "config", "set":
		if sub == "set" || (len(rest) > 0 && rest[0].ok && rest[0].lit != "get" && rest[0].lit != "list" && rest[0].lit != "ls") {
			return ck.refuse(c, "npm config set", "\"npm config set\" is not allowed: it changes your user npm configuration (~/.npmrc)")
		}
	case "exec":
		return npxRun(ck, c, rest)
	case "explore", "edit":
		return ck.deny(c, "\"npm %s\" is not allowed: it opens a shell or an editor", sub)
	}
	return ck.cwdWritable(c)
}

// checkNpx runs a tool: one of the known JavaScript tools, one that
// security.allow names, or a dependency the project has installed
// (node_modules/.bin). Anything else would be downloaded and run.
func checkNpx(ck *checker, c *call) *denial {
	if d := ck.moreDenial(c); d != nil {
		return d
	}
	return npxRun(ck, c, c.argv)
}

func npxRun(ck *checker, c *call, argv []arg) *denial {
	var pkgs []arg
	i := 0
opts:
	for ; i < len(argv); i++ {
		a := argv[i]
		if !a.ok {
			return ck.deny(c, "npx needs literal arguments before the command, not %s", a.why)
		}
		name, val, hasVal := strings.Cut(a.lit, "=")
		value := func() (arg, bool) {
			if hasVal {
				return litArg(val), true
			}
			if i+1 < len(argv) {
				i++
				return argv[i], true
			}
			return arg{}, false
		}
		switch {
		case name == "--":
			i++
			break opts
		case name == "-p" || name == "--package":
			if v, ok := value(); ok {
				pkgs = append(pkgs, v)
			}
		case name == "-c" || name == "--call":
			v, ok := value()
			if !ok {
				return nil
			}
			if !v.ok {
				return ck.deny(c, "npx -c needs a literal command, not %s", v.why)
			}
			_, d := ck.script(v.lit, syntax.LangBash, c.dirs)
			if d != nil {
				return d
			}
		case name == "--prefix" || name == "-w" || name == "--workspace" || name == "--registry" || name == "--cache":
			v, ok := value()
			if ok && name == "--prefix" {
				if d := ck.checkWrite(c, v, "npx --prefix", writeFollow); d != nil {
					return d
				}
			}
		case strings.HasPrefix(name, "-"):
		default:
			break opts
		}
	}
	for _, p := range pkgs {
		if !p.ok {
			return ck.deny(c, "npx -p needs a literal package, not %s", p.why)
		}
		name := packageName(p.lit)
		if !jsTool(name) && !ck.p.allow[name] && !ck.localPackage(c, name) {
			return ck.refuse(c, "npx "+name, "\"npx -p %s\" would download and run a package that is not among the project's dependencies; add it as a dev dependency or to security.allow in .autonomous/config.yaml", p.lit)
		}
	}
	rest := argv[min(i, len(argv)):]
	if len(rest) == 0 {
		return nil
	}
	if !rest[0].ok {
		return ck.deny(c, "npx needs a literal command, not %s", rest[0].why)
	}
	name := packageName(rest[0].lit)
	switch {
	case len(pkgs) > 0, ck.localBin(c, name), ck.p.allow[name]:
		// The project's own tool, or one it asked for.
		return ck.cwdWritable(c)
	case strings.HasPrefix(rest[0].lit, "@") || strings.Contains(name, "/"):
		if ck.localPackage(c, strings.Split(strings.TrimPrefix(rest[0].lit, "@"), "@")[0]) {
			return ck.cwdWritable(c)
		}
	case jsTool(name):
		return ck.sub(c, append([]arg{litArg(name)}, rest[1:]...), c.more)
	}
	return ck.refuse(c, "npx "+name, "\"npx %s\" would download and run a package that is not among the project's dependencies; add it as a dev dependency or to security.allow in .autonomous/config.yaml", rest[0].lit)
}

// packageName strips a version from an npm package spec (vitest@1.2 ->
// vitest, @scope/pkg@1 -> @scope/pkg).
func packageName(spec string) string {
	if strings.HasPrefix(spec, "@") {
		if i := strings.IndexByte(spec[1:], '@'); i >= 0 {
			return spec[:i+1]
		}
		return spec
	}
	name, _, _ := strings.Cut(spec, "@")
	return name
}

// localBin reports whether the project has installed a tool of that name
// (node_modules/.bin/name in the working directory or above it, up to the
// worktree).
func (ck *checker) localBin(c *call, name string) bool {
	if name == "" || strings.Contains(name, "/") {
		return false
	}
	return ck.inNodeModules(c, filepath.Join(".bin", name))
}

func (ck *checker) localPackage(c *call, name string) bool {
	name = strings.TrimPrefix(name, "@")
	if name == "" || strings.Contains(name, "..") {
		return false
	}
	if strings.Contains(name, "/") {
		name = "@" + name
	}
	return ck.inNodeModules(c, name)
}

func (ck *checker) inNodeModules(c *call, rel string) bool {
	if c.dirs.unknown != "" {
		return false
	}
	for _, d := range c.dirs.paths {
		found := false
		for dir := d; within(ck.p.root, resolvePath(dir, true)); dir = filepath.Dir(dir) {
			if _, err := os.Stat(filepath.Join(dir, "node_modules", rel)); err == nil {
				found = true
				break
			}
			if dir == "/" {
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// checkPnpmYarn applies npm's rules to pnpm and yarn.
func checkPnpmYarn(ck *checker, c *call) *denial {
	if d := ck.moreDenial(c); d != nil {
		return d
	}
	p := parseArgs(c.argv, "C", "--filter", "--dir", "--cwd", "--registry", "--workspace-root")
	if d := ck.unsureDenial(c, p); d != nil {
		return d
	}
	gc := *c
	for _, v := range p.values("-C", "--dir", "--cwd") {
		if !v.ok {
			return ck.deny(c, "%s needs a literal directory", c.name)
		}
		cd := &call{name: "cd", argv: []arg{v}, dirs: gc.dirs, text: c.text}
		checkCd(ck, cd)
		gc.dirs = *cd.next
	}
	if len(p.operands) == 0 {
		return ck.cwdWritable(&gc)
	}
	if !p.operands[0].ok {
		return ck.deny(c, "%s's command must be written out, not %s", c.name, p.operands[0].why)
	}
	sub := p.operands[0].lit
	rest := p.operands[1:]
	global := p.has("-g", "--global")
	switch sub {
	case "publish", "login", "logout", "npm", "owner", "unpublish", "dist-tag", "deprecate":
		return ck.refuse(c, c.name+" "+sub, "\"%s %s\" is not allowed: it changes the package registry or your account; leave it to the user", c.name, sub)
	case "global":
		return ck.refuse(c, c.name+" global", "\"%s global\" is not allowed: it changes the machine's global packages; add a dev dependency instead", c.name)
	case "add", "install", "i", "remove", "rm", "update", "up", "link", "unlink":
		if global {
			return ck.refuse(c, c.name+" add -g", "\"%s %s -g\" is not allowed: it changes the machine's global packages; add a dev dependency instead", c.name, sub)
		}
	case "config":
		if len(rest) > 0 && rest[0].ok && rest[0].lit != "get" && rest[0].lit != "list" {
			return ck.refuse(c, c.name+" config set", "\"%s config set\" is not allowed: it changes your user configuration", c.name)
		}
	case "dlx", "exec", "create":
		if sub == "create" {
			return ck.refuse(c, c.name+" create", "\"%s create\" would download and run a package; add it as a dev dependency instead", c.name)
		}
		return npxRun(ck, &gc, rest)
	}
	return ck.cwdWritable(&gc)
}

// checkNode allows node scripts and inline code (-e): either runs code as
// freely as the project's own tests do, which the policy cannot judge. A
// program piped into node is refused, as for sh.
func checkNode(ck *checker, c *call) *denial {
	if d := ck.moreDenial(c); d != nil {
		return d
	}
	p := parseArgs(c.argv, "eprC", "--eval", "--print", "--require", "--import", "--loader", "--experimental-loader",
		"--input-type", "--conditions", "--env-file", "--title", "--stack-size", "--inspect-port", "--max-old-space-size")
	if d := ck.unsureDenial(c, p); d != nil {
		return d
	}
	inline := p.has("-e", "--eval", "-p", "--print")
	if !inline && (len(p.operands) == 0 || (p.operands[0].ok && p.operands[0].lit == "-")) && c.stdin == stdinPipe {
		return ck.deny(c, "node is not allowed to run a program piped into it: write it to a file or use node -e")
	}
	return ck.cwdWritable(c)
}

// checkJSTool checks the JavaScript tools' options that write files.
func checkJSTool(ck *checker, c *call) *denial {
	if d := ck.moreDenial(c); d != nil {
		return d
	}
	p := parseArgs(c.argv, "oc", "--outDir", "--outFile", "--declarationDir", "--tsBuildInfoFile", "--output-file",
		"--config", "--cache-location", "--project", "-p", "--reporter", "--outputFile", "--output")
	switch c.name {
	case "prettier":
		if p.has("--write", "-w") {
			if d := ck.writesAll(c, p); d != nil {
				return d
			}
		}
	case "eslint":
		if p.has("--fix") {
			if d := ck.writesAll(c, p); d != nil {
				return d
			}
		}
		for _, v := range p.values("-o", "--output-file") {
			if d := ck.checkWrite(c, v, "eslint -o", writeFollow); d != nil {
				return d
			}
		}
	case "tsc":
		for _, v := range p.values("--outDir", "--outFile", "--declarationDir", "--tsBuildInfoFile") {
			if d := ck.checkWrite(c, v, "tsc output", writeFollow); d != nil {
				return d
			}
		}
	case "playwright":
		if p.has("--with-deps") {
			return ck.refuse(c, "playwright install --with-deps", "\"playwright install --with-deps\" is not allowed: it installs system packages; install the browsers only (playwright install chromium)")
		}
	}
	for _, v := range p.values("--outputFile", "--cache-location") {
		if d := ck.checkWrite(c, v, c.name+" output", writeFollow); d != nil {
			return d
		}
	}
	return ck.cwdWritable(c)
}

// writesAll checks the operands of a formatter that rewrites them.
func (ck *checker) writesAll(c *call, p parsed) *denial {
	if d := ck.unsureDenial(c, p); d != nil {
		return d
	}
	for _, a := range p.operands {
		if d := ck.checkWrite(c, a, c.name, writeFollow); d != nil {
			return d
		}
	}
	return nil
}
