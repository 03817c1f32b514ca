package stream

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// recordedStream builds about size bytes of stream from the real captures:
// their init and result lines as they are, and turns modelled on their
// assistant/user lines with varied commands, texts and tool output sizes
// (mostly small, one in twenty of tens of KB, one in five hundred of 1 MB), as long coding sessions
// produce.
func recordedStream(tb testing.TB, size int) (data []byte, lines int) {
	tb.Helper()
	var inits, results [][]byte
	for _, name := range []string{"allowed.jsonl", "hook-denied.jsonl", "files-and-bash.jsonl", "mcp-failed.jsonl", "max-turns.jsonl"} {
		f, err := os.Open(filepath.Join(streamsDir, name))
		if err != nil {
			tb.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			line := append([]byte(nil), sc.Bytes()...)
			switch {
			case bytes.Contains(line, []byte(`"subtype":"init"`)):
				inits = append(inits, line)
			case bytes.HasPrefix(line, []byte(`{"duration_api_ms"`)) || bytes.Contains(line, []byte(`"type":"result"`)):
				results = append(results, line)
			}
		}
		f.Close()
	}
	rng := rand.New(rand.NewPCG(1, 2))
	words := strings.Fields("the quick brown fox jumps over lazy dog func main package import return error nil context git commit npm test passes feature ledger ünïcødé \"quoted\" back\\slash tab\t")
	text := func(n int) string {
		var b strings.Builder
		for b.Len() < n {
			b.WriteString(words[rng.IntN(len(words))])
			if rng.IntN(8) == 0 {
				b.WriteByte('\n')
			} else {
				b.WriteByte(' ')
			}
		}
		return b.String()
	}
	js := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	var buf bytes.Buffer
	buf.Grow(size + 2<<20)
	ts := time.Date(2026, 11, 24, 11, 0, 0, 0, time.UTC)
	for turn := 0; buf.Len() < size; turn++ {
		if turn%60 == 0 {
			buf.Write(inits[rng.IntN(len(inits))])
			buf.WriteByte('\n')
			lines++
		}
		id := fmt.Sprintf("toolu_%08d", turn)
		stamp := ts.Add(time.Duration(turn) * time.Second).Format(time.RFC3339Nano)
		var call, input string
		switch rng.IntN(4) {
		case 0:
			call, input = "Bash", fmt.Sprintf(`{"command":%s,"description":"step %d"}`, js("go test ./... -run "+text(20)), turn)
		case 1:
			call, input = "Read", fmt.Sprintf(`{"file_path":"/wt/src/file%d.go"}`, turn)
		case 2:
			call, input = "Edit", fmt.Sprintf(`{"file_path":"/wt/src/file%d.go","old_string":%s,"new_string":%s}`, turn, js(text(200)), js(text(220)))
		default:
			call, input = "Write", fmt.Sprintf(`{"file_path":"/wt/src/new%d.go","content":%s}`, turn, js(text(2000)))
		}
		fmt.Fprintf(&buf, `{"type":"assistant","message":{"id":"msg_%d","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"text","text":%s},{"type":"tool_use","id":"%s","name":"%s","input":%s}],"stop_reason":null,"usage":{"input_tokens":100,"output_tokens":1}},"parent_tool_use_id":null,"session_id":"29987c8a-3cbf-4e0e-9e09-b8889f9efbdb","uuid":"u%d","timestamp":"%s"}`+"\n",
			turn, js(text(80+rng.IntN(400))), id, call, input, turn, stamp)
		outLen := 50 + rng.IntN(3000)
		switch r := rng.IntN(100); {
		case r == 0 && rng.IntN(5) == 0:
			outLen = 1 << 20
		case r < 5:
			outLen = 20000 + rng.IntN(60000)
		}
		out := js(text(outLen))
		fmt.Fprintf(&buf, `{"type":"user","message":{"role":"user","content":[{"tool_use_id":"%s","type":"tool_result","content":%s,"is_error":%v}]},"parent_tool_use_id":null,"session_id":"29987c8a-3cbf-4e0e-9e09-b8889f9efbdb","uuid":"v%d","timestamp":"%s","tool_use_result":{"stdout":%s,"stderr":"","interrupted":false},"tool_result_meta":[{"id":"%s","permission_decision":{"decision":"accept","source":"config","reason_type":"rule"}}]}`+"\n",
			id, out, rng.IntN(10) == 0, turn, stamp, out, id)
		lines += 2
		if turn%60 == 59 {
			buf.Write(results[rng.IntN(len(results))])
			buf.WriteByte('\n')
			lines++
		}
	}
	return buf.Bytes(), lines
}

// BenchmarkParse measures parsing throughput on a ~100 MB recorded stream,
// line splitting included.
func BenchmarkParse(b *testing.B) {
	data, lines := recordedStream(b, 100<<20)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var events int
	start := time.Now()
	n := 0
	for b.Loop() {
		events = 0
		if err := NewParser().ReadAll(bytes.NewReader(data), func(Event) { events++ }); err != nil {
			b.Fatal(err)
		}
		n++
	}
	elapsed := time.Since(start).Seconds()
	b.ReportMetric(float64(lines*n)/elapsed, "lines/s")
	b.ReportMetric(float64(events), "events/op")
}

func TestRecordedStreamParses(t *testing.T) {
	t.Parallel()
	data, lines := recordedStream(t, 4<<20)
	counts := map[Kind]int{}
	if err := NewParser().ReadAll(bytes.NewReader(data), func(e Event) { counts[e.Kind]++ }); err != nil {
		t.Fatal(err)
	}
	if counts[KindMalformed] != 0 || counts[KindToolCall] == 0 || counts[KindToolCall] != counts[KindToolResult] || counts[KindStarted] == 0 {
		t.Errorf("%d lines gave %v", lines, counts)
	}
}
