package lsp

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	glspproto "github.com/tliron/glsp/protocol_3_16"

	"github.com/autonomous-coding/autonomous/engine/events"
	"github.com/autonomous-coding/autonomous/engine/ledger"
	"github.com/autonomous-coding/autonomous/engine/schema"
	"github.com/autonomous-coding/autonomous/lsp/protocol"
)

// pump turns one folder's engine events into notifications. It is the only
// goroutine that reads the folder's subscription, so its maps need no lock.
type pump struct {
	s       *Server
	f       *folder
	batches map[string]*logBatch
	flows   map[string]*flow
}

// flow is what the pump knows of one workflow, for its progress bar.
type flow struct {
	name     string
	worktree string
	status   string
	phase    string
	session  int
	progress ledger.Progress
	bar      *workDone // while running
}

func newPump(s *Server, f *folder) *pump {
	return &pump{s: s, f: f, batches: map[string]*logBatch{}, flows: map[string]*flow{}}
}

// run delivers events until the subscription is closed and drained.
func (p *pump) run(ctx context.Context) {
	for {
		var ev events.Event
		var err error
		if due, ok := p.nextDue(); ok {
			wctx, cancel := context.WithDeadline(ctx, due)
			ev, err = p.f.sub.Next(wctx)
			cancel()
		} else {
			ev, err = p.f.sub.Next(ctx)
		}
		switch {
		case err == nil:
			p.handle(ctx, ev)
		case errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil:
			// a log batch is due
		default:
			for id := range p.batches {
				p.flush(id, time.Now())
			}
			for _, fl := range p.flows {
				if fl.bar != nil {
					fl.bar.end("the server stopped")
				}
			}
			return
		}
		// Under a steady stream of events Next never times out: send what
		// is due after each one.
		now := time.Now()
		for id, b := range p.batches {
			if b.pending() && !now.Before(b.dueAt()) {
				p.flush(id, now)
			}
		}
	}
}

// nextDue is when the earliest pending log batch may go.
func (p *pump) nextDue() (time.Time, bool) {
	var due time.Time
	found := false
	for _, b := range p.batches {
		if b.pending() && (!found || b.dueAt().Before(due)) {
			due, found = b.dueAt(), true
		}
	}
	return due, found
}

func (p *pump) handle(ctx context.Context, ev events.Event) {
	id := ev.WorkflowID
	switch ev.Kind {
	case events.KindState:
		if ev.State != nil {
			p.state(ctx, id, ev.State)
		}
	case events.KindProgress:
		if ev.Progress != nil {
			p.progress(id, *ev.Progress)
		}
	case events.KindLog:
		if ev.Log != nil {
			p.batch(id).add(ev.Log)
		}
	case events.KindLogDropped:
		p.batch(id).drop(ev.Dropped, ev.Log)
	case events.KindDiscrepancies:
		if d := ev.Discrepancies; d != nil {
			res, _ := d.Payload.(*schema.Result)
			p.s.diags.setSchema(p.f.root, id, d.Root, res, d.Err)
		}
	case events.KindLedgerProblem:
		if lp := ev.LedgerProblem; lp != nil {
			p.s.diags.setLedger(p.f.root, id, p.flow(id).worktree, lp)
		}
	case events.KindSession:
		if st := ev.Session; st != nil {
			p.flush(id, time.Now())
			p.s.notify(protocol.MethodSession, protocol.SessionParams{
				WorkflowID: id, Session: st.Session, Phase: st.Phase, Outcome: st.Outcome,
				DurationMs: st.DurationMs, CostUSD: st.CostUSD, NewlyPassing: st.NewlyPassing,
				Tokens: protocol.Tokens{Input: st.InputTokens, Output: st.OutputTokens, CacheRead: st.CacheRead, CacheWrite: st.CacheWrite},
			})
		}
	case events.KindAlert:
		if a := ev.Alert; a != nil {
			p.s.showMessage(messageType(a.Level), "Autonomous: "+a.Message)
		}
	}
}

// state sends autonomous/state and moves the workflow's progress bar: begun
// when it starts running, updated while it runs, ended when it stops.
func (p *pump) state(ctx context.Context, id string, st *events.State) {
	p.flush(id, time.Now()) // the log up to the change comes before it
	fl := p.flow(id)
	fl.status, fl.phase = st.Status, st.Phase
	if st.Session > 0 {
		fl.session = st.Session
	}
	p.s.notify(protocol.MethodState, protocol.StateParams{
		WorkflowID: id, Name: fl.name, Folder: p.f.root, Status: st.Status, Phase: st.Phase, Reason: st.Reason,
		Session: st.Session, Model: st.Model, CostUSD: st.CostUSD, StartedAt: st.StartedAt,
	})
	switch {
	case st.Status == "running":
		if fl.bar == nil {
			fl.bar = p.s.beginWorkDone(ctx, "Autonomous: "+fl.name, func() {
				msg, err := p.f.project.Stop(p.s.ctxForSend(), id)
				p.s.log.Info("stop from the progress bar", "id", id, "result", msg, "err", err)
			})
		}
		if msg := fl.message(); msg != "" {
			fl.bar.report(msg, fl.percent())
		}
	case fl.bar != nil:
		msg := st.Status
		if st.Reason != "" {
			msg += ": " + st.Reason
		}
		fl.bar.end(msg)
		fl.bar = nil
	}
	if st.Status == "deleted" {
		delete(p.flows, id)
		delete(p.batches, id)
		p.s.diags.clearWorkflow(p.f.root, id)
	}
}

func (p *pump) progress(id string, prog ledger.Progress) {
	fl := p.flow(id)
	fl.progress = prog
	p.s.notify(protocol.MethodProgress, protocol.ProgressParams{WorkflowID: id, Folder: p.f.root, Progress: progressOf(prog)})
	if fl.bar != nil {
		fl.bar.report(fl.message(), fl.percent())
	}
	p.s.refreshLenses()
}

// flow returns what the pump knows of a workflow, reading its record the
// first time.
func (p *pump) flow(id string) *flow {
	if fl := p.flows[id]; fl != nil {
		return fl
	}
	fl := &flow{name: id}
	if wf, err := p.f.project.Get(id); err == nil {
		fl.name, fl.worktree, fl.status, fl.phase = wf.Name, wf.Worktree, string(wf.Status), string(wf.Phase)
		fl.session, fl.progress = len(wf.Sessions), wf.Progress
	}
	p.flows[id] = fl
	return fl
}

func (p *pump) batch(id string) *logBatch {
	b := p.batches[id]
	if b == nil {
		b = &logBatch{}
		p.batches[id] = b
	}
	return b
}

// flush sends a workflow's pending log entries now.
func (p *pump) flush(id string, now time.Time) {
	b := p.batches[id]
	if b == nil || !b.pending() {
		return
	}
	entries := b.take(now, filepath.Join(p.f.root, ".autonomous", "logs", id))
	p.s.notify(protocol.MethodLog, protocol.LogParams{WorkflowID: id, Entries: entries})
}

// message is the progress bar's text, such as "12/40 passing · session 5 · coding".
func (fl *flow) message() string {
	var parts []string
	if fl.progress.Total > 0 {
		parts = append(parts, fmt.Sprintf("%d/%d passing", fl.progress.Passing, fl.progress.Total))
	}
	if fl.session > 0 {
		parts = append(parts, fmt.Sprintf("session %d", fl.session))
	}
	if fl.phase != "" {
		parts = append(parts, strings.ReplaceAll(fl.phase, "_", " "))
	}
	return strings.Join(parts, " · ")
}

func (fl *flow) percent() *glspproto.UInteger {
	pct := glspproto.UInteger(min(max(fl.progress.Percent, 0), 100))
	return &pct
}

func messageType(level string) glspproto.MessageType {
	switch level {
	case "error":
		return glspproto.MessageTypeError
	case "warning":
		return glspproto.MessageTypeWarning
	}
	return glspproto.MessageTypeInfo
}
