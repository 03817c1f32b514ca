package demo

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Identity the demo repository commits with when git has none configured.
const (
	demoUserName  = "autonomous demo"
	demoUserEmail = "demo@autonomous.invalid"
)

// InitRepo makes dir, where WriteProject wrote the project, a git repository
// on branch main with everything committed, as a user's existing project
// would be. On a machine where git has no identity, the repository gets one
// of its own, so that the demo's commits (the agent's included: worktrees
// share the repository's config) do not fail. It refuses a dir that is
// already a repository.
func InitRepo(ctx context.Context, dir string) error {
	if _, err := os.Stat(filepath.Join(dir, ".git")); err == nil {
		return fmt.Errorf("init demo repository: %s is already a git repository", dir)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("init demo repository: %w", err)
	}
	if _, err := git(ctx, dir, "init", "-q", "-b", "main"); err != nil {
		return fmt.Errorf("init demo repository in %s: %w", dir, err)
	}
	for _, kv := range [][2]string{{"user.name", demoUserName}, {"user.email", demoUserEmail}} {
		// `git config KEY` exits 1 when the key is set nowhere.
		if v, err := git(ctx, dir, "config", kv[0]); err == nil && v != "" {
			continue
		}
		if _, err := git(ctx, dir, "config", "--local", kv[0], kv[1]); err != nil {
			return fmt.Errorf("init demo repository in %s: %w", dir, err)
		}
	}
	if _, err := git(ctx, dir, "add", "-A"); err != nil {
		return fmt.Errorf("init demo repository in %s: %w", dir, err)
	}
	if _, err := git(ctx, dir, "commit", "-q", "--no-verify", "-m", "shop-api: the project as it stands"); err != nil {
		return fmt.Errorf("init demo repository in %s: %w", dir, err)
	}
	return nil
}

func git(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return strings.TrimSpace(string(out)), nil
}

// Env returns the environment for the demo's agent sessions: the caller's,
// without anything that would send the Claude Code CLI to a real model (API
// keys, other base URLs, Bedrock or Vertex switches), plus what sends it to
// the scripted model at baseURL and keeps it and npm off the network. The
// CLI's own state goes to root/.autonomous/state/claude-config, so that the demo
// leaves the user's ~/.claude alone.
func Env(baseURL, root string) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(name, "ANTHROPIC_"), strings.HasPrefix(name, "CLAUDE_CODE_USE_"),
			name == "CLAUDE_CONFIG_DIR", name == "CLAUDECODE", name == "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC",
			name == "NO_PROXY", name == "no_proxy", name == "npm_config_update_notifier":
			continue
		}
		env = append(env, kv)
	}
	// A proxy from the environment must not intercept the loopback server.
	noProxy := "127.0.0.1,localhost"
	if v := os.Getenv("NO_PROXY") + "," + os.Getenv("no_proxy"); strings.Trim(v, ",") != "" {
		noProxy = strings.Trim(v, ",") + "," + noProxy
	}
	return append(env,
		"ANTHROPIC_BASE_URL="+baseURL,
		// The scripted model accepts any key; this one is not a secret.
		"ANTHROPIC_API_KEY=sk-ant-demo-offline",
		"CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1",
		"CLAUDE_CONFIG_DIR="+filepath.Join(root, ".autonomous", "state", "claude-config"),
		"NO_PROXY="+noProxy, "no_proxy="+noProxy,
		"npm_config_update_notifier=false",
	)
}

// CountDenied counts the commands the security policy denied, from its
// decision log (one JSON object per line, with "decision" "deny"). A line
// that is not JSON is reported with its number; the count covers the others.
func CountDenied(policyLog string) (int, error) {
	f, err := os.Open(policyLog)
	if err != nil {
		return 0, fmt.Errorf("count denied commands: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	// A logged command can be long (a heredoc); lines are bounded only by this.
	sc.Buffer(nil, 16<<20)
	n, line := 0, 0
	var bad error
	for sc.Scan() {
		line++
		if len(strings.TrimSpace(sc.Text())) == 0 {
			continue
		}
		var entry struct {
			Decision string `json:"decision"`
		}
		if err := json.Unmarshal(sc.Bytes(), &entry); err != nil {
			if bad == nil {
				bad = fmt.Errorf("count denied commands: %s:%d: %w", policyLog, line, err)
			}
			continue
		}
		if entry.Decision == "deny" {
			n++
		}
	}
	if err := sc.Err(); err != nil {
		return n, fmt.Errorf("count denied commands: read %s: %w", policyLog, err)
	}
	return n, bad
}
