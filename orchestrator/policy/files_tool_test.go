package policy

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// nonTempDir makes a worktree outside /tmp, which the policy lets every
// command write to: there, "outside the worktree" means something.
func nonTempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("/var/tmp", "policy-files-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func TestDecideFileWrite(t *testing.T) {
	root := filepath.Join(nonTempDir(t), "repo", "wt")
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	outside := nonTempDir(t)
	home, _ := os.UserHomeDir()
	if err := os.Symlink(outside, filepath.Join(root, "escape")); err != nil {
		t.Fatal(err)
	}
	p, err := New(root, Rules{})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		path, cwd string
		allowed   bool
	}{
		{"src/app.js", root, true},
		{filepath.Join(root, "notes.md"), "", true},
		{".autonomous/feature_list.json", root, true},
		{filepath.Join(home, ".ssh", "authorized_keys"), root, false},
		{"../../etc/passwd", root, false},
		{"escape/planted.sh", root, false},
		{filepath.Join(root, "..", "..", ".git", "hooks", "pre-commit"), root, false},
		{"/etc/cron.d/x", root, false},
		{"", root, false},
	}
	for _, c := range cases {
		d := p.DecideFileWrite(c.path, c.cwd)
		if d.Allowed != c.allowed {
			t.Errorf("DecideFileWrite(%q, %q) = %+v, want allowed=%v", c.path, c.cwd, d, c.allowed)
		}
		if !d.Allowed && c.path != "" && !strings.Contains(d.Reason, "outside the worktree") {
			t.Errorf("reason for %q should say why: %q", c.path, d.Reason)
		}
	}
}

// The hook refuses the Write tool outside the worktree with the PreToolUse
// deny JSON, and lets it write inside.
func TestHookConfinesFileTools(t *testing.T) {
	root := nonTempDir(t)
	p, err := New(root, Rules{})
	if err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(t.TempDir(), "policy.jsonl")
	opts := HookOptions{Configure: func(*HookInput) (HookConfig, error) {
		return HookConfig{Policy: p, LogPath: logPath, Workflow: "wf"}, nil
	}}
	run := func(tool string, input map[string]any) (int, string) {
		in, _ := json.Marshal(map[string]any{"tool_name": tool, "tool_input": input, "cwd": root, "hook_event_name": "PreToolUse"})
		var out, errOut bytes.Buffer
		code := Hook(context.Background(), bytes.NewReader(in), &out, &errOut, opts)
		return code, out.String()
	}
	if code, out := run("Write", map[string]any{"file_path": "src/ok.js", "content": "x"}); code != 0 || out != "" {
		t.Errorf("Write inside the worktree: exit %d, output %q; want a silent allow", code, out)
	}
	code, out := run("Edit", map[string]any{"file_path": "/etc/hosts", "old_string": "a", "new_string": "b"})
	if code != 0 || !strings.Contains(out, `"permissionDecision":"deny"`) || !strings.Contains(out, "/etc/hosts") {
		t.Errorf("Edit of /etc/hosts: exit %d, output %q; want a deny naming the file", code, out)
	}
	if code, _ := run("NotebookEdit", map[string]any{}); code != 2 {
		t.Errorf("a file tool without a path must be blocked (exit 2), got %d", code)
	}
	if code, out := run("Read", map[string]any{"file_path": "/etc/hosts"}); code != 0 || out != "" {
		t.Errorf("reading is not the hook's business: exit %d, %q", code, out)
	}
	log, _ := os.ReadFile(logPath)
	if !strings.Contains(string(log), `"command":"Edit /etc/hosts"`) || !strings.Contains(string(log), `"decision":"deny"`) {
		t.Errorf("the decision log lacks the file tool decision:\n%s", log)
	}
}
