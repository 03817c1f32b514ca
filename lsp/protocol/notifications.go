package protocol

import "time"

// Notifications from the server, in the autonomous/ namespace. Standard LSP
// carries the rest: $/progress (one token per running workflow),
// textDocument/publishDiagnostics (schema discrepancies and ledger problems,
// source DiagnosticSource) and window/showMessage (completion and alerts).
const (
	MethodState    = "autonomous/state"
	MethodProgress = "autonomous/progress"
	MethodLog      = "autonomous/log"
	MethodSession  = "autonomous/session"
)

// DiagnosticSource is the source of every diagnostic the server publishes.
const DiagnosticSource = "autonomous"

// StateParams: a workflow changed state. Sent on every transition, after it
// is written to the workflow file. Status "deleted" means the workflow is gone.
type StateParams struct {
	WorkflowID string     `json:"workflowId"`
	Name       string     `json:"name,omitempty"`
	Folder     string     `json:"folder"`
	Status     string     `json:"status"`
	Phase      string     `json:"phase"`
	Reason     string     `json:"reason,omitempty"`
	Session    int        `json:"session,omitempty"` // the session in progress or last run
	Model      string     `json:"model"`
	CostUSD    float64    `json:"costUsd"`
	StartedAt  *time.Time `json:"startedAt,omitempty"`
}

// ProgressParams: a workflow's ledger figures changed.
type ProgressParams struct {
	WorkflowID string `json:"workflowId"`
	Folder     string `json:"folder"`
	Progress
}

// LogParams: new entries of a workflow's live log. Notifications come at
// most LogRate times a second per workflow with at most MaxLogBatch entries;
// what does not fit is summarised by an entry of kind LogKindDropped.
type LogParams struct {
	WorkflowID string     `json:"workflowId"`
	Entries    []LogEntry `json:"entries"`
}

// LogEntry is one line of a workflow's log.
type LogEntry struct {
	Time    time.Time `json:"time"`
	Session int       `json:"session"`
	Kind    string    `json:"kind"` // text, tool, result, denied, error, info, warning, dropped
	Text    string    `json:"text"`
}

// LogKindDropped marks an entry that stands for entries not sent: its text
// says how many and which file holds them all.
const LogKindDropped = "dropped"

// Bounds of autonomous/log.
const (
	LogRate     = 10   // notifications per second per workflow, at most
	MaxLogBatch = 100  // entries per notification, at most
	MaxLogText  = 4096 // bytes of one entry's text; longer ones are cut
)

// SessionParams: an agent session ended.
type SessionParams struct {
	WorkflowID   string  `json:"workflowId"`
	Session      int     `json:"session"`
	Phase        string  `json:"phase"`
	Outcome      string  `json:"outcome"`
	DurationMs   int64   `json:"durationMs"`
	CostUSD      float64 `json:"costUsd"`
	Tokens       Tokens  `json:"tokens"`
	NewlyPassing int     `json:"newlyPassing"`
}

// Tokens counts a session's tokens the way the API bills them.
type Tokens struct {
	Input      int64 `json:"input"`
	Output     int64 `json:"output"`
	CacheRead  int64 `json:"cacheRead"`
	CacheWrite int64 `json:"cacheWrite"`
}

// JSON-RPC and LSP error codes the server answers with.
const (
	CodeParseError           = -32700
	CodeInvalidRequest       = -32600
	CodeMethodNotFound       = -32601
	CodeInvalidParams        = -32602 // a missing or wrong argument, an unknown id, a path outside the workspace
	CodeInternalError        = -32603
	CodeServerNotInitialized = -32002
	CodeRequestCancelled     = -32800
	CodeRequestFailed        = -32803 // well-formed, but the engine could not do it (see the message)
)
