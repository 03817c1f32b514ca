package policy

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// resolvePath returns where the absolute path p really points, following
// symlinks component by component the way the kernel does (so "link/.."
// is the parent of the link's target, not the link's directory), like
// `realpath -m`: once a component does not exist the rest is taken as
// written. followLast says whether a symlink in the last component is
// followed (rm and mv act on the link itself). It returns "" when the
// symlinks loop.
func resolvePath(p string, followLast bool) string {
	parts := strings.Split(p, "/")
	cur := "/"
	missing := false
	hops := 0
	for i := 0; i < len(parts); i++ {
		c := parts[i]
		if c == "" || c == "." {
			continue
		}
		if c == ".." {
			cur = filepath.Dir(cur)
			continue
		}
		next := filepath.Join(cur, c)
		if missing {
			cur = next
			continue
		}
		fi, err := os.Lstat(next)
		if err != nil {
			missing = true
			cur = next
			continue
		}
		last := true
		for _, rest := range parts[i+1:] {
			if rest != "" && rest != "." {
				last = false
				break
			}
		}
		if fi.Mode()&os.ModeSymlink == 0 || (last && !followLast) {
			cur = next
			continue
		}
		if hops++; hops > 40 {
			return ""
		}
		target, err := os.Readlink(next)
		if err != nil {
			return ""
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(cur, target)
		}
		parts = append(strings.Split(target, "/"), parts[i+1:]...)
		i = -1
		cur = "/"
	}
	return cur
}

// within reports whether p is base or below it.
func within(base, p string) bool {
	return p == base || base == "/" || strings.HasPrefix(p, base+"/")
}

// special files that any command may write to.
func harmlessTarget(s string) bool {
	switch s {
	case "/dev/null", "/dev/stdout", "/dev/stderr", "/dev/tty", "-":
		return true
	}
	return strings.HasPrefix(s, "/dev/fd/")
}

// writeKind tells how a command writes a path: creating or changing it
// follows a symlink at the end of the path; removing or renaming acts on
// the link itself.
type writeKind int

const (
	writeFollow writeKind = iota
	writeRemove
)

// checkWrite refuses a as a write target (how names the mechanism:
// "redirection", "rm") unless it stays inside the writable places from
// every directory the command may run in.
func (ck *checker) checkWrite(c *call, a arg, how string, kind writeKind) *denial {
	if a.under != nil {
		for _, root := range a.under {
			r := resolvePath(root, true)
			if d := ck.checkResolved(c, root, r, how, kind, a.self); d != nil {
				return d
			}
		}
		return nil
	}
	if !a.ok {
		return ck.deny(c, "writes need a literal path: %s gets %s from %s, which the policy cannot check; write the path out", how, describeUnknown(a), a.why)
	}
	if harmlessTarget(a.lit) {
		return nil
	}
	if a.lit == "" {
		return nil
	}
	if a.glob {
		dirs := []string{"/"}
		if !filepath.IsAbs(a.lit) {
			if c.dirs.unknown != "" {
				return ck.deny(c, "writes outside the worktree are not allowed: %s writes %s relative to a working directory the policy cannot know (after %s); use a literal cd inside the worktree", how, a.lit, c.dirs.unknown)
			}
			dirs = c.dirs.paths
		}
		for _, dir := range dirs {
			if d := ck.checkGlob(c, dir, a, how, kind); d != nil {
				return d
			}
		}
		return nil
	}
	paths, d := ck.absPaths(c, a.lit, how)
	if d != nil {
		return d
	}
	for _, abs := range paths {
		follow := kind == writeFollow || strings.HasSuffix(a.lit, "/") || strings.HasSuffix(a.lit, "/.")
		if d := ck.checkResolved(c, a.lit, resolvePath(abs, follow), how, kind, true); d != nil {
			return d
		}
	}
	return nil
}

func describeUnknown(a arg) string {
	if a.prefix != "" {
		return fmt.Sprintf("a path starting %q", a.prefix)
	}
	return "a path"
}

// absPaths joins a path to every directory the command may run in.
func (ck *checker) absPaths(c *call, p, how string) ([]string, *denial) {
	if filepath.IsAbs(p) {
		return []string{p}, nil
	}
	if c.dirs.unknown != "" {
		return nil, ck.deny(c, "writes outside the worktree are not allowed: %s writes %s relative to a working directory the policy cannot know (after %s); use a literal cd inside the worktree", how, p, c.dirs.unknown)
	}
	out := make([]string, 0, len(c.dirs.paths))
	for _, d := range c.dirs.paths {
		out = append(out, filepath.Join(d, p))
	}
	return out, nil
}

// checkGlob checks the directory a pattern lists (which must be writable)
// and each path it matches now, from working directory dir.
func (ck *checker) checkGlob(c *call, dir string, a arg, how string, kind writeKind) *denial {
	// The pattern may match only below the literal directory before its
	// first wildcard, unless a later component climbs out with "..".
	parts := strings.Split(filepath.Join(dir, a.lit), "/")
	static := "/"
	for i, part := range parts {
		if strings.ContainsAny(part, "*?[") {
			for _, rest := range parts[i+1:] {
				if rest == ".." {
					return ck.deny(c, "writes outside the worktree are not allowed: the pattern %s climbs out with \"..\" (%s)", a.lit, how)
				}
			}
			break
		}
		static = filepath.Join(static, part)
	}
	if d := ck.checkResolved(c, a.lit, resolvePath(static, true), how, writeFollow, false); d != nil {
		return d
	}
	matches, err := filepath.Glob(filepath.Join(dir, a.pat))
	if err != nil {
		// Bash passes a malformed pattern on as it is.
		return ck.checkResolved(c, a.lit, resolvePath(filepath.Join(dir, a.lit), kind == writeFollow), how, kind, true)
	}
	patParts := strings.Split(filepath.Join(dir, a.pat), "/")
	for _, m := range matches {
		if hiddenForBash(patParts, strings.Split(m, "/")) {
			continue
		}
		if d := ck.checkResolved(c, m, resolvePath(m, kind == writeFollow), how, kind, true); d != nil {
			return d
		}
	}
	return nil
}

// checkResolved judges one resolved target. exact says the target is the
// path itself (not "something below it"), so removing a protected
// directory itself is refused.
func (ck *checker) checkResolved(c *call, shown, real, how string, kind writeKind, exact bool) *denial {
	p := ck.p
	if real == "" {
		return ck.deny(c, "writes outside the worktree are not allowed: %s (%s) goes through a symlink loop", shown, how)
	}
	gitDir := filepath.Join(p.root, ".git")
	if within(gitDir, real) {
		return ck.deny(c, "writing into .git is not allowed: %s (%s); use git commands", shown, how)
	}
	if real == filepath.Join(p.root, ".autonomous", "config.yaml") {
		return ck.deny(c, "changing the project's .autonomous/config.yaml is not allowed: its security settings are the user's (%s)", how)
	}
	if exact && kind == writeRemove {
		for _, base := range p.writable {
			if real == base {
				what := "the worktree itself"
				if base != p.root {
					what = base + " itself"
				}
				return ck.deny(c, "deleting %s is not allowed: %s (%s)", what, shown, how)
			}
		}
		if within(real, p.root) {
			return ck.deny(c, "deleting the worktree itself is not allowed: %s (%s)", shown, how)
		}
	}
	for _, base := range p.writable {
		if within(base, real) {
			return nil
		}
	}
	return ck.deny(c, "writes outside the worktree are not allowed: %s (%s)", shownPath(shown, real), how)
}

func shownPath(shown, real string) string {
	if shown == real || shown == "" {
		return real
	}
	return fmt.Sprintf("%s (resolves to %s)", shown, real)
}

// inside reports whether the literal path p (relative to every possible
// working directory) resolves inside the worktree.
func (ck *checker) inside(c *call, p string) bool {
	paths, d := ck.absPaths(c, p, "")
	if d != nil {
		return false
	}
	for _, abs := range paths {
		if !within(ck.p.root, resolvePath(abs, true)) {
			return false
		}
	}
	return len(paths) > 0
}

// inTemp reports whether the literal path p resolves into a writable place
// outside the worktree (the temp dir, WritablePaths): a program there may
// have been planted by an earlier command.
func (ck *checker) inTemp(c *call, p string) bool {
	paths, d := ck.absPaths(c, p, "")
	if d != nil {
		return true
	}
	for _, abs := range paths {
		real := resolvePath(abs, true)
		for _, t := range ck.p.temps {
			if within(t, real) && !within(ck.p.root, real) {
				return true
			}
		}
	}
	return false
}

// cwdWritable refuses tools that write into their working directory (build
// tools, package managers) when that directory is outside the writable places.
func (ck *checker) cwdWritable(c *call) *denial {
	if c.dirs.unknown != "" {
		return ck.deny(c, "%q runs in a working directory the policy cannot know (after %s); use a literal cd inside the worktree", c.name, c.dirs.unknown)
	}
	for _, d := range c.dirs.paths {
		real := resolvePath(d, true)
		ok := false
		for _, base := range ck.p.writable {
			if within(base, real) {
				ok = true
				break
			}
		}
		if !ok {
			return ck.deny(c, "writes outside the worktree are not allowed: %q would run in %s, outside the worktree", c.name, d)
		}
	}
	return nil
}

// hiddenForBash reports whether bash's globbing (without dotglob) would skip
// match: a wildcard does not match a leading dot, which Go's does.
func hiddenForBash(pat, match []string) bool {
	if len(pat) != len(match) {
		return false
	}
	for i := range pat {
		if strings.HasPrefix(match[i], ".") && !strings.HasPrefix(pat[i], ".") && !strings.HasPrefix(pat[i], `\.`) {
			return true
		}
	}
	return false
}
