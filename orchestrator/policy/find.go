package policy

import (
	"slices"
	"sort"
	"strings"
)

// find's primaries, by how many words follow them.
func findPrimary(name string) (values int, known bool) {
	switch name {
	case "-name", "-iname", "-path", "-ipath", "-wholename", "-iwholename", "-regex", "-iregex", "-lname", "-ilname",
		"-type", "-xtype", "-size", "-perm", "-user", "-group", "-uid", "-gid", "-mtime", "-mmin", "-atime", "-amin",
		"-ctime", "-cmin", "-newer", "-anewer", "-cnewer", "-maxdepth", "-mindepth", "-links", "-inum", "-samefile",
		"-used", "-printf", "-fstype", "-context", "-regextype", "-files0-from":
		return 1, true
	case "-print", "-print0", "-ls", "-prune", "-quit", "-true", "-false", "-empty", "-readable", "-writable",
		"-executable", "-nouser", "-nogroup", "-depth", "-d", "-xdev", "-mount", "-noleaf", "-daystart",
		"-ignore_readdir_race", "-noignore_readdir_race", "-and", "-a", "-or", "-o", "-not", "!", "(", ")", ",",
		"-help", "--help", "-version", "--version", "-warn", "-nowarn":
		return 0, true
	case "-follow":
		return 0, true
	}
	if strings.HasPrefix(name, "-newer") && len(name) == 8 { // -newerXY
		return 1, true
	}
	return 0, false
}

// findTests are the primaries that narrow what find acts on; without any,
// -delete or -exec rm acts on the search roots themselves.
func findTest(name string) bool {
	switch name {
	case "-name", "-iname", "-path", "-ipath", "-wholename", "-iwholename", "-regex", "-iregex", "-lname",
		"-ilname", "-type", "-xtype", "-size", "-perm", "-user", "-group", "-uid", "-gid", "-mtime", "-mmin",
		"-atime", "-amin", "-ctime", "-cmin", "-newer", "-anewer", "-cnewer", "-mindepth", "-links", "-inum",
		"-samefile", "-used", "-empty":
		return true
	}
	return strings.HasPrefix(name, "-newer")
}

// checkFind checks what find writes: -delete and the -exec commands act on
// the files found under the search roots, -fprint writes a file.
func checkFind(ck *checker, c *call) *denial {
	if d := ck.moreDenial(c); d != nil {
		return d
	}
	argv := c.argv
	i := 0
	follow := false
flags:
	for ; i < len(argv); i++ { // -H -L -P -D debugopts -Olevel
		a := argv[i]
		if !a.ok || !strings.HasPrefix(a.lit, "-") {
			break
		}
		switch {
		case a.lit == "-L":
			follow = true
		case a.lit == "-H" || a.lit == "-P" || strings.HasPrefix(a.lit, "-O"):
		case a.lit == "-D":
			i++
		default:
			break flags
		}
	}
	var roots []string
	for ; i < len(argv); i++ {
		a := argv[i]
		if a.ok && (strings.HasPrefix(a.lit, "-") || a.lit == "(" || a.lit == "!" || a.lit == ",") {
			break
		}
		if !a.ok || a.glob {
			if a.ok {
				// A pattern root: its matches are below the pattern's directory.
				roots = append(roots, globDir(a.lit))
				continue
			}
			return ck.deny(c, "find needs literal search paths, not %s", a.why)
		}
		roots = append(roots, a.lit)
	}
	if len(roots) == 0 {
		roots = []string{"."}
	}
	var abs []string
	for _, r := range roots {
		paths, d := ck.absPaths(c, r, "find")
		if d != nil {
			if c.dirs.unknown == "" {
				return d
			}
			abs = nil
			break
		}
		abs = append(abs, paths...)
	}
	type action struct {
		cmd     []arg
		execdir bool
	}
	var actions []action
	var writes []arg
	deletes, narrowed := false, false
	for ; i < len(argv); i++ {
		a := argv[i]
		if !a.ok {
			return ck.deny(c, "find's expression must be written out: %s could be any primary (such as -delete)", a.why)
		}
		name := a.lit
		switch name {
		case "-delete":
			deletes = true
			continue
		case "-exec", "-execdir", "-ok", "-okdir":
			var cmd []arg
			j := i + 1
			for ; j < len(argv); j++ {
				if argv[j].ok && (argv[j].lit == ";" || argv[j].lit == "+") {
					break
				}
				cmd = append(cmd, argv[j])
			}
			i = j
			actions = append(actions, action{cmd: cmd, execdir: name == "-execdir" || name == "-okdir"})
			continue
		case "-fprint", "-fprint0", "-fls":
			if i+1 < len(argv) {
				writes = append(writes, argv[i+1])
			}
			i++
			continue
		case "-fprintf":
			if i+1 < len(argv) {
				writes = append(writes, argv[i+1])
			}
			i += 2
			continue
		case "-follow":
			follow = true
			continue
		}
		n, known := findPrimary(name)
		if !known {
			return ck.deny(c, "find %s is not allowed: the policy does not know this primary", name)
		}
		if findTest(name) {
			narrowed = true
		}
		if name == "-maxdepth" || name == "-mindepth" {
			if i+1 < len(argv) && argv[i+1].lit == "0" && name == "-mindepth" {
				narrowed = false
			}
		}
		i += n // the values are patterns, numbers and formats: never run
	}
	for _, w := range writes {
		if d := ck.checkWrite(c, w, "find -fprint", writeFollow); d != nil {
			return d
		}
	}
	if !deletes && len(actions) == 0 {
		return nil
	}
	if follow {
		return ck.deny(c, "find -L with -delete or -exec is not allowed: following symlinks could act on files outside the worktree")
	}
	if abs == nil {
		return ck.deny(c, "find -delete/-exec in a working directory the policy cannot know (after %s) is not allowed", c.dirs.unknown)
	}
	// What find hands on: each path below a root, or the roots themselves
	// when nothing narrows the search.
	found := arg{under: abs, self: !narrowed}
	if deletes {
		if d := ck.checkWrite(c, found, "find -delete", writeRemove); d != nil {
			return d
		}
	}
	for _, act := range actions {
		if len(act.cmd) == 0 {
			return ck.deny(c, "find -exec needs a command")
		}
		argv := make([]arg, len(act.cmd))
		for k, a := range act.cmd {
			if a.ok && strings.Contains(a.lit, "{}") {
				argv[k] = found
				continue
			}
			argv[k] = a
		}
		sub := *c
		if act.execdir {
			sub.dirs = unknownDir("find -execdir")
		}
		if d := ck.sub(&sub, argv, false); d != nil {
			return d
		}
	}
	return nil
}

func globDir(p string) string {
	parts := strings.Split(p, "/")
	var keep []string
	for _, part := range parts {
		if strings.ContainsAny(part, "*?[") {
			break
		}
		keep = append(keep, part)
	}
	if len(keep) == 0 {
		return "."
	}
	if j := strings.Join(keep, "/"); j != "" {
		return j
	}
	return "/"
}

// checkFd treats fd -x/-X like find -exec: the command gets paths the
// policy cannot see.
func checkFd(ck *checker, c *call) *denial {
	for i, a := range c.argv {
		if a.ok && (a.lit == "-x" || a.lit == "--exec" || a.lit == "-X" || a.lit == "--exec-batch") {
			var cmd []arg
			for _, b := range c.argv[i+1:] {
				if b.ok && b.lit == ";" {
					break
				}
				cmd = append(cmd, b)
			}
			return ck.sub(c, cmd, true)
		}
	}
	return nil
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return slices.Compact(out)
}
