package policy

import (
	"slices"
	"strings"
)

// checkPython allows scripts, -m modules and inline code (-c), which run as
// freely as the project's own tests; python -m pip follows pip's rules and
// python -m venv DIR writes DIR.
func checkPython(ck *checker, c *call) *denial {
	if d := ck.moreDenial(c); d != nil {
		return d
	}
	argv := c.argv
	for i := 0; i < len(argv); i++ {
		a := argv[i]
		if !a.ok {
			return ck.deny(c, "%s needs literal options, not %s", c.name, a.why)
		}
		s := a.lit
		switch {
		case s == "-c":
			return ck.cwdWritable(c)
		case s == "-m" || (strings.HasPrefix(s, "-m") && len(s) > 2):
			mod := strings.TrimPrefix(s, "-m")
			if mod == "" {
				if i+1 >= len(argv) {
					return nil
				}
				i++
				if !argv[i].ok {
					return ck.deny(c, "%s -m needs a literal module, not %s", c.name, argv[i].why)
				}
				mod = argv[i].lit
			}
			rest := argv[i+1:]
			switch mod {
			case "pip":
				return checkPipArgs(ck, c, rest, ck.venvProgram(c))
			case "venv", "virtualenv":
				p := parseArgs(rest, "", "--prompt")
				for _, dir := range p.operands {
					if d := ck.checkWrite(c, dir, c.name+" -m venv", writeFollow); d != nil {
						return d
					}
				}
			}
			return ck.cwdWritable(c)
		case s == "-W" || s == "-X" || s == "--check-hash-based-pycs":
			i++
		case s == "-":
			return ck.pythonStdin(c)
		case strings.HasPrefix(s, "-"):
		default:
			return ck.cwdWritable(c) // a script
		}
	}
	return ck.pythonStdin(c)
}

func (ck *checker) pythonStdin(c *call) *denial {
	if c.stdin == stdinPipe {
		return ck.deny(c, "%s is not allowed to run a program piped into it: write it to a file or use %s -c", c.name, c.name)
	}
	return ck.cwdWritable(c)
}

// venvProgram reports a program that lives in the worktree (a virtual
// environment's pip or python), or a venv activated earlier in the command.
func (ck *checker) venvProgram(c *call) bool {
	return strings.Contains(c.path, "/") && ck.inside(c, c.path)
}

func checkPip(ck *checker, c *call) *denial {
	if d := ck.moreDenial(c); d != nil {
		return d
	}
	return checkPipArgs(ck, c, c.argv, ck.venvProgram(c))
}

// checkPipArgs allows installing into a virtual environment of the
// worktree (or a --target inside it), never into the system's or the
// user's Python.
func checkPipArgs(ck *checker, c *call, argv []arg, venv bool) *denial {
	p := parseArgs(argv, "rctedw", "--requirement", "--constraint", "--target", "--prefix", "--root", "--editable",
		"--dest", "--wheel-dir", "--index-url", "--extra-index-url", "--find-links", "--src", "--cache-dir", "--log", "--python")
	if d := ck.unsureDenial(c, p); d != nil {
		return d
	}
	if len(p.operands) == 0 || !p.operands[0].ok {
		return nil
	}
	sub := p.operands[0].lit
	for _, v := range p.values("-t", "--target", "--prefix", "--root", "-d", "--dest", "-w", "--wheel-dir", "--src", "--log") {
		if d := ck.checkWrite(c, v, "pip "+sub, writeFollow); d != nil {
			return d
		}
	}
	if p.has("--python") {
		return ck.deny(c, "pip --python is not allowed: it installs into another interpreter")
	}
	switch sub {
	case "install", "uninstall":
		if p.has("--user") {
			return ck.refuse(c, "pip install --user", "\"pip %s --user\" is not allowed: it changes the user's Python outside the worktree; use a virtual environment (python3 -m venv .venv, then .venv/bin/pip)", sub)
		}
		if p.has("--break-system-packages") {
			return ck.refuse(c, "pip install --break-system-packages", "\"pip %s --break-system-packages\" is not allowed: it changes the system's Python; use a virtual environment (python3 -m venv .venv, then .venv/bin/pip)", sub)
		}
		if !venv && !ck.venv && !p.has("-t", "--target", "--prefix", "--root") {
			return ck.refuse(c, "pip "+sub, "\"pip %s\" outside a virtual environment is not allowed: create one with python3 -m venv .venv and use .venv/bin/pip", sub)
		}
	case "config":
		return ck.refuse(c, "pip config", "\"pip config\" is not allowed: it changes your user pip configuration")
	}
	return ck.cwdWritable(c)
}

// checkPyTool checks the Python tools' options that write files.
func checkPyTool(ck *checker, c *call) *denial {
	if d := ck.moreDenial(c); d != nil {
		return d
	}
	p := parseArgs(c.argv, "pkmcno", "--basetemp", "--junitxml", "--junit-xml", "--cache-dir", "--rootdir", "--config",
		"--output-file", "--target-version", "--line-length", "--select", "--ignore", "--exclude", "--cov", "--cov-report")
	for _, v := range p.values("--basetemp") {
		// pytest empties its basetemp directory.
		if d := ck.checkWrite(c, v, "pytest --basetemp", writeRemove); d != nil {
			return d
		}
	}
	for _, v := range p.values("--junitxml", "--junit-xml", "--cache-dir", "--output-file", "-o") {
		if c.name == "pytest" && (v.lit == "" || strings.Contains(v.lit, "=")) {
			continue // pytest -o name=value sets an ini option
		}
		if d := ck.checkWrite(c, v, c.name+" output", writeFollow); d != nil {
			return d
		}
	}
	formats := false
	switch c.name {
	case "ruff":
		formats = len(p.operands) > 0 && p.operands[0].ok && p.operands[0].lit == "format" && !p.has("--check", "--diff")
		formats = formats || p.has("--fix")
	case "black":
		formats = !p.has("--check", "--diff")
	}
	if formats {
		if d := ck.writesAll(c, p); d != nil {
			return d
		}
	}
	return ck.cwdWritable(c)
}

// goValueFlags are the go command's flags that take a value.
var goValueFlags = []string{"C", "o", "run", "bench", "count", "timeout", "tags", "ldflags", "gcflags", "asmflags",
	"coverprofile", "cpuprofile", "memprofile", "blockprofile", "mutexprofile", "trace", "outputdir", "p",
	"parallel", "cpu", "benchtime", "fuzz", "fuzztime", "fuzzminimizetime", "mod", "modfile", "pkgdir", "exec",
	"toolexec", "covermode", "coverpkg", "buildmode", "compiler", "gccgoflags", "installsuffix", "overlay", "pgo",
	"skip", "shuffle", "list", "benchmem", "vet", "json", "failfast", "f", "debug-actiongraph", "debug-trace"}

// goWriteFlags are the flags whose value is a file or directory written.
var goWriteFlags = []string{"o", "coverprofile", "cpuprofile", "memprofile", "blockprofile", "mutexprofile", "trace", "outputdir", "modfile"}

// checkGo allows building, testing and running Go code, with output files
// inside the worktree; go install and go env -w, which change the user's
// setup, are refused.
func checkGo(ck *checker, c *call) *denial {
	if d := ck.moreDenial(c); d != nil {
		return d
	}
	gc := *c
	var sub string
	var rest []arg
	argv := c.argv
	for i := 0; i < len(argv); i++ {
		a := argv[i]
		if !a.ok {
			if a.prefix != "" && !strings.HasPrefix(a.prefix, "-") {
				continue // a package path or file
			}
			if i > 0 && argv[i-1].ok && goFlagTakesValue(argv[i-1].lit) {
				continue
			}
			if name, _, ok := strings.Cut(strings.TrimLeft(a.prefix, "-"), "="); ok && !slices.Contains(goWriteFlags, name) && name != "exec" && name != "toolexec" && name != "C" {
				continue
			}
			return ck.deny(c, "go is given %s, which could turn into a flag the policy cannot check; write it out", a.why)
		}
		s := a.lit
		if !strings.HasPrefix(s, "-") || s == "-" {
			if sub == "" {
				sub = s
				rest = argv[i+1:]
			}
			continue
		}
		name, val, hasVal := strings.Cut(strings.TrimLeft(s, "-"), "=")
		if !hasVal && goFlagTakesValue(s) && i+1 < len(argv) {
			i++
			val = argv[i].lit
			if !argv[i].ok {
				if slices.Contains(goWriteFlags, name) || name == "C" {
					return ck.deny(c, "go -%s needs a literal path, not %s", name, argv[i].why)
				}
				continue
			}
		}
		switch {
		case name == "C":
			cd := &call{name: "cd", argv: []arg{litArg(val)}, dirs: gc.dirs, text: c.text}
			checkCd(ck, cd)
			gc.dirs = *cd.next
		case name == "exec" || name == "toolexec":
			return ck.deny(c, "go -%s is not allowed: it runs another program", name)
		case slices.Contains(goWriteFlags, name):
			if d := ck.checkWrite(&gc, litArg(val), "go -"+name, writeFollow); d != nil {
				return d
			}
		}
	}
	switch sub {
	case "install":
		return ck.refuse(c, "go install", "\"go install\" is not allowed: it installs programs into ~/go/bin, outside the worktree; use go run pkg@version or go build -o")
	case "env":
		if slices.ContainsFunc(rest, func(a arg) bool { return a.ok && (a.lit == "-w" || a.lit == "-u") }) {
			return ck.refuse(c, "go env -w", "\"go env -w\" is not allowed: it changes your user Go configuration; set the variable for one command instead")
		}
	case "clean":
		if slices.ContainsFunc(rest, func(a arg) bool { return a.ok && a.lit == "-modcache" }) {
			return ck.refuse(c, "go clean -modcache", "\"go clean -modcache\" is not allowed: it deletes the module cache that other projects share")
		}
	}
	return ck.cwdWritable(&gc)
}

func goFlagTakesValue(s string) bool {
	if !strings.HasPrefix(s, "-") || strings.Contains(s, "=") {
		return false
	}
	name := strings.TrimLeft(s, "-")
	switch name {
	case "benchmem", "json", "failfast", "shuffle", "vet", "list", "f":
		// boolean or ambiguous: their values are attached with = when given
		return name == "list" || name == "vet" || name == "shuffle"
	}
	return slices.Contains(goValueFlags, name)
}

// checkGofmt: with -w, gofmt rewrites the files it is given.
func checkGofmt(ck *checker, c *call) *denial {
	if d := ck.moreDenial(c); d != nil {
		return d
	}
	p := parseArgs(c.argv, "r", nil...)
	if d := ck.unsureDenial(c, p); d != nil {
		return d
	}
	if !p.has("-w") {
		return nil
	}
	return ck.writesAll(c, p)
}

// checkMake runs the project's Makefile (its own code) in the worktree.
func checkMake(ck *checker, c *call) *denial {
	if d := ck.moreDenial(c); d != nil {
		return d
	}
	p := parseArgs(c.argv, "CfIjloWE", "--directory", "--file", "--makefile", "--include-dir", "--jobs", "--load-average",
		"--old-file", "--what-if", "--eval")
	if p.has("-E", "--eval") {
		return ck.deny(c, "make --eval is not allowed: write the rule into the Makefile")
	}
	gc := *c
	for _, v := range p.values("-C", "--directory") {
		if !v.ok {
			return ck.deny(c, "make -C needs a literal directory, not %s", v.why)
		}
		cd := &call{name: "cd", argv: []arg{v}, dirs: gc.dirs, text: c.text}
		checkCd(ck, cd)
		gc.dirs = *cd.next
	}
	for _, v := range p.values("-f", "--file", "--makefile") {
		if !v.ok || ck.inTemp(&gc, v.lit) {
			return ck.deny(c, "make -f needs a Makefile of the worktree")
		}
	}
	return ck.cwdWritable(&gc)
}

// checkCargo builds and tests Rust code; installing and publishing are refused.
func checkCargo(ck *checker, c *call) *denial {
	if d := ck.moreDenial(c); d != nil {
		return d
	}
	p := parseArgs(c.argv, "pjZ", "--target-dir", "--manifest-path", "--package", "--jobs", "--features", "--target",
		"--bin", "--example", "--test", "--bench", "--config", "--profile", "--color")
	if d := ck.unsureDenial(c, p); d != nil {
		return d
	}
	if p.has("--config") {
		return ck.deny(c, "cargo --config is not allowed: it can make cargo run other programs")
	}
	for _, v := range p.values("--target-dir") {
		if d := ck.checkWrite(c, v, "cargo --target-dir", writeFollow); d != nil {
			return d
		}
	}
	if len(p.operands) > 0 && p.operands[0].ok {
		switch sub := p.operands[0].lit; sub {
		case "install", "uninstall", "publish", "login", "logout", "owner", "yank":
			return ck.refuse(c, "cargo "+sub, "\"cargo %s\" is not allowed: it changes things outside the worktree (~/.cargo, crates.io); leave it to the user", sub)
		}
	}
	return ck.cwdWritable(c)
}

// checkBuildTool runs compilers and build tools in the worktree, with
// their output files inside it.
func checkBuildTool(ck *checker, c *call) *denial {
	if d := ck.moreDenial(c); d != nil {
		return d
	}
	var writes []string
	switch c.name {
	case "rustc":
		writes = []string{"-o", "--out-dir"}
	case "javac":
		writes = []string{"-d", "-s", "-h"}
	case "cc", "gcc", "clang", "g++", "clang++":
		writes = []string{"-o"}
	}
	for i, a := range c.argv {
		if !a.ok {
			continue
		}
		for _, w := range writes {
			switch {
			case a.lit == w && i+1 < len(c.argv):
				if d := ck.checkWrite(c, c.argv[i+1], c.name+" "+w, writeFollow); d != nil {
					return d
				}
			case strings.HasPrefix(a.lit, w+"="):
				if d := ck.checkWrite(c, litArg(strings.TrimPrefix(a.lit, w+"=")), c.name+" "+w, writeFollow); d != nil {
					return d
				}
			case len(w) == 2 && strings.HasPrefix(a.lit, w) && len(a.lit) > 2 && c.name != "javac":
				if d := ck.checkWrite(c, litArg(a.lit[2:]), c.name+" "+w, writeFollow); d != nil {
					return d
				}
			}
		}
	}
	return ck.cwdWritable(c)
}
