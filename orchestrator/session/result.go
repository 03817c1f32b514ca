package session

import (
	"errors"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/autonomous-coding/autonomous/orchestrator/pricing"
	"github.com/autonomous-coding/autonomous/orchestrator/stream"
)

// Outcome is how a session ended: one of the Outcome constants. It is a
// plain string so that it can be recorded as is.
type Outcome = string

const (
	OutcomeSuccess Outcome = "success"
	// OutcomeError: the CLI reported an error (API failure other than a
	// limit, a cut stream, an error during execution).
	OutcomeError    Outcome = "error"
	OutcomeMaxTurns Outcome = "max_turns"
	OutcomeBudget   Outcome = "budget"
	// OutcomeRateLimited: the API refused with 429 (rate or usage limit) or
	// 529 (overloaded) after the CLI's own retries; wait and resume.
	OutcomeRateLimited Outcome = "rate_limited"
	// OutcomeStopped: Stop was called or the context cancelled.
	OutcomeStopped Outcome = "stopped"
	// OutcomeCrashed: the CLI ended without a result line (it failed to
	// start, was killed, or crashed); StderrTail says why.
	OutcomeCrashed Outcome = "crashed"
)

// Result sums up a session.
type Result struct {
	Outcome Outcome `json:"outcome"`

	// From the CLI's result line (zero when there was none).
	Subtype        string        `json:"subtype,omitempty"`
	IsError        bool          `json:"isError,omitempty"`
	ResultText     string        `json:"resultText,omitempty"`
	APIErrorStatus int           `json:"apiErrorStatus,omitempty"`
	TerminalReason string        `json:"terminalReason,omitempty"`
	Errors         []string      `json:"errors,omitempty"`
	Turns          int           `json:"turns"`
	Usage          pricing.Usage `json:"usage"`
	// CostUSD comes from the result line; when that has none, it is computed
	// from Usage and Options.Prices and CostComputed is set. Without a result
	// line both are zero: the cost is unknown.
	CostUSD      float64 `json:"costUsd"`
	CostComputed bool    `json:"costComputed,omitempty"`

	// AgentSessionID is the CLI's own session id (for --resume, transcripts).
	AgentSessionID string `json:"agentSessionId,omitempty"`
	// Init is the session as the CLI announced it (nil if it never did).
	Init *stream.Init `json:"init,omitempty"`
	// Denied lists the commands our hook refused.
	Denied []stream.Denial `json:"denied,omitempty"`
	// RateLimitResetsAt is when a limit the session met lifts, when known:
	// from a rate_limit_event, else when the CLI's last retry was due.
	RateLimitResetsAt *time.Time `json:"rateLimitResetsAt,omitempty"`
	// Malformed counts the stdout lines that were not JSON.
	Malformed int `json:"malformed,omitempty"`

	// StderrTail is the last StderrTailBytes of the CLI's stderr.
	StderrTail string `json:"stderrTail,omitempty"`
	// ExitCode is the CLI's exit status, -1 when a signal ended it.
	ExitCode int           `json:"exitCode"`
	Duration time.Duration `json:"duration"`
}

func (s *Session) summarize() *Result {
	r := &Result{
		Init:              s.init,
		Denied:            s.denied,
		RateLimitResetsAt: s.resetsAt,
		Malformed:         s.malformed,
		StderrTail:        s.stderr.String(),
		ExitCode:          exitCode(s.cmd.ProcessState, s.waitErr),
		Duration:          time.Since(s.started),
	}
	if s.init != nil {
		r.AgentSessionID = s.init.SessionID
	}
	if f := s.final; f != nil {
		r.Subtype, r.IsError, r.ResultText = f.Subtype, f.IsError, f.Text
		r.APIErrorStatus, r.TerminalReason, r.Errors = f.APIErrorStatus, f.TerminalReason, f.Errors
		r.Turns, r.Usage = f.NumTurns, f.Usage
		if f.SessionID != "" {
			r.AgentSessionID = f.SessionID
		}
		if f.HasCost {
			r.CostUSD = f.CostUSD
		} else {
			r.CostUSD, r.CostComputed = pricing.Cost(f.Usage, s.opts.Prices), true
		}
	}
	r.Outcome = s.outcome()
	return r
}

func (s *Session) outcome() Outcome {
	if s.stoppedEarly {
		return OutcomeStopped
	}
	f := s.final
	switch {
	case f == nil:
		return OutcomeCrashed
	case f.APIErrorStatus == 429 || f.APIErrorStatus == 529 || f.APIErrorType == "rate_limit_error" || f.APIErrorType == "overloaded_error":
		return OutcomeRateLimited
	case f.Subtype == "error_max_turns":
		return OutcomeMaxTurns
	case f.Subtype == "error_max_budget_usd":
		return OutcomeBudget
	case f.IsError || f.Subtype != "success":
		return OutcomeError
	}
	return OutcomeSuccess
}

func exitCode(ps *os.ProcessState, waitErr error) int {
	var ee *exec.ExitError
	if errors.As(waitErr, &ee) {
		ps = ee.ProcessState
	}
	if ps == nil {
		return -1
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok {
		if ws.Signaled() {
			return -1
		}
		return ws.ExitStatus()
	}
	return -1
}

// tailBuffer keeps the last StderrTailBytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - StderrTailBytes; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

// String returns the tail, starting on a character boundary.
func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	b := t.buf
	for i := 0; i < len(b) && i < utf8.UTFMax && !utf8.RuneStart(b[0]); i++ {
		b = b[1:]
	}
	return string(b)
}

// eventQueue is an unbounded FIFO between the stream reader, which must
// never block, and the Events channel.
type eventQueue struct {
	mu     sync.Mutex
	items  []stream.Event
	closed bool
	ready  chan struct{} // signalled when items or closed change
}

func (q *eventQueue) init() { q.ready = make(chan struct{}, 1) }

func (q *eventQueue) push(ev stream.Event) {
	q.mu.Lock()
	q.items = append(q.items, ev)
	q.mu.Unlock()
	q.signal()
}

func (q *eventQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.signal()
}

func (q *eventQueue) signal() {
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

// pop waits for the next event; ok is false once the queue is closed and
// empty.
func (q *eventQueue) pop() (ev stream.Event, ok bool) {
	for {
		q.mu.Lock()
		if len(q.items) > 0 {
			ev = q.items[0]
			q.items[0] = stream.Event{}
			q.items = q.items[1:]
			q.mu.Unlock()
			return ev, true
		}
		closed := q.closed
		q.mu.Unlock()
		if closed {
			return ev, false
		}
		<-q.ready
	}
}
