package demo

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/autonomous-coding/autonomous/engine/ledger"
	"github.com/autonomous-coding/autonomous/engine/schema"
	"github.com/autonomous-coding/autonomous/orchestrator/policy"
	"github.com/autonomous-coding/autonomous/orchestrator/scriptedmodel"
	"github.com/autonomous-coding/autonomous/prompts"
)

func TestWriteProject(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		prepare func(t *testing.T) string // returns the dir to write to
		wantErr string
	}{
		{"missing nested dir is created", func(t *testing.T) string {
			return filepath.Join(t.TempDir(), "a", "shop-api")
		}, ""},
		{"empty dir", func(t *testing.T) string { return t.TempDir() }, ""},
		{"dir with a user's file is refused", func(t *testing.T) string {
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "notes.txt"), "mine")
			return dir
		}, "is not empty (it holds notes.txt, ...): choose a new folder; nothing was written"},
		{"a file instead of a dir is refused", func(t *testing.T) string {
			path := filepath.Join(t.TempDir(), "file")
			writeFile(t, path, "mine")
			return path
		}, "write demo project to "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := tt.prepare(t)
			before := snapshot(t, dir)
			err := WriteProject(dir)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), dir) {
					t.Fatalf("WriteProject(%s) = %v, want an error naming the dir and containing %q", dir, err, tt.wantErr)
				}
				if after := snapshot(t, dir); after != before {
					t.Fatalf("WriteProject changed %s although it failed:\nbefore %s\nafter  %s", dir, before, after)
				}
				return
			}
			if err != nil {
				t.Fatalf("WriteProject: %v", err)
			}
			for _, name := range []string{"package.json", "README.md", ".gitignore", ".schema/_index.md", "src/server.js", "src/routes.js", "src/store.js", "test/helpers.js", "test/items.test.js"} {
				want, err := fs.ReadFile(project, "project/"+name)
				if err != nil {
					t.Fatal(err)
				}
				got, err := os.ReadFile(filepath.Join(dir, name))
				if err != nil || !bytes.Equal(got, want) {
					t.Errorf("%s: not written as embedded (err %v)", name, err)
				}
			}
		})
	}
}

// The embedded project has no script today; the mode rule is tested on a
// tree of its own so that a script added later is known to work.
func TestWriteTreeMakesScriptsExecutable(t *testing.T) {
	t.Parallel()
	tree := fstest.MapFS{
		"scripts/seed.sh": {Data: []byte("#!/usr/bin/env bash\necho seed\n")},
		"src/app.js":      {Data: []byte("'use strict';\n")},
		"empty":           {Data: nil},
	}
	dir := filepath.Join(t.TempDir(), "p")
	if err := writeTree(tree, dir); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]fs.FileMode{"scripts/seed.sh": 0o755, "src/app.js": 0o644, "empty": 0o644} {
		info, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if got := info.Mode().Perm(); got != want {
			t.Errorf("%s: mode %v, want %v", name, got, want)
		}
	}
}

// The project a user first sees must be green before any agent touches it.
func TestProjectTestsPassAsShipped(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := WriteProject(dir); err != nil {
		t.Fatal(err)
	}
	out := runNodeTests(t, dir)
	for _, name := range []string{"GET /api/items lists every item", "POST /api/items rejects an invalid item with 400", "unknown routes answer 404"} {
		if !strings.Contains(out, "ok ") || !regexp.MustCompile(`(?m)^ok \d+ - `+regexp.QuoteMeta(name)+`$`).MatchString(out) {
			t.Errorf("test %q did not pass:\n%s", name, out)
		}
	}
}

// The discrepancy the validation session reports must be genuine and its
// lines exact: the editor puts diagnostics on them.
func TestDiscrepancyPointsAtTheDocAndTheCode(t *testing.T) {
	t.Parallel()
	sc := parseScenario(t)
	content := toolInput(t, sc, "validate", "Write", prompts.SchemaResultFile)["content"].(string)
	checkSchemaResult(t, []byte(content), func(name string) []byte {
		b, err := fs.ReadFile(project, "project/"+name)
		if err != nil {
			t.Fatal(err)
		}
		return b
	})
	routes, _ := fs.ReadFile(project, "project/src/routes.js")
	if bytes.Contains(routes, []byte("'DELETE'")) {
		t.Error("src/routes.js registers DELETE: the documented discrepancy is gone")
	}
}

// checkSchemaResult checks a schema_validation.json as the engine reads it:
// one error D1 whose doc line is the DELETE row and whose code line is the
// route table's GET /api/items/:id entry.
func checkSchemaResult(t *testing.T, data []byte, read func(name string) []byte) {
	t.Helper()
	res, err := schema.Parse(data)
	if err != nil {
		t.Fatalf("schema validation result does not parse: %v\n%s", err, data)
	}
	if len(res.Discrepancies) != 1 || res.ValidatedAt.IsZero() || len(res.SchemaFiles) != 1 || res.SchemaFiles[0] != prompts.SchemaIndex {
		t.Fatalf("want one discrepancy over %s, got %+v", prompts.SchemaIndex, res)
	}
	d := res.Discrepancies[0]
	if d.ID != "D1" || d.Severity != schema.SeverityError || d.Category != "api-route" || d.SchemaRef == nil || d.CodeRef == nil {
		t.Fatalf("D1 = %+v", d)
	}
	for _, ref := range []struct {
		file string
		line int
		want []string
	}{
		{d.SchemaRef.File, d.SchemaRef.Line, []string{"| DELETE |", "`/api/items/:id`"}},
		{d.CodeRef.File, d.CodeRef.Line, []string{"method: 'GET', path: '/api/items/:id'"}},
	} {
		lines := strings.Split(string(read(ref.file)), "\n")
		if ref.line < 1 || ref.line > len(lines) {
			t.Errorf("%s:%d: no such line (%d lines)", ref.file, ref.line, len(lines))
			continue
		}
		for _, w := range ref.want {
			if !strings.Contains(lines[ref.line-1], w) {
				t.Errorf("%s:%d is %q, want it to contain %q", ref.file, ref.line, lines[ref.line-1], w)
			}
		}
	}
}

// Each prompt the engine renders must pick its own sessions, in order.
func TestScenarioSessionsMatchTheEnginePrompts(t *testing.T) {
	t.Parallel()
	sc := parseScenario(t)
	for _, tt := range []struct {
		prompt string
		want   []string
	}{
		{prompts.SchemaValidation, []string{"validate"}},
		{prompts.Initializer, []string{"initializer"}},
		{prompts.Coding, []string{"coding-delete", "coding-search-report", "coding-stock"}},
	} {
		text, err := prompts.Render(tt.prompt, "", promptData(3, nil))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, s := range sc.Sessions {
			if regexp.MustCompile(s.Match).MatchString(text) {
				got = append(got, s.Name)
			}
		}
		if strings.Join(got, ",") != strings.Join(tt.want, ",") {
			t.Errorf("prompt %s matches sessions %v, want %v", tt.prompt, got, tt.want)
		}
	}
}

// The ledger the initializer writes must be one the engine accepts, and each
// coding session's rewrite must pass the engine's guard with only passes
// flipped to true, ending with every feature passing.
func TestScenarioLedgersKeepTheRule(t *testing.T) {
	t.Parallel()
	sc := parseScenario(t)
	var prev []ledger.Feature
	for i, session := range []string{"initializer", "coding-delete", "coding-search-report", "coding-stock"} {
		content := toolInput(t, sc, session, "Write", prompts.LedgerFile)["content"].(string)
		features, err := ledger.Parse([]byte(content))
		if err != nil {
			t.Fatalf("%s: ledger: %v", session, err)
		}
		if i == 0 {
			checkFreshLedger(t, features)
			prev = features
			continue
		}
		report := ledger.Check(prev, features)
		if len(report.Violations) > 0 || len(report.Appended) > 0 || len(report.Flipped) == 0 {
			t.Fatalf("%s: guard report %+v, want only flips", session, report)
		}
		for _, f := range report.Flipped {
			if !f.To {
				t.Errorf("%s: feature %d flipped back to failing", session, f.Index+1)
			}
		}
		prev = features
	}
	for i, f := range prev {
		if !f.Passes {
			t.Errorf("feature %d %q still fails after the last session", i+1, f.Description)
		}
	}
}

func checkFreshLedger(t *testing.T, features []ledger.Feature) {
	t.Helper()
	categories := map[string]bool{}
	for i, f := range features {
		categories[f.Category] = true
		if f.Passes {
			t.Errorf("initializer ledger: feature %d passes already", i+1)
		}
	}
	if len(features) < 6 || len(categories) < 2 {
		t.Errorf("initializer ledger has %d features in %d categories, want >= 6 in >= 2", len(features), len(categories))
	}
}

func parseScenario(t *testing.T) *scriptedmodel.Scenario {
	t.Helper()
	sc, err := scriptedmodel.ParseScenario(Scenario())
	if err != nil {
		t.Fatalf("scenario.yaml: %v", err)
	}
	return sc
}

// toolInput returns the input of the only call of tool on file_path in the
// named session.
func toolInput(t *testing.T, sc *scriptedmodel.Scenario, session, tool, path string) map[string]any {
	t.Helper()
	var found []map[string]any
	for _, s := range sc.Sessions {
		if s.Name != session {
			continue
		}
		for _, turn := range s.Turns {
			for _, c := range turn.Tools {
				if c.Name == tool && c.Input["file_path"] == path {
					found = append(found, c.Input)
				}
			}
		}
	}
	if len(found) != 1 {
		t.Fatalf("session %s: %d %s calls on %s, want 1", session, len(found), tool, path)
	}
	return found[0]
}

// promptData is what the engine gives the prompts for session n of the demo
// workflow; features, when known, fill in the coding status line.
func promptData(n int, features []ledger.Feature) prompts.Data {
	d := prompts.Data{
		WorkflowID:   "demo",
		WorkflowName: WorkflowName,
		Session:      n,
		Branch:       "autonomous/demo",
		BaseRef:      "main",
		SchemaFiles:  []string{prompts.SchemaIndex},
		NextIndex:    -1,
	}
	for i, f := range features {
		d.Total++
		if f.Passes {
			d.Passing++
		} else if d.NextIndex < 0 {
			d.NextIndex, d.NextFeature = i, f.Description
		}
	}
	return d
}

// runNodeTests runs the project's own test command and returns its output,
// failing the test unless every test passed.
func runNodeTests(t *testing.T, dir string) string {
	t.Helper()
	cmd := exec.Command("node", "--test")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "\n# fail 0\n") {
		t.Fatalf("node --test in %s: %v\n%s", dir, err, out)
	}
	return string(out)
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// snapshot describes what is at path (names, sizes, modes), to show that a
// failed call left it alone.
func snapshot(t *testing.T, path string) string {
	t.Helper()
	var b strings.Builder
	if _, err := os.Lstat(path); errors.Is(err, fs.ErrNotExist) {
		return "absent"
	}
	err := filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "%s %v %d; ", p, info.Mode(), info.Size())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// The demo runs every Bash call through the security policy: all the
// scenario's commands but the one meant to be refused must pass it.
func TestScenarioCommandsFitThePolicy(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	if err := WriteProject(root); err != nil {
		t.Fatal(err)
	}
	p, err := policy.New(root, policy.Rules{})
	if err != nil {
		t.Fatal(err)
	}
	denied := 0
	for _, s := range parseScenario(t).Sessions {
		for _, turn := range s.Turns {
			for _, c := range turn.Tools {
				if c.Name != "Bash" {
					continue
				}
				command := c.Input["command"].(string)
				d := p.Decide(command, root)
				wantAllowed := !strings.HasPrefix(command, "curl ")
				if d.Allowed != wantAllowed {
					t.Errorf("session %s: %q: allowed %v (%s), want %v", s.Name, command, d.Allowed, d.Reason, wantAllowed)
				}
				if !d.Allowed {
					denied++
					t.Logf("%q denied: %s", command, d.Reason)
				}
			}
		}
	}
	if denied != 1 {
		t.Errorf("%d commands denied, want exactly the one meant to be", denied)
	}
}
