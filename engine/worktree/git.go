package worktree

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

// GitError is a failed git command, with what git printed on stderr.
type GitError struct {
	Dir    string
	Args   []string
	Stderr string
	Err    error
}

func (e *GitError) Error() string {
	msg := fmt.Sprintf("git %s (in %s): %v", strings.Join(e.Args, " "), e.Dir, e.Err)
	if e.Stderr != "" {
		msg += ": " + e.Stderr
	}
	return msg
}

func (e *GitError) Unwrap() error { return e.Err }

// exitCode is git's exit status, or -1 when git did not run to an exit.
func (e *GitError) exitCode() int {
	var ee *exec.ExitError
	if errors.As(e.Err, &ee) {
		return ee.ExitCode()
	}
	return -1
}

// inheritedGitVars would point git at another repository than the one we
// name: they are set, for example, when autonomous runs from inside a git hook.
var inheritedGitVars = []string{
	"GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR",
	"GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_NAMESPACE", "GIT_PREFIX",
}

// gitEnv is the environment git runs with: the caller's, minus the variables
// that would redirect it, and never prompting on a terminal nobody watches.
func gitEnv() []string {
	env := make([]string, 0, len(os.Environ())+1)
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if !contains(inheritedGitVars, name) {
			env = append(env, kv)
		}
	}
	return append(env, "GIT_TERMINAL_PROMPT=0")
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// git runs git in dir and returns its stdout without the trailing newline.
// git runs in its own process group, killed whole when ctx ends, because
// `git worktree add` runs the repository's post-checkout hook, which may
// start processes of its own.
func git(ctx context.Context, dir string, args ...string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", &GitError{Dir: dir, Args: args, Err: err}
	}
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	cmd.Env = gitEnv()
	setProcessGroup(cmd)
	cmd.WaitDelay = 5 * time.Second
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			err = ctx.Err()
		} else if errors.Is(err, exec.ErrNotFound) {
			err = fmt.Errorf("git is not installed or not on PATH: install git 2.31 or newer: %w", err)
		}
		return "", &GitError{Dir: dir, Args: args, Stderr: strings.TrimSpace(stderr.String()), Err: err}
	}
	return strings.TrimRight(out.String(), "\n"), nil
}

// entry is one worktree of `git worktree list --porcelain`.
type entry struct {
	Path     string
	Head     string
	Branch   string // full ref name, "" when detached
	Locked   bool
	Prunable bool
}

// parseList reads `git worktree list --porcelain`: records separated by a
// blank line, one "key value" attribute per line.
func parseList(out string) []entry {
	var list []entry
	var cur *entry
	for _, line := range strings.Split(out, "\n") {
		key, value, _ := strings.Cut(line, " ")
		switch key {
		case "worktree":
			list = append(list, entry{Path: value})
			cur = &list[len(list)-1]
		case "HEAD":
			if cur != nil {
				cur.Head = value
			}
		case "branch":
			if cur != nil {
				cur.Branch = value
			}
		case "locked":
			if cur != nil {
				cur.Locked = true
			}
		case "prunable":
			if cur != nil {
				cur.Prunable = true
			}
		}
	}
	return list
}
