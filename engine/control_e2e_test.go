package engine_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/autonomous-coding/autonomous/engine"
	"github.com/autonomous-coding/autonomous/engine/events"
	"github.com/autonomous-coding/autonomous/engine/workflow"
)

// Pause lets the session under way finish its work and then holds the
// workflow; starting it again carries on to completion.
func TestPauseFinishesSessionThenResume(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigOptions{scenario: scenarioFile(t, "pause.yaml")})
	wf := r.create(engine.CreateOptions{})
	ctx := context.Background()
	if err := r.p.Start(ctx, wf.ID, engine.RunOptions{}); err != nil {
		t.Fatal(err)
	}
	r.rec.waitFor(t, wf.ID, time.Minute, "coding session 2 started", func(e events.Event) bool {
		return e.Kind == events.KindState && e.State.Session == 2 && e.State.Phase == "coding"
	})
	if msg, err := r.p.Pause(ctx, wf.ID); err != nil || msg != "pause requested" {
		t.Fatalf("pause: %q, %v", msg, err)
	}
	if err := r.p.Wait(ctx, wf.ID); err != nil {
		t.Fatal(err)
	}
	wf, err := r.p.Get(wf.ID)
	if err != nil {
		t.Fatal(err)
	}
	if wf.Status != workflow.Paused || wf.Reason != "paused by the user" {
		t.Fatalf("status %s (%s), want paused by the user; log:\n%s", wf.Status, wf.Reason, r.rec.logText(wf.ID))
	}
	// The session was not interrupted: it finished and its feature counts.
	if len(wf.Sessions) != 2 || wf.Sessions[1].Outcome != workflow.OutcomeSuccess || wf.Sessions[1].NewlyPassing != 1 {
		t.Fatalf("sessions after the pause: %+v", wf.Sessions)
	}
	if wf.Agent != nil || wf.Progress.Passing != 1 || wf.Progress.Total != 2 {
		t.Errorf("paused with agent %+v, progress %d/%d", wf.Agent, wf.Progress.Passing, wf.Progress.Total)
	}
	if got := passes(ledgerOnBranch(t, wf)); !equal(got, []bool{true, false}) {
		t.Errorf("ledger on the branch after the pause: %v", got)
	}
	if got := conversations(r.srv.Requests()); got != 2 {
		t.Errorf("%d sessions reached the model, want 2: none may start after a pause", got)
	}

	wf = r.run(wf.ID, engine.RunOptions{})
	if wf.Status != workflow.Completed || len(wf.Sessions) != 3 {
		t.Fatalf("after resume: status %s (%s), %d sessions; log:\n%s", wf.Status, wf.Reason, len(wf.Sessions), r.rec.logText(wf.ID))
	}
	if got := r.rec.statuses(wf.ID); !equal(got, []string{"pending", "running", "paused", "running", "completed"}) {
		t.Errorf("statuses %v", got)
	}
	r.noFailures()
}

// Stop interrupts the session now: within a few seconds the workflow is
// stopped and nothing the agent started is left running.
func TestStopInterruptsSession(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigOptions{scenario: scenarioFile(t, "stop.yaml")})
	wf := r.create(engine.CreateOptions{})
	ctx := context.Background()
	if err := r.p.Start(ctx, wf.ID, engine.RunOptions{}); err != nil {
		t.Fatal(err)
	}
	agent := waitForAgentIn(t, r.p, wf.ID, 2, "sleep", "61")
	start := time.Now()
	if msg, err := r.p.Stop(ctx, wf.ID); err != nil || msg != "stop requested" {
		t.Fatalf("stop: %q, %v", msg, err)
	}
	if err := r.p.Wait(ctx, wf.ID); err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	wf, err := r.p.Get(wf.ID)
	if err != nil {
		t.Fatal(err)
	}
	if wf.Status != workflow.Stopped || wf.Reason != "stopped by the user" {
		t.Fatalf("status %s (%s), want stopped by the user; log:\n%s", wf.Status, wf.Reason, r.rec.logText(wf.ID))
	}
	if took > 5*time.Second {
		t.Errorf("stop took %s, want under 5 s", took)
	}
	t.Logf("stopped in %s", took.Round(time.Millisecond))
	if s := wf.Sessions[len(wf.Sessions)-1]; len(wf.Sessions) != 2 || s.Outcome != workflow.OutcomeStopped || s.EndedAt.IsZero() {
		t.Errorf("sessions after the stop: %+v", wf.Sessions)
	}
	if wf.Agent != nil {
		t.Errorf("agent still recorded: %+v", wf.Agent)
	}
	if left := groupMembers(agent.PGID); len(left) > 0 {
		t.Errorf("processes %v of the agent's group %d survived the stop", left, agent.PGID)
	}
	if left := processesRunning("sleep", "61"); len(left) > 0 {
		t.Errorf("the agent's command survived the stop: pids %v", left)
	}
}

// waitForAgentIn waits until workflow id records the agent of session n and
// that agent runs the command args, and returns the agent.
func waitForAgentIn(t *testing.T, p *engine.Project, id string, n int, args ...string) *workflow.Agent {
	t.Helper()
	var agent *workflow.Agent
	eventually(t, time.Minute, fmt.Sprintf("session %d running %q", n, args), func() bool {
		wf, err := p.Get(id)
		if err != nil || wf.Agent == nil || len(wf.Sessions) != n {
			return false
		}
		agent = wf.Agent
		return len(processesRunning(args...)) > 0
	})
	return agent
}

// Killing the whole program (SIGKILL) in the middle of a session loses
// nothing: the next engine to open the project recovers the workflow as
// paused, ends the agent it left, keeps every commit, and resumes it to
// completion.
func TestSIGKILLMidSessionThenResume(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigOptions{scenario: scenarioFile(t, "crash.yaml")})
	wf := r.create(engine.CreateOptions{})

	child := exec.Command(selfBin, "--project", r.root, "run", "--workflow", wf.ID)
	child.Env = r.env
	var out bytes.Buffer
	child.Stdout, child.Stderr = &out, &out
	child.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	t.Cleanup(func() {
		if !killed {
			child.Process.Kill()
			child.Wait()
		}
	})
	agent := waitForAgentIn(t, r.p, wf.ID, 3, "sleep", "62")
	before, err := r.p.Get(wf.ID)
	if err != nil {
		t.Fatal(err)
	}
	head := strings.TrimSpace(gitOut(t, wf.Worktree, "rev-parse", wf.Branch))
	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	child.Wait()
	killed = true
	if before.Status != workflow.Running || len(before.Sessions) != 3 || before.Sessions[1].NewlyPassing != 1 {
		t.Fatalf("before the kill: %s, sessions %+v\n%s", before.Status, before.Sessions, out.String())
	}
	// The agent outlives the program that started it: its own process group.
	if len(groupMembers(agent.PGID)) == 0 {
		t.Fatalf("the agent's group %d died with autonomous: nothing for recovery to do", agent.PGID)
	}

	p := r.open()
	rec := record(t, p)
	wf, err = p.Get(wf.ID)
	if err != nil {
		t.Fatal(err)
	}
	if wf.Status != workflow.Paused || !strings.Contains(wf.Reason, "process driving it stopped") || !strings.Contains(wf.Reason, fmt.Sprintf("process group %d", agent.PGID)) {
		t.Errorf("recovered as %s (%s), want paused naming the reaped group %d", wf.Status, wf.Reason, agent.PGID)
	}
	if left := groupMembers(agent.PGID); len(left) > 0 {
		t.Errorf("processes %v of the dead program's agent group %d are still running", left, agent.PGID)
	}
	if left := processesRunning("sleep", "62"); len(left) > 0 {
		t.Errorf("the agent's command is still running: pids %v", left)
	}
	if s := wf.Sessions[2]; wf.Agent != nil || s.Outcome != workflow.OutcomeCrashed || s.EndedAt.IsZero() || !strings.Contains(s.Note, "interrupted") {
		t.Errorf("after recovery: agent %+v, interrupted session %+v", wf.Agent, s)
	}
	// Everything recorded and committed before the kill is still there.
	for i := range 2 {
		if a, b := before.Sessions[i], wf.Sessions[i]; a.Outcome != b.Outcome || a.CostUSD != b.CostUSD || a.AgentSessionID != b.AgentSessionID {
			t.Errorf("session %d changed across the crash: %+v -> %+v", i+1, a, b)
		}
	}
	if err := exec.Command("git", "-C", wf.Worktree, "merge-base", "--is-ancestor", head, wf.Branch).Run(); err != nil {
		t.Errorf("commit %s made before the kill is not on %s any more: %v", head, wf.Branch, err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	wf, err = p.Run(ctx, wf.ID, engine.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if wf.Status != workflow.Completed {
		t.Fatalf("resumed run: %s (%s); log:\n%s", wf.Status, wf.Reason, rec.logText(wf.ID))
	}
	var outcomes []string
	for _, s := range wf.Sessions {
		outcomes = append(outcomes, s.Outcome)
	}
	if want := []string{"success", "success", "crashed", "success"}; !equal(outcomes, want) {
		t.Errorf("outcomes %v, want %v", outcomes, want)
	}
	if got := passes(ledgerOnBranch(t, wf)); !equal(got, []bool{true, true}) {
		t.Errorf("ledger on the branch: %v", got)
	}
	subjects := commitSubjects(t, wf.Worktree, wf.BaseCommit, wf.Branch)
	for _, want := range []string{"Greet the world", "Mark the remaining features passing"} {
		if !contains(subjects, want) {
			t.Errorf("commit %q missing from %s: %q", want, wf.Branch, subjects)
		}
	}
	r.noFailures()
}

// Only one process drives a workflow: another `autonomous run` of it is
// refused with the driver's pid, and a stop sent from another process
// reaches the driver.
func TestSecondDriverRefused(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigOptions{scenario: scenarioFile(t, "concurrent.yaml")})
	wf := r.create(engine.CreateOptions{})
	ctx := context.Background()
	if err := r.p.Start(ctx, wf.ID, engine.RunOptions{}); err != nil {
		t.Fatal(err)
	}
	waitForAgentIn(t, r.p, wf.ID, 1, "sleep", "63")

	second := exec.Command(selfBin, "--project", r.root, "run", "--workflow", wf.ID)
	second.Env = r.env
	out, err := second.CombinedOutput()
	if code := second.ProcessState.ExitCode(); code != 1 {
		t.Fatalf("second `autonomous run`: exit %d (%v), want 1\n%s", code, err, out)
	}
	if want := fmt.Sprintf("pid %d", os.Getpid()); !strings.Contains(string(out), want) || !strings.Contains(string(out), "another process") {
		t.Errorf("the refusal does not name the driver (%s):\n%s", want, out)
	}
	if w, _ := r.p.Get(wf.ID); w.Status != workflow.Running || len(w.Sessions) != 1 || !w.Sessions[0].EndedAt.IsZero() {
		t.Errorf("the refused run disturbed the workflow: %s, sessions %+v", w.Status, w.Sessions)
	}

	stop := exec.Command(selfBin, "--project", r.root, "workflow", "stop", wf.ID)
	stop.Env = r.env
	if out, err := stop.CombinedOutput(); err != nil || !strings.Contains(string(out), fmt.Sprintf("pid %d", os.Getpid())) {
		t.Fatalf("`autonomous workflow stop` from another process: %v\n%s", err, out)
	}
	waitCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := r.p.Wait(waitCtx, wf.ID); err != nil {
		t.Fatalf("the driver did not stop on the other process's request: %v", err)
	}
	if w, _ := r.p.Get(wf.ID); w.Status != workflow.Stopped || w.Sessions[0].Outcome != workflow.OutcomeStopped {
		t.Errorf("after a stop from another process: %s (%s), sessions %+v", w.Status, w.Reason, w.Sessions)
	}
	if left := processesRunning("sleep", "63"); len(left) > 0 {
		t.Errorf("the agent's command survived the stop: pids %v", left)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
