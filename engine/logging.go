package engine

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/autonomous-coding/autonomous/engine/events"
	"github.com/autonomous-coding/autonomous/engine/ledger"
	"github.com/autonomous-coding/autonomous/engine/workflow"
	"github.com/autonomous-coding/autonomous/orchestrator/stream"
	"github.com/autonomous-coding/autonomous/prompts"
)

// logEvent turns one agent event into a live log entry.
func (p *Project) logEvent(id string, session int, file string, ev stream.Event) {
	kind, text := describe(ev)
	if text == "" {
		return
	}
	p.addLog(id, events.LogEntry{Time: ev.Time, Session: session, Kind: kind, Text: text, File: file})
	if ev.Kind == stream.KindStarted && ev.Init != nil {
		for _, s := range ev.Init.FailedMCPServers() {
			p.alert(id, "warning", fmt.Sprintf("MCP server %q is %s: its tools are unavailable in session %d", s.Name, s.Status, session))
		}
	}
}

// describe is the one-line text of an agent event in the log.
func describe(ev stream.Event) (kind, text string) {
	switch ev.Kind {
	case stream.KindStarted:
		if ev.Init == nil {
			return "", ""
		}
		var servers []string
		for _, s := range ev.Init.MCPServers {
			servers = append(servers, s.Name+" "+s.Status)
		}
		text = fmt.Sprintf("agent %s started (model %s, session %s)", ev.Init.Version, ev.Init.Model, ev.Init.SessionID)
		if len(servers) > 0 {
			text += "; MCP: " + strings.Join(servers, ", ")
		}
		return "info", text
	case stream.KindText:
		return "text", strings.TrimSpace(ev.Text)
	case stream.KindToolCall:
		return "tool", fmt.Sprintf("%s %s", ev.Tool, ev.Text)
	case stream.KindToolResult:
		status := "ok"
		if ev.IsError {
			status = "error"
		}
		return "result", fmt.Sprintf("%s %s: %s", ev.Tool, status, oneLine(ev.Text, 300))
	case stream.KindDenied:
		if ev.Denied != nil {
			return "denied", fmt.Sprintf("denied: %s — %s", ev.Denied.Command, ev.Denied.Reason)
		}
		return "denied", "denied: " + ev.Text
	case stream.KindRateLimit:
		rl := ev.RateLimit
		if rl == nil || rl.Status == "allowed" {
			return "", ""
		}
		text = "rate limit: " + rl.Status
		if rl.APIErrorStatus != 0 {
			text += fmt.Sprintf(" (HTTP %d)", rl.APIErrorStatus)
		}
		if rl.Attempt > 0 {
			text += fmt.Sprintf(", retry %d/%d in %s", rl.Attempt, rl.MaxRetries, rl.RetryIn)
		}
		if rl.ResetsAt != nil {
			text += ", resets at " + rl.ResetsAt.Local().Format("15:04:05")
		}
		return "warning", text
	case stream.KindResult:
		if ev.Result == nil {
			return "", ""
		}
		return "result", fmt.Sprintf("session result: %s (%d turns, $%.4f)", ev.Result.Subtype, ev.Result.NumTurns, ev.Result.CostUSD)
	case stream.KindMalformed:
		return "error", "unreadable line from the agent: " + oneLine(ev.Text, 200)
	}
	return "", ""
}

func oneLine(s string, limit int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > limit {
		s = s[:limit] + "…"
	}
	return s
}

func (p *Project) addLog(id string, e events.LogEntry) {
	if e.Time.IsZero() {
		e.Time = p.now()
	}
	p.mu.Lock()
	ring := p.logs[id]
	if ring == nil {
		ring = &logRing{}
		p.logs[id] = ring
	}
	p.mu.Unlock()
	ring.add(e)
	p.bus.Publish(events.Event{Kind: events.KindLog, WorkflowID: id, Time: e.Time, Log: &e})
}

func (p *Project) logInfo(id string, session int, file, text string) {
	p.addLog(id, events.LogEntry{Session: session, Kind: "info", Text: text, File: file})
}

func (p *Project) logWarning(id string, session int, text string) {
	p.addLog(id, events.LogEntry{Session: session, Kind: "warning", Text: text})
}

// LogTail returns the latest log entries of a workflow, oldest first, for a
// client that attaches late. Entries come from memory when this process
// drives (or drove) the workflow, else from the last session's raw log.
func (p *Project) LogTail(id string, limit int) ([]events.LogEntry, error) {
	if err := workflow.ValidateID(id); err != nil {
		return nil, err
	}
	wf, err := p.store.Get(id)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	ring := p.logs[id]
	p.mu.Unlock()
	if ring != nil {
		return ring.tail(limit), nil
	}
	return tailFromRawLogs(wf, limit)
}

// publishLedgerProblem reports a ledger that cannot be read, or (err == nil)
// clears an earlier report.
func (p *Project) publishLedgerProblem(wf *workflow.Workflow, err error) {
	problem := &events.LedgerProblem{File: filepath.Join(wf.Worktree, prompts.LedgerFile)}
	if err != nil {
		msg := events.LedgerMessage{Severity: "error", Message: err.Error()}
		var pe *ledger.ParseError
		if errors.As(err, &pe) {
			msg.Line, msg.Column, msg.Message = pe.Line, pe.Column, pe.Msg
			if pe.Entry > 0 {
				msg.Message = fmt.Sprintf("entry %d: %s", pe.Entry, pe.Msg)
			}
		}
		problem.Messages = append(problem.Messages, msg)
	}
	p.bus.Publish(events.Event{Kind: events.KindLedgerProblem, WorkflowID: wf.ID, Time: p.now(), LedgerProblem: problem})
}

func (p *Project) publishGuardViolations(wf *workflow.Workflow, report ledger.Report) {
	problem := &events.LedgerProblem{File: filepath.Join(wf.Worktree, prompts.LedgerFile)}
	for _, v := range report.Violations {
		problem.Messages = append(problem.Messages, events.LedgerMessage{Severity: "warning", Message: "rejected edit: " + v.Msg})
	}
	p.bus.Publish(events.Event{Kind: events.KindLedgerProblem, WorkflowID: wf.ID, Time: p.now(), LedgerProblem: problem})
}
