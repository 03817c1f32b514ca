package schema

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func fixture(t *testing.T, name string) string {
	t.Helper()
	return filepath.Join("..", "..", "testdata", "schema", name)
}

func TestReadValid(t *testing.T) {
	t.Parallel()
	r, err := Read(fixture(t, "valid.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := &Result{
		ValidatedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		SchemaFiles: []string{".schema/_index.md", ".schema/ipc.md"},
		Discrepancies: []Discrepancy{
			{
				ID: "D1", Severity: "error", Category: "ipc-channel",
				Message:    "Channel 'worktree:list' is documented but not registered",
				SchemaRef:  &Ref{File: ".schema/_index.md", Line: 42},
				CodeRef:    &Ref{File: "src/main/ipc/index.ts", Line: 88},
				Expected:   "ipcMain.handle('worktree:list', ...)",
				Actual:     "no handler for 'worktree:list'",
				Suggestion: "Register the channel in src/main/ipc/index.ts or remove it from the docs",
			},
			{
				ID: "D2", Severity: "warning", Category: "file",
				Message:   "src/renderer/store.ts is described as the only state store, but src/renderer/cache.ts also keeps state",
				SchemaRef: &Ref{File: ".schema/_index.md", Line: 17},
				CodeRef:   &Ref{File: "./src/renderer/cache.ts", Line: 1},
			},
			{ID: "D3", Severity: "info", Category: "convention", Message: "Docs do not mention the logger wrapper used everywhere"},
		},
	}
	if !reflect.DeepEqual(r, want) {
		t.Errorf("Read =\n%+v\nwant\n%+v", r, want)
	}
	if e, w, i := r.Counts(); e != 1 || w != 1 || i != 1 {
		t.Errorf("Counts = %d, %d, %d; want 1, 1, 1", e, w, i)
	}
}

func TestReadNoDiscrepancies(t *testing.T) {
	t.Parallel()
	r, err := Read(fixture(t, "none.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !r.ValidatedAt.Equal(time.Date(2026, 2, 3, 9, 20, 30, 0, time.UTC)) || len(r.Discrepancies) != 0 || r.Discrepancies == nil {
		t.Errorf("Read = %+v", r)
	}
	if e, w, i := r.Counts(); e+w+i != 0 {
		t.Errorf("Counts = %d, %d, %d", e, w, i)
	}
}

func TestReadErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file string
		want string // the error as the user sees it, after the file name
	}{
		{"bad-severity.json", `7:30: discrepancies[2].severity: must be error, warning or info, got "fatal"`},
		{"missing-message.json", `3:5: discrepancies[0]: missing message`},
		{"duplicate-id.json", `4:12: discrepancies[1].id: duplicate id "D1" (first used by discrepancies[0])`},
		{"escaping-ref.json", `4:26: discrepancies[0].codeRef.file: "src/../../etc/passwd" is outside the project`},
		{"absolute-ref.json", `4:28: discrepancies[0].schemaRef.file: must be relative to the project root, got the absolute path "/home/user/project/.schema/_index.md"`},
		{"line-zero.json", `4:57: discrepancies[0].schemaRef.line: must be 1 or more (lines are 1-based), got 0`},
		{"truncated.json", `4:24: unexpected end of file (is the file incomplete?)`},
		{"bad-syntax.json", `3:54: invalid JSON: invalid character '}' looking for beginning of object key string`},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			path := fixture(t, tt.file)
			_, err := Read(path)
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Read error = %v, want a *ParseError", err)
			}
			if got := err.Error(); got != path+":"+tt.want {
				t.Errorf("error:\n got %s\nwant %s:%s", got, path, tt.want)
			}
		})
	}
}

// mark is where a test input expects its error; it is cut out before parsing.
const mark = "⁁"

func TestParseErrors(t *testing.T) {
	t.Parallel()
	d := `{"id":"D1","severity":"error","message":"m"}`
	tests := []struct {
		name, input string // input with mark at the expected position
		path, msg   string
	}{
		{"empty", mark, "", "unexpected end of file (is the file incomplete?)"},
		{"array at top", mark + "[]", "", "the top level must be a JSON object {validatedAt, schemaFiles, discrepancies}, got an array"},
		{"byte-order mark then array", "\xef\xbb\xbf" + mark + "[]", "", "the top level must be a JSON object {validatedAt, schemaFiles, discrepancies}, got an array"},
		{"no discrepancies", mark + `{"validatedAt":"2026-01-01T00:00:00Z"}`, "", "missing discrepancies (write [] when there are none)"},
		{"discrepancies an object", `{"discrepancies":` + mark + `{}}`, "discrepancies", "must be an array, got an object"},
		{"discrepancy a string", `{"discrepancies":[` + d + `, ` + mark + `"D2"]}`, "discrepancies[1]", "must be an object {id, severity, category, message, ...}, got a string"},
		{"bad time", `{"validatedAt":` + mark + `"yesterday","discrepancies":[]}`, "validatedAt", `must be an RFC 3339 time such as 2026-01-01T00:00:00Z, got "yesterday"`},
		{"time a number", `{"validatedAt":` + mark + `1767225600,"discrepancies":[]}`, "validatedAt", "must be a string, got a number"},
		{"schema file outside", `{"schemaFiles":["a.md",` + mark + `"../other/.schema/x.md"],"discrepancies":[]}`, "schemaFiles[1]", `"../other/.schema/x.md" is outside the project`},
		{"schema file windows absolute", `{"schemaFiles":[` + mark + `"C:\\repo\\x.md"],"discrepancies":[]}`, "schemaFiles[0]", `must be relative to the project root, got the absolute path "C:\\repo\\x.md"`},
		{"missing id", `{"discrepancies":[` + mark + `{"severity":"error","message":"m"}]}`, "discrepancies[0]", "missing id"},
		{"null id", `{"discrepancies":[` + mark + `{"id":null,"severity":"error","message":"m"}]}`, "discrepancies[0]", "missing id"},
		{"empty message", `{"discrepancies":[{"id":"D1","severity":"error","message":` + mark + `"  "}]}`, "discrepancies[0].message", "is empty"},
		{"missing severity", `{"discrepancies":[` + mark + `{"id":"D1","message":"m"}]}`, "discrepancies[0]", "missing severity"},
		{"severity in capitals", `{"discrepancies":[{"id":"D1","severity":` + mark + `"Error","message":"m"}]}`, "discrepancies[0].severity", `must be error, warning or info, got "Error"`},
		{"severity a number", `{"discrepancies":[{"id":"D1","severity":` + mark + `2,"message":"m"}]}`, "discrepancies[0].severity", "must be a string, got a number"},
		{"category a number", `{"discrepancies":[{"id":"D1","severity":"info","category":` + mark + `3,"message":"m"}]}`, "discrepancies[0].category", "must be a string, got a number"},
		{"ref a string", `{"discrepancies":[{"id":"D1","severity":"info","message":"m","codeRef":` + mark + `"src/a.ts:3"}]}`, "discrepancies[0].codeRef", "must be an object {file, line}, got a string"},
		{"ref without line", `{"discrepancies":[{"id":"D1","severity":"info","message":"m","codeRef":` + mark + `{"file":"a.ts"}}]}`, "discrepancies[0].codeRef", "missing line"},
		{"ref without file", `{"discrepancies":[{"id":"D1","severity":"info","message":"m","codeRef":` + mark + `{"line":2}}]}`, "discrepancies[0].codeRef", "missing file"},
		{"ref empty file", `{"discrepancies":[{"id":"D1","severity":"info","message":"m","codeRef":{"file":` + mark + `"","line":2}}]}`, "discrepancies[0].codeRef.file", "is empty"},
		{"negative line", `{"discrepancies":[{"id":"D1","severity":"info","message":"m","codeRef":{"file":"a","line":` + mark + `-4}}]}`, "discrepancies[0].codeRef.line", "must be 1 or more (lines are 1-based), got -4"},
		{"fractional line", `{"discrepancies":[{"id":"D1","severity":"info","message":"m","codeRef":{"file":"a","line":` + mark + `2.5}}]}`, "discrepancies[0].codeRef.line", "must be a whole line number from 1, got 2.5"},
		{"line a string", `{"discrepancies":[{"id":"D1","severity":"info","message":"m","codeRef":{"file":"a","line":` + mark + `"12"}}]}`, "discrepancies[0].codeRef.line", "must be a line number from 1, got a string"},
		{"escape via backslashes", `{"discrepancies":[{"id":"D1","severity":"info","message":"m","codeRef":{"file":` + mark + `"src\\..\\..\\x","line":1}}]}`, "discrepancies[0].codeRef.file", `"src\\..\\..\\x" is outside the project`},
		{"syntax error position", "{\n  \"discrepancies\": [\n    " + mark + "x\n  ]\n}", "", "invalid JSON: invalid character 'x' looking for beginning of value"},
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
			line := 1 + strings.Count(before, "\n")
			col := off - (strings.LastIndex(before, "\n") + 1) + 1

			_, err := Parse([]byte(input))
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse(%q) error = %v, want a *ParseError", input, err)
			}
			if pe.Path != tt.path || pe.Msg != tt.msg || pe.Line != line || pe.Column != col {
				t.Errorf("Parse(%q)\n got %d:%d %s: %s\nwant %d:%d %s: %s", input, pe.Line, pe.Column, pe.Path, pe.Msg, line, col, tt.path, tt.msg)
			}
		})
	}
}

func TestParseTolerates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, input string
		want        *Result
	}{
		{"unknown fields everywhere",
			`{"tool":"x","discrepancies":[{"id":"D1","severity":"warning","message":"m","extra":{"a":[1]},"codeRef":{"file":"a.go","line":3,"column":7}}]}`,
			&Result{SchemaFiles: []string{}, Discrepancies: []Discrepancy{{ID: "D1", Severity: "warning", Message: "m", CodeRef: &Ref{File: "a.go", Line: 3}}}}},
		{"nulls for optional fields",
			`{"validatedAt":null,"schemaFiles":null,"discrepancies":[{"id":"D1","severity":"info","message":"m","category":null,"schemaRef":null,"expected":null}]}`,
			&Result{SchemaFiles: []string{}, Discrepancies: []Discrepancy{{ID: "D1", Severity: "info", Message: "m"}}}},
		{"paths that stay inside",
			`{"schemaFiles":["./.schema/a.md","docs/../.schema/b.md"],"discrepancies":[]}`,
			&Result{SchemaFiles: []string{"./.schema/a.md", "docs/../.schema/b.md"}, Discrepancies: []Discrepancy{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Parse([]byte(tt.input))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse = %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestReadMissingFile(t *testing.T) {
	t.Parallel()
	_, err := Read(filepath.Join(t.TempDir(), File))
	if !errors.Is(err, os.ErrNotExist) || !strings.HasPrefix(err.Error(), "read schema validation result: ") {
		t.Fatalf("err = %v", err)
	}
}
