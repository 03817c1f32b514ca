package engine

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
)

// git runs git in dir and returns its trimmed stdout; errors carry stderr.
func git(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("git %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(errb.String()))
	}
	return strings.TrimSpace(out.String()), nil
}

// identityArgs gives commits made by the engine an author when the user's
// git has none configured, instead of failing the workflow.
func identityArgs(ctx context.Context, dir string) []string {
	if name, _ := git(ctx, dir, "config", "user.name"); name == "" {
		return []string{"-c", "user.name=autonomous", "-c", "user.email=autonomous@localhost"}
	}
	return nil
}

// gitCommitPaths commits paths in dir when they changed; no change is no commit.
func gitCommitPaths(ctx context.Context, dir, message string, paths ...string) error {
	if _, err := git(ctx, dir, append([]string{"add", "--"}, paths...)...); err != nil {
		return err
	}
	if _, err := git(ctx, dir, append([]string{"diff", "--cached", "--quiet", "--"}, paths...)...); err == nil {
		return nil
	}
	args := append(identityArgs(ctx, dir), "commit", "-q", "--no-verify", "-m", message, "--")
	_, err := git(ctx, dir, append(args, paths...)...)
	return err
}

// gitCommitAll commits everything left uncommitted in dir, so that work an
// agent did not commit survives whatever happens next. It reports whether
// there was anything to commit.
func gitCommitAll(ctx context.Context, dir, message string) (bool, error) {
	status, err := git(ctx, dir, "status", "--porcelain")
	if err != nil || status == "" {
		return false, err
	}
	if _, err := git(ctx, dir, "add", "-A"); err != nil {
		return false, err
	}
	args := append(identityArgs(ctx, dir), "commit", "-q", "--no-verify", "-m", message)
	if _, err := git(ctx, dir, args...); err != nil {
		return false, err
	}
	return true, nil
}
