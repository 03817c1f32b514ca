package demo

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/autonomous-coding/autonomous/orchestrator/policy"
)

// When these are set, the test binary is not running tests: the CLI started
// it as its PreToolUse hook, and it answers with the real security policy
// (policy.Hook, what `autonomous hook pre-tool-use` runs) for the worktree
// named, logging decisions where told.
const (
	hookRootEnv = "AUTONOMOUS_DEMO_TEST_HOOK_ROOT"
	hookLogEnv  = "AUTONOMOUS_DEMO_TEST_HOOK_LOG"
)

func TestMain(m *testing.M) {
	if root := os.Getenv(hookRootEnv); root != "" {
		os.Exit(policy.Hook(context.Background(), os.Stdin, os.Stdout, os.Stderr, policy.HookOptions{
			Configure: func(*policy.HookInput) (policy.HookConfig, error) {
				p, err := policy.New(root, policy.Rules{})
				return policy.HookConfig{Policy: p, LogPath: os.Getenv(hookLogEnv), Workflow: "demo"}, err
			},
		}))
	}
	os.Exit(m.Run())
}

// hookSettings writes a CLI settings file that runs this test binary as the
// PreToolUse hook for Bash, as the session runner wires `autonomous hook`,
// and returns its path and the environment the hook needs.
func hookSettings(t *testing.T, worktree, policyLog string) (string, []string) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "settings.json")
	quoted := "'" + strings.ReplaceAll(exe, "'", `'\''`) + "'"
	writeFile(t, path, `{"hooks":{"PreToolUse":[{"matcher":"Bash","hooks":[{"type":"command","command":`+jsonString(quoted)+`}]}]}}`)
	return path, []string{hookRootEnv + "=" + worktree, hookLogEnv + "=" + policyLog}
}

func jsonString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(s) + `"`
}
