package engine_test

import (
	"context"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/autonomous-coding/autonomous/engine"
	"github.com/autonomous-coding/autonomous/engine/events"
	"github.com/autonomous-coding/autonomous/engine/ledger"
	"github.com/autonomous-coding/autonomous/engine/workflow"
	"github.com/autonomous-coding/autonomous/orchestrator/scriptedmodel"
)

// A first initializer that leaves a broken ledger is run again, told what was
// wrong, and the workflow goes on to completion.
func TestInitializerRetriedWithNote(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigOptions{scenario: scenarioFile(t, "retry-initializer.yaml")})
	wf := r.create(engine.CreateOptions{})
	wf = r.run(wf.ID, engine.RunOptions{})
	if wf.Status != workflow.Completed {
		t.Fatalf("status %s (%s), want completed; log:\n%s", wf.Status, wf.Reason, r.rec.logText(wf.ID))
	}
	r.noFailures()
	var phases []workflow.Phase
	for _, s := range wf.Sessions {
		phases = append(phases, s.Phase)
	}
	if want := []workflow.Phase{workflow.PhaseInitializer, workflow.PhaseInitializer, workflow.PhaseCoding}; !equal(phases, want) {
		t.Fatalf("session phases %v, want %v", phases, want)
	}
	if n := wf.Sessions[0].Note; !strings.Contains(n, "entry 1") {
		t.Errorf("the failed initializer's record does not say what was wrong: %q", n)
	}
	prompt := r.prompts()["init-fixed"]
	if !strings.Contains(prompt, "did not leave a valid .autonomous/feature_list.json") || !strings.Contains(prompt, "entry 1") {
		t.Errorf("the retried initializer's prompt lacks the note about the broken ledger:\n%s", prompt)
	}
	if strings.Contains(r.prompts()["init-broken"], "did not leave a valid") {
		t.Errorf("the first initializer got a note it should not have")
	}
	if got := passes(ledgerOnBranch(t, wf)); !equal(got, []bool{true, true}) {
		t.Errorf("ledger on the branch: passes %v", got)
	}
}

func equal[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// A session that rewords or removes ledger entries has those edits rejected:
// the file on the branch goes back to the accepted ledger, keeping only the
// legitimate flip, the problem is announced, and the next session is told.
func TestGuardRejectsAndRestoresLedger(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigOptions{scenario: scenarioFile(t, "guard.yaml")})
	wf := r.create(engine.CreateOptions{})
	wf = r.run(wf.ID, engine.RunOptions{})
	if wf.Status != workflow.Completed {
		t.Fatalf("status %s (%s), want completed; log:\n%s", wf.Status, wf.Reason, r.rec.logText(wf.ID))
	}
	r.noFailures()

	// The commit the engine made after the cheating session (session 2)
	// holds the accepted ledger with the flip of feature 1 alone.
	restore := strings.TrimSpace(gitOut(t, wf.Worktree, "log", "--format=%H", "--grep", "restore feature ledger", wf.Branch))
	if restore == "" || strings.Contains(restore, "\n") {
		t.Fatalf("want one commit restoring the ledger on %s, got %q", wf.Branch, restore)
	}
	restored, err := ledger.Parse([]byte(gitOut(t, wf.Worktree, "show", restore+":"+ledger.File)))
	if err != nil {
		t.Fatal(err)
	}
	initial, err := ledger.Parse([]byte(gitOut(t, wf.Worktree, "show", restore+"~2:"+ledger.File)))
	if err != nil {
		t.Fatal(err)
	}
	want := slices.Clone(initial)
	want[0].Passes = true
	if !reflect.DeepEqual(restored, want) {
		t.Errorf("restored ledger:\n%+v\nwant the accepted one with feature 1 passing:\n%+v", restored, want)
	}
	if got := passes(initial); !equal(got, []bool{false, false, false}) || len(initial) != 3 {
		t.Fatalf("the ledger the initializer committed: %+v", initial)
	}

	// Announced: a ledger problem naming the rejected edits, and an alert.
	var problem *events.LedgerProblem
	for _, e := range r.rec.all(wf.ID, events.KindLedgerProblem) {
		if len(e.LedgerProblem.Messages) > 0 {
			problem = e.LedgerProblem
		}
	}
	if problem == nil || problem.File != filepath.Join(wf.Worktree, ledger.File) {
		t.Fatalf("no ledger problem event for the file; got %+v", problem)
	}
	var msgs []string
	for _, m := range problem.Messages {
		msgs = append(msgs, m.Message)
	}
	all := strings.Join(msgs, "\n")
	if !strings.Contains(all, "rejected edit") || !strings.Contains(all, "README.md names the project") || !strings.Contains(all, "exactly one newline") {
		t.Errorf("ledger problem messages do not name the reworded and the removed entry:\n%s", all)
	}
	if !hasAlert(r.rec.alerts(wf.ID), "warning", "ledger edits rejected") {
		t.Errorf("no warning alert about the rejected edits: %+v", r.rec.alerts(wf.ID))
	}

	// The next session's prompt carries the note; the record keeps it too.
	if p := r.prompts()["coding-honest"]; !strings.Contains(p, "Note from the engine") || !strings.Contains(p, "broke the ledger rule") {
		t.Errorf("the session after the violation was not told:\n%s", p)
	}
	if p := r.prompts()["coding-cheat"]; strings.Contains(p, "Note from the engine") {
		t.Errorf("the first coding session got a note it should not have")
	}
	if n := wf.Sessions[1].Note; !strings.Contains(n, "broke the ledger rule") {
		t.Errorf("session 2's record has no note of the violation: %q", n)
	}
	if wf.NextNote != "" {
		t.Errorf("the note was not consumed: %q", wf.NextNote)
	}
	// Newly passing counts what the guard kept, not what the agent claimed.
	if got := []int{wf.Sessions[1].NewlyPassing, wf.Sessions[2].NewlyPassing}; !equal(got, []int{1, 2}) {
		t.Errorf("newly passing per coding session %v, want [1 2]", got)
	}
	final := ledgerOnBranch(t, wf)
	want = slices.Clone(initial)
	for i := range want {
		want[i].Passes = true
	}
	if !reflect.DeepEqual(final, want) {
		t.Errorf("final ledger:\n%+v\nwant the initial entries, all passing", final)
	}
}

func hasAlert(alerts []events.Alert, level, text string) bool {
	for _, a := range alerts {
		if a.Level == level && strings.Contains(a.Message, text) {
			return true
		}
	}
	return false
}

// A budget smaller than one session stops the workflow after that session,
// with the reason; a resume with a higher budget finishes it.
func TestBudgetStopsAfterFirstSession(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigOptions{scenario: scenarioFile(t, "budget.yaml")})
	wf := r.create(engine.CreateOptions{BudgetUSD: 0.01})
	wf = r.run(wf.ID, engine.RunOptions{})
	if wf.Status != workflow.Stopped || !strings.Contains(wf.Reason, "budget reached") || !strings.Contains(wf.Reason, "of $0.01") {
		t.Fatalf("status %s (%s), want stopped with the budget reason; log:\n%s", wf.Status, wf.Reason, r.rec.logText(wf.ID))
	}
	if wf.Totals.Sessions != 1 || len(wf.Sessions) != 1 {
		t.Fatalf("%d sessions recorded, want 1: %+v", len(wf.Sessions), wf.Sessions)
	}
	// The CLI was given the remaining budget and ended the session itself.
	if o := wf.Sessions[0].Outcome; o != workflow.OutcomeBudget {
		t.Errorf("session 1 outcome %q, want %q", o, workflow.OutcomeBudget)
	}
	if s := wf.Sessions[0]; s.CostUSD <= 0 || wf.Totals.CostUSD != s.CostUSD || wf.Totals.CostUSD < wf.BudgetUSD {
		t.Errorf("session cost %v, total %v: want the one session's cost, at least the budget %v", s.CostUSD, wf.Totals.CostUSD, wf.BudgetUSD)
	}
	if got := conversations(r.srv.Requests()); got != 1 {
		t.Errorf("the model saw %d sessions, want 1: no session may start past the budget", got)
	}
	if !hasAlert(r.rec.alerts(wf.ID), "warning", "budget reached") {
		t.Errorf("no alert about the budget: %+v", r.rec.alerts(wf.ID))
	}

	wf = r.run(wf.ID, engine.RunOptions{BudgetUSD: 5})
	if wf.Status != workflow.Completed || wf.BudgetUSD != 5 {
		t.Fatalf("after resuming with $5: status %s (%s), budget %v; log:\n%s", wf.Status, wf.Reason, wf.BudgetUSD, r.rec.logText(wf.ID))
	}
	r.noFailures()
}

// conversations counts the agent sessions the model saw.
func conversations(reqs []scriptedmodel.Request) int {
	seen := map[string]bool{}
	for _, q := range reqs {
		seen[q.Conversation] = true
	}
	return len(seen)
}

// Coding sessions that make nothing pass, as many as the stuck threshold,
// leave the workflow stuck on the feature that blocks it.
func TestStuckAfterFruitlessSessions(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigOptions{scenario: scenarioFile(t, "stuck.yaml")})
	wf := r.create(engine.CreateOptions{StuckThreshold: 2})
	wf = r.run(wf.ID, engine.RunOptions{})
	r.noFailures()
	const blocker = "hello.txt greets the world"
	if wf.Status != workflow.Stuck || !strings.Contains(wf.Reason, blocker) || !strings.Contains(wf.Reason, "2 coding sessions") {
		t.Fatalf("status %s (%s), want stuck naming %q; log:\n%s", wf.Status, wf.Reason, blocker, r.rec.logText(wf.ID))
	}
	if wf.StuckFeature != blocker {
		t.Errorf("stuck feature %q, want %q", wf.StuckFeature, blocker)
	}
	var phases []workflow.Phase
	for _, s := range wf.Sessions {
		phases = append(phases, s.Phase)
	}
	if want := []workflow.Phase{workflow.PhaseInitializer, workflow.PhaseCoding, workflow.PhaseCoding}; !equal(phases, want) {
		t.Errorf("sessions %v, want %v: stuck after exactly the threshold", phases, want)
	}
	if got := r.rec.statuses(wf.ID); !equal(got, []string{"pending", "running", "stuck"}) {
		t.Errorf("statuses %v", got)
	}
	if !hasAlert(r.rec.alerts(wf.ID), "warning", "is stuck") {
		t.Errorf("no alert about being stuck: %+v", r.rec.alerts(wf.ID))
	}
}

// A session refused with 429 puts the workflow in waiting until the backoff
// has passed; it then resumes by itself and completes.
func TestRateLimitWaitsThenResumes(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigOptions{scenario: scenarioFile(t, "ratelimit.yaml")})
	wf := r.create(engine.CreateOptions{})
	type waitSeen struct {
		at    time.Time
		until *time.Time
	}
	waits := make(chan waitSeen, 1)
	go func() {
		e, ok := r.rec.next(wf.ID, 2*time.Minute, func(e events.Event) bool {
			return e.Kind == events.KindState && e.State.Status == "waiting"
		})
		if !ok {
			return
		}
		seen := waitSeen{at: e.Time}
		if w, err := r.p.Get(wf.ID); err == nil { // the backoff is 1 s: still waiting now
			seen.until = w.WaitUntil
		}
		waits <- seen
	}()
	wf = r.run(wf.ID, engine.RunOptions{})
	if wf.Status != workflow.Completed {
		t.Fatalf("status %s (%s), want completed; log:\n%s", wf.Status, wf.Reason, r.rec.logText(wf.ID))
	}
	r.noFailures()
	var w waitSeen
	select {
	case w = <-waits:
	case <-time.After(5 * time.Second):
		t.Fatalf("never waiting: statuses %v", r.rec.statuses(wf.ID))
	}
	if got := r.rec.statuses(wf.ID); !equal(got, []string{"pending", "running", "waiting", "running", "completed"}) {
		t.Errorf("statuses %v", got)
	}
	if w.until == nil || w.until.Sub(w.at) < 900*time.Millisecond || w.until.Sub(w.at) > 3*time.Second {
		t.Errorf("while waiting (since %s) WaitUntil is %v: want the 1 s backoff", w.at.Format(time.StampMilli), w.until)
	}
	var resumed events.Event
	for _, e := range r.rec.all(wf.ID, events.KindState) {
		if e.State.Status == "running" && e.Time.After(w.at) {
			resumed = e
			break
		}
	}
	if resumed.State == nil || !strings.Contains(resumed.State.Reason, "resumed") || resumed.Time.Before(*w.until) {
		t.Errorf("resume %+v at %s, want it by itself at %s", resumed.State, resumed.Time, w.until)
	}
	var outcomes []string
	for _, s := range wf.Sessions {
		outcomes = append(outcomes, s.Outcome)
	}
	if want := []string{"success", "rate_limited", "success"}; !equal(outcomes, want) {
		t.Errorf("outcomes %v, want %v", outcomes, want)
	}
	if wf.WaitUntil != nil {
		t.Errorf("WaitUntil left set after the resume: %v", wf.WaitUntil)
	}
	if !hasAlert(r.rec.alerts(wf.ID), "warning", "rate limit") {
		t.Errorf("no alert about the rate limit: %+v", r.rec.alerts(wf.ID))
	}
}

// The configured auto-continue delay separates sessions, and only sessions:
// a workflow whose last session made everything pass completes at once.
func TestAutoContinueDelay(t *testing.T) {
	t.Parallel()
	const delay = 2 * time.Second
	r := newRig(t, rigOptions{scenario: scenarioFile(t, "retry-initializer.yaml"), defaults: map[string]string{"autoContinueDelay": delay.String()}})
	wf := r.create(engine.CreateOptions{})
	wf = r.run(wf.ID, engine.RunOptions{})
	if wf.Status != workflow.Completed || len(wf.Sessions) != 3 {
		t.Fatalf("status %s (%s), %d sessions; log:\n%s", wf.Status, wf.Reason, len(wf.Sessions), r.rec.logText(wf.ID))
	}
	for i := 1; i < len(wf.Sessions); i++ {
		if gap := wf.Sessions[i].StartedAt.Sub(wf.Sessions[i-1].EndedAt); gap < delay {
			t.Errorf("session %d started %s after session %d ended, want at least the %s delay", i+1, gap, i, delay)
		}
	}
	last := r.rec.sessions(wf.ID)
	states := r.rec.all(wf.ID, events.KindState)
	final := states[len(states)-1]
	if final.State.Status != "completed" || len(last) != 3 {
		t.Fatalf("last state %+v, %d session events", final.State, len(last))
	}
	ended := r.rec.all(wf.ID, events.KindSession)[2].Time
	if wait := final.Time.Sub(ended); wait > delay/2 {
		t.Errorf("completed %s after the last session ended: the delay is for between sessions", wait)
	}
}

// An agent that cannot start fails the workflow at once, saying what to do.
func TestAgentThatCannotStartFails(t *testing.T) {
	t.Parallel()
	missing := filepath.Join(t.TempDir(), "no-such-claude")
	r := newRig(t, rigOptions{scenario: scenarioFile(t, "retry-initializer.yaml"), cliPath: missing})
	wf := r.create(engine.CreateOptions{})
	// Run reports the failure as its error too, for `autonomous run` to print.
	if _, err := r.p.Run(context.Background(), wf.ID, engine.RunOptions{}); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("run: error %v, want one naming %s", err, missing)
	}
	wf, err := r.p.Get(wf.ID)
	if err != nil {
		t.Fatal(err)
	}
	if wf.Status != workflow.Failed || !strings.Contains(wf.Reason, missing) || !strings.Contains(wf.Reason, "autonomous doctor") {
		t.Fatalf("status %s (%s), want failed naming %s and the doctor", wf.Status, wf.Reason, missing)
	}
	if len(wf.Sessions) != 0 || len(r.srv.Requests()) != 0 {
		t.Errorf("sessions %+v recorded and %d requests made for an agent that never started", wf.Sessions, len(r.srv.Requests()))
	}
	if !hasAlert(r.rec.alerts(wf.ID), "error", "autonomous runtime install") {
		t.Errorf("no error alert with the fix: %+v", r.rec.alerts(wf.ID))
	}
}

// Pausing a workflow that waits for a rate limit to reset pauses it at
// once, without waiting for the reset; it resumes from there.
func TestPauseWhileWaitingForRateLimit(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigOptions{scenario: scenarioFile(t, "ratelimit.yaml"), defaults: map[string]string{"rateLimitBackoff": "10m"}})
	wf := r.create(engine.CreateOptions{})
	ctx := context.Background()
	if err := r.p.Start(ctx, wf.ID, engine.RunOptions{}); err != nil {
		t.Fatal(err)
	}
	r.rec.waitFor(t, wf.ID, time.Minute, "waiting", func(e events.Event) bool {
		return e.Kind == events.KindState && e.State.Status == "waiting"
	})
	w, _ := r.p.Get(wf.ID)
	if w.WaitUntil == nil || time.Until(*w.WaitUntil) < 9*time.Minute {
		t.Fatalf("waiting until %v, want the 10 m backoff", w.WaitUntil)
	}
	start := time.Now()
	if _, err := r.p.Pause(ctx, wf.ID); err != nil {
		t.Fatal(err)
	}
	waitCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := r.p.Wait(waitCtx, wf.ID); err != nil {
		t.Fatalf("still waiting after a pause: %v", err)
	}
	w, _ = r.p.Get(wf.ID)
	if w.Status != workflow.Paused || w.WaitUntil != nil || time.Since(start) > 2*time.Second {
		t.Fatalf("after pause: %s (%s), waitUntil %v, took %s", w.Status, w.Reason, w.WaitUntil, time.Since(start))
	}
	wf = r.run(wf.ID, engine.RunOptions{})
	if wf.Status != workflow.Completed {
		t.Fatalf("after resume: %s (%s)", wf.Status, wf.Reason)
	}
	r.noFailures()
}
