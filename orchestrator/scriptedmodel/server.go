package scriptedmodel

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

// Options configure a Server.
type Options struct {
	// Addr is the address to listen on; default 127.0.0.1:0 (a free loopback port).
	Addr string
	// Logf, when set, gets one line per request, for debugging.
	Logf func(format string, args ...any)
}

// Request is the record of one HTTP request the server answered.
type Request struct {
	Time   time.Time
	Method string
	Path   string
	// Kind is "turn" (a scripted turn), "fallback" (a conversation no session
	// was left for, or that ran past its session's turns), "count_tokens", or
	// "unknown".
	Kind string
	// Conversation is the key the request was grouped under: the CLI's
	// X-Claude-Code-Session-Id, else a hash of the first user message.
	Conversation string
	// SessionNumber is the 1-based order in which the conversation was first seen.
	SessionNumber int
	// Session is the scenario session's name ("" for fallback and unknown requests).
	Session string
	// Turn is the 0-based index of the turn requested: the number of
	// assistant messages already in the conversation.
	Turn int
	// Attempt is 1 for the first request of a turn, 2 for its first retry...
	Attempt     int
	Model       string
	Stream      bool
	Prompt      string
	Cwd         string
	ToolResults []ToolResult
	// Status is the HTTP status served; Cut tells that the stream was dropped midway.
	Status int
	Cut    bool
}

// Server plays a Scenario over the Anthropic Messages API on loopback.
type Server struct {
	url    string
	logf   func(format string, args ...any)
	http   *http.Server
	served chan struct{}
	// ctx ends slow streams when the server closes.
	ctx    context.Context
	cancel context.CancelFunc

	// inflight lets Close wait for handlers, so that nothing is recorded
	// (or logged) after it returns; Add is only called under mu while open.
	inflight sync.WaitGroup

	mu       sync.Mutex
	closed   bool
	sc       *Scenario
	used     map[*Session]bool
	convs    map[string]*conversation
	order    []*conversation
	requests []Request
	failures []string
	seq      int
}

// conversation is one agent session's progress through its scenario session.
type conversation struct {
	key     string
	number  int
	session *Session // nil when the conversation gets the fallback text
	sc      *Scenario
	// attempts counts requests per turn index, for fail.times.
	attempts map[int]int
	// served and checked track turns whose expectations are pending.
	served  map[int]bool
	checked map[int]bool
}

// Start listens on opts.Addr and serves sc until Close.
func Start(sc *Scenario, opts Options) (*Server, error) {
	if err := prepare(sc); err != nil {
		return nil, fmt.Errorf("start scripted model: %w", err)
	}
	addr := opts.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("start scripted model: listen on %s: %w", addr, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		url:    "http://" + ln.Addr().String(),
		logf:   opts.Logf,
		served: make(chan struct{}),
		ctx:    ctx,
		cancel: cancel,
	}
	s.reset(sc)
	s.http = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	go func() {
		defer close(s.served)
		_ = s.http.Serve(ln) // returns ErrServerClosed on Close
	}()
	return s, nil
}

// URL is the base URL to give the CLI as ANTHROPIC_BASE_URL.
func (s *Server) URL() string { return s.url }

// Close stops the server and drops open connections, slow streams
// included; it returns when no handler is left running.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	err := s.http.Close()
	<-s.served
	s.inflight.Wait()
	if err != nil {
		return fmt.Errorf("close scripted model: %w", err)
	}
	return nil
}

// Load swaps the scenario for conversations that start from now on; the
// conversations under way finish their sessions, and the records are kept.
func (s *Server) Load(sc *Scenario) error {
	if err := prepare(sc); err != nil {
		return fmt.Errorf("load scenario: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sc = sc
	s.used = map[*Session]bool{}
	return nil
}

// Reset swaps the scenario and forgets everything: conversations, requests
// and failures.
func (s *Server) Reset(sc *Scenario) error {
	if err := prepare(sc); err != nil {
		return fmt.Errorf("reset scenario: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reset(sc)
	return nil
}

// prepare checks and compiles a scenario built in Go (a parsed one is
// already compiled).
func prepare(sc *Scenario) error {
	if sc == nil {
		return errors.New("nil scenario")
	}
	return sc.compile(nil)
}

func (s *Server) reset(sc *Scenario) {
	s.sc = sc
	s.used = map[*Session]bool{}
	s.convs = map[string]*conversation{}
	s.order = nil
	s.requests = nil
	s.failures = nil
}

// Requests returns the requests answered so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.requests))
	copy(out, s.requests)
	return out
}

// Failures lists what went against the scenario: unmet expectations
// (including results that never came back), requests that could not be
// placed, and conversations that ran past their session's turns. Tests
// assert it is empty.
func (s *Server) Failures() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := append([]string(nil), s.failures...)
	for _, c := range s.order {
		if c.session == nil {
			continue
		}
		var pending []int
		for t := range c.served {
			if !c.checked[t] && t < len(c.session.Turns) && len(c.session.Turns[t].Expect) > 0 {
				pending = append(pending, t)
			}
		}
		sort.Ints(pending)
		for _, t := range pending {
			out = append(out, fmt.Sprintf("%s turn %d: the tool results it expects never came back", c.describe(), t+1))
		}
	}
	return out
}

func (c *conversation) describe() string {
	if c.session == nil {
		return fmt.Sprintf("conversation %d (fallback)", c.number)
	}
	if c.session.line > 0 {
		return fmt.Sprintf("conversation %d (session %q, line %d)", c.number, c.session.Name, c.session.line)
	}
	return fmt.Sprintf("conversation %d (session %q)", c.number, c.session.Name)
}

func (s *Server) log(format string, args ...any) {
	if s.logf != nil {
		s.logf(format, args...)
	}
}

// maxBody bounds a request body; the CLI's requests are ~100 KB and grow
// with the conversation.
const maxBody = 64 << 20

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		writeError(w, http.StatusServiceUnavailable, "scripted model closed", nil)
		return
	}
	s.inflight.Add(1)
	s.mu.Unlock()
	defer s.inflight.Done()

	rec := Request{Time: time.Now(), Method: r.Method, Path: r.URL.Path, Kind: "unknown"}
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/v1/messages":
		s.serveMessages(w, r, rec)
	case r.Method == http.MethodPost && r.URL.Path == "/v1/messages/count_tokens":
		s.serveCountTokens(w, r, rec)
	default:
		s.refuse(w, rec, http.StatusNotFound, fmt.Sprintf("unknown request %s %s", r.Method, r.URL.Path))
	}
}

// refuse answers with an API error and records it as a failure.
func (s *Server) refuse(w http.ResponseWriter, rec Request, status int, why string) {
	rec.Status = status
	s.mu.Lock()
	s.requests = append(s.requests, rec)
	s.failures = append(s.failures, why)
	s.mu.Unlock()
	s.log("scriptedmodel: %s -> %d", why, status)
	writeError(w, status, why, nil)
}

func readBody(r *http.Request) ([]byte, error) {
	var body io.Reader = http.MaxBytesReader(nil, r.Body, maxBody)
	switch enc := r.Header.Get("Content-Encoding"); enc {
	case "", "identity":
	case "gzip":
		zr, err := gzip.NewReader(body)
		if err != nil {
			return nil, fmt.Errorf("gunzip body: %w", err)
		}
		defer zr.Close()
		body = io.LimitReader(zr, maxBody)
	default:
		return nil, fmt.Errorf("unsupported Content-Encoding %q", enc)
	}
	return io.ReadAll(body)
}

func (s *Server) serveCountTokens(w http.ResponseWriter, r *http.Request, rec Request) {
	rec.Kind = "count_tokens"
	body, err := readBody(r)
	if err != nil {
		s.refuse(w, rec, http.StatusBadRequest, fmt.Sprintf("count_tokens: read body: %v", err))
		return
	}
	rec.Status = http.StatusOK
	s.mu.Lock()
	s.requests = append(s.requests, rec)
	s.mu.Unlock()
	// About four bytes a token is the usual estimate for English and code.
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"input_tokens":%d}`, len(body)/4+1)
}

// plan is what to answer to one messages request, decided under the lock
// and carried out after it.
type plan struct {
	fail    *Failure
	model   string
	msgID   string
	text    string
	tools   []renderedTool
	delay   time.Duration
	headers map[string]string
	usage   Usage
}

type renderedTool struct {
	id    string
	name  string
	input json.RawMessage
}

func (s *Server) serveMessages(w http.ResponseWriter, r *http.Request, rec Request) {
	body, err := readBody(r)
	if err != nil {
		s.refuse(w, rec, http.StatusBadRequest, fmt.Sprintf("messages: read body: %v", err))
		return
	}
	var req apiRequest
	if err := json.Unmarshal(body, &req); err != nil {
		s.refuse(w, rec, http.StatusBadRequest, fmt.Sprintf("messages: bad JSON body: %v", err))
		return
	}
	if req.firstUser() == nil {
		s.refuse(w, rec, http.StatusBadRequest, "messages: request without a user message")
		return
	}
	key := r.Header.Get("X-Claude-Code-Session-Id")
	if key == "" {
		key = req.fallbackKey()
	}
	rec.Conversation = key
	rec.Model = req.Model
	rec.Stream = req.Stream
	rec.Prompt = req.prompt()
	rec.Cwd = req.cwd()
	rec.Turn = req.turnIndex()
	rec.ToolResults = req.toolResults()

	p, rec, err := s.decide(rec)
	if err != nil {
		// A template that fails at serve time is a scenario bug: say so to
		// the test through Failures, and to the CLI as an API error.
		s.refuse(w, rec, http.StatusInternalServerError, err.Error())
		return
	}
	switch {
	case p.fail != nil && p.fail.Cut:
		s.writeCut(w, p, req.Stream)
	case p.fail != nil:
		for k, v := range p.headers {
			w.Header().Set(k, v)
		}
		writeError(w, p.fail.Status, p.fail.Message, p.fail)
	case req.Stream:
		s.writeStream(w, r, p)
	default:
		writeMessage(w, p)
	}
}

// decide finds the conversation and turn of a request, records it, and
// returns what to answer.
func (s *Server) decide(rec Request) (plan, Request, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.convs[rec.Conversation]
	if c == nil {
		c = s.newConversation(rec.Conversation, rec.Prompt)
	}
	rec.SessionNumber = c.number
	c.attempts[rec.Turn]++
	rec.Attempt = c.attempts[rec.Turn]
	s.seq++
	p := plan{model: rec.Model, msgID: fmt.Sprintf("msg_scripted%06d", s.seq), usage: c.sc.Usage}
	if p.model == "" {
		p.model = "claude-sonnet-4-5"
	}

	if c.session == nil {
		rec.Kind = "fallback"
		p.text = c.sc.Fallback
		rec.Status = http.StatusOK
		s.record(rec, c)
		return p, rec, nil
	}
	rec.Session = c.session.Name
	if rec.Turn > 0 {
		s.checkExpectations(c, rec.Turn-1, rec.ToolResults)
	}
	if rec.Turn >= len(c.session.Turns) {
		rec.Kind = "fallback"
		p.text = c.sc.Fallback
		rec.Status = http.StatusOK
		if rec.Attempt == 1 {
			s.failures = append(s.failures, fmt.Sprintf("%s asked for turn %d, the session has %d: answered with the fallback text", c.describe(), rec.Turn+1, len(c.session.Turns)))
		}
		s.record(rec, c)
		return p, rec, nil
	}

	rec.Kind = "turn"
	t := c.session.Turns[rec.Turn]
	data := TemplateData{Cwd: rec.Cwd, Session: c.number}
	var err error
	if p.headers, err = t.renderHeaders(data); err != nil {
		return p, rec, fmt.Errorf("%s turn %d: %w", c.describe(), rec.Turn+1, err)
	}
	if f := t.Fail; f != nil && (f.Times == 0 || rec.Attempt <= f.Times) {
		p.fail = f
		rec.Status = f.Status
		rec.Cut = f.Cut
		if f.Cut {
			rec.Status = http.StatusOK
			p.text, p.tools, err = t.render(data, c.number, rec.Turn)
			if err != nil {
				return p, rec, fmt.Errorf("%s turn %d: %w", c.describe(), rec.Turn+1, err)
			}
		}
		s.record(rec, c)
		return p, rec, nil
	}
	if p.text, p.tools, err = t.render(data, c.number, rec.Turn); err != nil {
		return p, rec, fmt.Errorf("%s turn %d: %w", c.describe(), rec.Turn+1, err)
	}
	p.delay = time.Duration(t.DelayMs) * time.Millisecond
	rec.Status = http.StatusOK
	c.served[rec.Turn] = true
	s.record(rec, c)
	return p, rec, nil
}

func (s *Server) record(rec Request, c *conversation) {
	s.requests = append(s.requests, rec)
	what := rec.Kind
	if rec.Cut {
		what = "cut"
	}
	s.log("scriptedmodel: %s turn %d attempt %d: %s %d", c.describe(), rec.Turn+1, rec.Attempt, what, rec.Status)
}

// newConversation picks the session for a conversation: the first unused
// session whose match matches the prompt, else the first unused one without
// a match, else none (fallback).
func (s *Server) newConversation(key, prompt string) *conversation {
	c := &conversation{
		key:      key,
		number:   len(s.order) + 1,
		sc:       s.sc,
		attempts: map[int]int{},
		served:   map[int]bool{},
		checked:  map[int]bool{},
	}
	var pick *Session
	for _, ss := range s.sc.Sessions {
		if ss.re != nil && !s.used[ss] && ss.re.MatchString(prompt) {
			pick = ss
			break
		}
	}
	if pick == nil {
		for _, ss := range s.sc.Sessions {
			if ss.re == nil && !s.used[ss] {
				pick = ss
				break
			}
		}
	}
	if pick != nil && !pick.Repeat {
		s.used[pick] = true
	}
	c.session = pick
	s.convs[key] = c
	s.order = append(s.order, c)
	return c
}

// checkExpectations checks turn t's expect list against the tool results of
// the request for turn t+1, once per turn (retries do not repeat failures).
func (s *Server) checkExpectations(c *conversation, t int, results []ToolResult) {
	if c.checked[t] || t >= len(c.session.Turns) {
		return
	}
	c.checked[t] = true
	turn := c.session.Turns[t]
	byID := map[string]ToolResult{}
	for _, r := range results {
		byID[r.ToolUseID] = r
	}
	for _, e := range turn.Expect {
		where := fmt.Sprintf("%s turn %d%s tool %d (%s)", c.describe(), t+1, lineNote(turn.line), e.Tool, turn.Tools[e.Tool].Name)
		r, ok := byID[toolUseID(c.number, t, e.Tool)]
		if !ok {
			s.failures = append(s.failures, where+": no tool result came back")
			continue
		}
		if e.Error != nil && r.IsError != *e.Error {
			s.failures = append(s.failures, fmt.Sprintf("%s: is_error = %v, want %v; result: %s", where, r.IsError, *e.Error, excerpt(r.Content)))
		}
		if e.Contains != "" && !strings.Contains(r.Content, e.Contains) {
			s.failures = append(s.failures, fmt.Sprintf("%s: result does not contain %q; result: %s", where, e.Contains, excerpt(r.Content)))
		}
	}
}

// toolUseID names tool call i of turn t of conversation n. Deterministic, so
// expectations and tests can find the result of a given call.
func toolUseID(n, t, i int) string {
	return fmt.Sprintf("toolu_scripted_%03d_%03d_%02d", n, t, i)
}

func lineNote(line int) string {
	if line <= 0 {
		return ""
	}
	return fmt.Sprintf(" (line %d)", line)
}

func excerpt(s string) string {
	const max = 300
	s = strings.TrimSpace(s)
	if len(s) > max {
		return fmt.Sprintf("%q...", s[:max])
	}
	return fmt.Sprintf("%q", s)
}
