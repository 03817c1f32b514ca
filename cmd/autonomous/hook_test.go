package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// hookProject is a real repository with a workflow worktree at
// <repo>/.autonomous/worktrees/wf-1, as the engine lays it out, and a
// project configuration with security additions.
type hookProject struct {
	repo, worktree, home string
}

func newHookProject(t *testing.T, projectConfig string) hookProject {
	t.Helper()
	repo := filepath.Join(outsideTemp(t), "shop")
	git := func(dir string, args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	if err := os.MkdirAll(filepath.Join(repo, "src"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{"package.json": "{}\n", "src/app.js": "x\n", ".gitignore": ".autonomous/worktrees/\n.autonomous/logs/\n"} {
		if err := os.WriteFile(filepath.Join(repo, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	git(filepath.Dir(repo), "init", "-q", "-b", "main", repo)
	git(repo, "add", "-A")
	git(repo, "commit", "-q", "-m", "init")
	wt := filepath.Join(repo, ".autonomous", "worktrees", "wf-1")
	git(repo, "worktree", "add", "-q", "-b", "autonomous/wf-1", wt)
	if projectConfig != "" {
		if err := os.WriteFile(filepath.Join(repo, ".autonomous", "config.yaml"), []byte(projectConfig), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return hookProject{repo: repo, worktree: wt, home: t.TempDir()}
}

// outsideTemp returns a fresh directory outside the system temp dir, which
// the policy lets commands write to: a project there is guarded like one
// in a home directory.
func outsideTemp(t *testing.T) string {
	t.Helper()
	base := "/var/tmp"
	if tmp, err := filepath.EvalSymlinks(os.TempDir()); err == nil && (strings.HasPrefix(base, tmp+"/") || base == tmp) {
		base = filepath.Join(os.Getenv("HOME"), ".cache")
	}
	if err := os.MkdirAll(base, 0o755); err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp(base, "autonomous-hook-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// hookStdin is the real CLI's captured PreToolUse input with the tool,
// command and cwd replaced.
func hookStdin(t testing.TB, tool, command, cwd string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "testdata", "hook", "pretooluse-hook-stdin.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	m["tool_name"], m["cwd"] = tool, cwd
	m["tool_input"] = map[string]any{"command": command, "description": "test"}
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// runHook runs the built binary as the CLI runs a hook: JSON on stdin, in
// the agent's working directory.
func runHook(t testing.TB, home, dir string, stdin []byte, args ...string) cliResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, autonomousBin, append([]string{"hook"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "AUTONOMOUS_HOME="+home)
	cmd.Stdin = bytes.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := cliResult{stdout: stdout.String(), stderr: stderr.String()}
	if exit, ok := err.(*exec.ExitError); ok {
		res.code = exit.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return res
}

// denyReason returns the reason of a PreToolUse deny decision on stdout,
// or "" when stdout is empty (allowed).
func denyReason(t *testing.T, stdout string) string {
	t.Helper()
	if stdout == "" {
		return ""
	}
	var resp struct {
		HookSpecificOutput struct {
			HookEventName            string `json:"hookEventName"`
			PermissionDecision       string `json:"permissionDecision"`
			PermissionDecisionReason string `json:"permissionDecisionReason"`
		} `json:"hookSpecificOutput"`
	}
	if err := json.Unmarshal([]byte(stdout), &resp); err != nil {
		t.Fatalf("stdout %q is not a hook decision: %v", stdout, err)
	}
	h := resp.HookSpecificOutput
	if h.HookEventName != "PreToolUse" || h.PermissionDecision != "deny" || h.PermissionDecisionReason == "" {
		t.Fatalf("decision %+v is not a PreToolUse deny with a reason", h)
	}
	return h.PermissionDecisionReason
}

type logLine struct {
	Decision, Reason, Command, Cwd, Workflow, Session, AgentSession string
}

func readDecisionLog(t *testing.T, path string) []logLine {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("decision log: %v", err)
	}
	var out []logLine
	for _, l := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		var rec logLine
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("decision log line %q: %v", l, err)
		}
		out = append(out, rec)
	}
	return out
}

const hookTestConfig = `version: 2
security:
  allow: [curl]
  deny: [make, "npm publish"]
  pkill: [uvicorn]
`

func TestHookBinaryDecides(t *testing.T) {
	t.Parallel()
	p := newHookProject(t, hookTestConfig)
	// An agent-written config inside the worktree must not count.
	if err := os.MkdirAll(filepath.Join(p.worktree, ".autonomous"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(p.worktree, ".autonomous", "config.yaml"), []byte("version: 2\nsecurity:\n  allow: [wget]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(p.worktree, "src")
	tests := []struct {
		name    string
		command string
		cwd     string
		deny    string // "" = allowed
	}{
		{name: "ordinary work", command: `npm test 2>&1 | tail -20 && git add -A && git commit -m "fix: a && b"`, cwd: p.worktree},
		{name: "from a subdirectory", command: `rm -f app.js && cd .. && ls`, cwd: src},
		{name: "built-in refusal", command: `git push origin HEAD`, cwd: p.worktree, deny: `"git push" is not allowed: the workflow works on a local branch; leave pushing to the user`},
		{name: "project allow", command: `curl -s http://127.0.0.1:3000/health`, cwd: p.worktree},
		{name: "project deny", command: `make test`, cwd: p.worktree, deny: `security.deny rule "make"`},
		{name: "project deny of a subcommand", command: `cd src && npm publish`, cwd: p.worktree, deny: `security.deny rule "npm publish"`},
		{name: "project pkill addition", command: `pkill -f uvicorn`, cwd: p.worktree},
		{name: "the user's checkout is outside the worktree", command: `echo x > ../../../src/app.js`, cwd: p.worktree, deny: "writes outside the worktree are not allowed"},
		{name: "the worktree's own config is ignored", command: `wget http://example.com`, cwd: p.worktree, deny: `"wget" is not allowed`},
		{name: "the project config cannot be edited", command: `echo "  allow: [sudo]" >> ../../config.yaml`, cwd: p.worktree, deny: "writes outside the worktree"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := runHook(t, p.home, tc.cwd, hookStdin(t, "Bash", tc.command, tc.cwd), "pre-tool-use")
			if res.code != 0 {
				t.Fatalf("exit %d, stderr %q", res.code, res.stderr)
			}
			got := denyReason(t, res.stdout)
			switch {
			case tc.deny == "" && got != "":
				t.Fatalf("denied %q: %s", tc.command, got)
			case tc.deny != "" && !strings.Contains(got, tc.deny):
				t.Fatalf("reason %q, want it to contain %q", got, tc.deny)
			}
		})
	}
	// Every decision went to the workflow's log in the user's checkout.
	log := readDecisionLog(t, filepath.Join(p.repo, ".autonomous", "logs", "wf-1", "policy.jsonl"))
	if len(log) != len(tests) {
		t.Fatalf("decision log has %d lines, want %d", len(log), len(tests))
	}
	denied := 0
	for _, rec := range log {
		if rec.Workflow != "wf-1" || rec.AgentSession == "" || rec.Cwd == "" || rec.Command == "" {
			t.Errorf("log record %+v lacks the workflow, session, cwd or command", rec)
		}
		if rec.Decision == "deny" {
			denied++
			if rec.Reason == "" {
				t.Errorf("deny record without a reason: %+v", rec)
			}
		}
	}
	if want := 6; denied != want {
		t.Errorf("log has %d denies, want %d", denied, want)
	}
}

func TestHookBinaryFlagsAndFailures(t *testing.T) {
	t.Parallel()
	p := newHookProject(t, "")
	logFile := filepath.Join(t.TempDir(), "custom", "decisions.jsonl")

	t.Run("flags name the root, workflow, session and log", func(t *testing.T) {
		res := runHook(t, p.home, p.worktree, hookStdin(t, "Bash", "export API_TOKEN=sk-ant-api03-secretsecret && sudo ls", p.worktree),
			"pre-tool-use", "--root", p.worktree, "--workflow", "wf-9", "--session", "4", "--log", logFile)
		if res.code != 0 || !strings.Contains(denyReason(t, res.stdout), `"sudo" is not allowed`) {
			t.Fatalf("exit %d, stdout %q: want the sudo refusal", res.code, res.stdout)
		}
		log := readDecisionLog(t, logFile)
		if len(log) != 1 || log[0].Workflow != "wf-9" || log[0].Session != "4" || log[0].Decision != "deny" {
			t.Fatalf("log = %+v, want one deny of workflow wf-9 session 4", log)
		}
		raw, _ := os.ReadFile(logFile)
		if strings.Contains(string(raw), "secretsecret") {
			t.Fatalf("the decision log holds the secret:\n%s", raw)
		}
	})
	t.Run("read-only tools pass without output", func(t *testing.T) {
		res := runHook(t, p.home, p.worktree, hookStdin(t, "Read", "rm -rf /", p.worktree), "pre-tool-use")
		if res.code != 0 || res.stdout != "" {
			t.Fatalf("exit %d, stdout %q: want 0 and nothing", res.code, res.stdout)
		}
	})
	t.Run("file tools are confined to the worktree", func(t *testing.T) {
		userHome, _ := os.UserHomeDir() // the real one: test homes live in the writable temp dir
		in, _ := json.Marshal(map[string]any{"tool_name": "Write", "cwd": p.worktree, "hook_event_name": "PreToolUse",
			"tool_input": map[string]any{"file_path": filepath.Join(userHome, ".ssh", "authorized_keys"), "content": "ssh-ed25519 AAAA"}})
		res := runHook(t, p.home, p.worktree, in, "pre-tool-use")
		if res.code != 0 || !strings.Contains(res.stdout, `"permissionDecision":"deny"`) || !strings.Contains(res.stdout, "outside the worktree") {
			t.Fatalf("exit %d, stdout %q: want a deny for a write outside the worktree", res.code, res.stdout)
		}
	})
	t.Run("malformed input blocks with exit 2", func(t *testing.T) {
		res := runHook(t, p.home, p.worktree, []byte(`{"tool_name":"Bash",`), "pre-tool-use")
		if res.code != 2 || !strings.Contains(res.stderr, "cannot read the hook input") {
			t.Fatalf("exit %d, stderr %q: want 2 and the reason", res.code, res.stderr)
		}
	})
	t.Run("usage errors block with exit 2", func(t *testing.T) {
		for _, args := range [][]string{{}, {"post-tool-use"}, {"pre-tool-use", "extra"}, {"pre-tool-use", "--bogus"}} {
			res := runHook(t, p.home, p.worktree, hookStdin(t, "Bash", "ls", p.worktree), args...)
			if res.code != 2 {
				t.Errorf("hook %v: exit %d, want 2 (stderr %q)", args, res.code, res.stderr)
			}
		}
	})
	t.Run("a broken project config denies and says where", func(t *testing.T) {
		q := newHookProject(t, "version: 2\nsecurity:\n  alow: [curl]\n")
		res := runHook(t, q.home, q.worktree, hookStdin(t, "Bash", "ls", q.worktree), "pre-tool-use")
		reason := denyReason(t, res.stdout)
		if res.code != 0 || !strings.Contains(reason, "config.yaml") {
			t.Fatalf("exit %d, reason %q: want a deny naming the config file", res.code, reason)
		}
	})
	t.Run("outside any repository the working directory is the root", func(t *testing.T) {
		dir := outsideTemp(t)
		res := runHook(t, p.home, dir, hookStdin(t, "Bash", "touch made-here && touch ../not-here/x/../../../../../etc/x", dir), "pre-tool-use")
		if !strings.Contains(denyReason(t, res.stdout), "/etc/x") {
			t.Fatalf("stdout %q: want the write to /etc refused", res.stdout)
		}
		if _, err := os.Stat(filepath.Join(dir, ".autonomous", "logs", "policy.jsonl")); err != nil {
			t.Fatalf("no decision log in the working directory: %v", err)
		}
	})
}

// BenchmarkHookProcess measures what the agent waits for before each shell
// command: starting the binary, reading the input, loading the
// configuration, deciding and logging.
func BenchmarkHookProcess(b *testing.B) {
	dir := b.TempDir()
	stdin := hookStdin(b, "Bash", `npm test 2>&1 | tail -20 && git add -A && git commit -m "fix: a && b"`, dir)
	home := b.TempDir()
	for b.Loop() {
		res := runHook(b, home, dir, stdin, "pre-tool-use", "--root", dir, "--log", filepath.Join(dir, "policy.jsonl"))
		if res.code != 0 || res.stdout != "" {
			b.Fatalf("exit %d, stdout %q", res.code, res.stdout)
		}
	}
}
