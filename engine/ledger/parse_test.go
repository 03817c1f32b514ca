package ledger

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// fixture reads a shared ledger fixture from the repository's testdata.
func fixture(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "ledger", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestParseValidFixture(t *testing.T) {
	t.Parallel()
	features, err := Parse(fixture(t, "valid.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(features) != 7 {
		t.Fatalf("got %d features, want 7", len(features))
	}
	f := features[4]
	want := Feature{
		Category:    "api",
		Description: "POST /api/todos with an empty title is refused with 400 and an error message",
		Steps:       []string{`POST /api/todos with body {"title": ""}`, "Verify the status is 400", "Verify the body names the title field"},
	}
	if !reflect.DeepEqual(f, want) {
		t.Errorf("entry 5 = %#v\nwant %#v", f, want)
	}
	if !features[0].Passes || features[2].Passes {
		t.Errorf("passes not read: %v %v", features[0].Passes, features[2].Passes)
	}
}

func TestParseKeepsExtraFields(t *testing.T) {
	t.Parallel()
	features, err := Parse(fixture(t, "extras.json"))
	if err != nil {
		t.Fatal(err)
	}
	wantExtra := []map[string]string{
		{"id": `"F-001"`, "priority": `1`, "notes": `{"owner":"auth","flaky":false,"tags":["login","smoke"]}`},
		{"id": `"F-002"`, "lastVerified": `null`},
		{"id": `"F-003"`},
	}
	for i, want := range wantExtra {
		got := map[string]string{}
		for k, v := range features[i].Extra {
			got[k] = string(v)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("entry %d extras = %v, want %v", i+1, got, want)
		}
	}
	if got := features[1].Description; got != `Wrong password shows "Invalid credentials" and keeps the e-mail filled in` {
		t.Errorf("escaped description decoded as %q", got)
	}
	if got := features[2].Description; got != "Die Startseite zeigt „Willkommen“ auf Deutsch 🇩🇪" {
		t.Errorf("non-ASCII description decoded as %q", got)
	}

	// Written back: known fields first, extras sorted, nothing lost, and the
	// text stays readable (no \u escapes for quotes or non-ASCII).
	out, err := Marshal(features)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Parse(out)
	if err != nil {
		t.Fatalf("reparse: %v\n%s", err, out)
	}
	if !reflect.DeepEqual(again, features) {
		t.Errorf("round trip changed the features:\n%s", out)
	}
	first := string(out[:bytes.Index(out, []byte("\n  },"))])
	order := []string{`"category"`, `"description"`, `"steps"`, `"passes"`, `"id"`, `"notes"`, `"priority"`}
	last := -1
	for _, key := range order {
		at := strings.Index(first, key)
		if at < last {
			t.Errorf("%s is out of order in\n%s", key, first)
		}
		last = at
	}
	if !bytes.Contains(out, []byte("„Willkommen“ auf Deutsch 🇩🇪")) {
		t.Errorf("non-ASCII text was escaped:\n%s", out)
	}
}

func TestMarshalLayout(t *testing.T) {
	t.Parallel()
	features := []Feature{
		{Category: "ui", Description: "Shows <b>bold</b> & more", Steps: []string{"a", "b"}, Passes: true,
			Extra: map[string]json.RawMessage{"tags": json.RawMessage(`["x",{"k":1}]`), "id": json.RawMessage(`7`)}},
		{Category: "ui", Description: "No steps yet", Steps: nil},
	}
	got, err := Marshal(features)
	if err != nil {
		t.Fatal(err)
	}
	want := `[
  {
    "category": "ui",
    "description": "Shows <b>bold</b> & more",
    "steps": [
      "a",
      "b"
    ],
    "passes": true,
    "id": 7,
    "tags": [
      "x",
      {
        "k": 1
      }
    ]
  },
  {
    "category": "ui",
    "description": "No steps yet",
    "steps": [],
    "passes": false
  }
]
`
	if string(got) != want {
		t.Errorf("Marshal:\n%s\nwant:\n%s", got, want)
	}
	// The layout is the one encoding/json would produce, apart from HTML escaping.
	type plain struct {
		Category    string          `json:"category"`
		Description string          `json:"description"`
		Steps       []string        `json:"steps"`
		Passes      bool            `json:"passes"`
		ID          json.RawMessage `json:"id,omitempty"`
		Tags        json.RawMessage `json:"tags,omitempty"`
	}
	var std bytes.Buffer
	enc := json.NewEncoder(&std)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode([]plain{
		{features[0].Category, features[0].Description, features[0].Steps, true, features[0].Extra["id"], features[0].Extra["tags"]},
		{features[1].Category, features[1].Description, []string{}, false, nil, nil},
	}); err != nil {
		t.Fatal(err)
	}
	if std.String() != want {
		t.Errorf("encoding/json lays it out differently:\n%s", std.String())
	}
}

func TestMarshalRejectsInvalidExtra(t *testing.T) {
	t.Parallel()
	_, err := Marshal([]Feature{{Category: "c", Description: "d", Extra: map[string]json.RawMessage{"id": json.RawMessage(`{`)}}})
	if err == nil || !strings.Contains(err.Error(), `entry 1: extra field "id" is not valid JSON`) {
		t.Fatalf("err = %v", err)
	}
}

func TestFeatureJSON(t *testing.T) {
	t.Parallel()
	f := Feature{Category: "c", Description: "d", Steps: []string{"s"}, Passes: true,
		Extra: map[string]json.RawMessage{"id": json.RawMessage(`"X"`), "passes": json.RawMessage(`false`)}}
	data, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"category":"c","description":"d","steps":["s"],"passes":true,"id":"X"}`; string(data) != want {
		t.Errorf("json.Marshal = %s, want %s", data, want)
	}
	var back []Feature
	if err := json.Unmarshal([]byte(`[`+string(data)+`]`), &back); err != nil {
		t.Fatal(err)
	}
	f.Extra = map[string]json.RawMessage{"id": json.RawMessage(`"X"`)}
	if !reflect.DeepEqual(back, []Feature{f}) {
		t.Errorf("json.Unmarshal = %#v", back)
	}
	var bad Feature
	err = json.Unmarshal([]byte(`{"category":"c","steps":[],"passes":false}`), &bad)
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Msg != "missing description" {
		t.Errorf("Unmarshal of an entry without description: %v", err)
	}
}

// mark is where a test input expects its error; it is cut out before parsing.
const mark = "⁁"

func TestParseErrors(t *testing.T) {
	t.Parallel()
	entry := `{"category":"c","description":"d","steps":["s"],"passes":false}`
	tests := []struct {
		name  string
		input string // with mark at the expected error position
		entry int
		msg   string
	}{
		{"empty file", mark, 0, "empty file: expected a JSON array of features"},
		{"only blanks", " \n\t" + mark, 0, "empty file: expected a JSON array of features"},
		{"object at top", mark + `{"features": []}`, 0, "the top level must be a JSON array of features, got an object"},
		{"null at top", "\n  " + mark + "null", 0, "the top level must be a JSON array of features, got null"},
		{"entry not an object", `[` + entry + `, ` + mark + `"x"]`, 2, `must be an object {category, description, steps, passes}, got the string "x"`},
		{"truncated in a string", `[{"category":"c","descr` + mark, 1, "unexpected end of file (is the file incomplete?)"},
		{"truncated after an entry", "[\n" + entry + "," + mark, 2, "unexpected end of file (is the file incomplete?)"},
		{"missing bracket", "[" + entry + mark, 1, "unexpected end of file (is the file incomplete?)"},
		{"trailing comma", "[" + entry + ",\n" + mark + "]", 2, "must be an object {category, description, steps, passes}, got the character ']'"},
		{"missing comma", "[" + entry + "\n  " + mark + entry + "]", 1, "expected ',' or ']' after the entry, got an object"},
		{"data after the array", "[]\n" + mark + "[]", 0, "unexpected data after the closing ']': an array"},
		{"missing description", "[" + entry + ",\n  " + mark + `{"category":"c","steps":[],"passes":true}]`, 2, "missing description"},
		{"missing everything", "[" + mark + "{}]", 1, "missing category, description, steps, passes"},
		{"missing several", "[" + mark + `{"category":"c","description":"d"}]`, 1, "missing steps, passes"},
		{"passes as a string", `[{"category":"c","description":"d","steps":[],"passes":` + mark + `"true"}]`, 1, `passes must be a boolean (true or false), got the string "true"`},
		{"passes as a number", `[{"category":"c","description":"d","steps":[],"passes":` + mark + `1}]`, 1, "passes must be a boolean (true or false), got the number 1"},
		{"passes null", `[{"category":"c","description":"d","steps":[],"passes":` + mark + `null}]`, 1, "passes must be a boolean (true or false), got null"},
		{"category a number", `[{"category":` + mark + `12,"description":"d","steps":[],"passes":false}]`, 1, "category must be a string, got the number 12"},
		{"empty category", `[{"category":` + mark + `"","description":"d","steps":[],"passes":false}]`, 1, "category is empty"},
		{"blank description", `[{"category":"c","description":` + mark + `" \t","steps":[],"passes":false}]`, 1, "description is empty"},
		{"steps a string", `[{"category":"c","description":"d","steps":` + mark + `"open the app","passes":false}]`, 1, `steps must be an array of strings, got the string "open the app"`},
		{"step not a string", `[{"category":"c","description":"d","steps":["a",` + mark + `{"do":"b"}],"passes":false}]`, 1, "steps[1] must be a string, got an object"},
		{"duplicate field", `[{"category":"c","description":"d",` + mark + `"category":"e","steps":[],"passes":false}]`, 1, `field "category" appears twice`},
		{"duplicate extra", `[{"id":1,"category":"c","description":"d",` + mark + `"id":2,"steps":[],"passes":false}]`, 1, `field "id" appears twice`},
		{"unquoted key", `[{` + mark + `category:"c"}]`, 1, "expected a field name in double quotes, got the character 'c'"},
		{"missing colon", `[{"category" ` + mark + `"c"}]`, 1, `expected ':' after field name "category", got the string "c"`},
		{"newline inside a string", "[{\"category\":\"c\",\"description\":\"two" + mark + "\nlines\"}]", 1, "control character U+000A inside a string (write it escaped, e.g. \\n)"},
		{"bad escape", `[{"category":"c","description":"a` + mark + `\x"}]`, 1, `invalid escape \x inside a string`},
		{"bad unicode escape", `[{"category":"c","description":"a` + mark + `\u12G4"}]`, 1, `invalid escape \u12G4: expected 4 hex digits`},
		{"bad extra literal", `[{"category":"c","description":"d","steps":[],"passes":false,"done":` + mark + `tru}]`, 1, `invalid literal "tru" (expected true, false or null)`},
		{"bad extra number", `[{"category":"c","description":"d","steps":[],"passes":false,"n":-` + mark + `x}]`, 1, "invalid number -x"},
		{"leading zero", `[{"category":"c","description":"d","steps":[],"passes":false,"n":0` + mark + `1}]`, 1, "expected ',' or '}' after field \"n\", got the number 1"},
		{"bad extra object", `[{"category":"c","description":"d","steps":[],"passes":false,"o":{"a" ` + mark + `1}}]`, 1, "expected ':' after a field name, got the number 1"},
		{"extra nested too deep", `[{"x":` + strings.Repeat("[", maxDepth+1) + mark + strings.Repeat("[", 5), 1, "values nested more than 10000 deep"},
		{"second line column", "[\n  " + entry + ",\n  {\"category\": \"c\", \"description\": \"d\", \"steps\": [], \"passes\": " + mark + "tRue}\n]", 2, "passes must be a boolean (true or false), got the character 't'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			off := strings.Index(tt.input, mark)
			if off < 0 {
				t.Fatal("test input has no mark")
			}
			input := strings.Replace(tt.input, mark, "", 1)
			before := input[:off]
			wantLine := 1 + strings.Count(before, "\n")
			wantCol := off - (strings.LastIndex(before, "\n") + 1) + 1

			_, err := Parse([]byte(input))
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse(%q) error = %v, want a *ParseError", input, err)
			}
			if pe.Msg != tt.msg || pe.Entry != tt.entry || pe.Line != wantLine || pe.Column != wantCol || pe.Offset != off {
				t.Errorf("Parse(%q)\n got %d:%d (offset %d) entry %d: %s\nwant %d:%d (offset %d) entry %d: %s",
					input, pe.Line, pe.Column, pe.Offset, pe.Entry, pe.Msg, wantLine, wantCol, off, tt.entry, tt.msg)
			}
		})
	}
}

func TestParseErrorFixtures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file string
		want string // the whole error text, as the CLI and the log show it
	}{
		{"truncated.json", "ledger.json:5:41: entry 1: unexpected end of file (is the file incomplete?)"},
		{"wrong-types.json", `ledger.json:12:15: entry 2: passes must be a boolean (true or false), got the string "true"`},
		{"missing-description.json", "ledger.json:3:3: entry 2: missing description"},
		{"not-array.json", "ledger.json:1:1: the top level must be a JSON array of features, got an object"},
		{"empty-category.json", "ledger.json:2:16: entry 1: category is empty"},
		{"steps-not-strings.json", "ledger.json:2:91: entry 1: steps[1] must be a string, got the number 200"},
		{"trailing-comma.json", "ledger.json:3:1: entry 2: must be an object {category, description, steps, passes}, got the character ']'"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "ledger.json")
			if err := os.WriteFile(path, fixture(t, tt.file), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Read(path)
			if err == nil {
				t.Fatal("Read succeeded")
			}
			if got := strings.TrimPrefix(err.Error(), filepath.Dir(path)+"/"); got != tt.want {
				t.Errorf("error:\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestReadMissingFile(t *testing.T) {
	t.Parallel()
	_, err := Read(filepath.Join(t.TempDir(), File))
	if !errors.Is(err, os.ErrNotExist) || !strings.HasPrefix(err.Error(), "read ledger: ") {
		t.Fatalf("err = %v, want a wrapped not-exist error", err)
	}
}

func TestParseAcceptsWhatJSONAccepts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, input string
		want        []Feature
	}{
		{"empty array", " [ ] \n", []Feature{}},
		{"byte-order mark", "\xef\xbb\xbf[]", []Feature{}},
		{"escapes", `[{"category":"c\u00e9","description":"tab\there \"q\" \ud83d\ude00 \/","steps":["a\\b"],"passes":true}]`,
			[]Feature{{Category: "cé", Description: "tab\there \"q\" 😀 /", Steps: []string{`a\b`}, Passes: true}}},
		{"invalid UTF-8 becomes U+FFFD", "[{\"category\":\"c\xff\",\"description\":\"d\",\"steps\":[],\"passes\":false}]",
			[]Feature{{Category: "c\uFFFD", Description: "d", Steps: []string{}}}},
		{"keys in any order, blanks anywhere", "[ {\r\n\"passes\" : true , \"steps\":[ ] ,\"description\":\"d\",\"category\":\"c\"} ]",
			[]Feature{{Category: "c", Description: "d", Steps: []string{}, Passes: true}}},
		{"extra numbers and literals", `[{"category":"c","description":"d","steps":[],"passes":false,"a":-0.5e+3,"b":true,"c":"","d":[ 1 , {} ]}]`,
			[]Feature{{Category: "c", Description: "d", Steps: []string{}, Extra: map[string]json.RawMessage{
				"a": json.RawMessage(`-0.5e+3`), "b": json.RawMessage(`true`), "c": json.RawMessage(`""`), "d": json.RawMessage(`[1,{}]`)}}}},
		{"key matching is exact", `[{"category":"c","description":"d","steps":[],"passes":false,"Passes":true}]`,
			[]Feature{{Category: "c", Description: "d", Steps: []string{}, Extra: map[string]json.RawMessage{"Passes": json.RawMessage(`true`)}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Parse([]byte(tt.input))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse = %#v\nwant %#v", got, tt.want)
			}
			checkAgainstEncodingJSON(t, []byte(tt.input), got)
		})
	}
}

// checkAgainstEncodingJSON checks a successful Parse against what
// encoding/json reads from the same bytes.
func checkAgainstEncodingJSON(t *testing.T, data []byte, features []Feature) {
	t.Helper()
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	var entries []map[string]json.RawMessage
	if err := json.Unmarshal(data, &entries); err != nil {
		t.Fatalf("Parse accepted what encoding/json refuses (%v): %q", err, data)
	}
	if len(entries) != len(features) {
		t.Fatalf("encoding/json reads %d entries, Parse %d", len(entries), len(features))
	}
	for i, m := range entries {
		f := features[i]
		var std Feature
		for _, field := range []struct {
			name string
			dst  any
		}{{"category", &std.Category}, {"description", &std.Description}, {"steps", &std.Steps}, {"passes", &std.Passes}} {
			if err := json.Unmarshal(m[field.name], field.dst); err != nil {
				t.Fatalf("entry %d: encoding/json cannot read %s: %v", i+1, field.name, err)
			}
		}
		if std.Category != f.Category || std.Description != f.Description || !equalSteps(std.Steps, f.Steps) || std.Passes != f.Passes {
			t.Fatalf("entry %d: encoding/json reads %#v, Parse %#v", i+1, std, f)
		}
		if len(m) != 4+len(f.Extra) {
			t.Fatalf("entry %d: encoding/json sees %d fields, Parse %d + 4", i+1, len(m), len(f.Extra))
		}
		for k, v := range f.Extra {
			var c bytes.Buffer
			if err := json.Compact(&c, m[k]); err != nil || c.String() != string(v) {
				t.Fatalf("entry %d: extra %q: encoding/json reads %s, Parse %s", i+1, k, m[k], v)
			}
		}
	}
}

func equalSteps(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestParseWithLines(t *testing.T) {
	t.Parallel()
	features, lines, err := ParseWithLines(fixture(t, "valid.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := []int{2, 13, 24, 34, 44, 54, 64}
	if len(features) != len(want) || !reflect.DeepEqual(lines, want) {
		t.Errorf("lines = %v, want %v", lines, want)
	}
}

func TestWriteRead(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), File)
	features, err := Parse(fixture(t, "extras.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := Write(path, features); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasSuffix(data, []byte("}\n]\n")) || !bytes.HasPrefix(data, []byte("[\n  {\n    \"category\": ")) {
		t.Errorf("unexpected layout:\n%s", data)
	}
	back, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, features) {
		t.Errorf("Read after Write = %#v\nwant %#v", back, features)
	}
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("Write left temporary files: %v", entries)
	}
}

// The string scanner skips plain text eight bytes at a time; a special
// byte must be found wherever it falls in such a word.
func TestStringScanAtEveryAlignment(t *testing.T) {
	t.Parallel()
	for _, special := range []string{`\"`, `\\`, `\n`, `\u00e9`, "é", "\xff", "😀", "\x1f", "\x7f"} {
		for pad := 0; pad < 20; pad++ {
			desc := "x" + strings.Repeat("a", pad) + special + strings.Repeat("b", pad%9)
			input := `[{"category":"c","description":"` + desc + `","steps":[],"passes":false}]`
			features, err := Parse([]byte(input))
			if special == "\x1f" {
				var pe *ParseError
				if !errors.As(err, &pe) || pe.Offset != strings.Index(input, "\x1f") {
					t.Errorf("pad %d: control character not reported at its offset: %v", pad, err)
				}
				continue
			}
			if err != nil {
				t.Fatalf("pad %d, %q: %v", pad, special, err)
			}
			checkAgainstEncodingJSON(t, []byte(input), features)
		}
	}
	// An unterminated string ending on a word boundary.
	for pad := 0; pad < 20; pad++ {
		input := `[{"category":"` + strings.Repeat("a", pad)
		_, err := Parse([]byte(input))
		var pe *ParseError
		if !errors.As(err, &pe) || pe.Offset != len(input) || !strings.Contains(pe.Msg, "unexpected end of file") {
			t.Errorf("pad %d: %v", pad, err)
		}
	}
}
