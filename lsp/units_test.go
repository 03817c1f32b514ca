package lsp

import (
	"fmt"
	"testing"
	"time"

	"github.com/autonomous-coding/autonomous/engine/events"
	"github.com/autonomous-coding/autonomous/engine/workflow"
	"github.com/autonomous-coding/autonomous/lsp/protocol"
)

// Commit times have one-second resolution; sessions in tests (and quick real
// ones) can start and end within the same second.
func TestSessionAt(t *testing.T) {
	base := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	at := func(s float64) time.Time { return base.Add(time.Duration(s * float64(time.Second))) }
	wf := &workflow.Workflow{Sessions: []workflow.Session{
		{Number: 1, StartedAt: at(0.2), EndedAt: at(5.5)},
		{Number: 2, StartedAt: at(5.6), EndedAt: at(9.1)},
		{Number: 3, StartedAt: at(9.3), EndedAt: at(30)},
		{Number: 4, StartedAt: at(31)}, // running
	}}
	tests := []struct {
		commit float64 // whole seconds, as git records them
		after  int
		want   int
	}{
		{1, 0, 1},
		{5, 0, 1}, // second 5 spans the end of session 1 and the start of 2: the earlier wins
		{6, 0, 2}, // after session 1 ended
		{9, 2, 2}, // the previous commit was session 2's
		{9, 3, 3}, // commits come in session order
		{20, 0, 3},
		{30, 0, 3}, // the last second of session 3
		{40, 0, 4}, // the session in progress
		{0, 0, 1},  // the very second session 1 started
	}
	for _, tc := range tests {
		if got := sessionAt(wf, at(tc.commit), tc.after); got != tc.want {
			t.Errorf("commit at +%vs after session %d: session %d, want %d", tc.commit, tc.after, got, tc.want)
		}
	}
}

// A burst is sent as its head, a count of what was left out naming the raw
// log, and its tail, in order; a quiet log is sent whole.
func TestLogBatchKeepsHeadAndTail(t *testing.T) {
	tests := []struct {
		lines   int
		shown   int
		dropped int
	}{
		{1, 1, 0},
		{protocol.MaxLogBatch, protocol.MaxLogBatch, 0},
		{protocol.MaxLogBatch + 1, protocol.MaxLogBatch, 1},
		{1000, protocol.MaxLogBatch, 1000 - protocol.MaxLogBatch},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.lines), func(t *testing.T) {
			var b logBatch
			for i := range tc.lines {
				b.add(&events.LogEntry{Session: 2, Kind: "text", Text: fmt.Sprint(i), File: "/logs/session-002.jsonl"})
			}
			if !b.pending() {
				t.Fatal("nothing pending")
			}
			out := b.take(time.Now(), "/logs")
			var texts []string
			dropped := 0
			for _, e := range out {
				if e.Kind == protocol.LogKindDropped {
					fmt.Sscanf(e.Text, "%d lines not shown", &dropped)
					if e.Text != fmt.Sprintf("%d lines not shown; see /logs/session-002.jsonl", dropped) || e.Session != 2 {
						t.Errorf("dropped entry %+v", e)
					}
					texts = append(texts, "…")
					continue
				}
				texts = append(texts, e.Text)
			}
			if len(out)-min(dropped, 1) != tc.shown || dropped != tc.dropped {
				t.Fatalf("%d shown and %d dropped, want %d and %d", len(out)-min(dropped, 1), dropped, tc.shown, tc.dropped)
			}
			if texts[0] != "0" || texts[len(texts)-1] != fmt.Sprint(tc.lines-1) {
				t.Errorf("the batch runs %s..%s, want the first and the last line", texts[0], texts[len(texts)-1])
			}
			if tc.dropped > 0 && texts[protocol.MaxLogBatch/2] != "…" || tc.dropped > 0 && texts[protocol.MaxLogBatch/2+1] != fmt.Sprint(tc.lines-protocol.MaxLogBatch/2) {
				t.Errorf("the count is not between head and tail: %v", texts[protocol.MaxLogBatch/2-1:protocol.MaxLogBatch/2+2])
			}
			if b.pending() {
				t.Error("take left entries behind")
			}
		})
	}
}
