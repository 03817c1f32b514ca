package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/autonomous-coding/autonomous/engine/demo"
	"github.com/autonomous-coding/autonomous/orchestrator/agenttest"
	"github.com/autonomous-coding/autonomous/orchestrator/scriptedmodel"
)

// runScenario is what the scripted model plays for `autonomous run`: an
// initializer writing a one-feature ledger, then a coding session making it
// pass. The tiny project is the one runProject writes.
const runScenario = `
sessions:
  - name: init
    match: 'initializer \(phase 1\)'
    turns:
      - text: Writing the ledger.
        tools:
          - name: Write
            input:
              file_path: .autonomous/feature_list.json
              content: |
                [
                  {"category": "functional", "description": "hello.txt greets the world",
                   "steps": ["cat hello.txt"], "passes": false}
                ]
        expect:
          - {tool: 0, error: false}
      - text: One feature, failing.
  - name: coding
    match: 'coding session for workflow'
    turns:
      - text: Greeting the world.
        tools:
          - name: Bash
            input:
              command: >-
                printf 'hello, world\n' > hello.txt &&
                sed -i 's/"passes": false/"passes": true/' .autonomous/feature_list.json &&
                git add -A && git commit -q -m "Greet the world"
              description: Implement, mark passing, commit
        expect:
          - {tool: 0, error: false}
      - text: The feature passes.
`

// runProject is a small repository with its project config (the real CLI,
// short delays), a spec, a scripted model playing scenario, and the
// environment `autonomous` runs with (offline, its own home).
type runProject struct {
	dir, spec string
	env       []string
	srv       *scriptedmodel.Server
}

func newRunProject(t *testing.T, scenario string) runProject {
	t.Helper()
	dir := t.TempDir()
	for name, body := range map[string]string{
		"README.md": "# greeter\n",
		"hello.txt": "hello\n",
		".autonomous/config.yaml": fmt.Sprintf("agent:\n  cliPath: %s\ndefaults:\n  autoContinueDelay: 100ms\n",
			agenttest.ClaudePath(t)),
	} {
		writeTestFile(t, filepath.Join(dir, name), body)
	}
	// Only the project is committed: the config stays the user's.
	cmd := exec.Command("sh", "-c", "git init -q -b main && git add README.md hello.txt && git commit -q -m first")
	cmd.Dir, cmd.Env = dir, gitEnv(t.TempDir())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("init repository: %v\n%s", err, out)
	}
	spec := filepath.Join(t.TempDir(), "spec.md")
	writeTestFile(t, spec, "# Greeter\nMake hello.txt greet the world.\n")
	sc, err := scriptedmodel.ParseScenario([]byte(scenario))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := scriptedmodel.Start(sc, scriptedmodel.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	// A failing test must not leave agents behind.
	t.Cleanup(func() { killWorkingIn(dir) })
	env := append(demo.Env(srv.URL(), dir),
		"AUTONOMOUS_HOME="+t.TempDir(), "CLAUDE_CODE_MAX_RETRIES=0",
		"GIT_AUTHOR_NAME=Test", "GIT_AUTHOR_EMAIL=test@example.invalid",
		"GIT_COMMITTER_NAME=Test", "GIT_COMMITTER_EMAIL=test@example.invalid")
	return runProject{dir: dir, spec: spec, env: env, srv: srv}
}

func writeTestFile(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

var (
	timestamped = regexp.MustCompile(`^\d\d:\d\d:\d\d +\S`)
	summaryLine = regexp.MustCompile(`^workflow (\S+) (\w+)`)
)

// checkPlainOutput checks what `autonomous run` prints when stderr is not a
// terminal: the line announcing a new workflow, then only timestamped
// lines, then the summary; no terminal control codes. It returns the
// summary's first line.
func checkPlainOutput(t *testing.T, stderr string) string {
	t.Helper()
	if strings.ContainsAny(stderr, "\r\x1b") {
		t.Errorf("terminal control codes in plain output:\n%q", stderr)
	}
	lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
	if len(lines) < 5 || !strings.HasPrefix(lines[0], "created workflow ") {
		t.Fatalf("output does not start with the created workflow:\n%s", stderr)
	}
	end := len(lines) - 3 // the summary: status line, branch, worktree
	if !summaryLine.MatchString(lines[end]) || !strings.HasPrefix(lines[end+1], "  branch autonomous/") || !strings.HasPrefix(lines[end+2], "  worktree ") {
		t.Fatalf("output does not end with the summary:\n%s", stderr)
	}
	for _, l := range lines[1:end] {
		if !timestamped.MatchString(l) {
			t.Errorf("line without a timestamp: %q", l)
		}
	}
	return lines[end]
}

// `autonomous run` in a pipe: plain timestamped lines, exit 0 only when the
// workflow completed, 1 when it stopped for any other reason.
func TestRunPlainOutputAndExitCode(t *testing.T) {
	t.Parallel()
	t.Run("completed", func(t *testing.T) {
		rp := newRunProject(t, runScenario)
		res := runIn(t, rp.dir, rp.env, "run", "--name", "Greeter", "--spec", rp.spec)
		if res.code != 0 {
			t.Fatalf("exit %d, want 0\n%s", res.code, res.stderr)
		}
		summary := checkPlainOutput(t, res.stderr)
		if !strings.Contains(summary, "completed (all 1 features pass): 1/1 passing, 2 sessions") {
			t.Errorf("summary %q", summary)
		}
		for _, want := range []string{" running · initializer", " running · coding", " 100.0% 1/1 passing (functional 1/1)",
			" session 2 (coding) success in ", " [2] Bash printf 'hello, world\\n' > hello.txt", " completed (all 1 features pass)"} {
			if !strings.Contains(res.stderr, want) {
				t.Errorf("output lacks %q:\n%s", want, res.stderr)
			}
		}
		if f := rp.srv.Failures(); len(f) > 0 {
			t.Errorf("scripted model: %v", f)
		}
	})
	t.Run("session limit", func(t *testing.T) {
		rp := newRunProject(t, runScenario)
		res := runIn(t, rp.dir, rp.env, "run", "--name", "Greeter", "--spec", rp.spec, "--max-sessions", "1")
		if res.code != 1 {
			t.Fatalf("exit %d, want 1\n%s", res.code, res.stderr)
		}
		summary := checkPlainOutput(t, res.stderr)
		if !strings.Contains(summary, "stopped (session limit reached (1 sessions)") || !strings.Contains(summary, "0/1 passing, 1 sessions") {
			t.Errorf("summary %q", summary)
		}
		// Resuming it by id completes it.
		id := summaryLine.FindStringSubmatch(summary)[1]
		res = runIn(t, rp.dir, rp.env, "run", "--workflow", id, "--max-sessions", "5")
		if res.code != 0 || !strings.Contains(res.stderr, "workflow "+id+" completed") {
			t.Fatalf("resume: exit %d\n%s", res.code, res.stderr)
		}
	})
}

// Ctrl-C stops the workflow gracefully: the session is interrupted, the
// state written, and the exit code is 1.
func TestRunInterrupted(t *testing.T) {
	t.Parallel()
	rp := newRunProject(t, `
sessions:
  - name: init-long
    match: 'initializer \(phase 1\)'
    turns:
      - tools:
          - {name: Bash, input: {command: "echo surveying; sleep 64", description: A long survey, timeout: 120000}}
      - text: Survey done.
`)
	var stderr bytes.Buffer
	cmd := exec.Command(autonomousBin, "run", "--name", "Greeter", "--spec", rp.spec)
	cmd.Dir, cmd.Env, cmd.Stderr = rp.dir, rp.env, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	deadline := time.Now().Add(time.Minute)
	for !strings.Contains(sleeping(), "sleep 64") {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("the session never ran its command\n%s", stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	start := time.Now()
	cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("still running 15 s after Ctrl-C\n%s", stderr.String())
	}
	out := stderr.String()
	if code := cmd.ProcessState.ExitCode(); code != 1 {
		t.Errorf("exit %d after Ctrl-C, want 1\n%s", code, out)
	}
	if !strings.Contains(out, "stopping: the session is interrupted") || !strings.Contains(checkPlainOutput(t, out), "stopped (stopped by the user)") {
		t.Errorf("output after Ctrl-C:\n%s", out)
	}
	if strings.Contains(sleeping(), "sleep 64") {
		t.Errorf("the session's command survived Ctrl-C")
	}
	t.Logf("stopped %s after Ctrl-C", time.Since(start).Round(time.Millisecond))
}

// sleeping lists the command lines of running sleep processes.
func sleeping() string {
	out, _ := exec.Command("pgrep", "-a", "-x", "sleep").Output()
	return string(out)
}

// killWorkingIn kills every process whose working directory is dir or below it.
func killWorkingIn(dir string) {
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cwd, err := os.Readlink("/proc/" + e.Name() + "/cwd")
		if err == nil && (cwd == dir || strings.HasPrefix(cwd, dir+string(os.PathSeparator))) {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}
