package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// gitEnv gives commits in test repositories an identity without touching
// the machine's git configuration.
func gitEnv(home string) []string {
	return envWith(home,
		"GIT_AUTHOR_NAME=Test", "GIT_AUTHOR_EMAIL=test@example.invalid",
		"GIT_COMMITTER_NAME=Test", "GIT_COMMITTER_EMAIL=test@example.invalid",
		"GIT_CONFIG_NOSYSTEM=1")
}

// newRepo makes a git repository with one commit and a spec file.
func newRepo(t *testing.T) (dir, spec string, env []string) {
	t.Helper()
	dir = t.TempDir()
	env = gitEnv(t.TempDir())
	for _, args := range [][]string{{"init", "-q", "-b", "main"}, {"commit", "-q", "--allow-empty", "-m", "first"}} {
		cmd := exec.Command("git", args...)
		cmd.Dir, cmd.Env = dir, env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	spec = filepath.Join(t.TempDir(), "spec.md")
	if err := os.WriteFile(spec, []byte("# Add a greeting\nPrint hello.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, spec, env
}

func runIn(t *testing.T, dir string, env []string, args ...string) cliResult {
	t.Helper()
	res, err := runAutonomous(context.Background(), dir, env, args...)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

type listJSON struct {
	Workflows []struct {
		ID, Name, Status, Branch, Worktree string
	} `json:"workflows"`
	Errors []struct {
		Path  string `json:"path"`
		Line  int    `json:"line"`
		Error string `json:"error"`
	} `json:"errors"`
}

func createWorkflow(t *testing.T, dir, spec string, env []string, name string) string {
	t.Helper()
	res := runIn(t, dir, env, "workflow", "new", "--name", name, "--spec", spec, "--json")
	if res.code != 0 {
		t.Fatalf("workflow new: exit %d\n%s", res.code, res.stderr)
	}
	var wf struct{ ID, Branch, Worktree, Status string }
	if err := json.Unmarshal([]byte(res.stdout), &wf); err != nil {
		t.Fatalf("workflow new --json: %v\n%s", err, res.stdout)
	}
	if wf.Status != "pending" || wf.Branch != "autonomous/"+wf.ID {
		t.Fatalf("new workflow: %+v", wf)
	}
	return wf.ID
}

func TestWorkflowLifecycleCLI(t *testing.T) {
	dir, spec, env := newRepo(t)
	id := createWorkflow(t, dir, spec, env, "Add greeting")
	if !strings.HasPrefix(id, "add-greeting-") {
		t.Errorf("id %q should be a slug of the name plus a suffix", id)
	}
	wt := filepath.Join(dir, ".autonomous", "worktrees", id)
	got, err := os.ReadFile(filepath.Join(wt, ".autonomous", "app_spec.txt"))
	if err != nil || !strings.Contains(string(got), "Print hello.") {
		t.Fatalf("spec not in the worktree: %v %q", err, got)
	}
	// The user's checkout is untouched: only the ignored .autonomous folder appears.
	status := exec.Command("git", "status", "--porcelain")
	status.Dir = dir
	if out, _ := status.Output(); strings.TrimSpace(string(out)) != "" {
		t.Errorf("the user's checkout has changes after workflow new:\n%s", out)
	}

	res := runIn(t, dir, env, "workflow", "list", "--json")
	var list listJSON
	if err := json.Unmarshal([]byte(res.stdout), &list); err != nil || res.code != 0 {
		t.Fatalf("list --json: %v exit %d\n%s", err, res.code, res.stdout)
	}
	if len(list.Workflows) != 1 || list.Workflows[0].ID != id || len(list.Errors) != 0 {
		t.Fatalf("list: %+v", list)
	}

	res = runIn(t, dir, env, "workflow", "show", id)
	for _, want := range []string{id, "Add greeting", "pending", "autonomous/" + id, "0/0 passing"} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("show lacks %q:\n%s", want, res.stdout)
		}
	}
	res = runIn(t, filepath.Join(wt), env, "status", "--json")
	var st struct {
		Project   string `json:"project"`
		Workflows []struct {
			ID     string  `json:"id"`
			Status string  `json:"status"`
			Cost   float64 `json:"costUsd"`
		} `json:"workflows"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &st); err != nil || len(st.Workflows) != 1 || st.Workflows[0].ID != id {
		t.Fatalf("status --json from inside the worktree: %v\n%s\n%s", err, res.stdout, res.stderr)
	}

	res = runIn(t, dir, env, "workflow", "delete", id)
	if res.code != 0 {
		t.Fatalf("delete: exit %d: %s", res.code, res.stderr)
	}
	if _, err := os.Stat(wt); !os.IsNotExist(err) {
		t.Errorf("worktree still there after delete: %v", err)
	}
	branch := exec.Command("git", "rev-parse", "--verify", "autonomous/"+id)
	branch.Dir = dir
	if err := branch.Run(); err != nil {
		t.Errorf("delete without --delete-branch must keep the branch: %v", err)
	}
	if res := runIn(t, dir, env, "workflow", "show", id); res.code != 1 || !strings.Contains(res.stderr, id) {
		t.Errorf("show of a deleted workflow: exit %d, stderr %q", res.code, res.stderr)
	}
}

func TestWorkflowListSurvivesCorruptFile(t *testing.T) {
	dir, spec, env := newRepo(t)
	good := createWorkflow(t, dir, spec, env, "Good one")
	bad := filepath.Join(dir, ".autonomous", "workflows", "broken-abc123.yaml")
	corrupt := "id: broken-abc123\nname: [unclosed\nstatus: pending\n"
	if err := os.WriteFile(bad, []byte(corrupt), 0o644); err != nil {
		t.Fatal(err)
	}
	res := runIn(t, dir, env, "workflow", "list", "--json")
	if res.code != 1 {
		t.Errorf("a corrupt file must make list exit 1 (while still listing the rest), got %d", res.code)
	}
	var list listJSON
	if err := json.Unmarshal([]byte(res.stdout), &list); err != nil {
		t.Fatalf("list --json: %v\n%s", err, res.stdout)
	}
	if len(list.Workflows) != 1 || list.Workflows[0].ID != good {
		t.Errorf("the good workflow must still be listed: %+v", list.Workflows)
	}
	if len(list.Errors) != 1 || list.Errors[0].Path != bad || list.Errors[0].Line == 0 {
		t.Errorf("the corrupt file must be reported with its line: %+v", list.Errors)
	}
	res = runIn(t, dir, env, "status")
	if !strings.Contains(res.stderr, "broken-abc123.yaml") || !strings.Contains(res.stdout, good) {
		t.Errorf("status must name the bad file on stderr and list the good one:\nstdout %s\nstderr %s", res.stdout, res.stderr)
	}
	after, _ := os.ReadFile(bad)
	if string(after) != corrupt {
		t.Error("the corrupt file was rewritten")
	}
}

func TestWorkflowErrorsCLI(t *testing.T) {
	dir, spec, env := newRepo(t)
	notRepo := t.TempDir()
	cases := []struct {
		name     string
		dir      string
		args     []string
		code     int
		inStderr string
	}{
		{"not a repository", notRepo, []string{"workflow", "list"}, 1, "git repository"},
		{"missing base ref", dir, []string{"workflow", "new", "--name", "x", "--spec", spec, "--base", "no-such-ref"}, 1, "no-such-ref"},
		{"missing spec file", dir, []string{"workflow", "new", "--name", "x", "--spec", filepath.Join(dir, "nope.md")}, 1, "nope.md"},
		{"missing name", dir, []string{"workflow", "new", "--spec", spec}, 2, "--name"},
		{"unknown flag", dir, []string{"workflow", "list", "--bogus"}, 2, "bogus"},
		{"unknown subcommand", dir, []string{"workflow", "frobnicate"}, 2, "frobnicate"},
		{"path trick id", dir, []string{"workflow", "show", "../../etc/passwd"}, 1, "../../etc/passwd"},
		{"unknown id", dir, []string{"workflow", "delete", "nope-123456"}, 1, "nope-123456"},
		{"unknown model", dir, []string{"workflow", "new", "--name", "x", "--spec", spec, "--model", "gpt-0"}, 1, "gpt-0"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := runIn(t, c.dir, env, c.args...)
			if res.code != c.code || !strings.Contains(res.stderr, c.inStderr) {
				t.Errorf("exit %d (want %d), stderr %q (want it to mention %q)", res.code, c.code, res.stderr, c.inStderr)
			}
		})
	}
}

// Two processes can never drive the same workflow: the second is refused
// with the holder's pid.
func TestConcurrentRunRefused(t *testing.T) {
	dir, spec, env := newRepo(t)
	id := createWorkflow(t, dir, spec, env, "Locked")
	// Hold the workflow's lock from another process, as a running `autonomous run` does.
	lockFile := filepath.Join(dir, ".autonomous", "locks", id+".lock")
	if err := os.MkdirAll(filepath.Dir(lockFile), 0o755); err != nil {
		t.Fatal(err)
	}
	holder := exec.Command("flock", "--exclusive", lockFile, "sleep", "30")
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { holder.Process.Kill(); holder.Wait() }()
	deadline := time.Now().Add(5 * time.Second)
	for {
		res := runIn(t, dir, env, "run", "--workflow", id)
		if res.code == 1 && strings.Contains(res.stderr, "another process") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("second driver not refused: exit %d\n%s", res.code, res.stderr)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Deleting a workflow that another process drives is refused too, and loses nothing.
	if res := runIn(t, dir, env, "workflow", "delete", id); res.code != 1 {
		t.Errorf("delete of a locked workflow: exit %d", res.code)
	}
	if _, err := os.Stat(filepath.Join(dir, ".autonomous", "worktrees", id)); err != nil {
		t.Errorf("worktree lost: %v", err)
	}
}
