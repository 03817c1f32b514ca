package ledger

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"unicode/utf8"

	"github.com/autonomous-coding/autonomous/engine/fsutil"
)

// Write replaces the ledger at path atomically with features, in the layout
// Marshal produces.
func Write(path string, features []Feature) error {
	data, err := Marshal(features)
	if err != nil {
		return fmt.Errorf("write ledger %s: %w", path, err)
	}
	if err := fsutil.WriteFileAtomic(path, data, 0o644); err != nil {
		return fmt.Errorf("write ledger: %w", err)
	}
	return nil
}

// Marshal renders features as the file holds them: indented by two spaces,
// known fields first (category, description, steps, passes), then extra
// fields sorted by name, with a trailing newline. Strings are not
// HTML-escaped, so descriptions stay readable ("<button>", "a -> b").
func Marshal(features []Feature) ([]byte, error) {
	buf := make([]byte, 0, 512*len(features)+4)
	if len(features) == 0 {
		return append(buf, "[]\n"...), nil
	}
	buf = append(buf, "[\n"...)
	for i := range features {
		var err error
		buf = append(buf, "  "...)
		if buf, err = appendFeature(buf, &features[i], "  "); err != nil {
			return nil, fmt.Errorf("entry %d: %w", i+1, err)
		}
		if i < len(features)-1 {
			buf = append(buf, ',')
		}
		buf = append(buf, '\n')
	}
	return append(buf, "]\n"...), nil
}

// MarshalJSON writes the known fields first, in a stable order, then the
// extra fields sorted by name. An extra field named like a known one is
// dropped: the known field wins.
func (f Feature) MarshalJSON() ([]byte, error) {
	return appendFeature(nil, &f, "")
}

// UnmarshalJSON parses one entry with the same rules as Parse.
func (f *Feature) UnmarshalJSON(data []byte) error {
	p := &parser{data: data, str: string(data)}
	p.skipWS()
	if p.peek() != '{' {
		return p.errAt(p.pos, "a feature must be an object {category, description, steps, passes}, got %s", p.describe(p.pos))
	}
	got, err := p.object()
	if err != nil {
		return err
	}
	p.skipWS()
	if p.pos != len(p.data) {
		return p.errAt(p.pos, "unexpected %s after the feature", p.describe(p.pos))
	}
	*f = got
	return nil
}

// appendFeature appends f as a JSON object. With indent empty the object is
// compact; otherwise it is laid out as at nesting level indent.
func appendFeature(buf []byte, f *Feature, indent string) ([]byte, error) {
	compact := indent == ""
	inner := indent + "  "
	field := func(name string) {
		if compact {
			buf = append(buf, '"')
			buf = append(buf, name...)
			buf = append(buf, `":`...)
			return
		}
		buf = append(buf, '\n')
		buf = append(buf, inner...)
		buf = append(buf, '"')
		buf = append(buf, name...)
		buf = append(buf, `": `...)
	}
	buf = append(buf, '{')
	field("category")
	buf = appendString(buf, f.Category)
	buf = append(buf, ',')
	field("description")
	buf = appendString(buf, f.Description)
	buf = append(buf, ',')
	field("steps")
	buf = append(buf, '[')
	for i, s := range f.Steps {
		if i > 0 {
			buf = append(buf, ',')
		}
		if !compact {
			buf = append(buf, '\n')
			buf = append(buf, inner...)
			buf = append(buf, "  "...)
		}
		buf = appendString(buf, s)
	}
	if !compact && len(f.Steps) > 0 {
		buf = append(buf, '\n')
		buf = append(buf, inner...)
	}
	buf = append(buf, "],"...)
	field("passes")
	if f.Passes {
		buf = append(buf, "true"...)
	} else {
		buf = append(buf, "false"...)
	}
	if len(f.Extra) > 0 {
		keys := make([]string, 0, len(f.Extra))
		for k := range f.Extra {
			switch k {
			case "category", "description", "steps", "passes":
				continue
			}
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			buf = append(buf, ',')
			if compact {
				buf = appendString(buf, k)
				buf = append(buf, ':')
			} else {
				buf = append(buf, '\n')
				buf = append(buf, inner...)
				buf = appendString(buf, k)
				buf = append(buf, ": "...)
			}
			var out bytes.Buffer
			var err error
			if compact {
				err = json.Compact(&out, f.Extra[k])
			} else {
				err = json.Indent(&out, f.Extra[k], inner, "  ")
			}
			if err != nil || out.Len() == 0 {
				return nil, fmt.Errorf("extra field %q is not valid JSON: %q", k, f.Extra[k])
			}
			buf = append(buf, out.Bytes()...)
		}
	}
	if !compact {
		buf = append(buf, '\n')
		buf = append(buf, indent...)
	}
	return append(buf, '}'), nil
}

// appendString appends s as a JSON string. Unlike encoding/json it leaves
// <, > and & alone (the file is read by people, not by browsers); like it,
// it writes invalid UTF-8 as U+FFFD and escapes U+2028 and U+2029.
func appendString(buf []byte, s string) []byte {
	const hex = "0123456789abcdef"
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			buf = append(buf, s[start:i]...)
			switch c {
			case '"', '\\':
				buf = append(buf, '\\', c)
			case '\n':
				buf = append(buf, `\n`...)
			case '\r':
				buf = append(buf, `\r`...)
			case '\t':
				buf = append(buf, `\t`...)
			default:
				buf = append(buf, `\u00`...)
				buf = append(buf, hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			buf = append(buf, s[start:i]...)
			buf = append(buf, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			buf = append(buf, s[start:i]...)
			buf = append(buf, `\u202`...)
			buf = append(buf, hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}
