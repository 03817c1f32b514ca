package policy

import (
	"path/filepath"
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// checkCd follows literal cds, so that later relative paths are judged
// where they land. A cd to a computed place leaves the directory unknown:
// later relative writes are then refused.
func checkCd(ck *checker, c *call) *denial {
	next := func(d dirs) *denial { c.next = &d; return nil }
	if c.name == "popd" {
		return next(unknownDir("popd"))
	}
	p := parseArgs(c.argv, "", nil...)
	var target arg
	switch len(p.operands) {
	case 0:
		if c.name == "pushd" {
			return next(unknownDir("pushd"))
		}
		if ck.p.home == "" {
			return next(unknownDir("cd"))
		}
		target = litArg(ck.p.home)
	case 1:
		target = p.operands[0]
	default:
		return nil // bash refuses: too many arguments
	}
	switch {
	case !target.ok:
		return next(unknownDir(c.name + " " + target.why))
	case target.glob:
		return next(unknownDir(c.name + " " + target.lit))
	case target.lit == "-" || (c.name == "pushd" && (strings.HasPrefix(target.lit, "+") || strings.HasPrefix(target.lit, "-"))):
		return next(unknownDir(c.name + " " + target.lit))
	}
	if filepath.IsAbs(target.lit) {
		return next(dirsOf(filepath.Clean(target.lit)))
	}
	if c.dirs.unknown != "" {
		return next(c.dirs)
	}
	var out dirs
	for _, d := range c.dirs.paths {
		out = out.union(dirsOf(filepath.Join(d, target.lit)))
	}
	return next(out)
}

// checkSource allows sourcing files of the worktree (.venv/bin/activate);
// they are the project's own code, like init.sh.
func checkSource(ck *checker, c *call) *denial {
	if len(c.argv) == 0 {
		return nil
	}
	f := c.argv[0]
	if !f.ok || f.glob {
		return ck.deny(c, "%s needs a literal path, not %s", c.name, f.why)
	}
	if !ck.inside(c, f.lit) {
		return ck.refuse(c, "source", "%s %s is not allowed: only files of the worktree may be sourced", c.name, f.lit)
	}
	if filepath.Base(f.lit) == "activate" {
		ck.venv = true
	}
	return nil
}

// checkEval allows eval of a literal string that passes on its own; eval
// of anything computed could run anything.
func checkEval(ck *checker, c *call) *denial {
	if c.more {
		return ck.deny(c, "eval of arguments the policy cannot see is not allowed")
	}
	var parts []string
	for _, a := range c.argv {
		if !a.ok {
			return ck.deny(c, "eval of a computed string (%s) is not allowed: write the command out", a.why)
		}
		parts = append(parts, a.lit)
	}
	st, d := ck.script(strings.Join(parts, " "), syntax.LangBash, c.dirs)
	if d != nil {
		return d
	}
	c.next = &st
	return nil
}

// checkShell judges bash/sh -c 'commands' by parsing the commands, and
// allows running a script only for init.sh and the scripts in
// security.allow. A script piped into a shell (curl ... | sh) is refused.
func checkShell(ck *checker, c *call) *denial {
	if c.more {
		return ck.deny(c, "%s with arguments the policy cannot see is not allowed", c.name)
	}
	hasC, fromStdin := false, false
	i := 0
opts:
	for ; i < len(c.argv); i++ {
		a := c.argv[i]
		if !a.ok {
			return ck.deny(c, "%s with a computed argument (%s) is not allowed", c.name, a.why)
		}
		s := a.lit
		switch {
		case s == "--" || s == "-":
			i++
			break opts
		case s == "--login" || s == "--noprofile" || s == "--norc" || s == "--posix" || s == "--verbose":
		case strings.HasPrefix(s, "--"):
			return ck.deny(c, "%s %s is not allowed", c.name, s)
		case len(s) > 1 && (s[0] == '-' || s[0] == '+'):
			for _, f := range s[1:] {
				switch f {
				case 'c':
					hasC = true
				case 's':
					fromStdin = true
				case 'i':
					return ck.deny(c, "an interactive %s is not allowed", c.name)
				case 'o', 'O':
					i++ // the option's name
				}
			}
		default:
			break opts
		}
	}
	rest := c.argv[min(i, len(c.argv)):]
	lang := syntax.LangBash
	switch c.name {
	case "sh", "dash":
		lang = syntax.LangPOSIX
	case "zsh":
		lang = syntax.LangZsh
	case "ksh":
		lang = syntax.LangMirBSDKorn
	}
	switch {
	case hasC:
		if len(rest) == 0 {
			return ck.deny(c, "%s -c needs a command string", c.name)
		}
		_, d := ck.script(rest[0].lit, lang, c.dirs)
		return d
	case len(rest) > 0 && !fromStdin:
		script := rest[0]
		if script.glob {
			return ck.deny(c, "%s needs a literal script path, not %s", c.name, script.lit)
		}
		if filepath.Base(script.lit) == "init.sh" {
			p := script.lit
			if !strings.Contains(p, "/") {
				p = "./" + p
			}
			return ck.initScript(c, p)
		}
		if ck.allowedScript(c, script.lit) {
			return nil
		}
		return ck.refuse(c, script.lit, "running %s with %s is not allowed: only init.sh and the scripts listed in security.allow in .autonomous/config.yaml may be run", script.lit, c.name)
	case c.stdin == stdinHeredoc && c.hdoc != nil:
		body := ck.word(c.hdoc)
		if !body.ok {
			return ck.deny(c, "a here-document with expansions (%s) given to %s is not allowed: quote its delimiter (<<'EOF')", body.why, c.name)
		}
		_, d := ck.script(body.lit, lang, c.dirs)
		return d
	case c.stdin == stdinPipe:
		return ck.deny(c, "%s is not allowed to run a script piped into it (as in curl ... | sh): run the commands directly", c.name)
	default:
		return ck.deny(c, "%s needs -c 'commands' or a script", c.name)
	}
}

// checkWrapper peels env, nice, timeout and the other prefixes and checks
// the command they run.
func checkWrapper(ck *checker, c *call) *denial {
	argv := c.argv
	i := 0
	val := func() bool { // skips an option's value
		i++
		return i < len(argv)
	}
	sub := *c
	for ; i < len(argv); i++ {
		a := argv[i]
		if !a.ok {
			break // a computed word here is the command name: run refuses it
		}
		s := a.lit
		if s == "--" {
			i++
			break
		}
		switch c.name {
		case "env":
			switch {
			case s == "-i" || s == "--ignore-environment" || s == "-0" || s == "--null" || s == "-v" || s == "--debug" || s == "-":
				continue
			case s == "-u" || s == "--unset":
				val()
				continue
			case strings.HasPrefix(s, "--unset=") || (strings.HasPrefix(s, "-u") && len(s) > 2):
				continue
			case s == "-C" || s == "--chdir" || strings.HasPrefix(s, "--chdir=") || (strings.HasPrefix(s, "-C") && len(s) > 2):
				dir := strings.TrimPrefix(strings.TrimPrefix(s, "--chdir="), "-C")
				if s == "-C" || s == "--chdir" {
					if !val() {
						return nil
					}
					if !argv[i].ok {
						return ck.deny(c, "env -C needs a literal directory, not %s", argv[i].why)
					}
					dir = argv[i].lit
				}
				cd := &call{name: "cd", argv: []arg{litArg(dir)}, dirs: c.dirs, text: c.text}
				checkCd(ck, cd)
				sub.dirs = *cd.next
				continue
			case strings.HasPrefix(s, "-S") || strings.HasPrefix(s, "--split-string"):
				return ck.deny(c, "env -S is not allowed: write the command out")
			case strings.HasPrefix(s, "-"):
				return ck.deny(c, "env %s is not allowed", s)
			case strings.Contains(s, "=") && nameRe.MatchString(s[:strings.IndexByte(s, '=')]):
				name := s[:strings.IndexByte(s, '=')]
				if why := sensitiveVar(name); why != "" && !(name == "PATH" && strings.HasPrefix(s, "PATH=$PATH:")) {
					return ck.deny(c, "setting %s is not allowed: %s", name, why)
				}
				continue
			}
		case "nice":
			switch {
			case s == "-n" || s == "--adjustment":
				val()
				continue
			case strings.HasPrefix(s, "-"):
				continue
			}
		case "timeout":
			switch {
			case s == "-s" || s == "--signal" || s == "-k" || s == "--kill-after":
				val()
				continue
			case strings.HasPrefix(s, "-"):
				continue
			}
			i++ // the duration
		case "time":
			switch {
			case s == "-f" || s == "--format":
				val()
				continue
			case s == "-o" || s == "--output" || strings.HasPrefix(s, "--output="):
				out := litArg(strings.TrimPrefix(s, "--output="))
				if s == "-o" || s == "--output" {
					if !val() {
						return nil
					}
					out = argv[i]
				}
				if d := ck.checkWrite(c, out, "time -o", writeFollow); d != nil {
					return d
				}
				continue
			case strings.HasPrefix(s, "-"):
				continue
			}
		case "command":
			switch s {
			case "-p":
				continue
			case "-v", "-V", "-pv", "-pV":
				return nil // only looks the name up
			}
		case "exec":
			switch {
			case s == "-a":
				val()
				continue
			case s == "-c" || s == "-l" || s == "-cl" || s == "-lc":
				continue
			}
		case "stdbuf":
			switch {
			case s == "-i" || s == "-o" || s == "-e":
				val()
				continue
			case strings.HasPrefix(s, "-"):
				continue
			}
		case "ionice":
			switch {
			case s == "-c" || s == "--class" || s == "-n" || s == "--classdata":
				val()
				continue
			case s == "-p" || s == "--pid" || s == "-P" || s == "--pgid" || s == "-u" || s == "--uid":
				return ck.deny(c, "ionice %s is not allowed: it changes other processes", s)
			case strings.HasPrefix(s, "-"):
				continue
			}
		}
		break
	}
	if i >= len(argv) {
		if c.name == "env" {
			return ck.refuse(c, "env", "printing the environment is not allowed: it holds secrets such as API keys; print the variables you need by name")
		}
		return nil
	}
	d := ck.sub(&sub, argv[i:], c.more)
	c.next = sub.next // builtin cd, command cd
	return d
}

// checkXargs checks the command xargs runs, with the arguments it adds
// from its input unknown: commands that write refuse them.
func checkXargs(ck *checker, c *call) *denial {
	argv := c.argv
	replace := ""
	i := 0
opts:
	for ; i < len(argv); i++ {
		a := argv[i]
		if !a.ok {
			break
		}
		s := a.lit
		switch {
		case s == "--":
			i++
			break opts
		case strings.HasPrefix(s, "--"):
			name, v, has := strings.Cut(s, "=")
			switch name {
			case "--replace":
				replace = "{}"
				if has {
					replace = v
				}
			case "--arg-file", "--delimiter", "--max-lines", "--max-args", "--max-procs", "--max-chars", "--process-slot-var", "--eof":
				if !has && name != "--max-lines" && name != "--eof" {
					i++
				}
			}
		case strings.HasPrefix(s, "-") && len(s) > 1:
			for j := 1; j < len(s); j++ {
				f := s[j]
				if strings.IndexByte("aIdELnPs", f) >= 0 {
					v := s[j+1:]
					if v == "" && i+1 < len(argv) {
						i++
						v = argv[i].lit
					}
					if f == 'I' {
						replace = v
					}
					break
				}
				if f == 'i' {
					replace = "{}"
					if j+1 < len(s) {
						replace = s[j+1:]
					}
					break
				}
				if f == 'e' || f == 'l' {
					break
				}
			}
		default:
			break opts
		}
	}
	cmd := argv[min(i, len(argv)):]
	if len(cmd) == 0 {
		cmd = []arg{litArg("echo")}
	}
	if replace == "" {
		return ck.sub(c, cmd, true)
	}
	out := make([]arg, len(cmd))
	for k, a := range cmd {
		if a.ok && strings.Contains(a.lit, replace) {
			out[k] = unknownArg("xargs's input (" + replace + ")")
			continue
		}
		out[k] = a
	}
	return ck.sub(c, out, c.more)
}
