package policy

import (
	"strings"
)

// checkFunc judges one call of a command on the allowlist.
type checkFunc func(ck *checker, c *call) *denial

// builtinCheck returns how a command of the default allowlist is checked,
// or nil for a command that is not on it. The list and the reasons for it
// are in the package documentation (doc.go); keep the two in step.
func builtinCheck(name string) checkFunc {
	switch name {
	// Reading and navigating: no way to write or run other programs.
	case "cat", "head", "tail", "wc", "grep", "egrep", "fgrep", "ls", "pwd", "echo", "true", "false", ":",
		"which", "type", "file", "stat", "du", "df", "basename", "dirname", "realpath", "readlink",
		"cut", "tr", "diff", "cmp", "comm", "paste", "join", "nl", "column", "fold", "fmt", "rev", "tac",
		"seq", "sleep", "ps", "pgrep", "lsof", "jq", "od", "md5sum", "sha1sum", "sha256sum", "sha512sum",
		"base64", "strings", "whoami", "id", "uname", "wait", "exit", "return", "break", "continue",
		"shift", "set", "dirs", "jobs", "expr", "yes", "sha224sum", "sha384sum", "cksum":
		return checkReadOnly
	case "rg":
		return checkRipgrep
	case "fd", "fdfind":
		return checkFd
	case "sort":
		return checkSort
	case "uniq":
		return checkUniq
	case "tree":
		return checkTree
	case "date":
		return checkDate
	case "printf":
		return checkPrintf
	case "test", "[":
		return checkTest
	case "read":
		return checkRead
	case "unset":
		return checkUnset
	case "shopt":
		return checkShopt
	case "cd", "pushd", "popd":
		return checkCd
	case "source", ".":
		return checkSource
	case "eval":
		return checkEval

	// Changing files, inside the worktree only.
	case "rm", "rmdir":
		return checkRemove
	case "mkdir":
		return writesOperands("m", []string{"--mode", "--context"}, writeFollow)
	case "touch":
		return writesOperands("rdt", []string{"--reference", "--date", "--time"}, writeFollow)
	case "cp":
		return checkCopy
	case "mv":
		return checkMove
	case "ln":
		return checkLink
	case "chmod":
		return checkChmod
	case "tee":
		return writesOperands("", []string{"--output-error"}, writeFollow)
	case "sed":
		return checkSed
	case "awk", "gawk", "mawk", "nawk":
		return checkAwk
	case "find":
		return checkFind
	case "xargs":
		return checkXargs

	// Wrappers that run another command: the command they run is checked.
	case "env", "nice", "nohup", "timeout", "time", "command", "builtin", "exec", "stdbuf", "ionice":
		return checkWrapper
	case "bash", "sh", "zsh", "dash", "ksh":
		return checkShell

	// Processes: only the dev servers.
	case "pkill":
		return checkPkill

	// Version control.
	case "git":
		return checkGit

	// JavaScript and TypeScript.
	case "npm":
		return checkNpm
	case "npx":
		return checkNpx
	case "pnpm", "yarn":
		return checkPnpmYarn
	case "node":
		return checkNode
	case "tsc", "vitest", "jest", "vite", "next", "eslint", "prettier", "playwright", "mocha", "tsx", "ts-node":
		return checkJSTool

	// Python.
	case "python", "python3":
		return checkPython
	case "pip", "pip3":
		return checkPip
	case "pytest", "ruff", "black", "mypy":
		return checkPyTool

	// Go, Rust, Java, C, make.
	case "go":
		return checkGo
	case "gofmt", "goimports":
		return checkGofmt
	case "make":
		return checkMake
	case "cargo":
		return checkCargo
	case "rustc", "javac", "java", "mvn", "gradle", "gradlew", "mvnw", "cc", "gcc", "clang", "g++", "clang++":
		return checkBuildTool

	// Refused with a reason, unless security.allow names them.
	case "sudo", "su", "doas", "pkexec", "runuser":
		return checkAsOtherUser
	case "curl", "wget", "nc", "ncat", "netcat", "ssh", "scp", "sftp", "rsync", "ftp", "telnet", "socat":
		return checkNetwork
	}
	return nil
}

func checkReadOnly(ck *checker, c *call) *denial { return nil }

func checkAsOtherUser(ck *checker, c *call) *denial {
	return ck.deny(c, "%q is not allowed: commands may not run as another user", c.name)
}

func checkNetwork(ck *checker, c *call) *denial {
	return ck.refuse(c, c.name, "%q is not allowed: it reaches the network, which the workflow does not need by default; ask for it to be added to security.allow in .autonomous/config.yaml", c.name)
}

// writesOperands builds the check of a command whose operands are all
// paths it writes.
func writesOperands(valueShort string, valueLong []string, kind writeKind) checkFunc {
	return func(ck *checker, c *call) *denial {
		if d := ck.moreDenial(c); d != nil {
			return d
		}
		p := parseArgs(c.argv, valueShort, valueLong...)
		for _, a := range p.operands {
			if d := ck.checkWrite(c, a, c.name, kind); d != nil {
				return d
			}
		}
		return nil
	}
}

func checkRemove(ck *checker, c *call) *denial {
	return writesOperands("", nil, writeRemove)(ck, c)
}

func checkRipgrep(ck *checker, c *call) *denial {
	p := parseArgs(c.argv, "ABCEefgjMmrtT", "--pre", "--pre-glob", "--regexp", "--file", "--glob", "--iglob",
		"--type", "--type-not", "--max-count", "--context", "--after-context", "--before-context", "--replace",
		"--threads", "--max-depth", "--encoding", "--sort", "--sortr", "--color", "--colors", "--type-add")
	if p.has("--pre") {
		return ck.deny(c, "rg --pre is not allowed: it runs a program on every file")
	}
	if c.more {
		return nil
	}
	return ck.unsureDenial(c, p)
}

func checkSort(ck *checker, c *call) *denial {
	p := parseArgs(c.argv, "kSotT", "--key", "--buffer-size", "--output", "--field-separator",
		"--temporary-directory", "--compress-program", "--files0-from", "--random-source", "--parallel", "--sort", "--batch-size")
	if p.has("--compress-program") {
		return ck.deny(c, "sort --compress-program is not allowed: it runs another program")
	}
	if d := ck.moreDenial(c); d != nil {
		return d
	}
	if d := ck.unsureDenial(c, p); d != nil {
		return d
	}
	for _, v := range p.values("-o", "--output", "-T", "--temporary-directory") {
		if d := ck.checkWrite(c, v, "sort -o", writeFollow); d != nil {
			return d
		}
	}
	return nil
}

func checkUniq(ck *checker, c *call) *denial {
	p := parseArgs(c.argv, "fsw", "--skip-fields", "--skip-chars", "--check-chars", "--group", "--all-repeated")
	if d := ck.moreDenial(c); d != nil {
		return d
	}
	if d := ck.unsureDenial(c, p); d != nil {
		return d
	}
	if len(p.operands) > 1 {
		return ck.checkWrite(c, p.operands[1], "uniq's output file", writeFollow)
	}
	return nil
}

func checkTree(ck *checker, c *call) *denial {
	p := parseArgs(c.argv, "LPIoH", "--charset", "--filelimit", "--timefmt", "--sort", "--fromfile")
	if d := ck.moreDenial(c); d != nil {
		return d
	}
	if d := ck.unsureDenial(c, p); d != nil {
		return d
	}
	for _, v := range p.values("-o") {
		if d := ck.checkWrite(c, v, "tree -o", writeFollow); d != nil {
			return d
		}
	}
	return nil
}

func checkDate(ck *checker, c *call) *denial {
	p := parseArgs(c.argv, "dfrs", "--date", "--file", "--reference", "--set")
	if p.has("-s", "--set") {
		return ck.deny(c, "date --set is not allowed: it changes the system clock")
	}
	if d := ck.moreDenial(c); d != nil {
		return d
	}
	return ck.unsureDenial(c, p)
}

// checkPrintf refuses printf -v with a subscripted name and an unknown
// format, which could be -v.
func checkPrintf(ck *checker, c *call) *denial {
	if c.more {
		return ck.moreDenial(c)
	}
	if len(c.argv) == 0 {
		return nil
	}
	if !c.argv[0].ok {
		return ck.deny(c, "printf with an unknown first argument (%s) is not allowed: it could be -v; write the format out", c.argv[0].why)
	}
	if c.argv[0].lit == "-v" {
		if len(c.argv) < 2 || !c.argv[1].ok || !safeName(c.argv[1].lit) || strings.Contains(c.argv[1].lit, "[") {
			return ck.deny(c, "printf -v needs a plain variable name")
		}
	}
	return nil
}

// checkTest refuses test -v with names whose subscript bash would evaluate.
func checkTest(ck *checker, c *call) *denial {
	if c.more {
		return ck.moreDenial(c)
	}
	for i, a := range c.argv {
		if a.ok && strings.Contains(a.lit, "[") && strings.ContainsAny(a.lit, "$`") {
			return ck.deny(c, "%s %q is not allowed: bash would evaluate the subscript as code", c.name, a.lit)
		}
		if a.ok && (a.lit == "-v" || a.lit == "-R") && i+1 < len(c.argv) && !c.argv[i+1].ok {
			return ck.deny(c, "%s %s needs a plain variable name, not %s", c.name, a.lit, c.argv[i+1].why)
		}
		if !a.ok && (a.prefix == "" || a.prefix == "-") && i+1 < len(c.argv) && !c.argv[i+1].ok {
			return ck.deny(c, "%s with two unknown words in a row (%s %s) is not allowed: they could be -v NAME[...], which runs code", c.name, a.why, c.argv[i+1].why)
		}
	}
	return nil
}

func checkRead(ck *checker, c *call) *denial {
	if c.more {
		return ck.moreDenial(c)
	}
	p := parseArgs(c.argv, "padnNtui", nil...)
	if len(p.unsure) > 0 {
		return ck.unsureDenial(c, p)
	}
	names := append(p.values("-a"), p.operands...)
	for _, n := range names {
		if !n.ok || !nameRe.MatchString(n.lit) {
			return ck.deny(c, "read needs plain variable names")
		}
	}
	return nil
}

func checkUnset(ck *checker, c *call) *denial {
	if c.more {
		return ck.moreDenial(c)
	}
	for _, a := range c.argv {
		if !a.ok || !(nameRe.MatchString(a.lit) || a.lit == "-f" || a.lit == "-v") {
			return ck.deny(c, "unset needs plain variable names")
		}
	}
	return nil
}

// checkShopt allows the globbing options; others change how cd and
// expansions behave in ways the policy does not follow.
func checkShopt(ck *checker, c *call) *denial {
	for _, a := range c.argv {
		if !a.ok {
			return ck.deny(c, "shopt needs literal option names")
		}
		switch a.lit {
		case "-s", "-u", "-q", "-p", "nullglob", "globstar", "extglob", "dotglob", "failglob", "nocaseglob",
			"nocasematch", "inherit_errexit":
		default:
			return ck.deny(c, "shopt %s is not allowed; only the globbing options are", a.lit)
		}
	}
	return nil
}
