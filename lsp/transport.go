package lsp

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"

	"github.com/autonomous-coding/autonomous/lsp/protocol"
)

// maxMessage bounds one message's body. Nothing an editor sends comes near
// it (a spec is a few kB); a larger Content-Length is taken for garbage.
const maxMessage = 64 << 20

// stream is the LSP base protocol (Content-Length framed JSON-RPC) over a
// byte stream, as jsonrpc2.ObjectStream. Unlike jsonrpc2.VSCodeObjectCodec,
// it survives bad input: bytes that are not a header are skipped until the
// next Content-Length header, a body is read to exactly its declared length,
// and a body that is not JSON-RPC is answered with a ParseError or
// InvalidRequest response (id null) instead of closing the connection. A
// client with a framing bug then gets errors it can see, and the workflows
// keep running.
type stream struct {
	rwc io.ReadWriteCloser
	r   *bufio.Reader
	log *slog.Logger

	wmu sync.Mutex // one message at a time on the wire
	w   *bufio.Writer
}

func newStream(rwc io.ReadWriteCloser, log *slog.Logger) *stream {
	return &stream{rwc: rwc, r: bufio.NewReaderSize(rwc, 64<<10), w: bufio.NewWriterSize(rwc, 64<<10), log: log}
}

// WriteObject writes one framed message.
func (s *stream) WriteObject(obj any) error {
	data, err := json.Marshal(obj)
	if err != nil {
		return err
	}
	return s.writeFrame(data)
}

func (s *stream) writeFrame(data []byte) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if _, err := fmt.Fprintf(s.w, "Content-Length: %d\r\n\r\n", len(data)); err != nil {
		return err
	}
	if _, err := s.w.Write(data); err != nil {
		return err
	}
	return s.w.Flush()
}

// ReadObject reads the next well-formed JSON-RPC message into v, answering
// and skipping malformed ones. It returns an error only when the stream
// itself fails or ends.
func (s *stream) ReadObject(v any) error {
	for {
		body, err := s.readFrame()
		var fe *frameError
		if errors.As(err, &fe) {
			s.log.Warn("malformed message from the client", "problem", fe.msg)
			s.replyError(nil, protocol.CodeParseError, fe.msg)
			continue
		}
		if err != nil {
			return err
		}
		code, msg := checkMessage(body)
		if code == 0 {
			if err := json.Unmarshal(body, v); err != nil {
				code, msg = protocol.CodeInvalidRequest, "not a JSON-RPC 2.0 request or response: "+strings.TrimPrefix(err.Error(), "jsonrpc2: ")
			}
		}
		if code != 0 {
			s.log.Warn("malformed message from the client", "problem", msg, "body", excerpt(body))
			s.replyError(idOf(body), code, msg)
			continue
		}
		return nil
	}
}

// checkMessage says what is wrong with a body that is not one JSON-RPC
// request, notification or response (code 0: nothing).
func checkMessage(body []byte) (code int, msg string) {
	var m struct {
		Method json.RawMessage `json:"method"`
		Result json.RawMessage `json:"result"`
		Error  json.RawMessage `json:"error"`
	}
	if err := json.Unmarshal(body, &m); err != nil {
		var syntax *json.SyntaxError
		if errors.As(err, &syntax) || !json.Valid(body) {
			return protocol.CodeParseError, "the message body is not valid JSON (" + err.Error() + "); check its Content-Length"
		}
		if trimmed := bytes.TrimSpace(body); len(trimmed) > 0 && trimmed[0] == '[' {
			return protocol.CodeInvalidRequest, "not a JSON-RPC 2.0 request or response: batches are not supported in LSP"
		}
		return protocol.CodeInvalidRequest, "not a JSON-RPC 2.0 request or response: the body must be a JSON object"
	}
	isRequest, isResponse := m.Method != nil, m.Result != nil || m.Error != nil
	switch {
	case !isRequest && !isResponse:
		return protocol.CodeInvalidRequest, "not a JSON-RPC 2.0 request or response: it has no method, result or error"
	case isRequest && isResponse:
		return protocol.CodeInvalidRequest, "not a JSON-RPC 2.0 request or response: it has both a method and a result or error"
	}
	return 0, ""
}

// frameError is a framing problem the stream recovers from.
type frameError struct{ msg string }

func (e *frameError) Error() string { return e.msg }

// readFrame returns the next message body. Lines before a header block that
// are not headers are skipped (and reported once per block); a header glued
// to garbage on the same line, as happens after a too-short Content-Length,
// is found inside the line.
func (s *stream) readFrame() ([]byte, error) {
	length := -1
	skipped, firstSkipped := 0, ""
	skip := func(b string) {
		if skipped == 0 {
			firstSkipped = b
		}
		skipped += len(b) + 1
	}
	inHeaders := false
	for {
		line, complete, err := s.readLine()
		if err != nil {
			return nil, err
		}
		if !complete {
			// A "line" longer than the read buffer is no header: skip it
			// without holding it all in memory.
			skip(line)
			inHeaders, length = false, -1
			continue
		}
		if line == "" {
			if !inHeaders {
				continue // blank lines between messages
			}
			break
		}
		if !inHeaders {
			if i := indexFold(line, "content-length:"); i > 0 {
				skip(line[:i])
				line = line[i:]
			}
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok || !isToken(name) {
			if inHeaders {
				return nil, &frameError{fmt.Sprintf("malformed header line %s", excerpt([]byte(line)))}
			}
			skip(line)
			if s.r.Buffered() == 0 {
				// Nothing follows yet: say so now rather than when the
				// client sends its next message.
				s.reportSkipped(skipped, firstSkipped)
				skipped = 0
			}
			continue
		}
		inHeaders = true
		if strings.EqualFold(name, "Content-Length") {
			n, err := strconv.Atoi(strings.TrimSpace(value))
			if err != nil || n < 0 {
				return nil, &frameError{fmt.Sprintf("bad Content-Length %s", excerpt([]byte(strings.TrimSpace(value))))}
			}
			length = n
		}
	}
	s.reportSkipped(skipped, firstSkipped)
	switch {
	case length < 0:
		return nil, &frameError{"a message without a Content-Length header"}
	case length > maxMessage:
		return nil, &frameError{fmt.Sprintf("Content-Length %d is over the limit of %d bytes", length, maxMessage)}
	}
	body := make([]byte, length)
	if _, err := io.ReadFull(s.r, body); err != nil {
		return nil, err
	}
	return body, nil
}

// reportSkipped tells the client (and the log) that bytes were skipped.
func (s *stream) reportSkipped(n int, first string) {
	if n == 0 {
		return
	}
	s.log.Warn("skipped bytes that were not an LSP header", "count", n, "start", excerpt([]byte(first)))
	s.replyError(nil, protocol.CodeParseError, fmt.Sprintf("skipped %d bytes that were not an LSP message header (want \"Content-Length: N\\r\\n\\r\\n\" and N bytes of JSON)", n))
}

// readLine reads up to the next newline, without it. A line longer than the
// read buffer comes back in pieces with complete false.
func (s *stream) readLine() (line string, complete bool, err error) {
	b, err := s.r.ReadSlice('\n')
	switch {
	case errors.Is(err, bufio.ErrBufferFull):
		return string(b), false, nil
	case err != nil:
		if len(b) > 0 {
			s.log.Warn("the client closed the connection in the middle of a message", "bytes", excerpt(b))
		}
		return "", false, err
	}
	return strings.TrimRight(string(b), "\r\n"), true, nil
}

// replyError answers a message the connection never saw.
func (s *stream) replyError(id json.RawMessage, code int, msg string) {
	if id == nil {
		id = json.RawMessage("null")
	}
	data, _ := json.Marshal(struct {
		JSONRPC string          `json:"jsonrpc"`
		ID      json.RawMessage `json:"id"`
		Error   struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}{JSONRPC: "2.0", ID: id, Error: struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}{code, msg}})
	if err := s.writeFrame(data); err != nil {
		s.log.Debug("could not answer a malformed message", "err", err)
	}
}

// Close closes the underlying stream.
func (s *stream) Close() error { return s.rwc.Close() }

// idOf returns the id of a JSON object that has a usable one (number or
// string), so that an invalid request is answered under its own id.
func idOf(body []byte) json.RawMessage {
	var m struct {
		ID json.RawMessage `json:"id"`
	}
	if json.Unmarshal(body, &m) != nil || len(m.ID) == 0 {
		return nil
	}
	switch m.ID[0] {
	case '"', '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return m.ID
	}
	return nil
}

func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("()<>@,;:\\\"/[]?={}", c) >= 0 {
			return false
		}
	}
	return true
}

func indexFold(s, sub string) int {
	return strings.Index(strings.ToLower(s), sub)
}

// excerpt is a loggable piece of what a client sent.
func excerpt(b []byte) string {
	const n = 120
	b = bytes.ToValidUTF8(b, []byte("?"))
	if len(b) > n {
		return strconv.Quote(string(b[:n])) + "…"
	}
	return strconv.Quote(string(b))
}
