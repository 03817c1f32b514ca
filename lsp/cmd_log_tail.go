package lsp

import (
	"context"
	"encoding/json"
	"unicode/utf8"

	"github.com/autonomous-coding/autonomous/engine/events"
	"github.com/autonomous-coding/autonomous/lsp/protocol"
)

// cmdLogTail: autonomous.log.tail {id, limit?, folder?} → {workflowId,
// entries}: the latest log entries, oldest first, for a log view that opens
// after they were sent.
func (s *Server) cmdLogTail(_ context.Context, raw json.RawMessage) (any, error) {
	const cmd = protocol.CmdLogTail
	var args protocol.LogTailArgs
	if err := decodeArgs(cmd, raw, &args); err != nil {
		return nil, err
	}
	switch {
	case args.Limit < 0:
		return nil, invalidParams("%s: argument \"limit\" cannot be negative, got %d", cmd, args.Limit)
	case args.Limit == 0:
		args.Limit = protocol.DefaultLogTail
	case args.Limit > protocol.MaxLogTail:
		args.Limit = protocol.MaxLogTail
	}
	f, _, err := s.findWorkflow(args.ID, args.Folder)
	if err != nil {
		return nil, err
	}
	entries, err := f.project.LogTail(args.ID, args.Limit)
	if err != nil {
		return nil, err
	}
	out := protocol.LogParams{WorkflowID: args.ID, Entries: make([]protocol.LogEntry, len(entries))}
	for i, e := range entries {
		out.Entries[i] = logEntry(e)
	}
	return out, nil
}

func logEntry(e events.LogEntry) protocol.LogEntry {
	return protocol.LogEntry{Time: e.Time, Session: e.Session, Kind: e.Kind, Text: truncate(e.Text, protocol.MaxLogText)}
}

// truncate cuts s to at most n bytes, on a rune boundary, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
