package lsp

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/autonomous-coding/autonomous/lsp/protocol"
)

// memConn is a stream end over fixed input, keeping what is written.
type memConn struct {
	io.Reader
	out bytes.Buffer
}

func (m *memConn) Write(p []byte) (int, error) { return m.out.Write(p) }
func (m *memConn) Close() error                { return nil }

// readAll reads every message the stream lets through, until the input ends.
func readAll(t testing.TB, input string) (msgs []map[string]any, replies []map[string]any) {
	conn := &memConn{Reader: strings.NewReader(input)}
	s := newStream(conn, slog.New(slog.DiscardHandler))
	for {
		var m map[string]any
		err := s.ReadObject(&m)
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("ReadObject ended with %v, want the end of the input", err)
			}
			break
		}
		msgs = append(msgs, m)
	}
	r := bufio.NewReader(&conn.out)
	for {
		var n int
		if _, err := fmt.Fscanf(r, "Content-Length: %d\r\n\r\n", &n); err != nil {
			if rest, _ := io.ReadAll(r); len(rest) > 0 {
				t.Fatalf("the stream wrote something that is not a frame: %q", rest)
			}
			break
		}
		body := make([]byte, n)
		if _, err := io.ReadFull(r, body); err != nil {
			t.Fatal(err)
		}
		var reply map[string]any
		if err := json.Unmarshal(body, &reply); err != nil {
			t.Fatalf("a reply that is not JSON: %q", body)
		}
		replies = append(replies, reply)
	}
	return msgs, replies
}

func frameOf(body string) string { return fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(body), body) }

// After each kind of bad input, the next good message still gets through,
// and the bad input is answered with its error.
func TestStreamRecoversFromBadInput(t *testing.T) {
	good := `{"jsonrpc":"2.0","id":9,"method":"shutdown"}`
	tests := []struct {
		name  string
		bad   string
		codes []int
	}{
		{"garbage line", "hello\r\n", []int{protocol.CodeParseError}},
		{"garbage glued to the next header", "\x00\x01\x02", []int{protocol.CodeParseError}},
		{"body not JSON", frameOf(`{"id": 1,`), []int{protocol.CodeParseError}},
		{"Content-Length too short", "Content-Length: 5\r\n\r\n" + good, []int{protocol.CodeParseError, protocol.CodeParseError}},
		{"Content-Length too long", fmt.Sprintf("Content-Length: %d\r\n\r\n%s!!!!", len(good)+4, good), []int{protocol.CodeParseError}},
		{"Content-Length huge", "Content-Length: 999999999999\r\n\r\n", []int{protocol.CodeParseError}},
		{"header without a colon", "Content-Length: 3\r\nbroken\r\n\r\n", []int{protocol.CodeParseError}},
		{"no Content-Length", "X-Other: 1\r\n\r\n", []int{protocol.CodeParseError}},
		{"not a message", frameOf(`{"id": 3}`), []int{protocol.CodeInvalidRequest}},
		{"header names in any case", "content-length: 2\r\n\r\n{}", []int{protocol.CodeInvalidRequest}},
		{"empty batch", frameOf(`[]`), []int{protocol.CodeInvalidRequest}},
		{"a line longer than the buffer", strings.Repeat("x", 200<<10) + "\r\n", []int{protocol.CodeParseError}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			msgs, replies := readAll(t, tc.bad+frameOf(good))
			if len(msgs) != 1 || msgs[0]["id"] != float64(9) {
				t.Fatalf("messages through: %v, want only the good one", msgs)
			}
			var codes []int
			for _, r := range replies {
				e, _ := r["error"].(map[string]any)
				code, _ := e["code"].(float64)
				msg, _ := e["message"].(string)
				if msg == "" {
					t.Errorf("an error without a message: %v", r)
				}
				codes = append(codes, int(code))
			}
			if fmt.Sprint(codes) != fmt.Sprint(tc.codes) {
				t.Errorf("answered with codes %v, want %v (%v)", codes, tc.codes, replies)
			}
		})
	}
	t.Run("an invalid request keeps its id", func(t *testing.T) {
		_, replies := readAll(t, frameOf(`{"jsonrpc":"2.0","id":"abc"}`))
		if len(replies) != 1 || replies[0]["id"] != "abc" {
			t.Errorf("replies %v, want one for id abc", replies)
		}
	})
}

// FuzzStream: whatever the bytes, the stream never panics, ends at the end
// of the input, lets through only JSON objects, and writes only well-formed
// error replies.
func FuzzStream(f *testing.F) {
	good := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}`
	for _, seed := range []string{
		frameOf(good),
		frameOf(good) + frameOf(`{"jsonrpc":"2.0","method":"exit"}`),
		"garbage\r\n" + frameOf(good),
		"Content-Length: 4\r\n\r\n" + good,
		"Content-Length: -1\r\n\r\n",
		"Content-Length: 100\r\n\r\n{}",
		"content-length: 2\r\ncontent-type: x\r\n\r\n{}",
		"\r\n\r\n\r\n",
		frameOf(`[{"jsonrpc":"2.0","id":1,"method":"a"},{"jsonrpc":"2.0","id":2,"result":null}]`),
		frameOf(`{"jsonrpc":"2.0","id":{"x":1},"method":"a"}`),
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		msgs, replies := readAll(t, string(data))
		for _, m := range msgs {
			if m == nil {
				t.Fatalf("a message that is not an object got through")
			}
		}
		for _, r := range replies {
			e, ok := r["error"].(map[string]any)
			if !ok || r["jsonrpc"] != "2.0" {
				t.Fatalf("reply %v is not a JSON-RPC error", r)
			}
			switch code := e["code"].(float64); int(code) {
			case protocol.CodeParseError, protocol.CodeInvalidRequest:
			default:
				t.Fatalf("reply with code %v", code)
			}
		}
	})
}
