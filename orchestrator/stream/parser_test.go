package stream

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/autonomous-coding/autonomous/orchestrator/pricing"
)

// streamsDir holds real captures of the Claude Code CLI 2.1.331.
const streamsDir = "../../testdata/streams"

func parseFile(t *testing.T, name string) []Event {
	t.Helper()
	f, err := os.Open(filepath.Join(streamsDir, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var evs []Event
	if err := NewParser().ReadAll(f, func(e Event) { evs = append(evs, e) }); err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	return evs
}

func kinds(evs []Event) []Kind {
	ks := make([]Kind, len(evs))
	for i, e := range evs {
		ks[i] = e.Kind
	}
	return ks
}

func only(t *testing.T, evs []Event, k Kind) Event {
	t.Helper()
	var found []Event
	for _, e := range evs {
		if e.Kind == k {
			found = append(found, e)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want exactly one %s event, got %d in %v", k, len(found), kinds(evs))
	}
	return found[0]
}

const (
	S  = KindStarted
	TX = KindText
	TC = KindToolCall
	TR = KindToolResult
	D  = KindDenied
	RL = KindRateLimit
	R  = KindResult
)

func TestParseCapturesKinds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file  string
		kinds []Kind
	}{
		{"allowed.jsonl", []Kind{S, TC, TR, TX, R}},
		{"files-and-bash.jsonl", []Kind{S, TC, TR, TC, TR, TC, TR, TC, TR, TX, R}},
		{"hook-denied.jsonl", []Kind{S, TC, D, TX, R}},
		{"hook-denied-json.jsonl", []Kind{S, TC, D, TX, R}},
		{"api-error-429.jsonl", []Kind{S, TX, RL, R}},
		{"api-error-529.jsonl", []Kind{S, TX, RL, R}},
		{"api-retry-no-result.jsonl", []Kind{S, RL, RL, RL, RL, RL, RL, RL, RL, RL}},
		{"stream-cut.jsonl", []Kind{S, TX, R}},
		{"max-turns.jsonl", []Kind{S, TC, TR, TC, TR, R}},
		{"budget.jsonl", []Kind{S, TC, R}},
		{"interrupted.jsonl", []Kind{S, TC, TR, R}},
		{"mcp-connected.jsonl", []Kind{S, TC, TR, TX, R}},
		{"mcp-failed.jsonl", []Kind{S, TC, TR, TX, R}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			if got := kinds(parseFile(t, tt.file)); !reflect.DeepEqual(got, tt.kinds) {
				t.Errorf("kinds:\n got %v\nwant %v", got, tt.kinds)
			}
		})
	}
}

func TestParseStarted(t *testing.T) {
	t.Parallel()
	ev := parseFile(t, "mcp-failed.jsonl")[0]
	in := ev.Init
	if ev.Kind != KindStarted || in == nil {
		t.Fatalf("first event = %+v, want started with Init", ev)
	}
	if in.SessionID != "37187871-cd3c-4faa-a328-4a9781eb147d" || in.Model != "claude-sonnet-4-5" || in.Version != "2.1.331" || in.CWD == "" {
		t.Errorf("init = %+v", in)
	}
	if !contains(in.Tools, "Bash") || !contains(in.Tools, "mcp__everything__echo") {
		t.Errorf("tools %v lack Bash or the MCP tool", in.Tools)
	}
	want := []MCPServer{{Name: "broken", Status: "failed"}, {Name: "everything", Status: "connected"}}
	if !reflect.DeepEqual(in.MCPServers, want) {
		t.Errorf("mcp servers = %+v, want %+v", in.MCPServers, want)
	}
	if got := in.FailedMCPServers(); !reflect.DeepEqual(got, want[:1]) {
		t.Errorf("failed = %+v, want only broken", got)
	}
}

func TestParseToolCallsAndResults(t *testing.T) {
	t.Parallel()
	evs := parseFile(t, "files-and-bash.jsonl")
	type call struct {
		kind           Kind
		tool, id, text string
		isError        bool
	}
	want := []call{
		{TC, "Write", "toolu_0", "hello.txt", false},
		{TR, "Write", "toolu_0", "File created successfully at: hello.txt", false},
		{TC, "Read", "toolu_1", "hello.txt", false},
		{TR, "Read", "toolu_1", "1\thi", false},
		{TC, "Edit", "toolu_2", "hello.txt", false},
		{TR, "Edit", "toolu_2", "The file hello.txt has been updated", false},
		{TC, "Bash", "toolu_3", "cat hello.txt && ls /nonexistent-dir", false},
		{TR, "Bash", "toolu_3", "Exit code 2\nhello\nls: cannot access", true},
	}
	for i, w := range want {
		e := evs[i+1]
		if e.Kind != w.kind || e.Tool != w.tool || e.ToolUseID != w.id || e.IsError != w.isError || !strings.HasPrefix(e.Text, w.text) {
			t.Errorf("event %d = {%s %s %s err=%v %q}, want {%s %s %s err=%v %q...}", i+1, e.Kind, e.Tool, e.ToolUseID, e.IsError, e.Text, w.kind, w.tool, w.id, w.isError, w.text)
		}
		if e.Time.IsZero() || e.Time.Year() != 2026 {
			t.Errorf("event %d time = %v, want the line's timestamp", i+1, e.Time)
		}
	}
	if txt := evs[len(evs)-2]; txt.Kind != KindText || txt.Text != "ALL DONE" {
		t.Errorf("last text = %+v", txt)
	}
}

func TestParseDenied(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file string
		want Denial
	}{
		// exit 2 with the reason on stderr: the CLI adds the hook command
		{"hook-denied.jsonl", Denial{Tool: "Bash", ToolUseID: "toolu_01", Command: "echo hi-from-bash && ls", Reason: "blocked by allowlist: not permitted"}},
		// exit 0 with permissionDecision deny
		{"hook-denied-json.jsonl", Denial{Tool: "Bash", ToolUseID: "toolu_0", Command: "curl http://x ; touch sentinel", Reason: "curl is not allowed: network access is blocked by policy"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			evs := parseFile(t, tt.file)
			d := only(t, evs, KindDenied)
			if d.Denied == nil || *d.Denied != tt.want || !d.IsError {
				t.Errorf("denied = %+v, want %+v", d.Denied, tt.want)
			}
			for _, e := range evs {
				if e.Kind == KindToolResult {
					t.Errorf("a refused call must not also show as a tool result: %+v", e)
				}
			}
		})
	}
}

// A hook refusal recognised from the text alone, for CLI versions without
// tool_result_meta; and an ordinary failing command that merely prints the
// words must not count.
func TestParseDeniedWithoutMeta(t *testing.T) {
	t.Parallel()
	p := NewParser()
	p.Parse([]byte(`{"type":"assistant","message":{"content":[{"type":"tool_use","id":"t1","name":"Bash","input":{"command":"rm -rf /"}},{"type":"tool_use","id":"t2","name":"Bash","input":{"command":"grep -r hook ."}}]}}`))
	evs := p.Parse([]byte(`{"type":"user","message":{"content":[` +
		`{"type":"tool_result","tool_use_id":"t1","is_error":true,"content":"PreToolUse:Bash hook error: [/x/autonomous hook pre-tool-use]: rm outside the worktree"},` +
		`{"type":"tool_result","tool_use_id":"t2","is_error":true,"content":"Exit code 1\nnotes: PreToolUse is mentioned here"}]}}`))
	if len(evs) != 2 {
		t.Fatalf("got %d events, want 2: %+v", len(evs), evs)
	}
	if evs[0].Kind != KindDenied || evs[0].Denied.Command != "rm -rf /" || evs[0].Denied.Reason != "rm outside the worktree" {
		t.Errorf("first = %+v %+v, want a denial of rm -rf /", evs[0], evs[0].Denied)
	}
	if evs[1].Kind != KindToolResult || !evs[1].IsError {
		t.Errorf("second = %+v, want a failed tool result", evs[1])
	}
}

func TestParseResults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file string
		want Result
	}{
		{"allowed.jsonl", Result{Subtype: "success", NumTurns: 2, DurationMS: 362, DurationAPIMS: 52, CostUSD: 0.0012000000000000001, HasCost: true,
			Usage: pricing.Usage{InputTokens: 200, OutputTokens: 40}, SessionID: "29987c8a-3cbf-4e0e-9e09-b8889f9efbdb", Text: "DONE", TerminalReason: "completed"}},
		{"max-turns.jsonl", Result{Subtype: "error_max_turns", IsError: true, NumTurns: 3, DurationMS: 541, DurationAPIMS: 70, CostUSD: 0.00021, HasCost: true,
			Usage: pricing.Usage{InputTokens: 20, OutputTokens: 10}, SessionID: "5a48c83e-c0b6-4757-827e-92948d16809c", TerminalReason: "max_turns", Errors: []string{"Reached maximum number of turns (2)"}}},
		{"budget.jsonl", Result{Subtype: "error_max_budget_usd", IsError: true, NumTurns: 1, DurationMS: 98, CostUSD: 0.000105, HasCost: true,
			SessionID: "2b51f09c-a656-4e60-9449-55c477b1ea2f", TerminalReason: "budget_exhausted", Errors: []string{"Reached maximum budget ($0.0001)"}}},
		{"api-error-429.jsonl", Result{Subtype: "success", IsError: true, NumTurns: 1, DurationMS: 78, HasCost: true,
			SessionID: "d57bf3ae-855e-4df8-b4ad-11856bcb1f4b", Text: "API Error: Request rejected (429) · scripted", APIErrorStatus: 429, APIErrorType: "rate_limit_error", TerminalReason: "api_error"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			r := only(t, parseFile(t, tt.file), KindResult)
			if !reflect.DeepEqual(*r.Result, tt.want) {
				t.Errorf("result:\n got %+v\nwant %+v", *r.Result, tt.want)
			}
			if r.IsError != tt.want.IsError {
				t.Errorf("event IsError = %v, want %v", r.IsError, tt.want.IsError)
			}
		})
	}
}

func TestParseRateLimits(t *testing.T) {
	t.Parallel()
	for _, file := range []string{"api-error-429.jsonl", "api-error-529.jsonl"} {
		rl := only(t, parseFile(t, file), KindRateLimit).RateLimit
		want := map[string]int{"api-error-429.jsonl": 429, "api-error-529.jsonl": 529}[file]
		if rl.Status != "rejected" || rl.APIErrorStatus != want {
			t.Errorf("%s: rate limit = %+v, want rejected %d", file, rl, want)
		}
	}
	evs := parseFile(t, "api-retry-no-result.jsonl")
	first := evs[1].RateLimit
	if first.Status != "retrying" || first.APIErrorStatus != 429 || first.Attempt != 1 || first.MaxRetries != 10 || first.RetryIn != 1141*time.Millisecond {
		t.Errorf("first retry = %+v", first)
	}

	// rate_limit_event is only sent to subscription logins, which cannot be
	// captured offline; its shape is the one the CLI's own schema declares.
	p := NewParser()
	tests := []struct {
		line string
		want *time.Time
	}{
		{`{"type":"rate_limit_event","rate_limit_info":{"status":"rejected","resetsAt":1795000000,"rateLimitType":"five_hour","isUsingOverage":false},"uuid":"u","session_id":"s"}`, ptr(time.Unix(1795000000, 0))},
		{`{"type":"rate_limit_event","rate_limit_info":{"status":"rejected","resetsAt":1795000000123}}`, ptr(time.UnixMilli(1795000000123))},
		{`{"type":"rate_limit_event","rate_limit_info":{"status":"allowed_warning","resetsAt":"2026-11-24T15:00:00Z"}}`, ptr(time.Date(2026, 11, 24, 15, 0, 0, 0, time.UTC))},
		{`{"type":"rate_limit_event","rate_limit_info":{"status":"allowed","resetsAt":null}}`, nil},
	}
	for _, tt := range tests {
		evs := p.Parse([]byte(tt.line))
		if len(evs) != 1 || evs[0].Kind != KindRateLimit {
			t.Fatalf("%s: got %+v", tt.line, evs)
		}
		got := evs[0].RateLimit.ResetsAt
		if (got == nil) != (tt.want == nil) || (got != nil && !got.Equal(*tt.want)) {
			t.Errorf("%s: resetsAt = %v, want %v", tt.line, got, tt.want)
		}
	}
}

func TestParseLeniency(t *testing.T) {
	t.Parallel()
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name  string
		line  string
		kinds []Kind
		check func(t *testing.T, evs []Event)
	}{
		{"unknown type", `{"type":"stream_event","event":{"type":"content_block_delta"}}`, nil, nil},
		{"unknown system subtype", `{"type":"system","subtype":"hook_response","stdout":"x"}`, nil, nil},
		{"retry of a 500", `{"type":"system","subtype":"api_retry","attempt":1,"error_status":500}`, nil, nil},
		{"blank", "   \t", nil, nil},
		{"not json", `Error: something broke {`, []Kind{KindMalformed}, func(t *testing.T, evs []Event) {
			if evs[0].Text != "Error: something broke {" || !evs[0].Time.Equal(now) {
				t.Errorf("malformed = %+v", evs[0])
			}
		}},
		{"truncated json", `{"type":"assistant","message":{"content":[{"type":"text","te`, []Kind{KindMalformed}, nil},
		{"json array", `[1,2]`, []Kind{KindMalformed}, nil},
		{"huge malformed line is bounded", strings.Repeat("é", 100000), []Kind{KindMalformed}, func(t *testing.T, evs []Event) {
			if len(evs[0].Text) > ExcerptBytes+len("…") || !utf8.ValidString(evs[0].Text) {
				t.Errorf("excerpt is %d bytes, valid=%v", len(evs[0].Text), utf8.ValidString(evs[0].Text))
			}
		}},
		{"field of another type", `{"type":"result","subtype":"success","num_turns":"three","total_cost_usd":0.5,"usage":{"input_tokens":7}}`, []Kind{KindResult}, func(t *testing.T, evs []Event) {
			r := evs[0].Result
			if r.CostUSD != 0.5 || !r.HasCost || r.Usage.InputTokens != 7 || r.NumTurns != 0 {
				t.Errorf("result = %+v", r)
			}
		}},
		{"result without cost", `{"type":"result","subtype":"success","usage":{"input_tokens":7}}`, []Kind{KindResult}, func(t *testing.T, evs []Event) {
			if evs[0].Result.HasCost {
				t.Errorf("HasCost = true without total_cost_usd")
			}
		}},
		{"content as a string", `{"type":"user","message":{"role":"user","content":"hello"}}`, nil, nil},
		{"tool result for an unknown call", `{"type":"user","message":{"content":[{"type":"tool_result","tool_use_id":"zz","content":[{"type":"text","text":"a"},{"type":"image"}]}]}}`, []Kind{KindToolResult}, func(t *testing.T, evs []Event) {
			if evs[0].Tool != "" || evs[0].Text != "a\n[image]" {
				t.Errorf("result = %+v", evs[0])
			}
		}},
		{"empty text block", `{"type":"assistant","message":{"content":[{"type":"text","text":"  "},{"type":"thinking","thinking":"hm"}]}}`, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := NewParser()
			p.Now = func() time.Time { return now }
			evs := p.Parse([]byte(tt.line))
			if !reflect.DeepEqual(kinds(evs), tt.kinds) && !(len(evs) == 0 && len(tt.kinds) == 0) {
				t.Fatalf("kinds = %v, want %v", kinds(evs), tt.kinds)
			}
			if tt.check != nil {
				tt.check(t, evs)
			}
		})
	}
}

func TestParseHugeToolResult(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("line of output \"quoted\" \\ tab\t ünï\n", 200000) // ~7 MB
	content, _ := json.Marshal(big)
	p := NewParser()
	p.Parse([]byte(`{"type":"assistant","message":{"content":[{"type":"tool_use","id":"t","name":"Bash","input":{"command":"cat big"}}]}}`))
	line := `{"type":"user","message":{"content":[{"type":"tool_result","tool_use_id":"t","content":` + string(content) + `}]},"tool_use_result":{"stdout":` + string(content) + `}}`
	evs := readString(t, p, line+"\n")
	if len(evs) != 1 || evs[0].Kind != KindToolResult || evs[0].Tool != "Bash" {
		t.Fatalf("events = %v", kinds(evs))
	}
	text := evs[0].Text
	if len(text) > ExcerptBytes+len("…") || !strings.HasSuffix(text, "…") || !strings.HasPrefix(big, strings.TrimSuffix(text, "…")) || !utf8.ValidString(text) {
		t.Errorf("excerpt (%d bytes) is not a bounded, valid prefix: %q", len(text), text)
	}
}

func readString(t *testing.T, p *Parser, s string) []Event {
	t.Helper()
	var evs []Event
	if err := p.ReadAll(strings.NewReader(s), func(e Event) { evs = append(evs, e) }); err != nil {
		t.Fatal(err)
	}
	return evs
}

func TestSummarize(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 400)
	tests := []struct {
		tool, input, want string
	}{
		{"Bash", `{"command":"go test ./...","description":"run tests"}`, "go test ./..."},
		{"Bash", `{"command":"cat <<EOF > a\nhi\nEOF"}`, "cat <<EOF > a ⏎ hi ⏎ EOF"},
		{"Bash", `{"command":"` + long + `"}`, strings.Repeat("x", CommandBytes) + "…"},
		{"Read", `{"file_path":"/wt/src/main.go","offset":10}`, "/wt/src/main.go"},
		{"Write", `{"file_path":"a.txt","content":"` + long + `"}`, "a.txt"},
		{"Edit", `{"file_path":"b.go","old_string":"a","new_string":"b"}`, "b.go"},
		{"NotebookEdit", `{"notebook_path":"n.ipynb"}`, "n.ipynb"},
		{"Grep", `{"pattern":"func main","path":"."}`, "func main"},
		{"mcp__everything__echo", `{ "message" : "ping" }`, `{"message":"ping"}`},
		{"TaskCreate", `{"subject":"` + long + `"}`, (`{"subject":"` + long)[:SummaryBytes] + "…"},
		{"Read", `{"path":"no file_path"}`, `{"path":"no file_path"}`},
		{"Bash", `not json`, ""},
		{"Other", ``, ""},
	}
	for _, tt := range tests {
		if got := Summarize(tt.tool, json.RawMessage(tt.input)); got != tt.want {
			t.Errorf("Summarize(%s, %.40s) = %q, want %q", tt.tool, tt.input, got, tt.want)
		}
	}
}

// The prefix decoder must agree with encoding/json wherever it stops.
func TestJSONStringPrefix(t *testing.T) {
	t.Parallel()
	inputs := []string{"", "plain", "quote \" back \\ slash / nl \n tab \t", "ünïcødé 日本語", "emoji 😀 pair", "\u2028\u0001ctl", strings.Repeat("ab\n", 300)}
	for _, in := range inputs {
		raw, _ := json.Marshal(in)
		for _, max := range []int{-1, 0, 1, 5, 17, 100, 10000} {
			got, cut := jsonStringPrefix(raw, max)
			if !strings.HasPrefix(in, got) {
				t.Errorf("prefix(%q, %d) = %q, not a prefix", in, max, got)
			}
			if cut == (got == in) && max >= 0 && len(in) > max {
				t.Errorf("prefix(%q, %d): cut=%v but got %q", in, max, cut, got)
			}
			if !cut && got != in {
				t.Errorf("prefix(%q, %d) = %q, not cut but incomplete", in, max, got)
			}
		}
	}
	// JSON escapes encoding/json does not produce itself.
	for raw, want := range map[string]string{`"\u00e9\ud83d\ude00\/"`: "é😀/", `"\ud800x"`: "\uFFFDx", `"a\qb"`: "", `"open`: ""} {
		if got, _ := jsonStringPrefix([]byte(raw), -1); got != want {
			t.Errorf("prefix(%s) = %q, want %q", raw, got, want)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func ptr[T any](v T) *T { return &v }
