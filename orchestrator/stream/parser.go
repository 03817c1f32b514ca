package stream

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/autonomous-coding/autonomous/orchestrator/pricing"
)

// Bounds on what an event carries, so a session that prints megabytes keeps
// small events (the raw log has everything).
const (
	ExcerptBytes = 500 // tool results and malformed lines
	SummaryBytes = 120 // tool inputs other than commands and paths
	CommandBytes = 300 // Bash commands in a ToolCall summary
)

// hookErrorPrefix starts the tool result the CLI returns when a PreToolUse
// hook blocks a call, e.g. "PreToolUse:Bash hook error: [cmd]: reason".
const hookErrorPrefix = "PreToolUse:"

// Parser turns lines into events. It remembers the tool calls it has seen so
// that results can name their tool; use one Parser per session, from one
// goroutine.
type Parser struct {
	// Now stamps events whose line has no timestamp; time.Now when nil.
	Now func() time.Time

	calls map[string]call
}

type call struct {
	tool    string
	command string // Bash only
}

// NewParser returns a Parser for one session.
func NewParser() *Parser {
	return &Parser{calls: make(map[string]call)}
}

// Wire formats: only the fields we use, all optional.

type wireLine struct {
	Type      string `json:"type"`
	Subtype   string `json:"subtype"`
	SessionID string `json:"session_id"`
	Timestamp string `json:"timestamp"`

	// system/init
	CWD            string      `json:"cwd"`
	Model          string      `json:"model"`
	Version        string      `json:"claude_code_version"`
	PermissionMode string      `json:"permissionMode"`
	Tools          []string    `json:"tools"`
	MCPServers     []MCPServer `json:"mcp_servers"`

	// assistant, user
	Message           *wireMessage     `json:"message"`
	ToolResultMeta    []wireResultMeta `json:"tool_result_meta"`
	IsAPIErrorMessage bool             `json:"is_api_error_message"`

	// result (api_error_status also on API error assistant lines)
	IsError        bool      `json:"is_error"`
	NumTurns       int       `json:"num_turns"`
	DurationMS     int64     `json:"duration_ms"`
	DurationAPIMS  int64     `json:"duration_api_ms"`
	TotalCostUSD   *float64  `json:"total_cost_usd"`
	Usage          wireUsage `json:"usage"`
	Result         string    `json:"result"`
	APIErrorStatus int       `json:"api_error_status"`
	APIErrorType   string    `json:"api_error_type"`
	TerminalReason string    `json:"terminal_reason"`
	Errors         []string  `json:"errors"`

	// rate_limit_event
	RateLimitInfo *wireRateLimit `json:"rate_limit_info"`

	// system/api_retry
	Attempt      int   `json:"attempt"`
	MaxRetries   int   `json:"max_retries"`
	RetryDelayMS int64 `json:"retry_delay_ms"`
	ErrorStatus  int   `json:"error_status"`
}

type wireMessage struct {
	Content []wireBlock `json:"content"`
}

type wireBlock struct {
	Type      string          `json:"type"`
	Text      string          `json:"text"`
	ID        string          `json:"id"`
	Name      string          `json:"name"`
	Input     json.RawMessage `json:"input"`
	ToolUseID string          `json:"tool_use_id"`
	Content   json.RawMessage `json:"content"`
	IsError   bool            `json:"is_error"`
}

type wireResultMeta struct {
	ID                 string `json:"id"`
	PermissionDecision struct {
		Decision string `json:"decision"`
		Source   string `json:"source"`
	} `json:"permission_decision"`
}

type wireUsage struct {
	InputTokens              int64 `json:"input_tokens"`
	OutputTokens             int64 `json:"output_tokens"`
	CacheCreationInputTokens int64 `json:"cache_creation_input_tokens"`
	CacheReadInputTokens     int64 `json:"cache_read_input_tokens"`
}

type wireRateLimit struct {
	Status        string          `json:"status"`
	ResetsAt      json.RawMessage `json:"resetsAt"`
	RateLimitType string          `json:"rateLimitType"`
}

// Parse returns the events of one line (without its newline). Most lines
// give one event or none; an assistant line gives one per content block.
func (p *Parser) Parse(line []byte) []Event {
	line = bytes.TrimSpace(line)
	if len(line) == 0 {
		return nil
	}
	var w wireLine
	if err := json.Unmarshal(line, &w); err != nil {
		// A field of an unexpected type is not a broken line: Unmarshal has
		// filled in everything else, and the format is allowed to drift.
		var typeErr *json.UnmarshalTypeError
		if !errors.As(err, &typeErr) || line[0] != '{' {
			return []Event{{Kind: KindMalformed, Time: p.now(), Text: excerpt(string(line), ExcerptBytes), IsError: true}}
		}
	}
	switch w.Type {
	case "system":
		return p.system(&w)
	case "assistant":
		return p.assistant(&w)
	case "user":
		return p.user(&w)
	case "result":
		return p.result(&w)
	case "rate_limit_event":
		if w.RateLimitInfo == nil {
			return nil
		}
		return []Event{{Kind: KindRateLimit, Time: p.lineTime(&w), RateLimit: &RateLimit{
			Status:    w.RateLimitInfo.Status,
			ResetsAt:  parseResetsAt(w.RateLimitInfo.ResetsAt),
			LimitType: w.RateLimitInfo.RateLimitType,
		}}}
	}
	return nil
}

func (p *Parser) system(w *wireLine) []Event {
	switch w.Subtype {
	case "init":
		return []Event{{Kind: KindStarted, Time: p.lineTime(w), Init: &Init{
			SessionID:      w.SessionID,
			Model:          w.Model,
			CWD:            w.CWD,
			Version:        w.Version,
			PermissionMode: w.PermissionMode,
			Tools:          w.Tools,
			MCPServers:     w.MCPServers,
		}}}
	case "api_retry":
		// Other retried errors (500s, network) are the CLI's business; only
		// limits matter to the engine, which may have to wait them out.
		if !isLimitStatus(w.ErrorStatus) {
			return nil
		}
		return []Event{{Kind: KindRateLimit, Time: p.lineTime(w), RateLimit: &RateLimit{
			Status:         "retrying",
			APIErrorStatus: w.ErrorStatus,
			Attempt:        w.Attempt,
			MaxRetries:     w.MaxRetries,
			RetryIn:        time.Duration(w.RetryDelayMS) * time.Millisecond,
		}}}
	}
	return nil
}

func (p *Parser) assistant(w *wireLine) []Event {
	if w.Message == nil {
		return nil
	}
	t := p.lineTime(w)
	var evs []Event
	for i := range w.Message.Content {
		b := &w.Message.Content[i]
		switch b.Type {
		case "text":
			if strings.TrimSpace(b.Text) == "" {
				continue
			}
			evs = append(evs, Event{Kind: KindText, Time: t, Text: b.Text, IsError: w.IsAPIErrorMessage})
		case "tool_use":
			c := call{tool: b.Name}
			if b.Name == "Bash" {
				c.command = stringField(b.Input, "command")
			}
			if p.calls == nil {
				p.calls = make(map[string]call)
			}
			p.calls[b.ID] = c
			evs = append(evs, Event{Kind: KindToolCall, Time: t, Tool: b.Name, ToolUseID: b.ID, Text: Summarize(b.Name, b.Input)})
		}
	}
	return evs
}

func (p *Parser) user(w *wireLine) []Event {
	if w.Message == nil {
		return nil
	}
	t := p.lineTime(w)
	var evs []Event
	for i := range w.Message.Content {
		b := &w.Message.Content[i]
		if b.Type != "tool_result" {
			continue
		}
		c := p.calls[b.ToolUseID]
		delete(p.calls, b.ToolUseID)
		if hookRejected(w.ToolResultMeta, b) {
			evs = append(evs, Event{Kind: KindDenied, Time: t, Tool: c.tool, ToolUseID: b.ToolUseID, IsError: true, Denied: &Denial{
				Tool:      c.tool,
				ToolUseID: b.ToolUseID,
				Command:   c.command,
				Reason:    hookReason(contentText(b.Content, 4*ExcerptBytes)),
			}})
			continue
		}
		evs = append(evs, Event{Kind: KindToolResult, Time: t, Tool: c.tool, ToolUseID: b.ToolUseID, IsError: b.IsError, Text: contentText(b.Content, ExcerptBytes)})
	}
	return evs
}

func (p *Parser) result(w *wireLine) []Event {
	t := p.lineTime(w)
	r := &Result{
		Subtype:       w.Subtype,
		IsError:       w.IsError,
		NumTurns:      w.NumTurns,
		DurationMS:    w.DurationMS,
		DurationAPIMS: w.DurationAPIMS,
		Usage: pricing.Usage{
			InputTokens:      w.Usage.InputTokens,
			OutputTokens:     w.Usage.OutputTokens,
			CacheReadTokens:  w.Usage.CacheReadInputTokens,
			CacheWriteTokens: w.Usage.CacheCreationInputTokens,
		},
		SessionID:      w.SessionID,
		Text:           w.Result,
		APIErrorStatus: w.APIErrorStatus,
		APIErrorType:   w.APIErrorType,
		TerminalReason: w.TerminalReason,
		Errors:         w.Errors,
	}
	if w.TotalCostUSD != nil {
		r.CostUSD, r.HasCost = *w.TotalCostUSD, true
	}
	var evs []Event
	if isLimitStatus(w.APIErrorStatus) {
		evs = append(evs, Event{Kind: KindRateLimit, Time: t, IsError: true, RateLimit: &RateLimit{Status: "rejected", APIErrorStatus: w.APIErrorStatus}})
	}
	return append(evs, Event{Kind: KindResult, Time: t, IsError: w.IsError, Text: w.Result, Result: r})
}

// isLimitStatus: 429 is a rate or usage limit, 529 an overloaded API; the
// engine waits both out rather than failing the workflow.
func isLimitStatus(status int) bool { return status == 429 || status == 529 }

// hookRejected: the CLI marks hook refusals in tool_result_meta; older or
// newer versions may lack the meta, so the error text is checked as well.
func hookRejected(meta []wireResultMeta, b *wireBlock) bool {
	for _, m := range meta {
		if m.ID == b.ToolUseID && m.PermissionDecision.Source == "hook" {
			return m.PermissionDecision.Decision == "reject" || m.PermissionDecision.Decision == "deny"
		}
	}
	return b.IsError && bytes.Contains(b.Content, []byte(hookErrorPrefix)) &&
		strings.Contains(contentText(b.Content, 4*ExcerptBytes), " hook error: ")
}

// hookReason strips the CLI's framing from a hook refusal. Seen forms:
// "PreToolUse:Bash hook error: reason" (JSON deny) and
// "PreToolUse:Bash hook error: [hook command]: reason" (exit 2).
func hookReason(text string) string {
	text = strings.TrimSpace(text)
	if i := strings.Index(text, " hook error: "); i >= 0 && strings.HasPrefix(text, hookErrorPrefix) {
		text = text[i+len(" hook error: "):]
		if strings.HasPrefix(text, "[") {
			if j := strings.Index(text, "]: "); j >= 0 {
				text = text[j+len("]: "):]
			}
		}
	}
	return strings.TrimSpace(text)
}

func (p *Parser) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

func (p *Parser) lineTime(w *wireLine) time.Time {
	if w.Timestamp != "" {
		if t, err := time.Parse(time.RFC3339Nano, w.Timestamp); err == nil {
			return t
		}
	}
	return p.now()
}

// parseResetsAt reads a reset time given as Unix seconds (what the CLI
// sends), Unix milliseconds, or an RFC 3339 string.
func parseResetsAt(raw json.RawMessage) *time.Time {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var n float64
	if err := json.Unmarshal(raw, &n); err == nil && n > 0 {
		var t time.Time
		if n > 1e12 {
			t = time.UnixMilli(int64(n))
		} else {
			t = time.Unix(int64(n), 0)
		}
		return &t
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return &t
		}
	}
	return nil
}
