package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/autonomous-coding/autonomous/engine/events"
	"github.com/autonomous-coding/autonomous/engine/workflow"
	"github.com/autonomous-coding/autonomous/orchestrator/session"
)

// recover runs at start-up: a workflow recorded as running (or waiting) that
// no live process drives becomes paused with a note, and the agent process
// group it left behind is reaped. A workflow whose lock is held is driven by
// a live process and is left alone.
func (p *Project) recover(ctx context.Context) {
	wfs, _ := p.store.List()
	for _, wf := range wfs {
		if wf.Status != workflow.Running && wf.Status != workflow.Waiting {
			continue
		}
		lock, err := p.store.Lock(wf.ID)
		if err != nil {
			continue // driven by a live process, or unreadable: not ours to touch
		}
		if _, err := p.recoverOne(ctx, wf.ID); err != nil {
			p.alert(wf.ID, "warning", fmt.Sprintf("could not recover workflow %s: %v", wf.ID, err))
		}
		lock.Release()
	}
}

// recoverOne pauses a workflow whose driver died. The caller holds its lock.
func (p *Project) recoverOne(ctx context.Context, id string) (*workflow.Workflow, error) {
	wf, err := p.store.Get(id)
	if err != nil {
		return nil, err
	}
	reaped := ""
	if a := wf.Agent; a != nil && a.PGID > 0 {
		// ReapGroup only touches a group that carries our session mark, so a
		// recycled process group id is never killed.
		if err := session.ReapGroup(a.PGID, 3*time.Second); err != nil {
			p.alert(id, "warning", fmt.Sprintf("workflow %s: %v", id, err))
		} else {
			reaped = fmt.Sprintf("; its agent (process group %d) was stopped", a.PGID)
		}
	}
	reason := "the process driving it stopped" + reaped + "; resume to continue"
	if wf.Status == workflow.Waiting {
		reason = "was waiting for a rate limit when the process driving it stopped; resume to continue"
	}
	return p.transition(id, workflow.Paused, reason, func(w *workflow.Workflow) {
		w.Agent = nil
		w.WaitUntil = nil
		if n := len(w.Sessions); n > 0 && w.Sessions[n-1].EndedAt.IsZero() {
			w.Sessions[n-1].EndedAt = p.now()
			w.Sessions[n-1].Outcome = workflow.OutcomeCrashed
			w.Sessions[n-1].Note = "interrupted: the engine stopped during this session"
		}
	})
}

func (p *Project) alert(id, level, msg string) {
	p.bus.Publish(events.Event{Kind: events.KindAlert, WorkflowID: id, Time: p.now(), Alert: &events.Alert{Level: level, Message: msg}})
}
