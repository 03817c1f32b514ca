package engine

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/autonomous-coding/autonomous/engine/events"
	"github.com/autonomous-coding/autonomous/engine/ledger"
	"github.com/autonomous-coding/autonomous/engine/workflow"
	"github.com/autonomous-coding/autonomous/prompts"
)

// maxInitializerAttempts bounds how often a failing initializer is retried
// before the workflow fails: each attempt costs money.
const maxInitializerAttempts = 3

// maxConsecutiveErrors bounds how many sessions in a row may end in an agent
// error before the workflow fails instead of burning more.
const maxConsecutiveErrors = 3

// drive is the session loop of one workflow. It returns when the workflow
// leaves the running state; every exit path records why.
func (p *Project) drive(ctx context.Context, r *run, opts RunOptions) error {
	id := r.id
	wf, err := p.store.Get(id)
	if err != nil {
		return err
	}
	if _, err := p.trees.Ensure(ctx, id, wf.BaseRef); err != nil {
		_, terr := p.transition(id, workflow.Failed, fmt.Sprintf("worktree: %v", err), nil)
		return errors.Join(err, terr)
	}

	watchCtx, stopWatch := context.WithCancel(ctx)
	watchDone := p.watchProgress(watchCtx, wf)
	defer func() { stopWatch(); <-watchDone }()

	pollCtx, stopPoll := context.WithCancel(ctx)
	defer stopPoll()
	go p.pollControl(pollCtx, r)

	schemaForced := opts.ValidateSchema || opts.OnlySchema
	// The auto-continue delay is taken just before the next session, once
	// it is known there will be one: a workflow whose last session finished
	// the work completes (or stops on a limit) at once.
	delayNext := false
	for {
		if done, err := p.handleRequest(r); done {
			return err
		}
		if ctx.Err() != nil {
			_, err := p.transition(id, workflow.Paused, "the engine shut down during the run; resume to continue", nil)
			return err
		}
		wf, err = p.store.Get(id)
		if err != nil {
			return err
		}
		step, err := p.nextStep(ctx, wf, schemaForced)
		if err != nil {
			_, terr := p.transition(id, workflow.Failed, err.Error(), nil)
			return errors.Join(err, terr)
		}
		if opts.OnlySchema && step.phase != workflow.PhaseSchemaValidation {
			_, err := p.transition(id, workflow.Paused, "schema validation finished", nil)
			return err
		}
		if step.phase == workflow.PhaseNone {
			return p.complete(wf)
		}
		if reason := limitReached(wf); reason != "" {
			_, err := p.transition(id, workflow.Stopped, reason, nil)
			p.alert(id, "warning", fmt.Sprintf("%s stopped: %s", wf.Name, reason))
			return err
		}
		if delayNext {
			delayNext = false
			if !r.sleep(ctx, p.Config().Defaults.AutoContinueDelay.Duration()) {
				continue // a request or a shutdown came during the delay: apply it first
			}
		}
		out, err := p.runSession(ctx, r, wf, step)
		if err != nil {
			// The agent could not start at all (missing CLI, bad config).
			_, terr := p.transition(id, workflow.Failed, err.Error(), func(w *workflow.Workflow) { w.Agent = nil })
			p.alert(id, "error", fmt.Sprintf("%s failed: %v", wf.Name, err))
			return errors.Join(err, terr)
		}
		if step.phase == workflow.PhaseSchemaValidation {
			schemaForced = false
		}
		if stop, err := p.afterSession(ctx, r, out); stop {
			return err
		}
		delayNext = !opts.OnlySchema
	}
}

// handleRequest applies a pending pause or stop between sessions.
func (p *Project) handleRequest(r *run) (done bool, err error) {
	switch r.take() {
	case requestPause:
		_, err = p.transition(r.id, workflow.Paused, "paused by the user", func(w *workflow.Workflow) { w.Agent = nil })
		return true, err
	case requestStop:
		_, err = p.transition(r.id, workflow.Stopped, "stopped by the user", func(w *workflow.Workflow) { w.Agent = nil })
		return true, err
	}
	return false, nil
}

// pollControl turns requests written by other processes into local ones.
func (p *Project) pollControl(ctx context.Context, r *run) {
	t := time.NewTicker(controlPollInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if req := p.takeControl(r.id); req != "" {
				r.request(req)
			}
		}
	}
}

// step is what the next session does.
type step struct {
	phase workflow.Phase
	note  string
}

// nextStep chooses the phase of the next session: schema validation when the
// project has architecture docs and no result for the current base (or when
// asked); the initializer while there is no valid ledger; coding until every
// feature passes. PhaseNone means the workflow is complete.
func (p *Project) nextStep(ctx context.Context, wf *workflow.Workflow, schemaForced bool) (step, error) {
	if schemaForced || p.needsSchemaValidation(wf) {
		return step{phase: workflow.PhaseSchemaValidation}, nil
	}
	features, err := ledger.Read(filepath.Join(wf.Worktree, prompts.LedgerFile))
	if err != nil || len(features) == 0 {
		attempts := trailingSessions(wf, workflow.PhaseInitializer)
		if attempts >= maxInitializerAttempts {
			return step{}, fmt.Errorf("the initializer ran %d times without writing a valid %s; last problem: %s", attempts, prompts.LedgerFile, initializerProblem(err))
		}
		note := ""
		if attempts > 0 {
			note = fmt.Sprintf("The previous initializer session did not leave a valid %s: %s.", prompts.LedgerFile, initializerProblem(err))
		}
		return step{phase: workflow.PhaseInitializer, note: note}, nil
	}
	prog := ledger.Compute(features)
	if prog.Passing == prog.Total {
		return step{phase: workflow.PhaseNone}, nil
	}
	return step{phase: workflow.PhaseCoding, note: wf.NextNote}, nil
}

func initializerProblem(err error) string {
	if err == nil {
		return "it has no entries"
	}
	if errors.Is(err, os.ErrNotExist) {
		return "the file was not written"
	}
	return err.Error()
}

// needsSchemaValidation: .schema/ exists in the worktree and no validation has
// been recorded for the workflow's base commit.
func (p *Project) needsSchemaValidation(wf *workflow.Workflow) bool {
	if _, err := os.Stat(filepath.Join(wf.Worktree, ".schema")); err != nil {
		return false
	}
	return wf.SchemaValidatedCommit != wf.BaseCommit
}

// trailingSessions counts the sessions of phase at the end of the history.
func trailingSessions(wf *workflow.Workflow, phase workflow.Phase) int {
	n := 0
	for i := len(wf.Sessions) - 1; i >= 0 && wf.Sessions[i].Phase == phase; i-- {
		n++
	}
	return n
}

// limitReached says which configured limit stops the workflow before another session.
func limitReached(wf *workflow.Workflow) string {
	if wf.MaxSessions > 0 && wf.Totals.Sessions >= wf.MaxSessions {
		return fmt.Sprintf("session limit reached (%d sessions); resume with a higher --max-sessions to continue", wf.MaxSessions)
	}
	if wf.BudgetUSD > 0 && wf.Totals.CostUSD >= wf.BudgetUSD {
		return fmt.Sprintf("budget reached ($%.2f of $%.2f); resume with a higher --budget-usd to continue", wf.Totals.CostUSD, wf.BudgetUSD)
	}
	return ""
}

// complete marks a workflow whose every feature passes. Unlike the reference
// harness, the loop stops here instead of spending more sessions.
func (p *Project) complete(wf *workflow.Workflow) error {
	prog := wf.Progress
	reason := fmt.Sprintf("all %d features pass", prog.Total)
	if _, err := p.transition(wf.ID, workflow.Completed, reason, func(w *workflow.Workflow) { w.Agent = nil }); err != nil {
		return err
	}
	p.alert(wf.ID, "info", fmt.Sprintf("%s completed: %s in %d sessions ($%.2f); branch %s", wf.Name, reason, wf.Totals.Sessions, wf.Totals.CostUSD, wf.Branch))
	return nil
}

// backoff is the wait after the n-th consecutive rate limit without a reset
// time: base, 2·base, 4·base, ... capped at 30 minutes.
func backoff(base time.Duration, n int) time.Duration {
	if base <= 0 {
		base = 30 * time.Second
	}
	d := time.Duration(float64(base) * math.Pow(2, float64(max(n-1, 0))))
	return min(d, 30*time.Minute)
}

func (p *Project) publishProgress(id string, prog ledger.Progress) {
	pr := prog
	p.bus.Publish(events.Event{Kind: events.KindProgress, WorkflowID: id, Time: p.now(), Progress: &pr})
}
