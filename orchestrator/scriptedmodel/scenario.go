package scriptedmodel

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"text/template"

	"gopkg.in/yaml.v3"
)

// DefaultFallback is the reply to a conversation no scenario session is left for.
const DefaultFallback = "Nothing more to do."

// Scenario is what the server plays: one Session per agent conversation.
type Scenario struct {
	Sessions []*Session `yaml:"sessions" json:"sessions"`
	// Fallback is the text answered (with end_turn) to a conversation that
	// finds no unused session.
	Fallback string `yaml:"fallback" json:"fallback"`
	// Usage is reported for every turn served, so the CLI computes a cost.
	Usage Usage `yaml:"usage" json:"usage"`

	ready bool // compiled: regexps and templates prepared, input checked
}

// Session is the model's side of one conversation, turn by turn.
type Session struct {
	Name string `yaml:"name" json:"name"`
	// Match is a regexp on the prompt text of the conversation's first user
	// message; empty matches only when no session with a matching Match is left.
	Match string  `yaml:"match" json:"match"`
	Turns []*Turn `yaml:"turns" json:"turns"`
	// Repeat keeps the session available after use, for loops that run the
	// same kind of session many times.
	Repeat bool `yaml:"repeat" json:"repeat"`

	re   *regexp.Regexp
	line int
}

// Turn is one response of the model.
type Turn struct {
	Text  string     `yaml:"text" json:"text"`
	Tools []ToolCall `yaml:"tools" json:"tools"`
	// Expect is checked against the tool results of the conversation's next request.
	Expect []Expect `yaml:"expect" json:"expect"`
	Fail   *Failure `yaml:"fail" json:"fail"`
	// DelayMs is slept before each SSE event, to play a slow stream.
	DelayMs int `yaml:"delayMs" json:"delayMs"`
	// Headers are added to every response of this turn (failed or not), e.g.
	// anthropic-ratelimit-unified-*; values are templates like tool inputs.
	Headers map[string]string `yaml:"headers" json:"headers"`

	text    *template.Template
	headers map[string]*template.Template
	line    int
}

// ToolCall is one tool_use block. String values of Input (at any depth) are
// text/template templates: see TemplateData.
type ToolCall struct {
	Name  string         `yaml:"name" json:"name"`
	Input map[string]any `yaml:"input" json:"input"`

	// compiled is Input with each templated string replaced by its *template.Template.
	compiled any
}

// Expect is an assertion on the result of one tool call of the turn.
type Expect struct {
	// Tool is the index of the tool call in the turn's Tools.
	Tool int `yaml:"tool" json:"tool"`
	// Error, when set, is the is_error the result must have.
	Error *bool `yaml:"error" json:"error"`
	// Contains, when set, must occur in the result's text.
	Contains string `yaml:"contains" json:"contains"`
}

// Failure is injected in place of a turn's normal response.
type Failure struct {
	// Status is the HTTP status to answer with (429, 529, 500, ...); the body
	// is an Anthropic error object of the matching type.
	Status int `yaml:"status" json:"status"`
	// RetryAfter, in seconds, is sent as the retry-after header when > 0.
	RetryAfter int `yaml:"retryAfter" json:"retryAfter"`
	// Message is the error message in the body (a default per status when empty).
	Message string `yaml:"message" json:"message"`
	// Cut starts a 200 stream (message_start and half a content block) and
	// then drops the connection.
	Cut bool `yaml:"cut" json:"cut"`
	// Times is how many attempts of the turn fail before it is served
	// normally; 0 fails every attempt.
	Times int `yaml:"times" json:"times"`
}

// Usage is the token usage reported per turn.
type Usage struct {
	InputTokens              int `yaml:"inputTokens" json:"inputTokens"`
	OutputTokens             int `yaml:"outputTokens" json:"outputTokens"`
	CacheCreationInputTokens int `yaml:"cacheCreationInputTokens" json:"cacheCreationInputTokens"`
	CacheReadInputTokens     int `yaml:"cacheReadInputTokens" json:"cacheReadInputTokens"`
}

// defaultUsage is roughly what one turn of a small coding session costs:
// the CLI's system prompt and tools alone are ~20k tokens, mostly cached.
// With Sonnet 4.5 prices that is $0.0117 a turn.
func defaultUsage() Usage {
	return Usage{InputTokens: 1200, OutputTokens: 180, CacheReadInputTokens: 18000}
}

// LoadScenario reads and parses a scenario file.
func LoadScenario(path string) (*Scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load scenario: %w", err)
	}
	sc, err := ParseScenario(data)
	if err != nil {
		return nil, fmt.Errorf("load scenario %s: %w", path, err)
	}
	return sc, nil
}

// ParseScenario parses a scenario in YAML or JSON. Errors name the line and
// the session/turn at fault.
func ParseScenario(data []byte) (*Scenario, error) {
	if isJSON(data) {
		var err error
		if data, err = jsonAsYAML(data); err != nil {
			return nil, fmt.Errorf("parse scenario: %w", err)
		}
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("parse scenario: %w", err)
	}
	if len(root.Content) == 0 {
		return nil, errors.New("parse scenario: empty document, want a mapping with a sessions list")
	}
	if root.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("parse scenario: %swant a mapping with a sessions list", at(root.Content[0].Line))
	}
	var sc Scenario
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&sc); err != nil {
		return nil, fmt.Errorf("parse scenario: %w", err)
	}
	if err := sc.compile(root.Content[0]); err != nil {
		return nil, fmt.Errorf("parse scenario: %w", err)
	}
	return &sc, nil
}

func isJSON(data []byte) bool {
	t := bytes.TrimLeft(data, " \t\r\n\ufeff")
	return len(t) > 0 && (t[0] == '{' || t[0] == '[')
}

// jsonAsYAML rewrites a JSON text into the YAML subset the YAML decoder
// reads, keeping every line where it was (so errors still point at the
// user's lines): tabs between tokens become spaces (YAML refuses tabs as
// indentation) and each string is re-escaped (YAML lacks JSON's \/ escape
// and reads surrogate pairs differently).
func jsonAsYAML(data []byte) ([]byte, error) {
	if err := json.Unmarshal(data, new(any)); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("line %d: %w", 1+bytes.Count(data[:se.Offset], []byte("\n")), err)
		}
		return nil, err
	}
	out := make([]byte, 0, len(data))
	for i := 0; i < len(data); i++ {
		switch c := data[i]; c {
		case '\t':
			out = append(out, ' ')
		case '"':
			j := i + 1
			for ; data[j] != '"'; j++ {
				if data[j] == '\\' {
					j++
				}
			}
			var s string
			_ = json.Unmarshal(data[i:j+1], &s) // valid: checked above
			enc, _ := json.Marshal(s)
			out = append(out, enc...)
			i = j
		default:
			out = append(out, c)
		}
	}
	return out, nil
}

// compile checks what the decoder cannot and prepares regexps and
// templates. doc is the document's top mapping, used only for line numbers;
// nil for a scenario built in Go.
func (sc *Scenario) compile(doc *yaml.Node) error {
	if sc.ready {
		return nil
	}
	if sc.Fallback == "" {
		sc.Fallback = DefaultFallback
	}
	if sc.Usage == (Usage{}) {
		sc.Usage = defaultUsage()
	}
	sessionsNode := mapValue(doc, "sessions")
	if len(sc.Sessions) == 0 {
		return fmt.Errorf("%sno sessions", at(lineOf(sessionsNode, doc)))
	}
	for i, s := range sc.Sessions {
		sNode := seqItem(sessionsNode, i)
		line := lineOf(sNode, sessionsNode)
		if s == nil {
			return fmt.Errorf("%ssession %d: empty session", at(line), i+1)
		}
		s.line = line
		if s.Name == "" {
			s.Name = "session-" + strconv.Itoa(i+1)
		}
		if s.Match != "" {
			re, err := regexp.Compile(s.Match)
			if err != nil {
				return fmt.Errorf("%ssession %q: bad match regexp: %w", at(lineOf(mapValue(sNode, "match"), sNode)), s.Name, err)
			}
			s.re = re
		}
		turnsNode := mapValue(sNode, "turns")
		if len(s.Turns) == 0 {
			return fmt.Errorf("%ssession %q: no turns", at(lineOf(turnsNode, sNode)), s.Name)
		}
		for j, t := range s.Turns {
			line := lineOf(seqItem(turnsNode, j), turnsNode)
			if t == nil {
				return fmt.Errorf("%ssession %q turn %d: empty turn", at(line), s.Name, j+1)
			}
			t.line = line
			if err := t.compile(); err != nil {
				return fmt.Errorf("%ssession %q turn %d: %w", at(line), s.Name, j+1, err)
			}
		}
	}
	sc.ready = true
	return nil
}

// at prefixes an error with its line, when known.
func at(line int) string {
	if line <= 0 {
		return ""
	}
	return fmt.Sprintf("line %d: ", line)
}

func (t *Turn) compile() error {
	if t.Text == "" && len(t.Tools) == 0 {
		return errors.New("a turn needs text, tools or both")
	}
	var err error
	if t.text, err = parseTemplate("text", t.Text); err != nil {
		return err
	}
	for k, v := range t.Headers {
		tpl, err := parseTemplate("header "+k, v)
		if err != nil {
			return err
		}
		if t.headers == nil {
			t.headers = map[string]*template.Template{}
		}
		t.headers[k] = tpl
	}
	for i := range t.Tools {
		tc := &t.Tools[i]
		if tc.Name == "" {
			return fmt.Errorf("tool %d: no name", i)
		}
		if tc.Input == nil {
			tc.Input = map[string]any{}
		}
		// The CLI gets the input as JSON: refuse now what could not be sent.
		if _, err := json.Marshal(tc.Input); err != nil {
			return fmt.Errorf("tool %d (%s): input is not JSON-encodable: %w", i, tc.Name, err)
		}
		if tc.compiled, err = compileValue(tc.Input); err != nil {
			return fmt.Errorf("tool %d (%s): %w", i, tc.Name, err)
		}
	}
	for i, e := range t.Expect {
		if e.Tool < 0 || e.Tool >= len(t.Tools) {
			return fmt.Errorf("expect %d: tool %d does not exist (the turn has %d tools)", i, e.Tool, len(t.Tools))
		}
	}
	if f := t.Fail; f != nil {
		switch {
		case f.Cut && f.Status != 0:
			return errors.New("fail: cut and status exclude each other")
		case !f.Cut && (f.Status < 400 || f.Status > 599):
			return fmt.Errorf("fail: status %d is not an HTTP error status (400-599); or use cut: true", f.Status)
		case f.Times < 0:
			return fmt.Errorf("fail: times %d is negative (0 = every attempt)", f.Times)
		case f.RetryAfter < 0:
			return fmt.Errorf("fail: retryAfter %d is negative", f.RetryAfter)
		}
	}
	if t.DelayMs < 0 {
		return fmt.Errorf("delayMs %d is negative", t.DelayMs)
	}
	return nil
}

// parseTemplate returns nil for a string without template actions, so the
// common case costs nothing at serve time.
func parseTemplate(name, s string) (*template.Template, error) {
	if !strings.Contains(s, "{{") {
		return nil, nil
	}
	tpl, err := template.New(name).Option("missingkey=error").Parse(s)
	if err != nil {
		return nil, fmt.Errorf("bad template: %w", err)
	}
	return tpl, nil
}

func compileValue(v any) (any, error) {
	switch v := v.(type) {
	case string:
		tpl, err := parseTemplate("input", v)
		if err != nil || tpl == nil {
			return v, err
		}
		return tpl, nil
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			c, err := compileValue(x)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			out[k] = c
		}
		return out, nil
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			c, err := compileValue(x)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			out[i] = c
		}
		return out, nil
	default:
		return v, nil
	}
}

func mapValue(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func seqItem(s *yaml.Node, i int) *yaml.Node {
	if s == nil || s.Kind != yaml.SequenceNode || i >= len(s.Content) {
		return nil
	}
	return s.Content[i]
}

// lineOf returns n's line, or parent's when n is missing (an absent key);
// 0 when neither is known.
func lineOf(n, parent *yaml.Node) int {
	if n != nil {
		return n.Line
	}
	if parent != nil {
		return parent.Line
	}
	return 0
}
