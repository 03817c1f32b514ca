package engine

import (
	"sync"

	"github.com/autonomous-coding/autonomous/engine/events"
)

// logRingSize is how many recent log entries a workflow keeps in memory for
// clients that attach late (autonomous.log.tail).
const logRingSize = 2000

// logRing keeps the most recent log entries of one workflow.
type logRing struct {
	mu      sync.Mutex
	entries []events.LogEntry
	next    int
	full    bool
}

func (r *logRing) add(e events.LogEntry) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.entries == nil {
		r.entries = make([]events.LogEntry, logRingSize)
	}
	r.entries[r.next] = e
	r.next = (r.next + 1) % logRingSize
	if r.next == 0 {
		r.full = true
	}
}

// tail returns up to limit of the latest entries, oldest first.
func (r *logRing) tail(limit int) []events.LogEntry {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := r.next
	if r.full {
		n = logRingSize
	}
	if limit <= 0 || limit > n {
		limit = n
	}
	out := make([]events.LogEntry, 0, limit)
	for i := n - limit; i < n; i++ {
		idx := i
		if r.full {
			idx = (r.next + i) % logRingSize
		}
		out = append(out, r.entries[idx])
	}
	return out
}
