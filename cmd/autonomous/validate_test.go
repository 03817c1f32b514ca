package main

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// validateScenario plays a phase-0 session that finds one discrepancy in the
// architecture doc written by TestValidateCommand.
const validateScenario = `
sessions:
  - name: validate
    match: 'schema validation \(phase 0\)'
    turns:
      - text: Checking the doc against the code.
        tools:
          - {name: Read, input: {file_path: .schema/_index.md}}
        expect:
          - {tool: 0, error: false, contains: "greeter.go"}
      - tools:
          - name: Write
            input:
              file_path: .autonomous/schema_validation.json
              content: |
                {"validatedAt": "2026-01-01T00:00:00Z", "schemaFiles": [".schema/_index.md"],
                 "discrepancies": [{"id": "D1", "severity": "error", "category": "file",
                   "message": "greeter.go is documented but does not exist",
                   "schemaRef": {"file": ".schema/_index.md", "line": 3},
                   "codeRef": {"file": "hello.txt", "line": 1},
                   "suggestion": "write greeter.go or fix the doc"}]}
        expect:
          - {tool: 0, error: false}
      - text: One discrepancy.
`

// `autonomous validate` runs phase 0 alone and prints each discrepancy as
// file:line: severity: message, exiting 1 when there are errors.
func TestValidateCommand(t *testing.T) {
	t.Parallel()
	p := newRunProject(t, validateScenario)
	if res := runIn(t, p.dir, p.env, "validate"); res.code != 1 || !strings.Contains(res.stderr, "no workflow") {
		t.Errorf("validate without a workflow: exit %d, stderr %q; want 1 and a hint to create one", res.code, res.stderr)
	}
	writeTestFile(t, filepath.Join(p.dir, ".schema", "_index.md"), "# Greeter\n\nThe greeting lives in greeter.go.\n")
	commit := exec.Command("sh", "-c", "git add .schema && git commit -q -m docs")
	commit.Dir, commit.Env = p.dir, p.env
	if out, err := commit.CombinedOutput(); err != nil {
		t.Fatalf("commit docs: %v\n%s", err, out)
	}
	res := runIn(t, p.dir, p.env, "workflow", "new", "--name", "Greeter", "--spec", p.spec, "--json")
	var wf struct{ ID string }
	if err := json.Unmarshal([]byte(res.stdout), &wf); err != nil || res.code != 0 {
		t.Fatalf("workflow new: %v exit %d\n%s", err, res.code, res.stderr)
	}

	res = runIn(t, p.dir, p.env, "validate")
	if res.code != 1 {
		t.Errorf("validate with an error discrepancy: exit %d, want 1\nstderr:\n%s", res.code, res.stderr)
	}
	want := ".schema/_index.md:3: error: [D1] greeter.go is documented but does not exist (code: hello.txt:1); suggestion: write greeter.go or fix the doc\n"
	if res.stdout != want {
		t.Errorf("validate printed:\n%q\nwant:\n%q", res.stdout, want)
	}
	if !strings.Contains(res.stderr, "1 errors, 0 warnings") {
		t.Errorf("validate summary missing from stderr:\n%s", res.stderr)
	}
	if f := p.srv.Failures(); len(f) > 0 {
		t.Errorf("scripted model: %v", f)
	}
	// Only phase 0 ran: the workflow waits, paused, for its first real run.
	res = runIn(t, p.dir, p.env, "workflow", "show", wf.ID, "--json")
	var shown struct {
		Status   string
		Sessions []struct{ Phase string }
	}
	if err := json.Unmarshal([]byte(res.stdout), &shown); err != nil {
		t.Fatal(err)
	}
	if shown.Status != "paused" || len(shown.Sessions) != 1 || shown.Sessions[0].Phase != "schema_validation" {
		t.Errorf("after validate: %+v, want paused with one schema_validation session", shown)
	}
}
