package scriptedmodel

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// apiRequest is the part of a Messages API request the server reads. The CLI
// sends much more (system, tools, thinking, metadata...); it is ignored.
type apiRequest struct {
	Model    string       `json:"model"`
	Stream   bool         `json:"stream"`
	Messages []apiMessage `json:"messages"`
}

type apiMessage struct {
	Role    string     `json:"role"`
	Content apiContent `json:"content"`
}

// apiContent is a message's content: the API allows a plain string or a list
// of blocks; a string is held as one text block.
type apiContent []apiBlock

func (c *apiContent) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*c = apiContent{{Type: "text", Text: s}}
		return nil
	}
	var blocks []apiBlock
	if err := json.Unmarshal(b, &blocks); err != nil {
		return fmt.Errorf("message content is neither a string nor a list of blocks: %w", err)
	}
	*c = blocks
	return nil
}

type apiBlock struct {
	Type      string          `json:"type"`
	Text      string          `json:"text,omitempty"`
	ID        string          `json:"id,omitempty"`
	Name      string          `json:"name,omitempty"`
	ToolUseID string          `json:"tool_use_id,omitempty"`
	IsError   bool            `json:"is_error,omitempty"`
	Content   json.RawMessage `json:"content,omitempty"`
}

// ToolResult is one tool_result block the CLI sent back.
type ToolResult struct {
	ToolUseID string
	// Name is the tool of the tool_use block the result answers ("" when the
	// request does not contain that block).
	Name    string
	IsError bool
	// Content is the result's text; blocks are joined by newlines, and
	// non-text blocks are shown as [type].
	Content string
}

const systemReminder = "<system-reminder>"

var cwdLine = regexp.MustCompile(`(?m)Primary working directory: (.+)$`)

// turnIndex is the number of assistant turns already in the conversation.
// Consecutive assistant messages are counted once, in case a client sends
// each content block of a turn as its own message.
func (r *apiRequest) turnIndex() int {
	n := 0
	prev := ""
	for _, m := range r.Messages {
		if m.Role == "assistant" && prev != "assistant" {
			n++
		}
		prev = m.Role
	}
	return n
}

func (r *apiRequest) firstUser() *apiMessage {
	for i := range r.Messages {
		if r.Messages[i].Role == "user" {
			return &r.Messages[i]
		}
	}
	return nil
}

// prompt is the text the user gave: the first user message's text blocks,
// without the system reminders the CLI puts in front of it.
func (r *apiRequest) prompt() string {
	m := r.firstUser()
	if m == nil {
		return ""
	}
	var parts []string
	for _, b := range m.Content {
		if b.Type != "text" {
			continue
		}
		if t := stripReminders(b.Text); t != "" {
			parts = append(parts, t)
		}
	}
	return strings.Join(parts, "\n")
}

func stripReminders(s string) string {
	for {
		i := strings.Index(s, systemReminder)
		if i < 0 {
			return strings.TrimSpace(s)
		}
		j := strings.Index(s[i:], "</system-reminder>")
		if j < 0 {
			return strings.TrimSpace(s[:i])
		}
		s = s[:i] + s[i+j+len("</system-reminder>"):]
	}
}

// cwd is the primary working directory the CLI announces in the first user
// message's environment reminder.
func (r *apiRequest) cwd() string {
	m := r.firstUser()
	if m == nil {
		return ""
	}
	for _, b := range m.Content {
		if b.Type == "text" {
			if sm := cwdLine.FindStringSubmatch(b.Text); sm != nil {
				return strings.TrimSpace(sm[1])
			}
		}
	}
	return ""
}

// fallbackKey identifies a conversation when the CLI sends no session id:
// the first user message does not change over a conversation.
func (r *apiRequest) fallbackKey() string {
	m := r.firstUser()
	if m == nil {
		return "empty"
	}
	h := sha256.New()
	for _, b := range m.Content {
		h.Write([]byte(b.Type))
		h.Write([]byte{0})
		h.Write([]byte(b.Text))
		h.Write([]byte{0})
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))[:16]
}

// toolResults returns the tool_result blocks of the last user message, named
// after the tool_use blocks they answer.
func (r *apiRequest) toolResults() []ToolResult {
	if len(r.Messages) == 0 {
		return nil
	}
	last := r.Messages[len(r.Messages)-1]
	if last.Role != "user" {
		return nil
	}
	names := map[string]string{}
	for _, m := range r.Messages {
		if m.Role != "assistant" {
			continue
		}
		for _, b := range m.Content {
			if b.Type == "tool_use" {
				names[b.ID] = b.Name
			}
		}
	}
	var out []ToolResult
	for _, b := range last.Content {
		if b.Type != "tool_result" {
			continue
		}
		out = append(out, ToolResult{
			ToolUseID: b.ToolUseID,
			Name:      names[b.ToolUseID],
			IsError:   b.IsError,
			Content:   resultText(b.Content),
		})
	}
	return out
}

func resultText(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s
	}
	var blocks []apiBlock
	if err := json.Unmarshal(raw, &blocks); err != nil {
		return string(raw)
	}
	parts := make([]string, 0, len(blocks))
	for _, b := range blocks {
		if b.Type == "text" {
			parts = append(parts, b.Text)
		} else {
			parts = append(parts, "["+b.Type+"]")
		}
	}
	return strings.Join(parts, "\n")
}
