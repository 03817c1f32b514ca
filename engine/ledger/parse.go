package ledger

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"unicode/utf8"
)

// ParseError says what is wrong with a ledger and where, so that the editor
// can put a diagnostic on the spot and the agent can be told what to fix.
type ParseError struct {
	File   string // set by Read; empty for Parse
	Line   int    // 1-based
	Column int    // 1-based, counted in bytes
	Offset int    // 0-based byte offset of the problem
	Entry  int    // 1-based number of the entry the problem is in; 0 when outside any entry
	Msg    string
}

func (e *ParseError) Error() string {
	loc := fmt.Sprintf("%d:%d", e.Line, e.Column)
	if e.File != "" {
		loc = e.File + ":" + loc
	}
	if e.Entry > 0 {
		return fmt.Sprintf("%s: entry %d: %s", loc, e.Entry, e.Msg)
	}
	return loc + ": " + e.Msg
}

// Read reads and parses the ledger at path. A parse error is a *ParseError
// with File set to path.
func Read(path string) ([]Feature, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read ledger: %w", err)
	}
	features, err := Parse(data)
	if pe, ok := err.(*ParseError); ok {
		pe.File = path
	}
	return features, err
}

// Parse parses a ledger. Every entry must have a non-empty category and
// description, steps as an array of strings and passes as a boolean; field
// names are matched exactly and may appear once. Other fields are kept in
// Extra. The error, if any, is a *ParseError.
//
// Parse is a hand-written single-pass scanner rather than encoding/json
// because a 10,000-entry ledger must parse in a few milliseconds (the
// reflection decoder needs about 20 ms) and because it knows which entry and
// field each problem is in.
func Parse(data []byte) ([]Feature, error) {
	features, _, err := parse(data, false)
	return features, err
}

// ParseWithLines is Parse that also returns the 1-based line on which each
// entry starts, for diagnostics that point at an entry.
func ParseWithLines(data []byte) ([]Feature, []int, error) {
	return parse(data, true)
}

// maxDepth bounds the nesting of extra fields, as encoding/json does, so a
// hostile file cannot exhaust the stack.
const maxDepth = 10000

type parser struct {
	data []byte
	// str is data as one string: decoded strings that need no unescaping
	// are substrings of it, which saves an allocation per string.
	str   string
	pos   int
	entry int // 1-based entry being parsed, 0 outside entries
	// steps is the backing array shared by every entry's Steps (each gets a
	// full slice expression, so appending to one never overwrites another).
	steps []string
}

func parse(data []byte, wantLines bool) ([]Feature, []int, error) {
	p := &parser{data: data, str: string(data)}
	var starts []int
	features, err := p.document(func(off int) {
		if wantLines {
			starts = append(starts, off)
		}
	})
	if err != nil {
		return nil, nil, err
	}
	if !wantLines {
		return features, nil, nil
	}
	lines := make([]int, len(starts))
	line, last := 1, 0
	for i, off := range starts {
		line += bytes.Count(data[last:off], []byte{'\n'})
		last = off
		lines[i] = line
	}
	return features, lines, nil
}

func (p *parser) document(entryAt func(off int)) ([]Feature, error) {
	if bytes.HasPrefix(p.data, []byte("\xef\xbb\xbf")) {
		p.pos = 3 // a UTF-8 byte-order mark, as some Windows editors write
	}
	p.skipWS()
	if p.pos == len(p.data) {
		return nil, p.errAt(p.pos, "empty file: expected a JSON array of features")
	}
	if p.data[p.pos] != '[' {
		return nil, p.errAt(p.pos, "the top level must be a JSON array of features, got %s", p.describe(p.pos))
	}
	p.pos++
	p.skipWS()
	// A realistic entry takes a few hundred bytes; guessing the count up
	// front avoids most of the slice growth.
	features := make([]Feature, 0, len(p.data)/400+1)
	if p.peek() == ']' {
		p.pos++
	} else {
		for {
			p.entry = len(features) + 1
			if p.pos == len(p.data) {
				return nil, p.errEOF()
			}
			if p.data[p.pos] != '{' {
				return nil, p.errAt(p.pos, "must be an object {category, description, steps, passes}, got %s", p.describe(p.pos))
			}
			entryAt(p.pos)
			f, err := p.object()
			if err != nil {
				return nil, err
			}
			features = append(features, f)
			p.skipWS()
			if c := p.peek(); c == ',' {
				p.pos++
				p.skipWS()
				continue
			} else if c == ']' {
				p.pos++
				break
			}
			if p.pos == len(p.data) {
				return nil, p.errEOF()
			}
			return nil, p.errAt(p.pos, "expected ',' or ']' after the entry, got %s", p.describe(p.pos))
		}
	}
	p.entry = 0
	p.skipWS()
	if p.pos != len(p.data) {
		return nil, p.errAt(p.pos, "unexpected data after the closing ']': %s", p.describe(p.pos))
	}
	return features, nil
}

// object parses one entry starting at its '{'.
func (p *parser) object() (Feature, error) {
	var f Feature
	start := p.pos
	var haveCategory, haveDescription, haveSteps, havePasses bool
	p.pos++
	p.skipWS()
	if p.peek() == '}' {
		p.pos++
		return f, p.errAt(start, "missing category, description, steps, passes")
	}
	for {
		if p.pos == len(p.data) {
			return f, p.errEOF()
		}
		if p.data[p.pos] != '"' {
			return f, p.errAt(p.pos, "expected a field name in double quotes, got %s", p.describe(p.pos))
		}
		keyOff := p.pos
		key, err := p.string()
		if err != nil {
			return f, err
		}
		p.skipWS()
		if p.peek() != ':' {
			if p.pos == len(p.data) {
				return f, p.errEOF()
			}
			return f, p.errAt(p.pos, "expected ':' after field name %q, got %s", key, p.describe(p.pos))
		}
		p.pos++
		p.skipWS()
		valOff := p.pos
		dup := false
		switch key {
		case "category":
			dup, haveCategory = haveCategory, true
			if !dup {
				f.Category, err = p.text("category")
			}
		case "description":
			dup, haveDescription = haveDescription, true
			if !dup {
				f.Description, err = p.text("description")
			}
		case "steps":
			dup, haveSteps = haveSteps, true
			if !dup {
				f.Steps, err = p.stepList()
			}
		case "passes":
			dup, havePasses = havePasses, true
			if !dup {
				f.Passes, err = p.boolean()
			}
		default:
			if _, seen := f.Extra[key]; seen {
				dup = true
				break
			}
			if err = p.skipValue(0); err != nil {
				break
			}
			if f.Extra == nil {
				f.Extra = make(map[string]json.RawMessage)
			}
			f.Extra[key] = compactCopy(p.data[valOff:p.pos])
		}
		if dup {
			return f, p.errAt(keyOff, "field %q appears twice", key)
		}
		if err != nil {
			return f, err
		}
		p.skipWS()
		if c := p.peek(); c == ',' {
			p.pos++
			p.skipWS()
			continue
		} else if c == '}' {
			p.pos++
			break
		}
		if p.pos == len(p.data) {
			return f, p.errEOF()
		}
		return f, p.errAt(p.pos, "expected ',' or '}' after field %q, got %s", key, p.describe(p.pos))
	}
	var missing []string
	for _, m := range []struct {
		have bool
		name string
	}{{haveCategory, "category"}, {haveDescription, "description"}, {haveSteps, "steps"}, {havePasses, "passes"}} {
		if !m.have {
			missing = append(missing, m.name)
		}
	}
	if len(missing) > 0 {
		return f, p.errAt(start, "missing %s", strings.Join(missing, ", "))
	}
	return f, nil
}

// text parses a required non-empty string field.
func (p *parser) text(name string) (string, error) {
	off := p.pos
	if p.peek() != '"' {
		return "", p.errAt(off, "%s must be a string, got %s", name, p.describe(off))
	}
	s, err := p.string()
	if err != nil {
		return "", err
	}
	if strings.TrimSpace(s) == "" {
		return "", p.errAt(off, "%s is empty", name)
	}
	return s, nil
}

func (p *parser) stepList() ([]string, error) {
	if p.peek() != '[' {
		return nil, p.errAt(p.pos, "steps must be an array of strings, got %s", p.describe(p.pos))
	}
	p.pos++
	p.skipWS()
	if p.peek() == ']' {
		p.pos++
		return []string{}, nil
	}
	first := len(p.steps)
	for i := 0; ; i++ {
		if p.peek() != '"' {
			if p.pos == len(p.data) {
				return nil, p.errEOF()
			}
			return nil, p.errAt(p.pos, "steps[%d] must be a string, got %s", i, p.describe(p.pos))
		}
		s, err := p.string()
		if err != nil {
			return nil, err
		}
		p.steps = append(p.steps, s)
		p.skipWS()
		if c := p.peek(); c == ',' {
			p.pos++
			p.skipWS()
			continue
		} else if c == ']' {
			p.pos++
			break
		}
		if p.pos == len(p.data) {
			return nil, p.errEOF()
		}
		return nil, p.errAt(p.pos, "expected ',' or ']' after steps[%d], got %s", i, p.describe(p.pos))
	}
	return p.steps[first:len(p.steps):len(p.steps)], nil
}

func (p *parser) boolean() (bool, error) {
	rest := p.data[p.pos:]
	switch {
	case bytes.HasPrefix(rest, []byte("true")):
		p.pos += 4
		return true, nil
	case bytes.HasPrefix(rest, []byte("false")):
		p.pos += 5
		return false, nil
	}
	return false, p.errAt(p.pos, "passes must be a boolean (true or false), got %s", p.describe(p.pos))
}

// string parses a JSON string at p.pos and returns its value.
func (p *parser) string() (string, error) {
	start := p.pos
	data := p.data
	ascii := true
	i := start + 1
scan:
	for i < len(data) {
		// Most of a ledger is plain ASCII text inside strings: skip it eight
		// bytes at a time while no byte is a quote, a backslash, a control
		// character or non-ASCII (bit tricks from "Bit Twiddling Hacks").
		if i+8 <= len(data) {
			const ones, highs = 0x0101010101010101, 0x8080808080808080
			x := binary.LittleEndian.Uint64(data[i:])
			q := x ^ (ones * '"')
			b := x ^ (ones * '\\')
			if ((x-ones*0x20)&^x|(q-ones)&^q|(b-ones)&^b|x)&highs == 0 {
				i += 8
				continue
			}
		}
		for end := min(i+8, len(data)); i < end; i++ {
			c := data[i]
			if c == '"' {
				break scan
			}
			if c == '\\' {
				return p.escapedString(start)
			}
			if c < 0x20 {
				return "", p.errAt(i, "control character U+%04X inside a string (write it escaped, e.g. \\n)", c)
			}
			if c >= utf8.RuneSelf {
				ascii = false
			}
		}
	}
	if i >= len(data) {
		return "", p.errEOF()
	}
	if !ascii && !utf8.Valid(data[start+1:i]) {
		// encoding/json turns invalid UTF-8 into U+FFFD; so do we.
		return p.escapedString(start)
	}
	p.pos = i + 1
	return p.str[start+1 : i], nil
}

// escapedString is the slow path of string: it validates the escapes itself
// (to report where a bad one is) and lets encoding/json decode them.
func (p *parser) escapedString(start int) (string, error) {
	end, err := p.stringEnd(start)
	if err != nil {
		return "", err
	}
	var s string
	if err := json.Unmarshal(p.data[start:end], &s); err != nil {
		return "", p.errAt(start, "invalid string: %v", err)
	}
	p.pos = end
	return s, nil
}

// stringEnd checks the string starting at start and returns the offset just
// past its closing quote.
func (p *parser) stringEnd(start int) (int, error) {
	data := p.data
	for i := start + 1; i < len(data); i++ {
		switch c := data[i]; {
		case c == '"':
			return i + 1, nil
		case c == '\\':
			i++
			if i == len(data) {
				return 0, p.errEOF()
			}
			switch data[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if i+4 >= len(data) {
					return 0, p.errEOF()
				}
				for _, h := range data[i+1 : i+5] {
					if !isHex(h) {
						return 0, p.errAt(i-1, "invalid escape \\u%s: expected 4 hex digits", printable(data[i+1:i+5]))
					}
				}
				i += 4
			default:
				return 0, p.errAt(i-1, "invalid escape \\%s inside a string", printable(data[i:i+1]))
			}
		case c < 0x20:
			return 0, p.errAt(i, "control character U+%04X inside a string (write it escaped, e.g. \\n)", c)
		}
	}
	return 0, p.errEOF()
}

// skipValue checks the JSON value at p.pos and moves past it.
func (p *parser) skipValue(depth int) error {
	if depth > maxDepth {
		return p.errAt(p.pos, "values nested more than %d deep", maxDepth)
	}
	if p.pos == len(p.data) {
		return p.errEOF()
	}
	switch c := p.data[p.pos]; {
	case c == '"':
		end, err := p.stringEnd(p.pos)
		if err != nil {
			return err
		}
		p.pos = end
		return nil
	case c == '{':
		p.pos++
		p.skipWS()
		if p.peek() == '}' {
			p.pos++
			return nil
		}
		for {
			if p.peek() != '"' {
				if p.pos == len(p.data) {
					return p.errEOF()
				}
				return p.errAt(p.pos, "expected a field name in double quotes, got %s", p.describe(p.pos))
			}
			end, err := p.stringEnd(p.pos)
			if err != nil {
				return err
			}
			p.pos = end
			p.skipWS()
			if p.peek() != ':' {
				if p.pos == len(p.data) {
					return p.errEOF()
				}
				return p.errAt(p.pos, "expected ':' after a field name, got %s", p.describe(p.pos))
			}
			p.pos++
			p.skipWS()
			if err := p.skipValue(depth + 1); err != nil {
				return err
			}
			p.skipWS()
			if c := p.peek(); c == ',' {
				p.pos++
				p.skipWS()
				continue
			} else if c == '}' {
				p.pos++
				return nil
			}
			if p.pos == len(p.data) {
				return p.errEOF()
			}
			return p.errAt(p.pos, "expected ',' or '}' in an object, got %s", p.describe(p.pos))
		}
	case c == '[':
		p.pos++
		p.skipWS()
		if p.peek() == ']' {
			p.pos++
			return nil
		}
		for {
			if err := p.skipValue(depth + 1); err != nil {
				return err
			}
			p.skipWS()
			if c := p.peek(); c == ',' {
				p.pos++
				p.skipWS()
				continue
			} else if c == ']' {
				p.pos++
				return nil
			}
			if p.pos == len(p.data) {
				return p.errEOF()
			}
			return p.errAt(p.pos, "expected ',' or ']' in an array, got %s", p.describe(p.pos))
		}
	case c == 't' || c == 'f' || c == 'n':
		for _, lit := range []string{"true", "false", "null"} {
			if bytes.HasPrefix(p.data[p.pos:], []byte(lit)) {
				p.pos += len(lit)
				return nil
			}
		}
		end := p.pos
		for end < len(p.data) && 'a' <= p.data[end] && p.data[end] <= 'z' {
			end++
		}
		return p.errAt(p.pos, "invalid literal %q (expected true, false or null)", printable(p.data[p.pos:end]))
	case c == '-' || isDigit(c):
		return p.number()
	}
	return p.errAt(p.pos, "expected a JSON value, got %s", p.describe(p.pos))
}

// number checks a JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (p *parser) number() error {
	start := p.pos
	if p.peek() == '-' {
		p.pos++
	}
	switch {
	case p.peek() == '0':
		p.pos++
	case isDigit(p.peek()):
		p.digits()
	default:
		return p.badNumber(start)
	}
	if p.peek() == '.' {
		p.pos++
		if !isDigit(p.peek()) {
			return p.badNumber(start)
		}
		p.digits()
	}
	if c := p.peek(); c == 'e' || c == 'E' {
		p.pos++
		if c := p.peek(); c == '+' || c == '-' {
			p.pos++
		}
		if !isDigit(p.peek()) {
			return p.badNumber(start)
		}
		p.digits()
	}
	return nil
}

func (p *parser) badNumber(start int) error {
	if p.pos == len(p.data) {
		return p.errEOF()
	}
	return p.errAt(p.pos, "invalid number %s", printable(p.data[start:p.pos+1]))
}

func (p *parser) digits() {
	for isDigit(p.peek()) {
		p.pos++
	}
}

func (p *parser) skipWS() {
	for p.pos < len(p.data) {
		// Indentation comes in runs of spaces: skip them eight at a time.
		if p.pos+8 <= len(p.data) && binary.LittleEndian.Uint64(p.data[p.pos:]) == 0x2020202020202020 {
			p.pos += 8
			continue
		}
		switch p.data[p.pos] {
		case ' ', '\n', '\t', '\r':
			p.pos++
		default:
			return
		}
	}
}

// peek returns the byte at p.pos, or 0 at the end (0 is never valid there).
func (p *parser) peek() byte {
	if p.pos < len(p.data) {
		return p.data[p.pos]
	}
	return 0
}

// describe names the value or character at off for an error message.
func (p *parser) describe(off int) string {
	if off >= len(p.data) {
		return "the end of the file"
	}
	switch c := p.data[off]; {
	case c == '"':
		q := *p
		q.pos = off
		if s, err := q.string(); err == nil {
			return "the string " + quoteShort(s)
		}
		return "a string"
	case c == '{':
		return "an object"
	case c == '[':
		return "an array"
	case c == '-' || isDigit(c):
		q := *p
		q.pos = off
		if q.number() == nil {
			return "the number " + string(p.data[off:q.pos])
		}
		return "an invalid number"
	}
	for _, lit := range []string{"true", "false", "null"} {
		if bytes.HasPrefix(p.data[off:], []byte(lit)) {
			return lit
		}
	}
	r, _ := utf8.DecodeRune(p.data[off:])
	return fmt.Sprintf("the character %q", r)
}

func (p *parser) errEOF() error {
	return p.errAt(len(p.data), "unexpected end of file (is the file incomplete?)")
}

func (p *parser) errAt(off int, format string, args ...any) error {
	line := 1 + bytes.Count(p.data[:off], []byte{'\n'})
	col := off - (bytes.LastIndexByte(p.data[:off], '\n') + 1) + 1
	return &ParseError{Line: line, Column: col, Offset: off, Entry: p.entry, Msg: fmt.Sprintf(format, args...)}
}

// compactCopy returns raw without insignificant whitespace, in a new slice
// (the caller's buffer may be reused). Only objects and arrays can hold such
// whitespace once the surrounding blanks are gone.
func compactCopy(raw []byte) json.RawMessage {
	if len(raw) > 0 && (raw[0] == '{' || raw[0] == '[') {
		var buf bytes.Buffer
		if json.Compact(&buf, raw) == nil {
			return buf.Bytes()
		}
	}
	return append(json.RawMessage(nil), raw...)
}

func quoteShort(s string) string {
	const max = 60
	if utf8.RuneCountInString(s) > max {
		s = string([]rune(s)[:max]) + "…"
	}
	return fmt.Sprintf("%q", s)
}

func printable(b []byte) string { return strings.ToValidUTF8(string(b), "\uFFFD") }

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isHex(c byte) bool {
	return isDigit(c) || ('a' <= c && c <= 'f') || ('A' <= c && c <= 'F')
}
