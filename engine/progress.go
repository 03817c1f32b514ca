package engine

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sort"

	"github.com/autonomous-coding/autonomous/engine/events"
	"github.com/autonomous-coding/autonomous/engine/ledger"
	"github.com/autonomous-coding/autonomous/engine/watch"
	"github.com/autonomous-coding/autonomous/engine/workflow"
	"github.com/autonomous-coding/autonomous/orchestrator/stream"
)

// watchProgress follows a running workflow's worktree: every change of the
// ledger's figures becomes a progress event (and the workflow's recorded
// snapshot), a ledger that cannot be read a ledger problem, and a new
// schema-validation result a discrepancies event. The returned channel is
// closed once the watcher has stopped with ctx.
func (p *Project) watchProgress(ctx context.Context, wf *workflow.Workflow) <-chan struct{} {
	done := make(chan struct{})
	id := wf.ID
	ledgerBroken := false
	w := watch.New(watch.Options{Root: wf.Worktree, OnEvent: func(ev watch.Event) {
		switch ev.Kind {
		case watch.KindProgress:
			if ledgerBroken {
				ledgerBroken = false
				p.publishLedgerProblem(wf, nil)
			}
			prog := ev.Progress
			p.store.Update(id, func(w *workflow.Workflow) error { w.Progress = prog; return nil })
			p.publishProgress(id, prog)
		case watch.KindLedgerError:
			if !errors.Is(ev.Err, os.ErrNotExist) {
				ledgerBroken = true
				p.publishLedgerProblem(wf, ev.Err)
			}
		case watch.KindSchema:
			if ev.Schema != nil {
				p.bus.Publish(events.Event{Kind: events.KindDiscrepancies, WorkflowID: id, Time: p.now(), Discrepancies: &events.Discrepancies{Root: wf.Worktree, Payload: ev.Schema}})
			}
		case watch.KindSchemaError:
			p.bus.Publish(events.Event{Kind: events.KindDiscrepancies, WorkflowID: id, Time: p.now(), Discrepancies: &events.Discrepancies{Root: wf.Worktree, Err: ev.Err.Error()}})
		}
	}})
	go func() {
		defer close(done)
		if err := w.Run(ctx); err != nil {
			p.logWarning(id, len(wf.Sessions), "progress watcher: "+err.Error()+"; progress is updated after each session only")
		}
	}()
	return done
}

// Progress reads a workflow's ledger figures from its worktree now.
func (p *Project) Progress(id string) (ledger.Progress, error) {
	wf, err := p.store.Get(id)
	if err != nil {
		return ledger.Progress{}, err
	}
	features, err := ledger.Read(filepath.Join(wf.Worktree, ledger.File))
	if err != nil {
		return wf.Progress, err
	}
	return ledger.Compute(features), nil
}

// tailFromRawLogs rebuilds the latest log entries from the raw session logs,
// for a process that did not drive the workflow itself.
func tailFromRawLogs(wf *workflow.Workflow, limit int) ([]events.LogEntry, error) {
	var files []string
	for _, s := range wf.Sessions {
		if s.LogPath != "" {
			files = append(files, s.LogPath)
		}
	}
	sort.Strings(files)
	var out []events.LogEntry
	// Newest sessions first until the limit is met, then oldest first in the result.
	for i := len(files) - 1; i >= 0 && (limit <= 0 || len(out) < limit); i-- {
		entries, err := readSessionLog(files[i], wf.Sessions[i].Number)
		if err != nil {
			continue
		}
		out = append(entries, out...)
	}
	if limit > 0 && len(out) > limit {
		out = out[len(out)-limit:]
	}
	return out, nil
}

func readSessionLog(path string, session int) ([]events.LogEntry, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []events.LogEntry
	err = stream.NewParser().ReadAll(f, func(ev stream.Event) {
		if kind, text := describe(ev); text != "" {
			out = append(out, events.LogEntry{Time: ev.Time, Session: session, Kind: kind, Text: text, File: path})
		}
	})
	return out, err
}
