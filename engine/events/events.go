// Package events is the engine's event stream: state changes, progress, log
// entries, schema discrepancies, session statistics and alerts, fanned out to
// any number of subscribers (the LSP server, the CLI's progress display).
//
// Publishing never blocks. Each subscriber has its own queue: a subscriber
// that falls behind gets coalesced progress (only the latest figures per
// workflow) and, once its queue of log entries is full, a count of the log
// entries it missed instead of the entries themselves. State changes,
// session statistics and alerts are never dropped.
package events

import (
	"context"
	"sync"
	"time"

	"github.com/autonomous-coding/autonomous/engine/ledger"
)

// Kind says which payload of an Event is set.
type Kind string

const (
	KindState         Kind = "state"
	KindProgress      Kind = "progress"
	KindLog           Kind = "log"
	KindLogDropped    Kind = "logDropped"
	KindDiscrepancies Kind = "discrepancies"
	KindLedgerProblem Kind = "ledgerProblem"
	KindSession       Kind = "session"
	KindAlert         Kind = "alert"
)

// Event is one thing that happened to a workflow.
type Event struct {
	Kind       Kind      `json:"kind"`
	WorkflowID string    `json:"workflowId"`
	Time       time.Time `json:"time"`

	State         *State           `json:"state,omitempty"`
	Progress      *ledger.Progress `json:"progress,omitempty"`
	Log           *LogEntry        `json:"log,omitempty"`
	Dropped       int              `json:"dropped,omitempty"` // KindLogDropped: entries this subscriber missed
	Discrepancies *Discrepancies   `json:"discrepancies,omitempty"`
	LedgerProblem *LedgerProblem   `json:"ledgerProblem,omitempty"`
	Session       *SessionStats    `json:"session,omitempty"`
	Alert         *Alert           `json:"alert,omitempty"`
}

// State is a workflow's state after a transition.
type State struct {
	Status    string     `json:"status"`
	Phase     string     `json:"phase"`
	Reason    string     `json:"reason,omitempty"`
	Session   int        `json:"session,omitempty"`
	Model     string     `json:"model"`
	CostUSD   float64    `json:"costUsd"`
	StartedAt *time.Time `json:"startedAt,omitempty"`
}

// LogEntry is one line of a workflow's live log.
type LogEntry struct {
	Time    time.Time `json:"time"`
	Session int       `json:"session"`
	Kind    string    `json:"kind"` // text, tool, result, denied, error, info, ...
	Text    string    `json:"text"`
	// File is the session's raw log, where the full story is.
	File string `json:"file,omitempty"`
}

// Discrepancies carries a new schema-validation result (Payload is the
// parsed engine/schema result; kept as any so this package does not depend on
// every payload's package) or, with Err set, why the file could not be read.
type Discrepancies struct {
	Root    string `json:"root"` // the worktree the result's paths are relative to
	Payload any    `json:"payload,omitempty"`
	Err     string `json:"error,omitempty"`
}

// LedgerProblem is something wrong with feature_list.json: a parse error
// (with its position) or guard violations. An empty Messages clears it.
type LedgerProblem struct {
	File     string          `json:"file"`
	Messages []LedgerMessage `json:"messages"`
}

// LedgerMessage is one problem at a 1-based line (0 = unknown).
type LedgerMessage struct {
	Line     int    `json:"line"`
	Column   int    `json:"column"`
	Severity string `json:"severity"`
	Message  string `json:"message"`
}

// SessionStats are the figures of one finished agent session.
type SessionStats struct {
	Session      int     `json:"session"`
	Phase        string  `json:"phase"`
	Outcome      string  `json:"outcome"`
	DurationMs   int64   `json:"durationMs"`
	CostUSD      float64 `json:"costUsd"`
	InputTokens  int64   `json:"inputTokens"`
	OutputTokens int64   `json:"outputTokens"`
	CacheRead    int64   `json:"cacheReadTokens"`
	CacheWrite   int64   `json:"cacheWriteTokens"`
	NewlyPassing int     `json:"newlyPassing"`
}

// Alert is something a user should be told about now.
type Alert struct {
	Level   string `json:"level"` // info, warning, error
	Message string `json:"message"`
}

// Bus fans events out to subscribers. The zero value is not usable: use NewBus.
type Bus struct {
	mu   sync.Mutex
	subs map[*Subscription]struct{}
}

// NewBus returns an empty bus.
func NewBus() *Bus { return &Bus{subs: map[*Subscription]struct{}{}} }

// Publish hands e to every subscriber without blocking.
func (b *Bus) Publish(e Event) {
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs {
		s.push(e)
	}
}

// Subscribe returns a subscription that keeps at most maxLog undelivered log
// entries (at least 1) before it starts counting drops.
func (b *Bus) Subscribe(maxLog int) *Subscription {
	if maxLog < 1 {
		maxLog = 1
	}
	s := &Subscription{bus: b, maxLog: maxLog, ready: make(chan struct{}, 1)}
	b.mu.Lock()
	b.subs[s] = struct{}{}
	b.mu.Unlock()
	return s
}

// Subscription is one subscriber's queue.
type Subscription struct {
	bus    *Bus
	maxLog int
	ready  chan struct{} // has a value when the queue may be non-empty

	mu     sync.Mutex
	queue  []Event
	logs   int // log entries in queue
	closed bool
}

func (s *Subscription) push(e Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	switch e.Kind {
	case KindProgress:
		// Only the latest figures matter: replace an undelivered one.
		for i := range s.queue {
			if s.queue[i].Kind == KindProgress && s.queue[i].WorkflowID == e.WorkflowID {
				s.queue[i] = e
				return
			}
		}
	case KindLog:
		if s.logs >= s.maxLog {
			for i := len(s.queue) - 1; i >= 0; i-- {
				if s.queue[i].Kind == KindLogDropped && s.queue[i].WorkflowID == e.WorkflowID {
					s.queue[i].Dropped++
					return
				}
			}
			s.queue = append(s.queue, Event{Kind: KindLogDropped, WorkflowID: e.WorkflowID, Time: e.Time, Dropped: 1, Log: &LogEntry{File: e.Log.File, Session: e.Log.Session}})
			s.signal()
			return
		}
		s.logs++
	}
	s.queue = append(s.queue, e)
	s.signal()
}

func (s *Subscription) signal() {
	select {
	case s.ready <- struct{}{}:
	default:
	}
}

// Next waits for the next event. It returns ctx.Err() when ctx ends and
// ErrClosed once the subscription is closed and drained.
func (s *Subscription) Next(ctx context.Context) (Event, error) {
	for {
		s.mu.Lock()
		if len(s.queue) > 0 {
			e := s.queue[0]
			s.queue[0] = Event{}
			s.queue = s.queue[1:]
			if e.Kind == KindLog {
				s.logs--
			}
			s.mu.Unlock()
			return e, nil
		}
		closed := s.closed
		s.mu.Unlock()
		if closed {
			return Event{}, ErrClosed
		}
		select {
		case <-ctx.Done():
			return Event{}, ctx.Err()
		case <-s.ready:
		}
	}
}

// Close detaches the subscription from the bus; Next returns ErrClosed once
// what was queued has been read.
func (s *Subscription) Close() {
	s.bus.mu.Lock()
	delete(s.bus.subs, s)
	s.bus.mu.Unlock()
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.signal()
}

type closedError struct{}

func (closedError) Error() string { return "subscription closed" }

// ErrClosed is returned by Next after Close.
var ErrClosed error = closedError{}
