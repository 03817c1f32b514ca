package stream

import (
	"bufio"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"
)

// FuzzParse: no line, however broken, panics the parser or yields an event
// whose text escapes its bound; a line that does not start like a JSON object
// is never silently dropped.
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
		trimmed := trimSpace(line)
		if len(trimmed) > 0 && trimmed[0] != '{' && trimmed[0] != 'n' && len(evs) == 0 {
			t.Errorf("non-object line %q gave no event", line)
		}
	})
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '\n' || b[0] == '\r' || b[0] == '\v' || b[0] == '\f' || b[0] == 0x85 || b[0] == 0xA0) {
		b = b[1:]
	}
	return b
}
