package lsp

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	glspproto "github.com/tliron/glsp/protocol_3_16"

	"github.com/autonomous-coding/autonomous/engine/events"
	"github.com/autonomous-coding/autonomous/engine/schema"
	"github.com/autonomous-coding/autonomous/lsp/lsptest"
	"github.com/autonomous-coding/autonomous/lsp/protocol"
)

// publishes counts the diagnostics published for uri.
func publishes(log []lsptest.Message, uri string) int {
	n := 0
	for _, m := range log {
		var p struct {
			URI string `json:"uri"`
		}
		if m.Method == "textDocument/publishDiagnostics" && json.Unmarshal(m.Params, &p) == nil && p.URI == uri {
			n++
		}
	}
	return n
}

// lineOf returns the 1-based line of the first line of file containing text.
func lineOf(t testing.TB, file, text string) int {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, text) {
			return i + 1
		}
	}
	t.Fatalf("%s has no line with %q", file, text)
	return 0
}

// Schema discrepancies become diagnostics at the doc line and the code line,
// linked to each other, on the user's checkout (in the worktree only for a
// file the checkout lacks); a new result replaces the old one, and what is
// resolved is cleared.
func TestSchemaDiagnostics(t *testing.T) {
	t.Parallel()
	dir := repo(t)
	h := start(t, Options{}, lsptest.Options{}, dir)
	wf := h.create("Docs", nil)
	bus := h.srv.snapshot()[0].project.Events()

	docLine := lineOf(t, filepath.Join(dir, ".schema", "_index.md"), "DELETE")
	codeLine := lineOf(t, filepath.Join(dir, "src", "routes.js"), "'/api/items/:id'")
	result := &schema.Result{Discrepancies: []schema.Discrepancy{
		{ID: "D1", Severity: "error", Category: "api-route", Message: "DELETE /api/items/:id is documented but not registered",
			SchemaRef: &schema.Ref{File: ".schema/_index.md", Line: docLine}, CodeRef: &schema.Ref{File: "src/routes.js", Line: codeLine},
			Expected: "a DELETE route", Suggestion: "register it"},
		{ID: "D2", Severity: "warning", Message: "the README mentions a port the server does not use",
			SchemaRef: &schema.Ref{File: "README.md", Line: 1}},
		{ID: "D3", Severity: "info", Message: "only in the worktree",
			CodeRef: &schema.Ref{File: "src/new.js", Line: 1}},
	}}
	bus.Publish(events.Event{Kind: events.KindDiscrepancies, WorkflowID: wf.ID, Discrepancies: &events.Discrepancies{Root: wf.Worktree, Payload: result}})

	docWT, docRoot := lsptest.URI(filepath.Join(wf.Worktree, ".schema", "_index.md")), lsptest.URI(filepath.Join(dir, ".schema", "_index.md"))
	codeWT, codeRoot := lsptest.URI(filepath.Join(wf.Worktree, "src", "routes.js")), lsptest.URI(filepath.Join(dir, "src", "routes.js"))
	newWT, newRoot := lsptest.URI(filepath.Join(wf.Worktree, "src", "new.js")), lsptest.URI(filepath.Join(dir, "src", "new.js"))
	one := func(code string, line int, sev glspproto.DiagnosticSeverity, relatedURI string) func([]lsptest.Diagnostic) bool {
		return func(ds []lsptest.Diagnostic) bool {
			if len(ds) != 1 {
				return false
			}
			d := ds[0]
			ok := d.Code == code && d.Source == "autonomous" &&
				d.Severity == sev && int(d.Range.Start.Line) == line-1 && d.Range.End.Character > 0
			if relatedURI == "" {
				return ok && len(d.RelatedInformation) == 0
			}
			return ok && len(d.RelatedInformation) == 1 && d.RelatedInformation[0].Location.URI == relatedURI
		}
	}
	await(t, h.ed, 10*time.Second,
		lsptest.Diagnostics(docRoot, "D1 at the checkout's doc line, pointing at the checkout's code", one("D1", docLine, glspproto.DiagnosticSeverityError, codeRoot)),
		lsptest.Diagnostics(codeRoot, "D1 at the checkout's code line, pointing at the doc", one("D1", codeLine, glspproto.DiagnosticSeverityError, docRoot)),
		lsptest.Diagnostics(lsptest.URI(filepath.Join(dir, "README.md")), "D2 as a warning", one("D2", 1, glspproto.DiagnosticSeverityWarning, "")),
		lsptest.Diagnostics(newWT, "D3 in the worktree", func(ds []lsptest.Diagnostic) bool {
			return len(ds) == 1 && ds[0].Code == "D3" && ds[0].Severity == glspproto.DiagnosticSeverityInformation
		}),
	)
	for _, u := range []string{newRoot, docWT, codeWT} {
		if ds, ok := lsptest.LatestDiagnostics(h.ed.Messages(), u); ok {
			t.Errorf("%s got diagnostics %v; want them in one place only: the checkout, or the worktree for a file the checkout lacks", u, ds)
		}
	}
	d, _ := lsptest.LatestDiagnostics(h.ed.Messages(), docRoot)
	if !strings.Contains(d[0].Message, "Expected: a DELETE route") || !strings.Contains(d[0].Message, "Suggestion: register it") {
		t.Errorf("the message leaves out what to do: %q", d[0].Message)
	}

	// A second workflow of the same base finds the same discrepancy: the
	// user's checkout shows it once.
	wf2 := h.create("Docs again", nil)
	same := &schema.Result{Discrepancies: result.Discrepancies[:1]}
	before := publishes(h.ed.Messages(), docRoot)
	bus.Publish(events.Event{Kind: events.KindDiscrepancies, WorkflowID: wf2.ID, Discrepancies: &events.Discrepancies{Root: wf2.Worktree, Payload: same}})
	await(t, h.ed, 10*time.Second, lsptest.Condition{Desc: "the checkout's doc published again", Met: func(log []lsptest.Message) bool {
		return publishes(log, docRoot) > before
	}})
	if ds, _ := lsptest.LatestDiagnostics(h.ed.Messages(), docRoot); len(ds) != 1 {
		t.Errorf("the checkout's doc has %d diagnostics for one discrepancy found twice", len(ds))
	}

	// The next result of the first workflow resolves D2 and D3: their
	// documents are cleared, D1 stays.
	bus.Publish(events.Event{Kind: events.KindDiscrepancies, WorkflowID: wf.ID, Discrepancies: &events.Discrepancies{Root: wf.Worktree, Payload: &schema.Result{Discrepancies: result.Discrepancies[:1]}}})
	empty := func(ds []lsptest.Diagnostic) bool { return ds != nil && len(ds) == 0 }
	await(t, h.ed, 10*time.Second,
		lsptest.Diagnostics(lsptest.URI(filepath.Join(dir, "README.md")), "cleared", empty),
		lsptest.Diagnostics(newWT, "cleared", empty),
		lsptest.Diagnostics(docRoot, "D1 still there", one("D1", docLine, glspproto.DiagnosticSeverityError, codeRoot)),
	)

	// A result file the agent broke: one diagnostic on it, at the line named.
	resultFile := filepath.Join(wf.Worktree, schema.File)
	os.WriteFile(resultFile, []byte("{\n  \"discrepancies\": [\n    {\"id\": 1}\n  ]\n}\n"), 0o644)
	_, err := schema.Read(resultFile)
	if err == nil {
		t.Fatal("the broken result parses")
	}
	// The first workflow's D1 goes; the checkout keeps the second's.
	before = publishes(h.ed.Messages(), docRoot)
	bus.Publish(events.Event{Kind: events.KindDiscrepancies, WorkflowID: wf.ID, Discrepancies: &events.Discrepancies{Root: wf.Worktree, Err: err.Error()}})
	await(t, h.ed, 10*time.Second,
		lsptest.Diagnostics(lsptest.URI(resultFile), "the broken result at line 3", func(ds []lsptest.Diagnostic) bool {
			return len(ds) == 1 && ds[0].Range.Start.Line == 2 && strings.Contains(ds[0].Message, "cannot be read")
		}),
		lsptest.Condition{Desc: "the checkout's doc published again", Met: func(log []lsptest.Message) bool {
			return publishes(log, docRoot) > before
		}},
		lsptest.Diagnostics(docRoot, "the second workflow's D1", one("D1", docLine, glspproto.DiagnosticSeverityError, codeRoot)),
	)

	// Deleting a workflow clears what it published.
	h.mustExec(t, protocol.CmdWorkflowDelete, map[string]any{"id": wf2.ID}, nil)
	await(t, h.ed, 10*time.Second, lsptest.Diagnostics(docRoot, "cleared with the last workflow reporting it", empty))
}

// Ledger problems are diagnostics on feature_list.json, and an empty problem clears them.
func TestLedgerDiagnostics(t *testing.T) {
	t.Parallel()
	dir := repo(t)
	h := start(t, Options{}, lsptest.Options{}, dir)
	wf := h.create("Ledger", nil)
	bus := h.srv.snapshot()[0].project.Events()
	file := filepath.Join(wf.Worktree, ".autonomous", "feature_list.json")
	os.WriteFile(file, []byte("[\n  {\"category\": \"a\",\n   \"description\": \"b\" \"steps\": []}\n]\n"), 0o644)

	bus.Publish(events.Event{Kind: events.KindLedgerProblem, WorkflowID: wf.ID, LedgerProblem: &events.LedgerProblem{File: file, Messages: []events.LedgerMessage{
		{Line: 3, Column: 22, Severity: "error", Message: "expected , or }"},
		{Severity: "warning", Message: "rejected edit: entry 2 was removed"},
	}}})
	await(t, h.ed, 10*time.Second, lsptest.Diagnostics(lsptest.URI(file), "a parse error at 3:22 and a guard warning", func(ds []lsptest.Diagnostic) bool {
		return len(ds) == 2 && ds[0].Range.Start.Line == 2 && ds[0].Range.Start.Character == 21 && ds[0].Severity == glspproto.DiagnosticSeverityError &&
			ds[1].Range.Start.Line == 0 && ds[1].Severity == glspproto.DiagnosticSeverityWarning && strings.Contains(ds[1].Message, "entry 2 was removed")
	}))
	bus.Publish(events.Event{Kind: events.KindLedgerProblem, WorkflowID: wf.ID, LedgerProblem: &events.LedgerProblem{File: file}})
	await(t, h.ed, 10*time.Second, lsptest.Diagnostics(lsptest.URI(file), "cleared", func(ds []lsptest.Diagnostic) bool { return ds != nil && len(ds) == 0 }))
}

// A flood of agent output reaches the editor as at most about ten small
// notifications a second, with every line either shown or counted, and the
// count pointing at the session's log.
func TestLogBatching(t *testing.T) {
	t.Parallel()
	dir := repo(t)
	h := start(t, Options{}, lsptest.Options{}, dir)
	wf := h.create("Chatty", nil)
	bus := h.srv.snapshot()[0].project.Events()
	rawLog := filepath.Join(dir, ".autonomous", "logs", wf.ID, "session-001.jsonl")

	const lines, seconds = 5000, 1
	start := time.Now()
	for i := range lines {
		bus.Publish(events.Event{Kind: events.KindLog, WorkflowID: wf.ID, Log: &events.LogEntry{Time: time.Now(), Session: 1, Kind: "text", Text: fmt.Sprintf("line %d", i), File: rawLog}})
		if i%50 == 49 {
			time.Sleep(time.Until(start.Add(time.Duration(i+1) * seconds * time.Second / lines)))
		}
	}
	bus.Publish(events.Event{Kind: events.KindLog, WorkflowID: wf.ID, Log: &events.LogEntry{Time: time.Now(), Session: 1, Kind: "info", Text: "the end", File: rawLog}})
	// The last line of a burst is shown, not counted: the user sees where it stands.
	await(t, h.ed, 10*time.Second, lsptest.LogContains(wf.ID, "the end"))

	var shown, counted, batches int
	var first, last time.Time
	for _, m := range h.ed.Messages() {
		if m.Method != protocol.MethodLog {
			continue
		}
		lp := decode[protocol.LogParams](t, m.Params)
		if lp.WorkflowID != wf.ID {
			continue
		}
		if batches == 0 {
			first = m.At
		}
		last = m.At
		batches++
		if len(lp.Entries) > protocol.MaxLogBatch+1 {
			t.Errorf("a batch of %d entries, over the bound of %d", len(lp.Entries), protocol.MaxLogBatch+1)
		}
		for _, e := range lp.Entries {
			if e.Kind != protocol.LogKindDropped {
				shown++
				continue
			}
			var n int
			var file string
			if _, err := fmt.Sscanf(e.Text, "%d lines not shown; see %s", &n, &file); err != nil || file != rawLog {
				t.Errorf("dropped entry %q does not count lines and name %s", e.Text, rawLog)
			}
			counted += n
		}
	}
	if shown+counted != lines+1 {
		t.Errorf("%d lines shown and %d counted as dropped, want %d in all", shown, counted, lines+1)
	}
	if counted == 0 {
		t.Errorf("all %d lines were sent one by one: nothing was batched", shown)
	}
	span := last.Sub(first).Seconds()
	if rate := float64(batches-1) / max(span, 0.001); batches > 3 && rate > protocol.LogRate*1.2 {
		t.Errorf("%d notifications in %.2fs: %.1f a second, over the bound of %d", batches, span, rate, protocol.LogRate)
	}
	t.Logf("%d lines in %d notifications over %.2fs: %d shown, %d counted", lines+1, batches, span, shown, counted)
}

// The late-attach path: log.tail returns what was logged, oldest first.
func TestLogTailAfterEvents(t *testing.T) {
	t.Parallel()
	dir := repo(t)
	h := start(t, Options{}, lsptest.Options{}, dir)
	wf := h.create("Tail", nil)
	var tail protocol.LogParams
	h.mustExec(t, protocol.CmdLogTail, map[string]any{"id": wf.ID, "limit": 3}, &tail)
	if len(tail.Entries) != 0 {
		t.Fatalf("tail before anything ran: %+v", tail)
	}
	raw, _ := json.Marshal(tail)
	if !strings.Contains(string(raw), `"entries":[]`) {
		t.Errorf("an empty tail must be [] for editors, got %s", raw)
	}
}
