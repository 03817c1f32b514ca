package policy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// hookInput returns the captured PreToolUse input of the real CLI with
// the tool, command and cwd replaced.
func hookInput(t *testing.T, tool, command, cwd string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "testdata", "hook", "pretooluse-hook-stdin.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	m["tool_name"] = tool
	m["cwd"] = cwd
	m["tool_input"] = map[string]any{"command": command, "description": "test"}
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestHookProtocol(t *testing.T) {
	t.Parallel()
	root := worktree(t)
	p := newPolicy(t, root, Rules{})
	stamp := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name       string
		stdin      []byte
		configErr  error
		wantCode   int
		wantDeny   string // substring of permissionDecisionReason; "" = no stdout
		wantStderr string
		wantLog    string // decision in the log; "" = no line
	}{
		{name: "allowed bash prints nothing", stdin: hookInput(t, "Bash", "npm test && git status", root), wantLog: "allow"},
		{name: "denied bash prints the deny decision", stdin: hookInput(t, "Bash", "git push origin main", root), wantDeny: `"git push" is not allowed`, wantLog: "deny"},
		{name: "the offending part is named", stdin: hookInput(t, "Bash", "ls && echo $(curl evil.example)", root), wantDeny: "(in: curl evil.example)", wantLog: "deny"},
		{name: "read-only tools are not judged", stdin: hookInput(t, "Read", "rm -rf /", root)},
		{name: "malformed stdin blocks with exit 2", stdin: []byte(`{"tool_name": "Bash", "tool_input": `), wantCode: 2, wantStderr: "cannot read the hook input", wantLog: "deny"},
		{name: "missing command blocks with exit 2", stdin: []byte(`{"tool_name":"Bash","tool_input":{"description":"x"},"cwd":"/"}`), wantCode: 2, wantStderr: "tool_input.command is missing", wantLog: "deny"},
		{name: "a policy that cannot load denies", stdin: hookInput(t, "Bash", "ls", root), configErr: errors.New(".autonomous/config.yaml line 3: bad"), wantDeny: "could not be loaded: .autonomous/config.yaml line 3", wantStderr: "line 3", wantLog: "deny"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			logPath := filepath.Join(t.TempDir(), "logs", "wf1", "policy.jsonl")
			var out, errOut bytes.Buffer
			code := Hook(context.Background(), bytes.NewReader(tc.stdin), &out, &errOut, HookOptions{
				Configure: func(in *HookInput) (HookConfig, error) {
					return HookConfig{Policy: p, LogPath: logPath, Workflow: "wf1", Session: "3"}, tc.configErr
				},
				Now: func() time.Time { return stamp },
			})
			if code != tc.wantCode {
				t.Fatalf("exit code = %d, want %d (stderr %q)", code, tc.wantCode, errOut.String())
			}
			if tc.wantDeny == "" {
				if out.Len() != 0 {
					t.Fatalf("stdout = %q, want nothing", out.String())
				}
			} else {
				var resp struct {
					HookSpecificOutput struct {
						HookEventName, PermissionDecision, PermissionDecisionReason string
					}
				}
				if err := json.Unmarshal(out.Bytes(), &resp); err != nil {
					t.Fatalf("stdout %q is not the decision JSON: %v", out.String(), err)
				}
				h := resp.HookSpecificOutput
				if h.HookEventName != "PreToolUse" || h.PermissionDecision != "deny" || !strings.Contains(h.PermissionDecisionReason, tc.wantDeny) {
					t.Fatalf("decision = %+v, want a PreToolUse deny with %q", h, tc.wantDeny)
				}
			}
			if !strings.Contains(errOut.String(), tc.wantStderr) {
				t.Fatalf("stderr = %q, want %q", errOut.String(), tc.wantStderr)
			}
			raw, err := os.ReadFile(logPath)
			if tc.wantLog == "" {
				if err == nil {
					t.Fatalf("log written for an undecided call: %s", raw)
				}
				return
			}
			if err != nil {
				t.Fatalf("no decision log: %v", err)
			}
			var rec record
			if err := json.Unmarshal(bytes.TrimSpace(raw), &rec); err != nil {
				t.Fatalf("log line %q: %v", raw, err)
			}
			if rec.Decision != tc.wantLog || rec.Workflow != "wf1" || rec.Session != "3" || !rec.Time.Equal(stamp) {
				t.Fatalf("log record = %+v, want decision %s for wf1 session 3 at %v", rec, tc.wantLog, stamp)
			}
		})
	}
}

func TestHookLogAppendsAndRedacts(t *testing.T) {
	t.Parallel()
	root := worktree(t)
	p := newPolicy(t, root, Rules{})
	logPath := filepath.Join(t.TempDir(), "policy.jsonl")
	cmds := []string{
		"export GITHUB_TOKEN=ghp_abcdefghijklmnopqrstuvwxyz0123 && npm test",
		"curl -H 'Authorization: Bearer topsecretvalue' https://api.example.com",
	}
	for _, c := range cmds {
		var out, errOut bytes.Buffer
		Hook(context.Background(), bytes.NewReader(hookInput(t, "Bash", c, root)), &out, &errOut, HookOptions{
			Configure: func(*HookInput) (HookConfig, error) { return HookConfig{Policy: p, LogPath: logPath}, nil },
		})
	}
	raw, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	if len(lines) != 2 {
		t.Fatalf("log has %d lines, want 2:\n%s", len(lines), raw)
	}
	for _, secret := range []string{"ghp_abcdefghijklmnopqrstuvwxyz0123", "topsecretvalue"} {
		if strings.Contains(string(raw), secret) {
			t.Errorf("the decision log holds the secret %q:\n%s", secret, raw)
		}
	}
	if !strings.Contains(lines[0], `"decision":"allow"`) || !strings.Contains(lines[1], `"decision":"deny"`) {
		t.Errorf("log lines in the wrong order or with wrong decisions:\n%s", raw)
	}
}

func TestHookDecidesWhenTheLogCannotBeWritten(t *testing.T) {
	t.Parallel()
	root := worktree(t)
	p := newPolicy(t, root, Rules{})
	blocker := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	code := Hook(context.Background(), bytes.NewReader(hookInput(t, "Bash", "sudo ls", root)), &out, &errOut, HookOptions{
		Configure: func(*HookInput) (HookConfig, error) {
			return HookConfig{Policy: p, LogPath: filepath.Join(blocker, "policy.jsonl")}, nil
		},
	})
	if code != 0 || !strings.Contains(out.String(), `"permissionDecision":"deny"`) {
		t.Fatalf("code %d, stdout %q: want the deny decision despite the log", code, out.String())
	}
	if !strings.Contains(errOut.String(), "cannot write the decision log") {
		t.Fatalf("stderr %q does not say the log failed", errOut.String())
	}
}
