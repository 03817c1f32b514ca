package policy

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// Rules are the security additions from the global and project configuration
// (`security:` in config.yaml). The zero value is the default policy.
type Rules struct {
	// Allow adds command names to the allowlist ("curl", "docker"). An entry
	// of several words ("git push", "npm publish") lifts the built-in refusal
	// with exactly that name; an entry with a slash ("scripts/check.sh") allows
	// that script of the worktree.
	Allow []string
	// Deny refuses commands by prefix, matched word by word against every
	// command the shell would run: "npm" refuses all of npm, "git push" the
	// push subcommand, "npm install -g" the install subcommand when -g is among
	// its arguments. Deny always wins over Allow.
	Deny []string
	// WritablePaths are absolute directories (or ~/...) outside the worktree
	// that commands may write to, in addition to the temp dir.
	WritablePaths []string
	// Pkill adds process names that pkill may target, besides the dev servers.
	Pkill []string
}

// Decision is the policy's answer for one shell command.
type Decision struct {
	Allowed bool
	// Reason says why a command was denied, in words the agent can act on.
	Reason string
	// Command is the offending sub-command (for example the `curl ...` inside
	// `$(curl ...)`), as written.
	Command string
}

// Policy decides whether shell commands may run in one worktree. It is
// immutable once built and safe for concurrent use.
type Policy struct {
	root     string   // the worktree, absolute and with symlinks resolved
	writable []string // root, temp dirs and WritablePaths, resolved
	temps    []string // writable places outside the worktree (not for running programs)
	home     string

	allow        map[string]bool // extra command names
	allowScripts map[string]bool // worktree-relative script paths
	lift         map[string]bool // built-in refusals lifted by a multi-word Allow entry
	deny         [][]string
	pkill        map[string]bool
}

// maxDepth bounds how deeply `bash -c`, `eval` and friends may nest.
const maxDepth = 8

// New builds the policy for the worktree at root with the given additions.
// It fails with an error naming the bad entry when rules are malformed.
func New(root string, rules Rules) (*Policy, error) {
	if root == "" {
		return nil, errors.New("security policy: no worktree root given")
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("security policy: root %s: %w", root, err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("security policy: root %s: %w", root, err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("security policy: root %s is not a directory", root)
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return nil, fmt.Errorf("security policy: root %s: %w", root, err)
	}
	home, _ := os.UserHomeDir()
	p := &Policy{
		root:         real,
		home:         home,
		allow:        map[string]bool{},
		allowScripts: map[string]bool{},
		lift:         map[string]bool{},
		pkill:        map[string]bool{},
	}
	p.writable = append(p.writable, real)
	for _, t := range uniq([]string{"/tmp", os.TempDir()}) {
		r := resolvePath(filepath.Clean(t), true)
		if r == "" || r == "/" {
			continue
		}
		p.temps = append(p.temps, r)
	}
	for i, w := range rules.WritablePaths {
		w = strings.TrimSpace(w)
		switch {
		case w == "~" || strings.HasPrefix(w, "~/"):
			if home == "" {
				return nil, fmt.Errorf("security.writablePaths[%d] %q: the home directory is unknown", i, w)
			}
			w = filepath.Join(home, strings.TrimPrefix(w, "~"))
		case !filepath.IsAbs(w):
			return nil, fmt.Errorf("security.writablePaths[%d] %q: not an absolute path", i, w)
		}
		r := resolvePath(filepath.Clean(w), true)
		if r == "" || r == "/" {
			return nil, fmt.Errorf("security.writablePaths[%d] %q: refusing to make the whole file system writable", i, w)
		}
		p.temps = append(p.temps, r)
	}
	p.writable = append(p.writable, p.temps...)
	for i, a := range rules.Allow {
		words := strings.Fields(a)
		switch {
		case len(words) == 0:
			return nil, fmt.Errorf("security.allow[%d]: empty entry", i)
		case len(words) > 1:
			p.lift[strings.Join(words, " ")] = true
		case strings.Contains(words[0], "/"):
			rel := filepath.Clean(strings.TrimPrefix(words[0], "./"))
			if filepath.IsAbs(rel) || rel == ".." || strings.HasPrefix(rel, "../") {
				return nil, fmt.Errorf("security.allow[%d] %q: a script must be a path inside the worktree", i, a)
			}
			p.allowScripts[rel] = true
		default:
			p.allow[words[0]] = true
			p.lift[words[0]] = true
		}
	}
	for i, d := range rules.Deny {
		words := strings.Fields(d)
		if len(words) == 0 {
			return nil, fmt.Errorf("security.deny[%d]: empty entry", i)
		}
		p.deny = append(p.deny, words)
	}
	for _, n := range devServers() {
		p.pkill[n] = true
	}
	for i, n := range rules.Pkill {
		n = strings.TrimSpace(n)
		if n == "" || strings.ContainsAny(n, " \t/|.*?[]()^$\\") {
			return nil, fmt.Errorf("security.pkill[%d] %q: must be a plain process name", i, n)
		}
		p.pkill[n] = true
	}
	return p, nil
}

// Root returns the worktree the policy guards, with symlinks resolved.
func (p *Policy) Root() string { return p.root }

// Decide judges command as the agent's shell would run it in cwd (an
// absolute path; "" means the worktree root). Anything it cannot understand
// is denied.
func (p *Policy) Decide(command, cwd string) Decision {
	if cwd == "" {
		cwd = p.root
	}
	if !filepath.IsAbs(cwd) {
		cwd = filepath.Join(p.root, cwd)
	}
	ck := &checker{p: p, funcs: map[string]*syntax.Stmt{}, active: map[string]bool{}}
	if _, d := ck.script(command, syntax.LangBash, dirsOf(filepath.Clean(cwd))); d != nil {
		return Decision{Allowed: false, Reason: d.reason, Command: d.cmd}
	}
	return Decision{Allowed: true}
}

// denial is a refusal found somewhere in the command tree. key names a
// built-in refusal that a multi-word Allow entry may lift ("git push").
type denial struct {
	reason string
	cmd    string
	key    string
}

func uniq(s []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, x := range s {
		if x != "" && !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}
