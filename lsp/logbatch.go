package lsp

import (
	"fmt"
	"time"

	"github.com/autonomous-coding/autonomous/engine/events"
	"github.com/autonomous-coding/autonomous/lsp/protocol"
)

// logInterval is the least time between two autonomous/log notifications of
// one workflow.
const logInterval = time.Second / protocol.LogRate

// logBatch gathers one workflow's log entries between notifications. It
// keeps the first and the last MaxLogBatch/2 entries of an interval and
// counts those in between, so that an agent printing thousands of lines a
// second costs the editor at most LogRate small notifications a second, while
// the user still sees how each burst began and where it stands now. The
// count points at the session's raw log, where every line is.
type logBatch struct {
	head     []protocol.LogEntry
	tail     []protocol.LogEntry // a ring once full
	next     int                 // where the ring writes next
	dropped  int
	file     string // the raw log of the dropped entries
	session  int
	lastSent time.Time
}

const halfBatch = protocol.MaxLogBatch / 2

func (b *logBatch) add(e *events.LogEntry) {
	entry := logEntry(*e)
	switch {
	case len(b.head) < halfBatch:
		b.head = append(b.head, entry)
	case len(b.tail) < halfBatch:
		b.tail = append(b.tail, entry)
	default:
		b.drop(1, nil)
		b.tail[b.next] = entry
		b.next = (b.next + 1) % halfBatch
	}
	if e.File != "" {
		b.file = e.File
	}
	b.session = e.Session
}

// drop counts n entries that will not be sent; e, when known, says where
// they are.
func (b *logBatch) drop(n int, e *events.LogEntry) {
	b.dropped += n
	if e != nil {
		if e.File != "" {
			b.file = e.File
		}
		b.session = e.Session
	}
}

func (b *logBatch) pending() bool { return len(b.head) > 0 || b.dropped > 0 }

// dueAt is when the batch may be sent.
func (b *logBatch) dueAt() time.Time { return b.lastSent.Add(logInterval) }

// take empties the batch into the entries of one notification, in order:
// the head, what was dropped, the tail. fallback is where to look for
// dropped lines when no entry named its file.
func (b *logBatch) take(now time.Time, fallback string) []protocol.LogEntry {
	out := make([]protocol.LogEntry, 0, len(b.head)+len(b.tail)+1)
	out = append(out, b.head...)
	if b.dropped > 0 {
		file := b.file
		if file == "" {
			file = fallback
		}
		at := now
		if len(b.tail) > 0 {
			at = b.tail[b.next%len(b.tail)].Time
		}
		out = append(out, protocol.LogEntry{Time: at, Session: b.session, Kind: protocol.LogKindDropped,
			Text: fmt.Sprintf("%d lines not shown; see %s", b.dropped, file)})
	}
	out = append(out, b.tail[b.next:]...)
	out = append(out, b.tail[:b.next]...)
	*b = logBatch{lastSent: now}
	return out
}
