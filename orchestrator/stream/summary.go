package stream

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Summarize gives a one-line description of a tool call's input: the command
// of a Bash call, the path of a file tool, the pattern of a search, and
// otherwise the input as compact JSON, cut to SummaryBytes.
func Summarize(tool string, input json.RawMessage) string {
	switch tool {
	case "Bash":
		return excerpt(oneLine(stringField(input, "command")), CommandBytes)
	case "Read", "Write", "Edit", "MultiEdit":
		if p := stringField(input, "file_path"); p != "" {
			return p
		}
	case "NotebookEdit":
		if p := stringField(input, "notebook_path"); p != "" {
			return p
		}
	case "Glob", "Grep":
		if p := stringField(input, "pattern"); p != "" {
			return excerpt(oneLine(p), SummaryBytes)
		}
	}
	if len(input) == 0 {
		return ""
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, input); err != nil {
		return excerpt(oneLine(string(input)), SummaryBytes)
	}
	return excerpt(buf.String(), SummaryBytes)
}

// stringField returns input[key] when input is an object and that member a
// string.
func stringField(input json.RawMessage, key string) string {
	var m map[string]json.RawMessage
	if json.Unmarshal(input, &m) != nil {
		return ""
	}
	s, _ := jsonStringPrefix(m[key], -1)
	return s
}

// contentText renders a tool_result's content (a string, or a list of
// blocks of which the text ones count) as at most max bytes of text. Tool
// output can be megabytes, so only the needed prefix is decoded.
func contentText(raw json.RawMessage, max int) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return ""
	}
	switch raw[0] {
	case '"':
		s, cut := jsonStringPrefix(raw, max)
		if cut {
			return trimToRune(s, max) + "…"
		}
		return excerpt(s, max)
	case '[':
		var blocks []struct {
			Type string          `json:"type"`
			Text json.RawMessage `json:"text"`
		}
		if json.Unmarshal(raw, &blocks) != nil {
			return excerpt(string(raw), max)
		}
		var b strings.Builder
		for _, blk := range blocks {
			if b.Len() > 0 {
				b.WriteByte('\n')
			}
			switch blk.Type {
			case "text":
				s, _ := jsonStringPrefix(blk.Text, max-b.Len()+1)
				b.WriteString(s)
			default:
				b.WriteString("[" + blk.Type + "]")
			}
			if b.Len() > max {
				break
			}
		}
		return excerpt(b.String(), max)
	}
	return excerpt(string(raw), max)
}

// jsonStringPrefix decodes the JSON string literal raw, stopping once it has
// more than max bytes of output (max < 0: no limit). cut reports that it
// stopped early. Anything that is not a well-formed string decodes to "".
func jsonStringPrefix(raw []byte, max int) (s string, cut bool) {
	if len(raw) < 2 || raw[0] != '"' {
		return "", false
	}
	// Fast path: no escapes in the part we need.
	end := len(raw) - 1
	if max >= 0 && max+1 < end {
		end = max + 1
	}
	if bytes.IndexByte(raw[1:end], '\\') < 0 && bytes.IndexByte(raw[1:end], '"') < 0 {
		if end == len(raw)-1 {
			if raw[end] != '"' {
				return "", false
			}
			return string(raw[1:end]), false
		}
		return string(raw[1:end]), true
	}
	out := make([]byte, 0, min(len(raw), max+8))
	for i := 1; i < len(raw); {
		if max >= 0 && len(out) > max {
			return string(out), true
		}
		c := raw[i]
		switch {
		case c == '"':
			return string(out), false
		case c != '\\':
			out = append(out, c)
			i++
			continue
		}
		if i+1 >= len(raw) {
			return "", false
		}
		switch raw[i+1] {
		case '"', '\\', '/':
			out = append(out, raw[i+1])
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, n := decodeU(raw[i:])
			if n == 0 {
				return "", false
			}
			out = utf8.AppendRune(out, r)
			i += n
			continue
		default:
			return "", false
		}
		i += 2
	}
	return "", false
}

// decodeU decodes \uXXXX (and a following low surrogate) at the start of b,
// returning the rune and the bytes used, or n == 0 when malformed.
func decodeU(b []byte) (r rune, n int) {
	hex := func(b []byte) (rune, bool) {
		if len(b) < 6 || b[0] != '\\' || b[1] != 'u' {
			return 0, false
		}
		var v rune
		for _, c := range b[2:6] {
			switch {
			case '0' <= c && c <= '9':
				v = v<<4 | rune(c-'0')
			case 'a' <= c && c <= 'f':
				v = v<<4 | rune(c-'a'+10)
			case 'A' <= c && c <= 'F':
				v = v<<4 | rune(c-'A'+10)
			default:
				return 0, false
			}
		}
		return v, true
	}
	r1, ok := hex(b)
	if !ok {
		return 0, 0
	}
	if utf16.IsSurrogate(r1) {
		if r2, ok := hex(b[6:]); ok {
			if r := utf16.DecodeRune(r1, r2); r != utf8.RuneError {
				return r, 12
			}
		}
		return utf8.RuneError, 6
	}
	return r1, 6
}

// excerpt cuts s to at most max bytes (plus an ellipsis) without splitting a
// UTF-8 sequence.
func excerpt(s string, max int) string {
	if len(s) <= max {
		return s
	}
	return trimToRune(s, max) + "…"
}

func trimToRune(s string, max int) string {
	if len(s) <= max {
		return s
	}
	i := max
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i]
}

// oneLine joins the lines of s with " ⏎ " so a multi-line command shows as
// one line in a log.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\n", " ⏎ ")
}
