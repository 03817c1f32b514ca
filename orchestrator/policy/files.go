package policy

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

var cpValueLong = []string{"--target-directory", "--suffix", "--context"}

// checkCopy: the destination must be writable; with -s/-l the sources too,
// since a link to an outside file lets later writes escape.
func checkCopy(ck *checker, c *call) *denial {
	if d := ck.moreDenial(c); d != nil {
		return d
	}
	p := parseArgs(c.argv, "tS", cpValueLong...)
	if d := ck.unsureDenial(c, p); d != nil {
		return d
	}
	srcs, dst := splitDest(p)
	if dst == nil {
		return nil
	}
	if d := ck.checkWrite(c, *dst, "cp destination", writeFollow); d != nil {
		return d
	}
	if p.has("-s", "-l", "--symbolic-link", "--link") {
		for _, s := range srcs {
			if d := ck.checkWrite(c, s, "cp link target", writeFollow); d != nil {
				return d
			}
		}
	}
	return nil
}

// checkMove: mv writes its destination and removes its sources.
func checkMove(ck *checker, c *call) *denial {
	if d := ck.moreDenial(c); d != nil {
		return d
	}
	p := parseArgs(c.argv, "tS", cpValueLong...)
	if d := ck.unsureDenial(c, p); d != nil {
		return d
	}
	srcs, dst := splitDest(p)
	if dst == nil {
		return nil
	}
	if d := ck.checkWrite(c, *dst, "mv destination", writeFollow); d != nil {
		return d
	}
	for _, s := range srcs {
		if d := ck.checkWrite(c, s, "mv source", writeRemove); d != nil {
			return d
		}
	}
	return nil
}

// splitDest returns the sources and the destination of cp/mv/ln: the -t
// directory, or the last operand.
func splitDest(p parsed) ([]arg, *arg) {
	if t := p.values("-t", "--target-directory"); len(t) > 0 {
		return p.operands, &t[len(t)-1]
	}
	if len(p.operands) < 2 {
		return p.operands, nil
	}
	last := p.operands[len(p.operands)-1]
	return p.operands[:len(p.operands)-1], &last
}

// checkLink: links are created inside the worktree and point inside it, so
// that a later write through them cannot escape.
func checkLink(ck *checker, c *call) *denial {
	if d := ck.moreDenial(c); d != nil {
		return d
	}
	p := parseArgs(c.argv, "tS", cpValueLong...)
	if d := ck.unsureDenial(c, p); d != nil {
		return d
	}
	targets, dst := splitDest(p)
	if dst == nil {
		if len(targets) == 0 {
			return nil
		}
		d := litArg(".")
		dst = &d
	}
	if d := ck.checkWrite(c, *dst, "ln link name", writeRemove); d != nil {
		return d
	}
	symbolic := p.has("-s", "--symbolic")
	for _, t := range targets {
		if d := ck.checkWrite(c, t, "ln target", writeFollow); d != nil {
			return d
		}
		if symbolic && !filepath.IsAbs(t.lit) && c.dirs.unknown == "" {
			// A relative symlink target is resolved from the link's directory.
			for _, dir := range c.dirs.paths {
				linkDir := filepath.Join(dir, dst.lit)
				if fi, err := os.Stat(linkDir); err != nil || !fi.IsDir() {
					linkDir = filepath.Dir(linkDir)
				}
				rel := litArg(filepath.Join(linkDir, t.lit))
				if d := ck.checkWrite(c, rel, "ln target, from the link's directory", writeFollow); d != nil {
					return d
				}
			}
		}
	}
	return nil
}

var (
	// chmod modes that add or remove permissions without making anything
	// writable by others or setuid: +x, u+x, a-w, go-rwx, ...
	symbolicModeRe = regexp.MustCompile(`^([ugoa]*[-+][rwxX]+)(,[ugoa]*[-+][rwxX]+)*$`)
	octalModeRe    = regexp.MustCompile(`^0?[0-7][0-7][0-7]$`)
)

// checkChmod allows making files executable (and other modes that grant
// nothing to other users) on files inside the worktree.
func checkChmod(ck *checker, c *call) *denial {
	if d := ck.moreDenial(c); d != nil {
		return d
	}
	var mode *arg
	var files []arg
	rest := c.argv
	reference := false
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		switch {
		case !a.ok:
			if mode == nil && !reference {
				return ck.deny(c, "chmod needs a literal mode, not %s", a.why)
			}
			files = append(files, a)
		case a.lit == "--":
			files = append(files, rest[i+1:]...)
			i = len(rest)
		case strings.HasPrefix(a.lit, "--reference"):
			reference = true
			if !strings.Contains(a.lit, "=") {
				i++
			}
		case mode == nil && !reference && symbolicModeRe.MatchString(a.lit) && strings.HasPrefix(a.lit, "-"):
			m := a
			mode = &m
		case strings.HasPrefix(a.lit, "-") && len(a.lit) > 1:
			// -R, -v, -c, -f, --recursive, ...
		case mode == nil && !reference:
			m := a
			mode = &m
		default:
			files = append(files, a)
		}
	}
	if mode != nil {
		m := mode.lit
		switch {
		case octalModeRe.MatchString(m):
			digits := m[len(m)-3:]
			if strings.ContainsAny(digits[1:], "2367") {
				return ck.refuse(c, "chmod "+m, "chmod %s is not allowed: it makes files writable by other users; use chmod +x (or 755/644)", m)
			}
		case symbolicModeRe.MatchString(m):
			for _, clause := range strings.Split(m, ",") {
				who := clause[:strings.IndexAny(clause, "+-")]
				grants := strings.Contains(clause, "+") && strings.Contains(clause, "w")
				if grants && (who == "" || strings.ContainsAny(who, "goa")) {
					return ck.refuse(c, "chmod "+m, "chmod %s is not allowed: it makes files writable by other users; use chmod +x or u+w", m)
				}
			}
		default:
			return ck.refuse(c, "chmod "+m, "chmod %s is not allowed: use chmod +x, u+x or a mode like 755 or 644", m)
		}
	}
	for _, f := range files {
		if d := ck.checkWrite(c, f, "chmod", writeFollow); d != nil {
			return d
		}
	}
	return nil
}

// devServers are the processes pkill may stop by default (the reference
// harness's list).
func devServers() []string { return []string{"node", "npm", "npx", "vite", "next"} }

var pkillPatternRe = regexp.MustCompile(`^\^?(?:[A-Za-z0-9_./-]*/)?([A-Za-z0-9_.+-]+)(?:\$|\s.*)?$`)

// checkPkill lets the agent stop the dev servers it started, and nothing
// else: one pattern naming an allowed process, no alternatives.
func checkPkill(ck *checker, c *call) *denial {
	if d := ck.moreDenial(c); d != nil {
		return d
	}
	var pattern *arg
	full := false
	for i := 0; i < len(c.argv); i++ {
		a := c.argv[i]
		if !a.ok {
			return ck.deny(c, "pkill needs a literal process name, not %s", a.why)
		}
		s := a.lit
		switch {
		case s == "-f" || s == "--full":
			full = true
		case s == "--signal":
			i++
		case strings.HasPrefix(s, "--signal="):
		case s == "-x" || s == "--exact" || s == "-i" || s == "--ignore-case" || s == "-n" || s == "--newest" ||
			s == "-o" || s == "--oldest" || s == "-e" || s == "--echo" || s == "-c" || s == "--count":
		case strings.HasPrefix(s, "-") && len(s) > 1 && isSignal(s[1:]):
		case strings.HasPrefix(s, "-") && len(s) > 1 && strings.Trim(s[1:], "fxinoec") == "":
			full = full || strings.Contains(s, "f")
		case strings.HasPrefix(s, "-"):
			return ck.deny(c, "pkill %s is not allowed: stop a dev server by name (pkill -f vite)", s)
		case pattern != nil:
			return ck.deny(c, "pkill takes one dev-server name")
		default:
			p := a
			pattern = &p
		}
	}
	if pattern == nil {
		return ck.deny(c, "pkill needs the name of a dev server to stop (pkill -f vite)")
	}
	m := pkillPatternRe.FindStringSubmatch(pattern.lit)
	if m == nil || strings.ContainsAny(pattern.lit, "|\\") || !ck.p.pkill[m[1]] || (!full && m[0] != m[1] && strings.Trim(pattern.lit, "^$") != m[1]) {
		return ck.refuse(c, "pkill "+pattern.lit, "pkill %q is not allowed: pkill may only stop dev servers (%s, and security.pkill additions)", pattern.lit, strings.Join(sortedKeys(ck.p.pkill), ", "))
	}
	return nil
}

func isSignal(s string) bool {
	if s == "" {
		return false
	}
	if strings.Trim(s, "0123456789") == "" {
		return true
	}
	s = strings.TrimPrefix(strings.ToUpper(s), "SIG")
	switch s {
	case "TERM", "INT", "KILL", "HUP", "QUIT", "USR1", "USR2", "STOP", "CONT":
		return true
	}
	return false
}
