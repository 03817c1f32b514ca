// Package schema reads the result of a schema-validation session
// (.autonomous/schema_validation.json): the discrepancies an agent found
// between a project's architecture docs (.schema/*.md) and its code, each
// pointing at a doc line and a code line for the editor to mark.
package schema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"strconv"
	"strings"
	"time"
)

// File is where the result lives, relative to a worktree's root.
const File = ".autonomous/schema_validation.json"

// Severities of a discrepancy.
const (
	SeverityError   = "error"
	SeverityWarning = "warning"
	SeverityInfo    = "info"
)

// Result is one validation run.
type Result struct {
	ValidatedAt   time.Time     `json:"validatedAt"`
	SchemaFiles   []string      `json:"schemaFiles"`
	Discrepancies []Discrepancy `json:"discrepancies"`
}

// Discrepancy is one place where the docs and the code disagree.
type Discrepancy struct {
	ID         string `json:"id"`
	Severity   string `json:"severity"` // SeverityError, SeverityWarning or SeverityInfo
	Category   string `json:"category"`
	Message    string `json:"message"`
	SchemaRef  *Ref   `json:"schemaRef,omitempty"` // where the docs say it
	CodeRef    *Ref   `json:"codeRef,omitempty"`   // where the code does otherwise
	Expected   string `json:"expected,omitempty"`
	Actual     string `json:"actual,omitempty"`
	Suggestion string `json:"suggestion,omitempty"`
}

// Ref is a line in a file of the project.
type Ref struct {
	File string `json:"file"` // relative to the project root, slash-separated, never outside it
	Line int    `json:"line"` // 1-based
}

// Counts returns how many discrepancies there are of each severity.
func (r *Result) Counts() (errors, warnings, infos int) {
	for _, d := range r.Discrepancies {
		switch d.Severity {
		case SeverityError:
			errors++
		case SeverityWarning:
			warnings++
		case SeverityInfo:
			infos++
		}
	}
	return errors, warnings, infos
}

// ParseError says what is wrong with a result file and where.
type ParseError struct {
	File   string // set by Read
	Line   int    // 1-based
	Column int    // 1-based, counted in bytes
	Offset int    // 0-based byte offset
	Path   string // the field at fault, such as "discrepancies[2].severity"; empty for syntax errors
	Msg    string
}

func (e *ParseError) Error() string {
	loc := fmt.Sprintf("%d:%d", e.Line, e.Column)
	if e.File != "" {
		loc = e.File + ":" + loc
	}
	if e.Path != "" {
		return fmt.Sprintf("%s: %s: %s", loc, e.Path, e.Msg)
	}
	return loc + ": " + e.Msg
}

// Read reads and parses the result at path. A problem with the content is a
// *ParseError with File set to path.
func Read(file string) (*Result, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read schema validation result: %w", err)
	}
	r, err := Parse(data)
	if pe, ok := err.(*ParseError); ok {
		pe.File = file
	}
	return r, err
}

// Parse parses a result and checks what the editor relies on: every
// discrepancy has an id (unique), a severity of error, warning or info, and a
// message; references name a file inside the project and a line from 1.
// Unknown fields are ignored, since agents add their own. The error, if any,
// is a *ParseError for the first problem found.
func Parse(data []byte) (*Result, error) {
	p := &parser{data: data}
	if bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) {
		p.start = 3
	}
	if err := p.syntax(); err != nil {
		return nil, err
	}
	return p.result()
}

type parser struct {
	data  []byte
	start int // past a UTF-8 byte-order mark, which some editors write
}

// node is a JSON value and where it starts in the file.
type node struct {
	raw json.RawMessage
	off int
}

func (p *parser) syntax() error {
	var v any
	err := json.Unmarshal(p.data[p.start:], &v)
	var se *json.SyntaxError
	if errors.As(err, &se) {
		off := p.start + int(se.Offset)
		msg := strings.TrimPrefix(se.Error(), "json: ")
		if off >= len(p.data) || msg == "unexpected end of JSON input" {
			return p.errAt(len(p.data), "", "unexpected end of file (is the file incomplete?)")
		}
		// The offset is just past the offending byte.
		return p.errAt(max(off-1, p.start), "", "invalid JSON: %s", msg)
	}
	if err != nil {
		return p.errAt(0, "", "invalid JSON: %v", err)
	}
	return nil
}

func (p *parser) result() (*Result, error) {
	start := skipSpace(p.data, p.start)
	top := node{raw: bytes.TrimSpace(p.data[p.start:]), off: start}
	if kind(top) != "an object" {
		return nil, p.errAt(start, "", "the top level must be a JSON object {validatedAt, schemaFiles, discrepancies}, got %s", kind(top))
	}
	fields, err := p.members(top)
	if err != nil {
		return nil, err
	}
	r := &Result{SchemaFiles: []string{}, Discrepancies: []Discrepancy{}}
	if n, ok := fields["validatedAt"]; ok && !isNull(n) {
		s, err := p.str(n, "validatedAt")
		if err != nil {
			return nil, err
		}
		if r.ValidatedAt, err = time.Parse(time.RFC3339, s); err != nil {
			return nil, p.errAt(n.off, "validatedAt", "must be an RFC 3339 time such as 2026-01-01T00:00:00Z, got %q", s)
		}
	}
	if n, ok := fields["schemaFiles"]; ok && !isNull(n) {
		items, err := p.array(n, "schemaFiles")
		if err != nil {
			return nil, err
		}
		for i, item := range items {
			at := fmt.Sprintf("schemaFiles[%d]", i)
			s, err := p.str(item, at)
			if err != nil {
				return nil, err
			}
			if err := p.projectPath(item, at, s); err != nil {
				return nil, err
			}
			r.SchemaFiles = append(r.SchemaFiles, s)
		}
	}
	n, ok := fields["discrepancies"]
	if !ok {
		return nil, p.errAt(start, "", "missing discrepancies (write [] when there are none)")
	}
	items, err := p.array(n, "discrepancies")
	if err != nil {
		return nil, err
	}
	firstID := map[string]int{}
	for i, item := range items {
		at := fmt.Sprintf("discrepancies[%d]", i)
		d, err := p.discrepancy(item, at)
		if err != nil {
			return nil, err
		}
		if j, dup := firstID[d.ID]; dup {
			idNode := p.mustMembers(item)["id"]
			return nil, p.errAt(idNode.off, at+".id", "duplicate id %q (first used by discrepancies[%d])", d.ID, j)
		}
		firstID[d.ID] = i
		r.Discrepancies = append(r.Discrepancies, d)
	}
	return r, nil
}

func (p *parser) discrepancy(n node, at string) (Discrepancy, error) {
	var d Discrepancy
	if kind(n) != "an object" {
		return d, p.errAt(n.off, at, "must be an object {id, severity, category, message, ...}, got %s", kind(n))
	}
	fields, err := p.members(n)
	if err != nil {
		return d, err
	}
	required := func(name string, dst *string) error {
		f, ok := fields[name]
		if !ok || isNull(f) {
			return p.errAt(n.off, at, "missing %s", name)
		}
		s, err := p.str(f, at+"."+name)
		if err != nil {
			return err
		}
		if strings.TrimSpace(s) == "" {
			return p.errAt(f.off, at+"."+name, "is empty")
		}
		*dst = s
		return nil
	}
	optional := func(name string, dst *string) error {
		f, ok := fields[name]
		if !ok || isNull(f) {
			return nil
		}
		s, err := p.str(f, at+"."+name)
		*dst = s
		return err
	}
	for _, step := range []func() error{
		func() error { return required("id", &d.ID) },
		func() error { return required("severity", &d.Severity) },
		func() error {
			switch d.Severity {
			case SeverityError, SeverityWarning, SeverityInfo:
				return nil
			}
			return p.errAt(fields["severity"].off, at+".severity", "must be error, warning or info, got %q", d.Severity)
		},
		func() error { return optional("category", &d.Category) },
		func() error { return required("message", &d.Message) },
		func() (err error) { d.SchemaRef, err = p.ref(fields, "schemaRef", at); return err },
		func() (err error) { d.CodeRef, err = p.ref(fields, "codeRef", at); return err },
		func() error { return optional("expected", &d.Expected) },
		func() error { return optional("actual", &d.Actual) },
		func() error { return optional("suggestion", &d.Suggestion) },
	} {
		if err := step(); err != nil {
			return d, err
		}
	}
	return d, nil
}

func (p *parser) ref(fields map[string]node, name, at string) (*Ref, error) {
	n, ok := fields[name]
	if !ok || isNull(n) {
		return nil, nil
	}
	at += "." + name
	if kind(n) != "an object" {
		return nil, p.errAt(n.off, at, "must be an object {file, line}, got %s", kind(n))
	}
	fs, err := p.members(n)
	if err != nil {
		return nil, err
	}
	var ref Ref
	f, ok := fs["file"]
	if !ok {
		return nil, p.errAt(n.off, at, "missing file")
	}
	if ref.File, err = p.str(f, at+".file"); err != nil {
		return nil, err
	}
	if err := p.projectPath(f, at+".file", ref.File); err != nil {
		return nil, err
	}
	l, ok := fs["line"]
	if !ok {
		return nil, p.errAt(n.off, at, "missing line")
	}
	if kind(l) != "a number" {
		return nil, p.errAt(l.off, at+".line", "must be a line number from 1, got %s", kind(l))
	}
	line, err := strconv.Atoi(string(l.raw))
	if err != nil {
		return nil, p.errAt(l.off, at+".line", "must be a whole line number from 1, got %s", l.raw)
	}
	if line < 1 {
		return nil, p.errAt(l.off, at+".line", "must be 1 or more (lines are 1-based), got %d", line)
	}
	ref.Line = line
	return &ref, nil
}

// projectPath checks that a file named by the result stays inside the
// project: the editor opens it, and a path outside could point anywhere.
func (p *parser) projectPath(n node, at, file string) error {
	if strings.TrimSpace(file) == "" {
		return p.errAt(n.off, at, "is empty")
	}
	slashed := strings.ReplaceAll(file, `\`, "/")
	if strings.HasPrefix(slashed, "/") || (len(file) >= 2 && file[1] == ':') {
		return p.errAt(n.off, at, "must be relative to the project root, got the absolute path %q", file)
	}
	if c := path.Clean(slashed); c == ".." || strings.HasPrefix(c, "../") {
		return p.errAt(n.off, at, "%q is outside the project", file)
	}
	return nil
}

func (p *parser) str(n node, at string) (string, error) {
	if kind(n) != "a string" {
		return "", p.errAt(n.off, at, "must be a string, got %s", kind(n))
	}
	var s string
	if err := json.Unmarshal(n.raw, &s); err != nil {
		return "", p.errAt(n.off, at, "%v", err)
	}
	return s, nil
}

func (p *parser) array(n node, at string) ([]node, error) {
	if kind(n) != "an array" {
		return nil, p.errAt(n.off, at, "must be an array, got %s", kind(n))
	}
	dec := json.NewDecoder(bytes.NewReader(n.raw))
	if _, err := dec.Token(); err != nil {
		return nil, p.errAt(n.off, at, "%v", err)
	}
	var items []node
	for dec.More() {
		start := skipSeparators(n.raw, int(dec.InputOffset()))
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, p.errAt(n.off+start, at, "%v", err)
		}
		items = append(items, node{raw: raw, off: n.off + start})
	}
	return items, nil
}

// members returns an object's fields by name (the last one wins, as in
// encoding/json).
func (p *parser) members(n node) (map[string]node, error) {
	dec := json.NewDecoder(bytes.NewReader(n.raw))
	if _, err := dec.Token(); err != nil {
		return nil, p.errAt(n.off, "", "%v", err)
	}
	fields := map[string]node{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, p.errAt(n.off, "", "%v", err)
		}
		key, _ := tok.(string)
		start := skipSeparators(n.raw, int(dec.InputOffset()))
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, p.errAt(n.off+start, key, "%v", err)
		}
		fields[key] = node{raw: raw, off: n.off + start}
	}
	return fields, nil
}

// mustMembers is members of an object already read without error.
func (p *parser) mustMembers(n node) map[string]node {
	fields, _ := p.members(n)
	return fields
}

func (p *parser) errAt(off int, at, format string, args ...any) error {
	line := 1 + bytes.Count(p.data[:off], []byte{'\n'})
	col := off - (bytes.LastIndexByte(p.data[:off], '\n') + 1) + 1
	return &ParseError{Line: line, Column: col, Offset: off, Path: at, Msg: fmt.Sprintf(format, args...)}
}

// kind names the type of a JSON value for error messages.
func kind(n node) string {
	if len(n.raw) == 0 {
		return "nothing"
	}
	switch c := n.raw[0]; {
	case c == '{':
		return "an object"
	case c == '[':
		return "an array"
	case c == '"':
		return "a string"
	case c == 't' || c == 'f':
		return "a boolean"
	case c == 'n':
		return "null"
	default:
		return "a number"
	}
}

func isNull(n node) bool { return string(n.raw) == "null" }

// skipSeparators moves past blanks, ':' and ',' between JSON tokens.
func skipSeparators(data []byte, off int) int {
	for off < len(data) {
		switch data[off] {
		case ' ', '\t', '\n', '\r', ':', ',':
			off++
		default:
			return off
		}
	}
	return off
}

func skipSpace(data []byte, off int) int {
	for off < len(data) {
		switch data[off] {
		case ' ', '\t', '\n', '\r':
			off++
		default:
			return off
		}
	}
	return off
}
