package scriptedmodel

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestParseScenarioErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		in   string
		want []string // substrings of the error
	}{
		{"bad yaml", "sessions:\n  - name: a\n    turns: [\n", []string{"line"}},
		{"unknown key", "sessions:\n  - name: a\n    turns:\n      - text: hi\n        tool: []\n", []string{"line 5", "field tool not found"}},
		{"unknown top key", "sesions: []\n", []string{"line 1", "field sesions not found"}},
		{"turn without text or tools", "sessions:\n  - name: a\n    turns:\n      - text: hi\n      - delayMs: 5\n", []string{"line 5", `session "a" turn 2`, "needs text, tools or both"}},
		{"bad regexp", "sessions:\n  - name: a\n    match: \"(unclosed\"\n    turns:\n      - text: hi\n", []string{"line 3", `session "a"`, "bad match regexp"}},
		{"no sessions", "fallback: bye\n", []string{"no sessions"}},
		{"empty sessions", "sessions: []\n", []string{"line 1", "no sessions"}},
		{"empty document", "", []string{"empty document"}},
		{"not a mapping", "- a\n- b\n", []string{"line 1", "want a mapping"}},
		{"session without turns", "sessions:\n  - name: a\n", []string{"line 2", `session "a"`, "no turns"}},
		{"expect names a missing tool", "sessions:\n  - turns:\n      - tools: [{name: Read, input: {file_path: x}}]\n        expect: [{tool: 1}]\n", []string{"line 3", "tool 1 does not exist"}},
		{"tool without name", "sessions:\n  - turns:\n      - tools: [{input: {a: b}}]\n", []string{"line 3", "no name"}},
		{"fail status not an error", "sessions:\n  - turns:\n      - text: hi\n        fail: {status: 200}\n", []string{"line 3", "status 200"}},
		{"fail cut and status", "sessions:\n  - turns:\n      - text: hi\n        fail: {status: 429, cut: true}\n", []string{"cut and status"}},
		{"fail negative times", "sessions:\n  - turns:\n      - text: hi\n        fail: {status: 429, times: -1}\n", []string{"times -1"}},
		{"bad template", "sessions:\n  - turns:\n      - tools: [{name: Bash, input: {command: \"{{.Cwd\"}}]\n", []string{"line 3", "command", "bad template"}},
		{"input not JSON-encodable", "sessions:\n  - turns:\n      - tools: [{name: Bash, input: {a: {1: x}}}]\n", []string{"line 3", "not JSON-encodable"}},
		{"negative delay", "sessions:\n  - turns:\n      - text: hi\n        delayMs: -1\n", []string{"delayMs -1"}},
		{"json unknown key", "{\n\t\"sessions\": [\n\t\t{\"turns\": [{\"txt\": \"hi\"}]}\n\t]\n}\n", []string{"line 3", "field txt not found"}},
		{"json syntax", "{\"sessions\": [\n", []string{"line"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseScenario([]byte(c.in))
			if err == nil {
				t.Fatalf("ParseScenario(%q) = nil error, want one mentioning %q", c.in, c.want)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestParseScenarioYAMLAndJSONAgree(t *testing.T) {
	t.Parallel()
	y := `
sessions:
  - name: validate
    match: "schema_validation|architecture docs"
    turns:
      - text: "Let me look."
        tools:
          - {name: Read, input: {file_path: .schema/_index.md}}
          - {name: Bash, input: {command: "go test ./...", description: "run tests", timeout: 60000, env: [a, b]}}
        expect:
          - {tool: 0, error: false, contains: "ok"}
        fail: {status: 429, retryAfter: 2, times: 1}
        delayMs: 5
      - text: "Done."
    repeat: true
fallback: "Bye."
usage: {inputTokens: 10, outputTokens: 2}
`
	// Tabs as indentation, as editors write JSON: YAML alone would refuse them.
	j := "{\n\t\"sessions\": [{\"name\": \"validate\", \"match\": \"schema_validation|architecture docs\",\n\t\t\"turns\": [\n" +
		"\t\t\t{\"text\": \"Let me look.\", \"tools\": [{\"name\": \"Read\", \"input\": {\"file_path\": \".schema/_index.md\"}},\n" +
		"\t\t\t\t{\"name\": \"Bash\", \"input\": {\"command\": \"go test .\\/...\", \"description\": \"run tests\", \"timeout\": 60000, \"env\": [\"a\", \"b\"]}}],\n" +
		"\t\t\t \"expect\": [{\"tool\": 0, \"error\": false, \"contains\": \"ok\"}], \"fail\": {\"status\": 429, \"retryAfter\": 2, \"times\": 1}, \"delayMs\": 5},\n" +
		"\t\t\t{\"text\": \"Done.\"}], \"repeat\": true}],\n" +
		"\t\"fallback\": \"Bye.\", \"usage\": {\"inputTokens\": 10, \"outputTokens\": 2}\n}\n"
	fromYAML, err := ParseScenario([]byte(y))
	if err != nil {
		t.Fatalf("parse YAML: %v", err)
	}
	fromJSON, err := ParseScenario([]byte(j))
	if err != nil {
		t.Fatalf("parse JSON: %v", err)
	}
	for _, sc := range []*Scenario{fromYAML, fromJSON} {
		s := sc.Sessions[0]
		if s.Name != "validate" || !s.Repeat || len(s.Turns) != 2 || sc.Fallback != "Bye." || sc.Usage.InputTokens != 10 {
			t.Fatalf("scenario not read in full: %+v / %+v", sc, s)
		}
	}
	a, b := fromYAML.Sessions[0].Turns[0], fromJSON.Sessions[0].Turns[0]
	if !reflect.DeepEqual(a.Tools[1].Input, b.Tools[1].Input) || !reflect.DeepEqual(a.Expect, b.Expect) || *a.Fail != *b.Fail || a.DelayMs != b.DelayMs {
		t.Errorf("YAML and JSON forms differ:\nyaml %+v %+v\njson %+v %+v", a.Tools, a.Fail, b.Tools, b.Fail)
	}
}

func TestScenarioFilesParse(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("../../testdata/scenarios/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenario files found: %v", err)
	}
	for _, f := range files {
		if _, err := LoadScenario(f); err != nil {
			t.Errorf("%v", err)
		}
	}
	if _, err := LoadScenario("testdata/does-not-exist.yaml"); err == nil || !strings.Contains(err.Error(), "does-not-exist.yaml") {
		t.Errorf("LoadScenario of a missing file: err = %v, want one naming the file", err)
	}
}

// The requests the real CLI sent (captured from 2.1.331) are read the way
// the server relies on: prompt without system reminders, cwd, turn index,
// tool results with the tool's name.
func TestRealCLIRequestsAreUnderstood(t *testing.T) {
	t.Parallel()
	var r0, r1 apiRequest
	for name, r := range map[string]*apiRequest{"cli-2.1.331-turn0.json": &r0, "cli-2.1.331-turn1.json": &r1} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(data, r); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if got := r0.prompt(); got != "write a file" {
		t.Errorf("prompt = %q, want %q", got, "write a file")
	}
	if got := r0.cwd(); got != "/tmp/probe/wt" {
		t.Errorf("cwd = %q", got)
	}
	if r0.turnIndex() != 0 || r1.turnIndex() != 1 || !r0.Stream {
		t.Errorf("turn indexes = %d, %d (stream %v), want 0, 1", r0.turnIndex(), r1.turnIndex(), r0.Stream)
	}
	if r0.fallbackKey() != r1.fallbackKey() {
		t.Errorf("the fallback conversation key changed between turns of one conversation")
	}
	res := r1.toolResults()
	if len(res) != 1 || res[0].ToolUseID != "toolu_1" || res[0].Name != "Write" || res[0].IsError || !strings.HasPrefix(res[0].Content, "File created successfully") {
		t.Errorf("tool results = %+v", res)
	}
}

// client speaks to the server the way the CLI does.
type client struct {
	t   *testing.T
	url string
}

type reply struct {
	status     int
	header     http.Header
	body       string // non-SSE bodies
	events     []string
	text       string
	tools      []map[string]any // {"id","name","input"}
	stopReason string
	usage      map[string]any
	readErr    error
}

func (c client) send(session string, stream bool, messages ...map[string]any) reply {
	c.t.Helper()
	body, _ := json.Marshal(map[string]any{"model": "claude-sonnet-4-5", "stream": stream, "messages": messages, "max_tokens": 100})
	req, _ := http.NewRequest("POST", c.url+"/v1/messages?beta=true", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if session != "" {
		req.Header.Set("X-Claude-Code-Session-Id", session)
	}
	return c.do(req)
}

func (c client) do(req *http.Request) reply {
	c.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		// Errorf, not Fatalf: the client also runs on other goroutines.
		c.t.Errorf("request: %v", err)
		return reply{readErr: err}
	}
	defer resp.Body.Close()
	r := reply{status: resp.StatusCode, header: resp.Header}
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		b, err := io.ReadAll(resp.Body)
		r.body, r.readErr = string(b), err
		return r
	}
	inputs := map[int]*strings.Builder{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok {
			continue
		}
		var ev map[string]any
		if err := json.Unmarshal([]byte(data), &ev); err != nil {
			c.t.Errorf("bad SSE data %q: %v", data, err)
			continue
		}
		r.events = append(r.events, ev["type"].(string))
		switch ev["type"] {
		case "content_block_start":
			if cb := ev["content_block"].(map[string]any); cb["type"] == "tool_use" {
				r.tools = append(r.tools, map[string]any{"id": cb["id"], "name": cb["name"]})
				inputs[len(r.tools)-1] = &strings.Builder{}
			}
		case "content_block_delta":
			d := ev["delta"].(map[string]any)
			switch d["type"] {
			case "text_delta":
				r.text += d["text"].(string)
			case "input_json_delta":
				inputs[len(r.tools)-1].WriteString(d["partial_json"].(string))
			}
		case "message_delta":
			r.stopReason = ev["delta"].(map[string]any)["stop_reason"].(string)
			r.usage = ev["usage"].(map[string]any)
		}
	}
	r.readErr = sc.Err()
	for i, b := range inputs {
		var in any
		if err := json.Unmarshal([]byte(b.String()), &in); err == nil {
			r.tools[i]["input"] = in
		}
	}
	return r
}

func userText(texts ...string) map[string]any {
	var blocks []any
	for _, t := range texts {
		blocks = append(blocks, map[string]any{"type": "text", "text": t})
	}
	return map[string]any{"role": "user", "content": blocks}
}

// firstUser is what the CLI sends first: an environment reminder, then the prompt.
func firstUser(cwd, prompt string) map[string]any {
	return userText("<system-reminder>\n# Environment\n - Primary working directory: "+cwd+"\n - Is a git repository: true\n</system-reminder>", prompt)
}

func assistantTools(tools []map[string]any) map[string]any {
	var blocks []any
	for _, t := range tools {
		blocks = append(blocks, map[string]any{"type": "tool_use", "id": t["id"], "name": t["name"], "input": t["input"]})
	}
	return map[string]any{"role": "assistant", "content": blocks}
}

func toolResults(results ...map[string]any) map[string]any {
	var blocks []any
	for _, r := range results {
		r["type"] = "tool_result"
		blocks = append(blocks, r)
	}
	return map[string]any{"role": "user", "content": blocks}
}

func start(t *testing.T, scenario string) (*Server, client) {
	t.Helper()
	sc, err := ParseScenario([]byte(scenario))
	if err != nil {
		t.Fatalf("parse scenario: %v", err)
	}
	srv, err := Start(sc, Options{Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return srv, client{t: t, url: srv.URL()}
}

func TestServesTurnsAndChecksResults(t *testing.T) {
	t.Parallel()
	srv, c := start(t, `
sessions:
  - name: edit
    turns:
      - text: "Writing a file with a longer text, so that it streams in several deltas."
        tools:
          - {name: Write, input: {file_path: "{{.Cwd}}/a.txt", content: "héllo wörld, streamed in pieces of JSON\n"}}
          - {name: Bash, input: {command: "echo {{.Session}}", description: "session"}}
        expect:
          - {tool: 0, error: false, contains: "created"}
          - {tool: 1, error: false, contains: "1"}
      - text: "Done."
usage: {inputTokens: 100, outputTokens: 20, cacheReadInputTokens: 1000}
`)
	first := firstUser("/work/repo", "make a file")
	r := c.send("conv-1", true, first)
	if r.status != 200 || r.readErr != nil {
		t.Fatalf("turn 1: status %d, read error %v, body %q", r.status, r.readErr, r.body)
	}
	wantEvents := []string{"message_start", "ping", "content_block_start", "content_block_delta"}
	if !reflect.DeepEqual(r.events[:4], wantEvents) || r.events[len(r.events)-2] != "message_delta" || r.events[len(r.events)-1] != "message_stop" {
		t.Errorf("events = %v", r.events)
	}
	if r.text != "Writing a file with a longer text, so that it streams in several deltas." {
		t.Errorf("text = %q", r.text)
	}
	wantInput := map[string]any{"file_path": "/work/repo/a.txt", "content": "héllo wörld, streamed in pieces of JSON\n"}
	if len(r.tools) != 2 || r.tools[0]["name"] != "Write" || !reflect.DeepEqual(r.tools[0]["input"], wantInput) {
		t.Fatalf("tools = %v, want Write with %v", r.tools, wantInput)
	}
	if got := r.tools[1]["input"].(map[string]any)["command"]; got != "echo 1" {
		t.Errorf("templated command = %q, want %q", got, "echo 1")
	}
	if r.stopReason != "tool_use" || r.usage["output_tokens"] != 20.0 || r.usage["cache_read_input_tokens"] != 1000.0 {
		t.Errorf("stop reason %q, usage %v", r.stopReason, r.usage)
	}

	r2 := c.send("conv-1", true, first, assistantTools(r.tools), toolResults(
		map[string]any{"tool_use_id": r.tools[0]["id"], "content": "File created successfully at: /work/repo/a.txt"},
		map[string]any{"tool_use_id": r.tools[1]["id"], "content": []any{map[string]any{"type": "text", "text": "1"}}, "is_error": false},
	))
	if r2.text != "Done." || r2.stopReason != "end_turn" || len(r2.tools) != 0 {
		t.Errorf("turn 2 = %q %q %v", r2.text, r2.stopReason, r2.tools)
	}
	if f := srv.Failures(); len(f) != 0 {
		t.Errorf("failures = %q", f)
	}
	reqs := srv.Requests()
	if len(reqs) != 2 {
		t.Fatalf("recorded %d requests, want 2", len(reqs))
	}
	want := Request{Kind: "turn", Conversation: "conv-1", SessionNumber: 1, Session: "edit", Turn: 1, Attempt: 1, Model: "claude-sonnet-4-5", Stream: true,
		Prompt: "make a file", Cwd: "/work/repo", Status: 200, Method: "POST", Path: "/v1/messages",
		ToolResults: []ToolResult{
			{ToolUseID: r.tools[0]["id"].(string), Name: "Write", Content: "File created successfully at: /work/repo/a.txt"},
			{ToolUseID: r.tools[1]["id"].(string), Name: "Bash", Content: "1"},
		}}
	got := reqs[1]
	got.Time = time.Time{}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("recorded\n%+v\nwant\n%+v", got, want)
	}
}

func TestExpectationFailuresAreReported(t *testing.T) {
	t.Parallel()
	scenario := `
sessions:
  - name: s
    turns:
      - tools: [{name: Bash, input: {command: "go test ./..."}}, {name: Read, input: {file_path: x}}]
        expect:
          - {tool: 0, error: false, contains: "ok"}
          - {tool: 1, error: true}
      - text: "Done."
`
	cases := []struct {
		name    string
		results func(ids []string) []map[string]any
		want    []string
	}{
		{"met", func(ids []string) []map[string]any {
			return []map[string]any{{"tool_use_id": ids[0], "content": "ok  pkg"}, {"tool_use_id": ids[1], "content": "no such file", "is_error": true}}
		}, nil},
		{"wrong error flag and text", func(ids []string) []map[string]any {
			return []map[string]any{{"tool_use_id": ids[0], "content": "FAIL pkg", "is_error": true}, {"tool_use_id": ids[1], "content": "content"}}
		}, []string{`turn 1 (line 5) tool 0 (Bash): is_error = true, want false`, `turn 1 (line 5) tool 0 (Bash): result does not contain "ok"; result: "FAIL pkg"`, `turn 1 (line 5) tool 1 (Read): is_error = false, want true`}},
		{"missing result", func(ids []string) []map[string]any {
			return []map[string]any{{"tool_use_id": ids[0], "content": "ok"}}
		}, []string{`turn 1 (line 5) tool 1 (Read): no tool result came back`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, c := start(t, scenario)
			first := firstUser("/r", "go")
			r := c.send("k", true, first)
			ids := []string{r.tools[0]["id"].(string), r.tools[1]["id"].(string)}
			c.send("k", true, first, assistantTools(r.tools), toolResults(tc.results(ids)...))
			got := srv.Failures()
			if len(got) != len(tc.want) {
				t.Fatalf("failures = %q, want %d like %q", got, len(tc.want), tc.want)
			}
			for i, w := range tc.want {
				if !strings.Contains(got[i], w) || !strings.Contains(got[i], `conversation 1 (session "s", line 3) turn 1`) {
					t.Errorf("failure %d = %q, want it to contain %q and name the conversation", i, got[i], w)
				}
			}
		})
	}
}

func TestUnplacedRequestsAreReported(t *testing.T) {
	t.Parallel()
	srv, c := start(t, `
sessions:
  - name: short
    turns:
      - tools: [{name: Read, input: {file_path: x}}]
        expect: [{tool: 0}]
`)
	first := firstUser("/r", "go")
	r := c.send("k", true, first)
	// The result of the last scripted turn never comes back: pending.
	if f := srv.Failures(); len(f) != 1 || !strings.Contains(f[0], "turn 1: the tool results it expects never came back") {
		t.Errorf("failures with a pending expectation = %q", f)
	}
	// The conversation runs past its script: answered with the fallback.
	r2 := c.send("k", true, first, assistantTools(r.tools), toolResults(map[string]any{"tool_use_id": r.tools[0]["id"], "content": "x"}))
	if r2.text != DefaultFallback || r2.stopReason != "end_turn" {
		t.Errorf("past the script: %q %q", r2.text, r2.stopReason)
	}
	// Unknown endpoint and bad JSON.
	resp, err := http.Get(c.url + "/v1/models")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 404 || !strings.Contains(string(body), `"not_found_error"`) {
		t.Errorf("GET /v1/models = %d %s", resp.StatusCode, body)
	}
	resp, err = http.Post(c.url+"/v1/messages", "application/json", strings.NewReader(`{"messages": [`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Errorf("bad JSON answered %d, want 400", resp.StatusCode)
	}
	want := []string{"asked for turn 2, the session has 1", "unknown request GET /v1/models", "messages: bad JSON body"}
	got := srv.Failures()
	if len(got) != len(want) {
		t.Fatalf("failures = %q, want %d", got, len(want))
	}
	for i, w := range want {
		if !strings.Contains(got[i], w) {
			t.Errorf("failure %d = %q, want %q", i, got[i], w)
		}
	}
}

func TestSessionsAreMatchedByPrompt(t *testing.T) {
	t.Parallel()
	srv, c := start(t, `
sessions:
  - name: plain-1
    turns: [{text: "plain one"}]
  - name: init
    match: "(?i)initiali[sz]e"
    turns: [{text: "init"}]
  - name: coding
    match: "next feature"
    repeat: true
    turns: [{text: "coding {{.Session}}"}]
  - name: plain-2
    turns: [{text: "plain two"}]
fallback: "no more"
`)
	steps := []struct{ prompt, want string }{
		{"implement the next feature", "coding 1"},
		{"Initialize the project", "init"},
		{"initialise again", "plain one"}, // init is used: the first unused session without match
		{"implement the next feature", "coding 4"},
		{"anything", "plain two"},
		{"anything else", "no more"},
		{"implement the next feature", "coding 7"}, // repeat sessions never run out
	}
	for i, s := range steps {
		r := c.send(fmt.Sprintf("conv-%d", i), true, firstUser("/r", s.prompt))
		if r.text != s.want {
			t.Errorf("conversation %d (%q) got %q, want %q", i+1, s.prompt, r.text, s.want)
		}
	}
	// Without a session id header, the first user message keys the conversation.
	a := c.send("", true, firstUser("/r", "Initialize X"))
	b := c.send("", true, firstUser("/r", "Initialize X"), map[string]any{"role": "assistant", "content": "init"}, userText("go on"))
	if a.text != "no more" || b.text != "no more" {
		t.Errorf("header-less conversation: %q, %q", a.text, b.text)
	}
	reqs := srv.Requests()
	last := reqs[len(reqs)-1]
	if last.SessionNumber != 8 || last.Turn != 1 || last.Kind != "fallback" || !strings.HasPrefix(last.Conversation, "sha256:") {
		t.Errorf("header-less follow-up recorded as %+v", last)
	}
	if f := srv.Failures(); len(f) != 0 {
		t.Errorf("failures = %q", f)
	}
}

func TestFailureInjection(t *testing.T) {
	t.Parallel()
	srv, c := start(t, `
sessions:
  - name: rl
    match: rl
    turns:
      - text: "after the limit"
        fail: {status: 429, retryAfter: 7, times: 2}
        headers: {anthropic-ratelimit-unified-reset: "{{.UnixIn 60}}"}
  - name: overloaded
    match: overloaded
    turns:
      - text: "never"
        fail: {status: 529}
  - name: cut
    match: cut
    turns:
      - text: "a sentence that will be cut"
        fail: {cut: true, times: 1}
`)
	rl := firstUser("/r", "rl")
	for attempt := 1; attempt <= 2; attempt++ {
		r := c.send("rl", true, rl)
		if r.status != 429 || r.header.Get("Retry-After") != "7" || !strings.Contains(r.body, `"type":"rate_limit_error"`) || !strings.Contains(r.body, `"type":"error"`) {
			t.Errorf("attempt %d: %d retry-after %q body %s", attempt, r.status, r.header.Get("Retry-After"), r.body)
		}
		reset, err := strconv.ParseInt(r.header.Get("Anthropic-Ratelimit-Unified-Reset"), 10, 64)
		if want := time.Now().Add(time.Minute).Unix(); err != nil || reset < want-5 || reset > want+5 {
			t.Errorf("reset header = %q, want about %d", r.header.Get("Anthropic-Ratelimit-Unified-Reset"), want)
		}
	}
	if r := c.send("rl", true, rl); r.status != 200 || r.text != "after the limit" {
		t.Errorf("attempt 3: %d %q, want the turn served", r.status, r.text)
	}
	for i := 0; i < 3; i++ {
		if r := c.send("ov", true, firstUser("/r", "overloaded")); r.status != 529 || !strings.Contains(r.body, `"overloaded_error"`) {
			t.Errorf("overloaded attempt %d: %d %s", i+1, r.status, r.body)
		}
	}
	cut := c.send("cut", true, firstUser("/r", "cut"))
	if cut.readErr == nil || cut.stopReason != "" || cut.text != "a sentence t" {
		t.Errorf("cut stream: read error %v, stop %q, text %q; want an error after half the first delta", cut.readErr, cut.stopReason, cut.text)
	}
	if r := c.send("cut", true, firstUser("/r", "cut")); r.readErr != nil || r.text != "a sentence that will be cut" {
		t.Errorf("after the cut: %v %q", r.readErr, r.text)
	}
	var attempts []string
	for _, r := range srv.Requests() {
		attempts = append(attempts, fmt.Sprintf("%s/%d/%d/%v", r.Session, r.Attempt, r.Status, r.Cut))
	}
	want := []string{"rl/1/429/false", "rl/2/429/false", "rl/3/200/false", "overloaded/1/529/false", "overloaded/2/529/false", "overloaded/3/529/false", "cut/1/200/true", "cut/2/200/false"}
	if !reflect.DeepEqual(attempts, want) {
		t.Errorf("recorded attempts %v, want %v", attempts, want)
	}
}

func TestNonStreamingAndSideRequests(t *testing.T) {
	t.Parallel()
	srv, c := start(t, `
sessions:
  - turns:
      - text: "Reading."
        tools: [{name: Read, input: {file_path: a.go}}]
`)
	r := c.send("k", false, firstUser("/r", "go"))
	var msg struct {
		Type       string `json:"type"`
		StopReason string `json:"stop_reason"`
		Content    []struct {
			Type  string         `json:"type"`
			Text  string         `json:"text"`
			Name  string         `json:"name"`
			Input map[string]any `json:"input"`
		} `json:"content"`
		Usage map[string]int `json:"usage"`
	}
	if err := json.Unmarshal([]byte(r.body), &msg); err != nil {
		t.Fatalf("non-streaming reply %q: %v", r.body, err)
	}
	if msg.Type != "message" || msg.StopReason != "tool_use" || len(msg.Content) != 2 || msg.Content[1].Name != "Read" || msg.Content[1].Input["file_path"] != "a.go" || msg.Usage["output_tokens"] != 180 {
		t.Errorf("non-streaming message = %+v", msg)
	}
	// count_tokens is answered, gzip bodies are read.
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(`{"model":"m","messages":[{"role":"user","content":"hello there, count me"}]}`))
	zw.Close()
	req, _ := http.NewRequest("POST", c.url+"/v1/messages/count_tokens", &gz)
	req.Header.Set("Content-Encoding", "gzip")
	ct := c.do(req)
	if ct.status != 200 || !strings.HasPrefix(ct.body, `{"input_tokens":`) {
		t.Errorf("count_tokens = %d %q", ct.status, ct.body)
	}
	if f := srv.Failures(); len(f) != 0 {
		t.Errorf("failures = %q", f)
	}
}

func TestConcurrentConversations(t *testing.T) {
	t.Parallel()
	srv, c := start(t, `
sessions:
  - repeat: true
    turns:
      - tools: [{name: Bash, input: {command: "echo {{.Session}}"}}]
        expect: [{tool: 0, contains: "echo"}]
        delayMs: 1
      - text: "conversation {{.Session}} done"
`)
	const n = 8
	var wg sync.WaitGroup
	texts := make([]string, n)
	for i := range n {
		wg.Go(func() {
			first := firstUser("/r", "go")
			key := fmt.Sprintf("k%d", i)
			r := c.send(key, true, first)
			if len(r.tools) != 1 {
				t.Errorf("conversation %d: tools = %v", i, r.tools)
				return
			}
			cmd := r.tools[0]["input"].(map[string]any)["command"].(string)
			r2 := c.send(key, true, first, assistantTools(r.tools), toolResults(map[string]any{"tool_use_id": r.tools[0]["id"], "content": cmd}))
			texts[i] = strings.TrimPrefix(cmd, "echo ") + "=" + r2.text
		})
	}
	wg.Wait()
	for i, s := range texts {
		num, text, _ := strings.Cut(s, "=")
		if text != "conversation "+num+" done" {
			t.Errorf("conversation %d mixed up: %q", i, s)
		}
	}
	if f := srv.Failures(); len(f) != 0 {
		t.Errorf("failures = %q", f)
	}
	if got := len(srv.Requests()); got != 2*n {
		t.Errorf("%d requests recorded, want %d", got, 2*n)
	}
}

func TestLoadAndReset(t *testing.T) {
	t.Parallel()
	srv, c := start(t, "sessions: [{turns: [{tools: [{name: Read, input: {file_path: a}}]}, {text: old}]}]")
	first := firstUser("/r", "go")
	r := c.send("old", true, first)
	sc2 := &Scenario{Sessions: []*Session{{Name: "built-in-go", Turns: []*Turn{{Text: "new {{.Cwd}}"}}}}}
	if err := srv.Load(sc2); err != nil {
		t.Fatal(err)
	}
	// The conversation under way finishes its own session; new ones get the new scenario.
	if r2 := c.send("old", true, first, assistantTools(r.tools), toolResults(map[string]any{"tool_use_id": r.tools[0]["id"], "content": "a"})); r2.text != "old" {
		t.Errorf("conversation under way got %q after Load, want %q", r2.text, "old")
	}
	if r3 := c.send("new", true, first); r3.text != "new /r" {
		t.Errorf("new conversation after Load got %q", r3.text)
	}
	if got := len(srv.Requests()); got != 3 {
		t.Errorf("Load dropped records: %d requests", got)
	}
	if err := srv.Reset(sc2); err != nil {
		t.Fatal(err)
	}
	if got := len(srv.Requests()); got != 0 {
		t.Errorf("Reset kept %d requests", got)
	}
	if r4 := c.send("new", true, first); r4.text != "new /r" || srv.Requests()[0].SessionNumber != 1 {
		t.Errorf("after Reset: %q, %+v", r4.text, srv.Requests())
	}
	if err := srv.Load(&Scenario{Sessions: []*Session{{Turns: []*Turn{{}}}}}); err == nil || !strings.Contains(err.Error(), "needs text, tools or both") {
		t.Errorf("Load of an invalid scenario: %v", err)
	}
	if _, err := Start(nil, Options{}); err == nil {
		t.Errorf("Start(nil) succeeded")
	}
}

func TestCloseEndsSlowStreams(t *testing.T) {
	t.Parallel()
	sc, err := ParseScenario([]byte("sessions: [{turns: [{text: 'very slow text that takes a while to stream', delayMs: 10000}]}]"))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := Start(sc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan reply)
	go func() { done <- client{t: t, url: srv.URL()}.send("k", true, firstUser("/r", "go")) }()
	time.Sleep(100 * time.Millisecond)
	begin := time.Now()
	if err := srv.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
	select {
	case r := <-done:
		if r.stopReason != "" {
			t.Errorf("slow stream completed despite Close")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close left a slow stream running")
	}
	if d := time.Since(begin); d > 2*time.Second {
		t.Errorf("Close took %v", d)
	}
}

func TestChunksKeepRunes(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"", "a", "héllo wörld ünïcödé ✓✓✓✓✓✓✓✓✓✓", strings.Repeat("🙂", 30)} {
		got := chunks(s, 7)
		if strings.Join(got, "") != s {
			t.Errorf("chunks(%q) lose text: %q", s, got)
		}
		for _, c := range got {
			if !utf8Valid(c) {
				t.Errorf("chunks(%q) split a rune: %q", s, c)
			}
		}
	}
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }

func BenchmarkServeTurn(b *testing.B) {
	data, err := os.ReadFile("testdata/cli-2.1.331-turn1.json")
	if err != nil {
		b.Fatal(err)
	}
	sc, err := ParseScenario([]byte(`
sessions:
  - repeat: true
    turns:
      - text: "first"
        tools: [{name: Write, input: {file_path: a.txt, content: "x"}}]
      - text: "A reply of a realistic length, streamed in several text deltas, then a tool call."
        tools: [{name: Bash, input: {command: "go test ./...", description: "run the tests"}}]
`))
	if err != nil {
		b.Fatal(err)
	}
	srv, err := Start(sc, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		req, _ := http.NewRequest("POST", srv.URL()+"/v1/messages?beta=true", bytes.NewReader(data))
		req.Header.Set("X-Claude-Code-Session-Id", fmt.Sprint(i))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || n == 0 {
			b.Fatalf("status %d, %d bytes", resp.StatusCode, n)
		}
	}
}

func BenchmarkParseScenario(b *testing.B) {
	data, err := os.ReadFile("../../testdata/scenarios/failures.yaml")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseScenario(data); err != nil {
			b.Fatal(err)
		}
	}
}
