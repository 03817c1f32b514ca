// Package workflow manages workflows: their record on disk
// (.autonomous/workflows/<id>.yaml in the repository root), their ids, the
// state machine they move through, and the per-workflow lock that keeps two
// processes from driving the same one.
//
// The Workflow struct is also the shape of `--json` output and of the LSP
// payloads, so its JSON keys are part of the public contract.
package workflow

import (
	"fmt"
	"slices"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/autonomous-coding/autonomous/engine/ledger"
)

// FormatVersion is the version of the workflow file format this build writes.
// A file with a higher version was written by a newer build and is refused
// rather than half-understood and rewritten.
const FormatVersion = 1

// Status is where a workflow stands in its life cycle.
type Status string

const (
	Pending   Status = "pending"   // created, never run
	Running   Status = "running"   // a process is driving sessions
	Paused    Status = "paused"    // stopped between sessions, resumable
	Waiting   Status = "waiting"   // rate or usage limit; resumes by itself at WaitUntil
	Stuck     Status = "stuck"     // the same feature failed StuckThreshold sessions in a row
	Completed Status = "completed" // every feature passes
	Stopped   Status = "stopped"   // stopped by the user or a limit
	Failed    Status = "failed"    // gave up on an error
)

// Statuses lists every status, in life-cycle order.
func Statuses() []Status {
	return []Status{Pending, Running, Paused, Waiting, Stuck, Completed, Stopped, Failed}
}

// Valid reports whether s is one of the known statuses.
func (s Status) Valid() bool { return slices.Contains(Statuses(), s) }

// Terminal reports whether no transition leads out of s.
func (s Status) Terminal() bool { return s.Valid() && len(next(s)) == 0 }

// Active reports whether a process is (or should be) driving the workflow:
// running, or waiting to resume by itself.
func (s Status) Active() bool { return s == Running || s == Waiting }

// UnmarshalYAML refuses unknown statuses, naming the line, so that a typo in
// a hand-edited file is reported rather than read as a state nothing handles.
func (s *Status) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode || !Status(n.Value).Valid() {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: unknown status %q (want one of %v)", n.Line, n.Value, Statuses())}}
	}
	*s = Status(n.Value)
	return nil
}

// Phase is the kind of session a workflow is in or will run next.
type Phase string

const (
	PhaseNone             Phase = ""
	PhaseSchemaValidation Phase = "schema_validation"
	PhaseInitializer      Phase = "initializer"
	PhaseCoding           Phase = "coding"
)

// Valid reports whether p is one of the known phases (PhaseNone included).
func (p Phase) Valid() bool {
	switch p {
	case PhaseNone, PhaseSchemaValidation, PhaseInitializer, PhaseCoding:
		return true
	}
	return false
}

// UnmarshalYAML refuses unknown phases, naming the line.
func (p *Phase) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode || !Phase(n.Value).Valid() {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: unknown phase %q (want %q, %q or %q)", n.Line, n.Value, PhaseSchemaValidation, PhaseInitializer, PhaseCoding)}}
	}
	*p = Phase(n.Value)
	return nil
}

// Session outcomes. They are plain strings because the agent-session layer
// produces them and may learn new ones before this package does.
const (
	OutcomeSuccess     = "success"
	OutcomeError       = "error"
	OutcomeStopped     = "stopped"
	OutcomeRateLimited = "rate_limited"
	OutcomeMaxTurns    = "max_turns"
	OutcomeBudget      = "budget"
	OutcomeCrashed     = "crashed"
)

// Workflow is one autonomous coding job on a repository, as recorded in its file.
type Workflow struct {
	Version int    `yaml:"version" json:"version"`
	ID      string `yaml:"id" json:"id"`
	Name    string `yaml:"name" json:"name"`
	Status  Status `yaml:"status" json:"status"`
	Phase   Phase  `yaml:"phase,omitempty" json:"phase"`
	// Reason says, for a person, why the last transition happened.
	Reason string `yaml:"reason,omitempty" json:"reason"`

	CreatedAt time.Time  `yaml:"createdAt" json:"createdAt"`
	UpdatedAt time.Time  `yaml:"updatedAt" json:"updatedAt"`
	StartedAt *time.Time `yaml:"startedAt,omitempty" json:"startedAt"`

	BaseRef    string `yaml:"baseRef" json:"baseRef"`
	BaseCommit string `yaml:"baseCommit" json:"baseCommit"`
	Branch     string `yaml:"branch" json:"branch"`
	// Worktree is the absolute path of the workflow's git worktree.
	Worktree string `yaml:"worktree" json:"worktree"`
	Model    string `yaml:"model" json:"model"`
	// SpecPath is the spec's path inside the worktree, normally .autonomous/app_spec.txt.
	SpecPath string `yaml:"specPath" json:"specPath"`

	// Limits; zero means none.
	MaxSessions    int     `yaml:"maxSessions" json:"maxSessions"`
	BudgetUSD      float64 `yaml:"budgetUsd" json:"budgetUsd"`
	StuckThreshold int     `yaml:"stuckThreshold" json:"stuckThreshold"`

	Sessions []Session       `yaml:"sessions" json:"sessions"`
	Totals   Totals          `yaml:"totals" json:"totals"`
	Progress ledger.Progress `yaml:"progress" json:"progress"`

	// WaitUntil is when a waiting workflow resumes; nil in every other state.
	WaitUntil *time.Time `yaml:"waitUntil,omitempty" json:"waitUntil"`
	// StuckFeature is the feature a stuck workflow could not get past; empty in every other state.
	StuckFeature string `yaml:"stuckFeature,omitempty" json:"stuckFeature"`
	// Agent is the agent process of the session in progress, kept so that an
	// engine restarted after a crash can find and reap it.
	Agent *Agent `yaml:"agent,omitempty" json:"agent"`

	// NextNote is a message for the next coding session's prompt (for
	// instance, why the previous session's ledger edits were rejected).
	NextNote string `yaml:"nextNote,omitempty" json:"nextNote,omitempty"`
	// SchemaValidatedCommit is the base commit the architecture docs were
	// last validated against, so validation is not repeated for the same code.
	SchemaValidatedCommit string `yaml:"schemaValidatedCommit,omitempty" json:"schemaValidatedCommit,omitempty"`
}

// Agent identifies a running agent process.
type Agent struct {
	PID       int       `yaml:"pid" json:"pid"`
	PGID      int       `yaml:"pgid" json:"pgid"`
	StartedAt time.Time `yaml:"startedAt" json:"startedAt"`
}

// Session is the record of one agent session.
type Session struct {
	Number    int       `yaml:"number" json:"number"`
	Phase     Phase     `yaml:"phase" json:"phase"`
	StartedAt time.Time `yaml:"startedAt" json:"startedAt"`
	// EndedAt is zero while the session runs, and then left out of the
	// file and the JSON.
	EndedAt time.Time `yaml:"endedAt,omitempty" json:"endedAt,omitzero"`
	// Outcome is one of the Outcome constants; empty while the session runs.
	Outcome          string  `yaml:"outcome,omitempty" json:"outcome"`
	CostUSD          float64 `yaml:"costUsd" json:"costUsd"`
	InputTokens      int64   `yaml:"inputTokens" json:"inputTokens"`
	OutputTokens     int64   `yaml:"outputTokens" json:"outputTokens"`
	CacheReadTokens  int64   `yaml:"cacheReadTokens" json:"cacheReadTokens"`
	CacheWriteTokens int64   `yaml:"cacheWriteTokens" json:"cacheWriteTokens"`
	Turns            int     `yaml:"turns" json:"turns"`
	AgentSessionID   string  `yaml:"agentSessionId,omitempty" json:"agentSessionId"`
	NewlyPassing     int     `yaml:"newlyPassing" json:"newlyPassing"`
	Note             string  `yaml:"note,omitempty" json:"note"`
	// LogPath is where the session's raw agent stream was written.
	LogPath string `yaml:"logPath,omitempty" json:"logPath"`
}

// Totals sums the workflow's sessions.
type Totals struct {
	CostUSD      float64 `yaml:"costUsd" json:"costUsd"`
	Sessions     int     `yaml:"sessions" json:"sessions"`
	DurationMs   int64   `yaml:"durationMs" json:"durationMs"`
	InputTokens  int64   `yaml:"inputTokens" json:"inputTokens"`
	OutputTokens int64   `yaml:"outputTokens" json:"outputTokens"`
}

// AddSession appends a session record and adds it to the totals. A session
// still in progress (zero EndedAt) adds no duration.
func (w *Workflow) AddSession(s Session) {
	w.Sessions = append(w.Sessions, s)
	w.Totals.Sessions++
	w.Totals.CostUSD += s.CostUSD
	w.Totals.InputTokens += s.InputTokens
	w.Totals.OutputTokens += s.OutputTokens
	if !s.EndedAt.IsZero() && s.EndedAt.After(s.StartedAt) {
		w.Totals.DurationMs += s.EndedAt.Sub(s.StartedAt).Milliseconds()
	}
}

// next is the state machine of DESIGN.md: every state reachable from `from`
// in one step. Completed is final: a finished workflow's branch is the
// deliverable, and more work is a new workflow. Unknown states lead nowhere.
func next(from Status) []Status {
	switch from {
	case Pending:
		return []Status{Running, Stopped, Failed}
	case Running:
		return []Status{Paused, Waiting, Stuck, Completed, Stopped, Failed}
	case Paused:
		return []Status{Running, Stopped, Failed}
	case Waiting:
		return []Status{Running, Paused, Stopped, Failed}
	case Stuck:
		return []Status{Running, Stopped}
	case Stopped, Failed:
		return []Status{Running}
	}
	return nil
}

// CanTransition reports whether the state machine allows from -> to.
// Staying in the same state is not a transition.
func CanTransition(from, to Status) bool {
	return slices.Contains(next(from), to)
}

// TransitionError is an illegal state change.
type TransitionError struct {
	ID       string
	From, To Status
}

func (e *TransitionError) Error() string {
	if e.From == e.To {
		return fmt.Sprintf("workflow %s cannot go from %s to %s: it is already %s", e.ID, e.From, e.To, e.From)
	}
	return fmt.Sprintf("workflow %s cannot go from %s to %s", e.ID, e.From, e.To)
}

// Transition moves the workflow to state `to`, recording why and when. An
// illegal transition returns a *TransitionError and leaves w untouched.
//
// It also keeps the state-specific fields honest: WaitUntil is cleared on
// leaving waiting, StuckFeature on leaving stuck, and StartedAt is set the
// first time the workflow runs.
func (w *Workflow) Transition(to Status, reason string, now time.Time) error {
	if !CanTransition(w.Status, to) {
		return &TransitionError{ID: w.ID, From: w.Status, To: to}
	}
	w.Status = to
	w.Reason = reason
	w.UpdatedAt = now
	if to == Running && w.StartedAt == nil {
		t := now
		w.StartedAt = &t
	}
	if to != Waiting {
		w.WaitUntil = nil
	}
	if to != Stuck {
		w.StuckFeature = ""
	}
	return nil
}
