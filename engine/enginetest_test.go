package engine_test

// Helpers for the end-to-end tests of the session loop. Nothing here is a
// fake except the model: each test gets a real git repository, the real
// autonomous binary (built once, for the agent's PreToolUse hook), the real
// Claude Code CLI, and a scripted model server on loopback that plays a
// scenario from testdata/scenarios.

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/autonomous-coding/autonomous/engine"
	"github.com/autonomous-coding/autonomous/engine/demo"
	"github.com/autonomous-coding/autonomous/engine/events"
	"github.com/autonomous-coding/autonomous/engine/ledger"
	"github.com/autonomous-coding/autonomous/engine/workflow"
	"github.com/autonomous-coding/autonomous/orchestrator/agenttest"
	"github.com/autonomous-coding/autonomous/orchestrator/scriptedmodel"
)

// selfBin is the autonomous binary built by TestMain: the agent's hook calls
// it, and the crash tests run it as a separate program.
var selfBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "autonomous-engine-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	selfBin = filepath.Join(dir, "autonomous")
	build := exec.Command("go", "build", "-o", selfBin, "github.com/autonomous-coding/autonomous/cmd/autonomous")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintf(os.Stderr, "build the autonomous binary: %v\n", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// rigOptions shape a test's project.
type rigOptions struct {
	// scenario is the scripted model's scenario (YAML).
	scenario []byte
	// demoProject uses the demo's shop-api project (with .schema/, so the
	// workflow starts with schema validation) instead of the tiny greeter repo.
	demoProject bool
	// defaults override settings of the defaults section of the project's
	// .autonomous/config.yaml (autoContinueDelay 100ms, rateLimitBackoff 1s).
	defaults map[string]string
	// cliPath is the agent CLI; default the real one (agenttest.ClaudePath).
	cliPath string
	// env is added to the agent's environment.
	env []string
}

// rig is one project with its scripted model, ready to create workflows in.
type rig struct {
	t    testing.TB
	root string // the user's repository
	home string // the per-user folder (empty: no global config)
	srv  *scriptedmodel.Server
	env  []string // the agent's (and a child autonomous's) environment
	p    *engine.Project
	rec  *recorder
}

func newRig(t testing.TB, o rigOptions) *rig {
	t.Helper()
	ctx := context.Background()
	base := t.TempDir()
	r := &rig{t: t, root: filepath.Join(base, "repo"), home: filepath.Join(base, "home")}
	if err := os.MkdirAll(r.home, 0o755); err != nil {
		t.Fatal(err)
	}
	if o.demoProject {
		if err := demo.WriteProject(r.root); err != nil {
			t.Fatal(err)
		}
	} else {
		writeFiles(t, r.root, map[string]string{
			"README.md": "# greeter\n\nPrints greetings.\n",
			"hello.txt": "hello\n",
		})
	}
	if err := demo.InitRepo(ctx, r.root); err != nil {
		t.Fatal(err)
	}
	// The project's own config: the real CLI by explicit path (the temp home
	// has no runtime), short delays so the suite stays fast.
	defaults := map[string]string{"autoContinueDelay": "100ms", "rateLimitBackoff": "1s"}
	maps.Copy(defaults, o.defaults)
	if o.cliPath == "" {
		o.cliPath = agenttest.ClaudePath(t)
	}
	config := "agent:\n  cliPath: " + o.cliPath + "\ndefaults:\n"
	for _, k := range slices.Sorted(maps.Keys(defaults)) {
		config += "  " + k + ": " + defaults[k] + "\n"
	}
	writeFiles(t, r.root, map[string]string{".autonomous/config.yaml": config})

	sc, err := scriptedmodel.ParseScenario(o.scenario)
	if err != nil {
		t.Fatal(err)
	}
	r.srv, err = scriptedmodel.Start(sc, scriptedmodel.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.srv.Close() })
	// A failing test must not leave agents behind: whatever still works in
	// this test's repository when it ends is killed.
	t.Cleanup(func() { killWorkingIn(r.root) })
	r.env = append(demo.Env(r.srv.URL(), r.root),
		"AUTONOMOUS_HOME="+r.home,
		// A failing request fails the session at once instead of after the
		// CLI's ten retries (~3 minutes for a permanent 429).
		"CLAUDE_CODE_MAX_RETRIES=0")
	r.env = append(r.env, o.env...)
	r.p = r.open()
	r.rec = record(t, r.p)
	return r
}

// open opens the project as a fresh engine would (recovery included).
func (r *rig) open() *engine.Project {
	r.t.Helper()
	p, err := engine.Open(context.Background(), engine.Options{Root: r.root, Home: r.home, SelfPath: selfBin, Env: r.env})
	if err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(p.Close)
	return p
}

// create makes a workflow with the greeter spec.
func (r *rig) create(o engine.CreateOptions) *workflow.Workflow {
	r.t.Helper()
	if o.Name == "" {
		o.Name = "Greeter"
	}
	if o.Spec == "" && o.SpecFile == "" {
		o.Spec = "Make hello.txt greet and the README name the project.\n"
	}
	wf, err := r.p.Create(context.Background(), o)
	if err != nil {
		r.t.Fatal(err)
	}
	return wf
}

// run drives a workflow to its end, bounded by a deadline so that a hung
// loop fails the test instead of the whole suite.
func (r *rig) run(id string, opts engine.RunOptions) *workflow.Workflow {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	done := make(chan struct{})
	var wf *workflow.Workflow
	var err error
	go func() {
		defer close(done)
		wf, err = r.p.Run(ctx, id, opts)
	}()
	select {
	case <-done:
	case <-time.After(3*time.Minute + 10*time.Second):
		r.t.Fatalf("run %s did not end; log:\n%s", id, r.rec.logText(id))
	}
	if err != nil {
		r.t.Fatalf("run %s: %v\nlog:\n%s", id, err, r.rec.logText(id))
	}
	return wf
}

// noFailures fails the test when the CLI did not do what the scenario expected.
func (r *rig) noFailures() {
	r.t.Helper()
	if f := r.srv.Failures(); len(f) > 0 {
		r.t.Errorf("scripted model failures:\n  %s", strings.Join(f, "\n  "))
	}
}

// prompts returns the prompt of each conversation the model saw, by scenario session name.
func (r *rig) prompts() map[string]string {
	out := map[string]string{}
	for _, q := range r.srv.Requests() {
		if q.Turn == 0 && q.Session != "" {
			if _, seen := out[q.Session]; !seen {
				out[q.Session] = q.Prompt
			}
		}
	}
	return out
}

// recorder keeps every event of a project's bus, for assertions after the fact.
type recorder struct {
	mu     sync.Mutex
	events []events.Event
	added  chan struct{}
}

func record(t testing.TB, p *engine.Project) *recorder {
	rec := &recorder{added: make(chan struct{}, 1)}
	sub := p.Events().Subscribe(1 << 20)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			e, err := sub.Next(ctx)
			if err != nil {
				return
			}
			rec.mu.Lock()
			rec.events = append(rec.events, e)
			rec.mu.Unlock()
			select {
			case rec.added <- struct{}{}:
			default:
			}
		}
	}()
	t.Cleanup(func() { sub.Close(); cancel(); <-done })
	return rec
}

func (rec *recorder) all(id string, kind events.Kind) []events.Event {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var out []events.Event
	for _, e := range rec.events {
		if e.WorkflowID == id && (kind == "" || e.Kind == kind) {
			out = append(out, e)
		}
	}
	return out
}

// waitFor blocks until an event of workflow id satisfies match, and returns it.
func (rec *recorder) waitFor(t testing.TB, id string, d time.Duration, what string, match func(events.Event) bool) events.Event {
	t.Helper()
	e, ok := rec.next(id, d, match)
	if !ok {
		t.Fatalf("no event %s within %s; log:\n%s", what, d, rec.logText(id))
	}
	return e
}

// next is waitFor for any goroutine: false when no event matched within d.
func (rec *recorder) next(id string, d time.Duration, match func(events.Event) bool) (events.Event, bool) {
	deadline := time.After(d)
	seen := 0
	for {
		evs := rec.all(id, "")
		for ; seen < len(evs); seen++ {
			if match(evs[seen]) {
				return evs[seen], true
			}
		}
		select {
		case <-rec.added:
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			return events.Event{}, false
		}
	}
}

// statuses is the sequence of workflow statuses announced, without repeats.
func (rec *recorder) statuses(id string) []string {
	var out []string
	for _, e := range rec.all(id, events.KindState) {
		if n := len(out); n == 0 || out[n-1] != e.State.Status {
			out = append(out, e.State.Status)
		}
	}
	return out
}

func (rec *recorder) sessions(id string) []events.SessionStats {
	var out []events.SessionStats
	for _, e := range rec.all(id, events.KindSession) {
		out = append(out, *e.Session)
	}
	return out
}

func (rec *recorder) alerts(id string) []events.Alert {
	var out []events.Alert
	for _, e := range rec.all(id, events.KindAlert) {
		out = append(out, *e.Alert)
	}
	return out
}

// logText is the workflow's live log, for failure messages.
func (rec *recorder) logText(id string) string {
	var b strings.Builder
	for _, e := range rec.all(id, "") {
		switch e.Kind {
		case events.KindLog:
			fmt.Fprintf(&b, "  [%d] %s\n", e.Log.Session, e.Log.Text)
		case events.KindState:
			fmt.Fprintf(&b, "  state %s %s (%s)\n", e.State.Status, e.State.Phase, e.State.Reason)
		case events.KindAlert:
			fmt.Fprintf(&b, "  alert %s: %s\n", e.Alert.Level, e.Alert.Message)
		}
	}
	return b.String()
}

// ledgerOnBranch reads the feature ledger as committed on the workflow's branch.
func ledgerOnBranch(t testing.TB, wf *workflow.Workflow) []ledger.Feature {
	t.Helper()
	out := gitOut(t, wf.Worktree, "show", wf.Branch+":"+ledger.File)
	features, err := ledger.Parse([]byte(out))
	if err != nil {
		t.Fatalf("ledger on %s: %v\n%s", wf.Branch, err, out)
	}
	return features
}

// passes lists the passes field of each feature.
func passes(features []ledger.Feature) []bool {
	out := make([]bool, len(features))
	for i, f := range features {
		out[i] = f.Passes
	}
	return out
}

func gitOut(t testing.TB, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("git %v in %s: %v\n%s", args, dir, err, errb.String())
	}
	return out.String()
}

// commitSubjects lists the subjects of the commits on branch since base, oldest first.
func commitSubjects(t testing.TB, dir, base, branch string) []string {
	t.Helper()
	out := strings.TrimSpace(gitOut(t, dir, "log", "--reverse", "--format=%s", base+".."+branch))
	if out == "" {
		return nil
	}
	return strings.Split(out, "\n")
}

func writeFiles(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func scenarioFile(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "scenarios", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// groupMembers lists the live processes of process group pgid.
func groupMembers(pgid int) []int {
	var out []int
	for _, pid := range allPids() {
		if g, err := syscall.Getpgid(pid); err == nil && g == pgid && !zombie(pid) {
			out = append(out, pid)
		}
	}
	return out
}

// processesRunning lists the live processes whose command line is exactly args.
func processesRunning(args ...string) []int {
	want := strings.Join(args, "\x00") + "\x00"
	var out []int
	for _, pid := range allPids() {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
		if err == nil && string(b) == want && !zombie(pid) {
			out = append(out, pid)
		}
	}
	return out
}

// killWorkingIn kills every process whose working directory is dir or
// below it.
func killWorkingIn(dir string) {
	for _, pid := range allPids() {
		cwd, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/cwd")
		if err == nil && (cwd == dir || strings.HasPrefix(cwd, dir+string(os.PathSeparator))) {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

func allPids() []int {
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		if pid, err := strconv.Atoi(e.Name()); err == nil {
			out = append(out, pid)
		}
	}
	return out
}

func zombie(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true // gone
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] == 'Z'
}

// eventually polls cond until it holds or d passes.
func eventually(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, d)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
