// Package stream turns the newline-delimited JSON that the Claude Code CLI
// prints with `--output-format stream-json --verbose` into typed events.
//
// The format has no version number and gains fields from one release to the
// next, so everything here is lenient: unknown line types are skipped, unknown
// fields ignored, a field of an unexpected type is left empty rather than
// failing the line, and a line that is not JSON at all becomes a Malformed
// event instead of an error. Real captures live in testdata/streams/.
package stream

import (
	"time"

	"github.com/autonomous-coding/autonomous/orchestrator/pricing"
)

// Kind says what an Event reports.
type Kind string

const (
	// KindStarted: the session is up (system/init line); Event.Init is set.
	KindStarted Kind = "started"
	// KindText: text the assistant wrote; Event.Text. IsError marks the
	// synthetic messages the CLI writes for API errors.
	KindText Kind = "text"
	// KindToolCall: the assistant called a tool; Event.Tool, ToolUseID, and
	// Event.Text a one-line summary of the input.
	KindToolCall Kind = "tool_call"
	// KindToolResult: a tool finished; Event.Tool, ToolUseID, IsError, and
	// Event.Text a bounded excerpt of the output.
	KindToolResult Kind = "tool_result"
	// KindDenied: a PreToolUse hook (our security policy) refused a tool call,
	// which therefore did not run; Event.Denied.
	KindDenied Kind = "denied"
	// KindRateLimit: the API limited the session; Event.RateLimit.
	KindRateLimit Kind = "rate_limit"
	// KindResult: the session's final line; Event.Result.
	KindResult Kind = "result"
	// KindMalformed: a line that is not JSON; Event.Text is a bounded excerpt.
	KindMalformed Kind = "malformed"
)

// Event is one thing that happened in a session. Which fields are set depends
// on Kind (see the Kind constants).
type Event struct {
	Kind Kind `json:"kind"`
	// Time is the line's own timestamp when it has one, else when it was parsed.
	Time      time.Time `json:"time"`
	Text      string    `json:"text,omitempty"`
	Tool      string    `json:"tool,omitempty"`
	ToolUseID string    `json:"toolUseId,omitempty"`
	IsError   bool      `json:"isError,omitempty"`

	Init      *Init      `json:"init,omitempty"`
	Result    *Result    `json:"result,omitempty"`
	RateLimit *RateLimit `json:"rateLimit,omitempty"`
	Denied    *Denial    `json:"denied,omitempty"`
}

// Init describes a session as the CLI reports it when it starts.
type Init struct {
	SessionID      string      `json:"sessionId"`
	Model          string      `json:"model"`
	CWD            string      `json:"cwd"`
	Version        string      `json:"version"`
	PermissionMode string      `json:"permissionMode,omitempty"`
	Tools          []string    `json:"tools"`
	MCPServers     []MCPServer `json:"mcpServers"`
}

// MCPServer is one MCP server and the state the CLI found it in at start-up.
type MCPServer struct {
	Name string `json:"name"`
	// Status as the CLI says it: "connected", "failed", "pending",
	// "needs-auth", ...
	Status string `json:"status"`
}

// FailedMCPServers lists the servers that did not come up ("failed" or
// "needs-auth"): their tools are missing from the session, which the user
// must hear about.
func (in *Init) FailedMCPServers() []MCPServer {
	var failed []MCPServer
	for _, s := range in.MCPServers {
		if s.Status == "failed" || s.Status == "needs-auth" {
			failed = append(failed, s)
		}
	}
	return failed
}

// Denial is a tool call refused by a PreToolUse hook.
type Denial struct {
	Tool      string `json:"tool"`
	ToolUseID string `json:"toolUseId"`
	// Command is the shell command of a refused Bash call (else empty).
	Command string `json:"command,omitempty"`
	// Reason is the hook's explanation, as the agent saw it.
	Reason string `json:"reason"`
}

// RateLimit reports that the API limited the session: a rate_limit_event, a
// retry the CLI is making after a 429/529, or a final 429/529 error.
type RateLimit struct {
	// Status: "allowed", "allowed_warning", "rejected" (rate_limit_event), or
	// "retrying" / "rejected" for API errors.
	Status string `json:"status"`
	// ResetsAt is when the limit lifts, when the CLI says.
	ResetsAt *time.Time `json:"resetsAt,omitempty"`
	// LimitType is the CLI's name for the limit ("five_hour", ...), if any.
	LimitType string `json:"limitType,omitempty"`
	// APIErrorStatus is the HTTP status (429, 529) when an API error caused this.
	APIErrorStatus int `json:"apiErrorStatus,omitempty"`
	// Attempt, MaxRetries and RetryIn describe a retry in progress.
	Attempt    int           `json:"attempt,omitempty"`
	MaxRetries int           `json:"maxRetries,omitempty"`
	RetryIn    time.Duration `json:"retryIn,omitempty"`
}

// Result is the session's final line.
type Result struct {
	// Subtype: "success", "error_max_turns", "error_max_budget_usd",
	// "error_during_execution", ... The CLI sets IsError with subtype
	// "success" for API errors: check both.
	Subtype       string  `json:"subtype"`
	IsError       bool    `json:"isError"`
	NumTurns      int     `json:"numTurns"`
	DurationMS    int64   `json:"durationMs"`
	DurationAPIMS int64   `json:"durationApiMs"`
	CostUSD       float64 `json:"costUsd"`
	// HasCost is false when the line carried no total_cost_usd.
	HasCost   bool          `json:"hasCost"`
	Usage     pricing.Usage `json:"usage"`
	SessionID string        `json:"sessionId"`
	// Text is the final assistant text, or the error message.
	Text string `json:"text,omitempty"`
	// APIErrorStatus is the HTTP status of the API error that ended the
	// session (429, 529, ...), 0 when none.
	APIErrorStatus int    `json:"apiErrorStatus,omitempty"`
	APIErrorType   string `json:"apiErrorType,omitempty"`
	// TerminalReason: "completed", "max_turns", "budget_exhausted",
	// "api_error", "aborted_tools", ...
	TerminalReason string   `json:"terminalReason,omitempty"`
	Errors         []string `json:"errors,omitempty"`
}
