package stream

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"
)

// FuzzParse: no line, however broken, panics the parser or yields an event
// whose text escapes its bound, and a line that is not JSON is never silently
// dropped.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(streamsDir, "*.jsonl"))
	for _, name := range files {
		fh, err := os.Open(name)
		if err != nil {
			f.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			f.Add(append([]byte(nil), sc.Bytes()...))
		}
		fh.Close()
	}
	f.Add([]byte(`{"type":"user","message":{"content":[{"type":"tool_result","tool_use_id":"t","is_error":true,"content":"PreToolUse:Bash hook error: [x]: no"}]}}`))
	f.Add([]byte(`{"type":"rate_limit_event","rate_limit_info":{"resetsAt":"\ud800"}}`))
	f.Add([]byte("\xff\xfe"))
	p := NewParser()
	f.Fuzz(func(t *testing.T, line []byte) {
		evs := p.Parse(line)
		for _, e := range evs {
			switch e.Kind {
			case KindToolResult, KindMalformed:
				if len(e.Text) > ExcerptBytes+len("…") {
					t.Errorf("%s text is %d bytes", e.Kind, len(e.Text))
				}
			case KindToolCall:
				if len(e.Text) > CommandBytes+len("…") {
					t.Errorf("tool call summary is %d bytes", len(e.Text))
				}
			case KindStarted:
				if e.Init == nil {
					t.Error("started without Init")
				}
			case KindResult:
				if e.Result == nil {
					t.Error("result without Result")
				}
			case KindDenied:
				if e.Denied == nil {
					t.Error("denied without Denied")
				}
			case KindRateLimit:
				if e.RateLimit == nil {
					t.Error("rate limit without RateLimit")
				}
			}
			if e.Kind == KindMalformed && utf8.Valid(line) && !utf8.ValidString(e.Text) {
				t.Errorf("excerpt of valid UTF-8 is invalid: %q", e.Text)
			}
		}
		// Every line that is not JSON is reported, once.
		if trimmed := bytes.TrimSpace(line); len(trimmed) > 0 && !json.Valid(trimmed) {
			if len(evs) != 1 || evs[0].Kind != KindMalformed {
				t.Errorf("invalid JSON %q gave %v, want one malformed event", line, kinds(evs))
			}
		}
	})
}
