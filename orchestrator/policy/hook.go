package policy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// HookInput is what the Claude Code CLI writes on a PreToolUse hook's stdin.
type HookInput struct {
	SessionID      string          `json:"session_id"`
	TranscriptPath string          `json:"transcript_path"`
	Cwd            string          `json:"cwd"`
	HookEventName  string          `json:"hook_event_name"`
	ToolName       string          `json:"tool_name"`
	ToolInput      json.RawMessage `json:"tool_input"`
	ToolUseID      string          `json:"tool_use_id"`
}

// HookConfig is what the hook needs once it knows where the agent works.
type HookConfig struct {
	Policy   *Policy
	LogPath  string // the decision log (JSON lines); "" = none
	Workflow string
	Session  string // the workflow's session number, or the agent's session id
}

// HookOptions configure Hook.
type HookOptions struct {
	// Configure builds the policy for the hook input's working directory
	// and names the decision log. When stdin cannot be read it is called
	// with an empty input, to find the log. A Configure error denies.
	Configure func(in *HookInput) (HookConfig, error)
	// Now stamps the log records (default time.Now).
	Now func() time.Time
}

// maxHookInput bounds what the hook reads from stdin.
const maxHookInput = 16 << 20

// Hook implements the Claude Code PreToolUse hook protocol and returns the
// process exit code. The file-writing tools (FileTools) are confined to
// the writable places; other tools are left alone (exit 0, no output). A Bash command is judged by the policy: allowed, the hook
// prints nothing, so the user's other permission rules still apply; denied,
// it prints the PreToolUse deny decision with the reason and exits 0. Input
// it cannot read is denied with exit 2 and the reason on errOut, which
// blocks the call too. Every decision is appended to the decision log, with
// secrets redacted; a log that cannot be written is reported on errOut and
// does not change the decision.
func Hook(ctx context.Context, in io.Reader, out, errOut io.Writer, opts HookOptions) int {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	raw, err := io.ReadAll(io.LimitReader(in, maxHookInput+1))
	if err == nil && len(raw) > maxHookInput {
		err = fmt.Errorf("more than %d bytes", maxHookInput)
	}
	if err == nil {
		err = ctx.Err()
	}
	var input HookInput
	if err == nil {
		err = json.Unmarshal(raw, &input)
	}
	var command *string
	var filePath string
	checked := input.ToolName == "Bash"
	if err == nil && input.ToolName != "Bash" {
		var isFileTool bool
		filePath, isFileTool, err = fileToolPath(input.ToolName, input.ToolInput)
		checked = isFileTool
		command = &filePath
	}
	if err == nil && input.ToolName == "Bash" {
		var ti struct {
			Command *string `json:"command"`
		}
		if len(input.ToolInput) == 0 {
			err = errors.New("tool_input is missing")
		} else if err = json.Unmarshal(input.ToolInput, &ti); err == nil && ti.Command == nil {
			err = errors.New("tool_input.command is missing")
		}
		command = ti.Command
	}
	if err != nil {
		reason := fmt.Sprintf("autonomous security policy: cannot read the hook input (%v); the command was not run", err)
		fmt.Fprintln(errOut, reason)
		if opts.Configure != nil {
			if cfg, cerr := opts.Configure(&HookInput{}); cerr == nil || cfg.LogPath != "" {
				writeLog(cfg, errOut, record{Time: now(), Decision: "deny", Reason: reason, Workflow: cfg.Workflow, Session: cfg.Session})
			}
		}
		return 2
	}
	if !checked {
		return 0
	}
	var cfg HookConfig
	var d Decision
	if opts.Configure == nil {
		err = errors.New("no policy configured")
	} else {
		cfg, err = opts.Configure(&input)
	}
	switch {
	case err != nil:
		d = Decision{Reason: fmt.Sprintf("the security policy could not be loaded: %v; fix it before running shell commands", err)}
		fmt.Fprintf(errOut, "autonomous hook: %v\n", err)
	case cfg.Policy == nil:
		d = Decision{Reason: "no security policy is configured"}
	case input.ToolName != "Bash":
		d = cfg.Policy.DecideFileWrite(filePath, input.Cwd)
	default:
		d = cfg.Policy.Decide(*command, input.Cwd)
	}
	rec := record{
		Time: now(), Workflow: cfg.Workflow, Session: cfg.Session, AgentSession: input.SessionID,
		Decision: "allow", Command: Redact(*command), Cwd: input.Cwd,
	}
	if input.ToolName != "Bash" {
		rec.Command = input.ToolName + " " + filePath
	}
	if !d.Allowed {
		rec.Decision, rec.Reason, rec.Offending = "deny", Redact(d.Reason), Redact(d.Command)
	}
	writeLog(cfg, errOut, rec)
	if d.Allowed {
		return 0
	}
	reason := "autonomous security policy: " + d.Reason
	if d.Command != "" && d.Command != strings.TrimSpace(*command) {
		reason += " (in: " + d.Command + ")"
	}
	resp := map[string]any{"hookSpecificOutput": map[string]any{
		"hookEventName":            "PreToolUse",
		"permissionDecision":       "deny",
		"permissionDecisionReason": reason,
	}}
	b, _ := json.Marshal(resp)
	if _, err := fmt.Fprintf(out, "%s\n", b); err != nil {
		// The CLI did not get the JSON: block it the other way.
		fmt.Fprintln(errOut, reason)
		return 2
	}
	return 0
}

// record is one line of the decision log.
type record struct {
	Time         time.Time `json:"time"`
	Workflow     string    `json:"workflow,omitempty"`
	Session      string    `json:"session,omitempty"`
	AgentSession string    `json:"agentSession,omitempty"`
	Decision     string    `json:"decision"`
	Reason       string    `json:"reason,omitempty"`
	Command      string    `json:"command"`
	Offending    string    `json:"offending,omitempty"`
	Cwd          string    `json:"cwd,omitempty"`
}

// writeLog appends rec to the decision log as one line; several hooks may
// append at once, which O_APPEND keeps whole.
func writeLog(cfg HookConfig, errOut io.Writer, rec record) {
	if cfg.LogPath == "" {
		return
	}
	line, err := json.Marshal(rec)
	if err == nil {
		err = appendLine(cfg.LogPath, append(line, '\n'))
	}
	if err != nil {
		fmt.Fprintf(errOut, "autonomous hook: cannot write the decision log: %v\n", err)
	}
}

func appendLine(path string, line []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("append %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("append %s: %w", path, err)
	}
	if _, err := f.Write(line); err != nil {
		f.Close()
		return fmt.Errorf("append %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("append %s: %w", path, err)
	}
	return nil
}
