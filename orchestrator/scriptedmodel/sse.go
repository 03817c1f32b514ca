package scriptedmodel

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
	"unicode/utf8"
)

// event is one server-sent event of a Messages API stream.
type event struct {
	name string
	data map[string]any
}

func (p plan) stopReason() string {
	if len(p.tools) > 0 {
		return "tool_use"
	}
	return "end_turn"
}

func (p plan) startUsage() map[string]any {
	return map[string]any{
		"input_tokens":                p.usage.InputTokens,
		"cache_creation_input_tokens": p.usage.CacheCreationInputTokens,
		"cache_read_input_tokens":     p.usage.CacheReadInputTokens,
		"output_tokens":               1,
	}
}

func (p plan) finalUsage() map[string]any {
	u := p.startUsage()
	u["output_tokens"] = p.usage.OutputTokens
	return u
}

// blocks returns the content blocks of the response, each with the deltas
// that stream it: text in word-sized chunks and tool input JSON in pieces,
// the way the API splits them.
func (p plan) blocks() []struct {
	start  map[string]any
	deltas []map[string]any
} {
	type blk = struct {
		start  map[string]any
		deltas []map[string]any
	}
	var out []blk
	if p.text != "" {
		b := blk{start: map[string]any{"type": "text", "text": ""}}
		for _, c := range chunks(p.text, 24) {
			b.deltas = append(b.deltas, map[string]any{"type": "text_delta", "text": c})
		}
		out = append(out, b)
	}
	for _, t := range p.tools {
		b := blk{start: map[string]any{"type": "tool_use", "id": t.id, "name": t.name, "input": map[string]any{}}}
		for _, c := range chunks(string(t.input), 48) {
			b.deltas = append(b.deltas, map[string]any{"type": "input_json_delta", "partial_json": c})
		}
		out = append(out, b)
	}
	return out
}

// chunks splits s into pieces of about n bytes, on rune boundaries.
func chunks(s string, n int) []string {
	var out []string
	for len(s) > n {
		i := n
		for i > 0 && !utf8.RuneStart(s[i]) {
			i--
		}
		if i == 0 {
			_, i = utf8.DecodeRuneInString(s)
		}
		out = append(out, s[:i])
		s = s[i:]
	}
	if s != "" {
		out = append(out, s)
	}
	return out
}

func (p plan) messageStart() event {
	return event{"message_start", map[string]any{"message": map[string]any{
		"id": p.msgID, "type": "message", "role": "assistant", "model": p.model,
		"content": []any{}, "stop_reason": nil, "stop_sequence": nil, "usage": p.startUsage(),
	}}}
}

func (p plan) events() []event {
	evs := []event{p.messageStart(), {"ping", map[string]any{}}}
	for i, b := range p.blocks() {
		evs = append(evs, event{"content_block_start", map[string]any{"index": i, "content_block": b.start}})
		for _, d := range b.deltas {
			evs = append(evs, event{"content_block_delta", map[string]any{"index": i, "delta": d}})
		}
		evs = append(evs, event{"content_block_stop", map[string]any{"index": i}})
	}
	return append(evs,
		event{"message_delta", map[string]any{
			"delta": map[string]any{"stop_reason": p.stopReason(), "stop_sequence": nil},
			"usage": p.finalUsage(),
		}},
		event{"message_stop", map[string]any{}},
	)
}

func encodeEvent(buf *bytes.Buffer, ev event) {
	ev.data["type"] = ev.name
	data, err := json.Marshal(ev.data)
	if err != nil {
		// Every value comes from JSON-checked scenario input or from this file.
		panic(fmt.Sprintf("scriptedmodel: encode %s event: %v", ev.name, err))
	}
	fmt.Fprintf(buf, "event: %s\ndata: %s\n\n", ev.name, data)
}

func streamHeaders(w http.ResponseWriter, p plan) {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("Request-Id", "req_"+p.msgID[len("msg_"):])
	for k, v := range p.headers {
		h.Set(k, v)
	}
	w.WriteHeader(http.StatusOK)
}

func (s *Server) writeStream(w http.ResponseWriter, r *http.Request, p plan) {
	rc := http.NewResponseController(w)
	streamHeaders(w, p)
	var buf bytes.Buffer
	for i, ev := range p.events() {
		if i > 0 && p.delay > 0 {
			select {
			case <-time.After(p.delay):
			case <-r.Context().Done():
				return
			}
		}
		buf.Reset()
		encodeEvent(&buf, ev)
		if _, err := w.Write(buf.Bytes()); err != nil {
			return // the client went away; nothing left to tell it
		}
		if p.delay > 0 {
			_ = rc.Flush()
		}
	}
	_ = rc.Flush()
}

// writeCut starts the response, sends part of it, and drops the connection
// without ending the chunked body, as a network cut or a crashed upstream
// would: for a stream, message_start and half of the first content block;
// for a non-streaming request (the CLI's last resort after failed streams),
// half of the JSON message.
func (s *Server) writeCut(w http.ResponseWriter, p plan, stream bool) {
	rc := http.NewResponseController(w)
	var buf bytes.Buffer
	if stream {
		streamHeaders(w, p)
		encodeEvent(&buf, p.messageStart())
		if bs := p.blocks(); len(bs) > 0 {
			b := bs[0]
			encodeEvent(&buf, event{"content_block_start", map[string]any{"index": 0, "content_block": b.start}})
			d := b.deltas[0]
			for _, k := range []string{"text", "partial_json"} {
				if v, ok := d[k].(string); ok && len(v) > 1 {
					d[k] = v[:len(v)/2]
				}
			}
			encodeEvent(&buf, event{"content_block_delta", map[string]any{"index": 0, "delta": d}})
		}
	} else {
		messageHeaders(w, p)
		w.WriteHeader(http.StatusOK)
		msg, _ := json.Marshal(p.message())
		buf.Write(msg[:len(msg)/2])
	}
	_, _ = w.Write(buf.Bytes())
	_ = rc.Flush()
	conn, _, err := rc.Hijack()
	if err != nil {
		s.log("scriptedmodel: cut: hijack: %v", err)
		return
	}
	_ = conn.Close()
}

func (p plan) message() map[string]any {
	content := []any{}
	if p.text != "" {
		content = append(content, map[string]any{"type": "text", "text": p.text})
	}
	for _, t := range p.tools {
		content = append(content, map[string]any{"type": "tool_use", "id": t.id, "name": t.name, "input": t.input})
	}
	return map[string]any{
		"id": p.msgID, "type": "message", "role": "assistant", "model": p.model,
		"content": content, "stop_reason": p.stopReason(), "stop_sequence": nil, "usage": p.finalUsage(),
	}
}

func messageHeaders(w http.ResponseWriter, p plan) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Request-Id", "req_"+p.msgID[len("msg_"):])
	for k, v := range p.headers {
		h.Set(k, v)
	}
}

// writeMessage answers a non-streaming request with the whole message.
func writeMessage(w http.ResponseWriter, p plan) {
	messageHeaders(w, p)
	_ = json.NewEncoder(w).Encode(p.message())
}

// errorType is the Anthropic API's error type for an HTTP status.
func errorType(status int) string {
	switch {
	case status == 400:
		return "invalid_request_error"
	case status == 401:
		return "authentication_error"
	case status == 403:
		return "permission_error"
	case status == 404:
		return "not_found_error"
	case status == 413:
		return "request_too_large"
	case status == 429:
		return "rate_limit_error"
	case status == 529:
		return "overloaded_error"
	case status >= 500:
		return "api_error"
	default:
		return "invalid_request_error"
	}
}

func defaultMessage(status int) string {
	switch status {
	case 429:
		return "Number of request tokens has exceeded your per-minute rate limit (scripted)"
	case 529:
		return "Overloaded (scripted)"
	case 500:
		return "Internal server error (scripted)"
	}
	return http.StatusText(status)
}

// writeError answers with an Anthropic-shaped error body. f, when set, is the
// scripted failure (for retry-after); message overrides its text.
func writeError(w http.ResponseWriter, status int, message string, f *Failure) {
	if message == "" {
		message = defaultMessage(status)
	}
	if f != nil && f.RetryAfter > 0 {
		w.Header().Set("Retry-After", fmt.Sprint(f.RetryAfter))
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"type":  "error",
		"error": map[string]any{"type": errorType(status), "message": message},
	})
}
