// Package agenttest finds the real Claude Code CLI for end-to-end tests and
// builds the environment that points it at a scripted model server.
//
// Tests never skip when the CLI is missing: they fail with the command that
// installs it, so a CI run without the agent is red, not silently green.
package agenttest

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Home returns the folder the tool keeps its per-user state in
// ($AUTONOMOUS_HOME, else ~/.autonomous-coding).
func Home() string {
	if h := os.Getenv("AUTONOMOUS_HOME"); h != "" {
		return h
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return ".autonomous-coding"
	}
	return filepath.Join(home, ".autonomous-coding")
}

// ClaudePath returns the path of the Claude Code CLI to test with:
// $AUTONOMOUS_TEST_CLAUDE, else the managed runtime, else PATH.
func ClaudePath(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("AUTONOMOUS_TEST_CLAUDE"); p != "" {
		return p
	}
	managed := filepath.Join(Home(), "runtime", "node_modules", ".bin", "claude")
	if _, err := os.Stat(managed); err == nil {
		return managed
	}
	if p, err := exec.LookPath("claude"); err == nil {
		return p
	}
	t.Fatalf("the Claude Code CLI is not installed: run `make runtime` (or `autonomous runtime install`), or set AUTONOMOUS_TEST_CLAUDE")
	return ""
}

// OfflineEnv returns the process environment with the variables that send the
// CLI to the scripted model at baseURL and keep it off the network.
func OfflineEnv(baseURL string) []string {
	env := []string{}
	for _, kv := range os.Environ() {
		switch key(kv) {
		case "ANTHROPIC_BASE_URL", "ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "CLAUDECODE":
			continue
		}
		env = append(env, kv)
	}
	return append(env,
		"ANTHROPIC_BASE_URL="+baseURL,
		"ANTHROPIC_API_KEY=sk-ant-test-offline",
		"CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1",
	)
}

func key(kv string) string {
	for i := 0; i < len(kv); i++ {
		if kv[i] == '=' {
			return kv[:i]
		}
	}
	return kv
}
