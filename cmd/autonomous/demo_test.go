package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/autonomous-coding/autonomous/orchestrator/agenttest"
)

// `autonomous demo` is the README's first command: it must run a whole
// workflow offline and tell the user what happened and where to look. Its
// output is what is checked here, not only its exit code.
func TestDemoCommand(t *testing.T) {
	t.Parallel()
	agenttest.ClaudePath(t) // the demo uses the installed runtime; fail with the fix when it is missing
	dir := filepath.Join(t.TempDir(), "demo")
	// The user's home, where the runtime is installed; no model credentials.
	env := envWith(agenttest.Home(), "ANTHROPIC_API_KEY=", "ANTHROPIC_BASE_URL=")
	res := runIn(t, t.TempDir(), env, "demo", "--dir", dir)
	if res.code != 0 {
		t.Fatalf("autonomous demo: exit %d\nstdout:\n%s\nstderr:\n%s", res.code, res.stdout, res.stderr)
	}
	out := res.stdout
	for _, want := range []string{
		"Demo completed: 7/7 features pass after 5 sessions",
		"session 1  schema_validation success  0 newly passing",
		"session 2  initializer       success  0 newly passing",
		"Commands the security policy denied: 1 (see .autonomous/logs/",
		"With a real model: set ANTHROPIC_API_KEY",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
	coding := regexp.MustCompile(`session [345]  coding +success  (\d) newly passing`).FindAllStringSubmatch(out, -1)
	newly := 0
	for _, m := range coding {
		newly += int(m[1][0] - '0')
	}
	if len(coding) != 3 || newly != 7 {
		t.Errorf("want 3 successful coding sessions making 7 features pass:\n%s", out)
	}
	// The branch and worktree it names exist, and the worktree is on that branch.
	m := regexp.MustCompile(`The work is on branch (\S+), checked out in\n  (\S+)\n`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("demo output does not say where the work is:\n%s", out)
	}
	branch, worktree := m[1], m[2]
	if !strings.HasPrefix(worktree, dir+string(filepath.Separator)) {
		t.Errorf("worktree %s is not inside the demo folder %s", worktree, dir)
	}
	if info, err := os.Stat(worktree); err != nil || !info.IsDir() {
		t.Fatalf("worktree %s: %v", worktree, err)
	}
	head, err := exec.Command("git", "-C", worktree, "rev-parse", "--abbrev-ref", "HEAD").Output()
	if err != nil || strings.TrimSpace(string(head)) != branch {
		t.Errorf("worktree %s is on %q (%v), want %s", worktree, head, err, branch)
	}
	if err := exec.Command("git", "-C", dir, "rev-parse", "--verify", "--quiet", branch).Run(); err != nil {
		t.Errorf("branch %s does not exist in %s: %v", branch, dir, err)
	}
	// The commands it suggests name that project and branch.
	if !strings.Contains(out, "git -C "+dir+" log --oneline "+branch) {
		t.Errorf("the suggested git command does not name the project and branch:\n%s", out)
	}
	for _, step := range []string{"1/4 writing the demo project", "agent runtime", "3/4 scripted model serving", "4/4 running workflow"} {
		if !strings.Contains(res.stderr, step) {
			t.Errorf("progress lacks %q:\n%s", step, res.stderr)
		}
	}
}
