package lsp

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf16"

	glspproto "github.com/tliron/glsp/protocol_3_16"

	"github.com/autonomous-coding/autonomous/engine/events"
	"github.com/autonomous-coding/autonomous/engine/schema"
	"github.com/autonomous-coding/autonomous/engine/workflow"
	"github.com/autonomous-coding/autonomous/lsp/protocol"
)

// diagnostics keeps what the server has published, by source (a workflow's
// schema result, its ledger problems, a folder's unreadable workflow files),
// because LSP replaces a document's diagnostics whole: when one source
// changes, each document it touched, before or after, is published again
// with the union of every source's diagnostics for it — an empty list when
// none is left, which clears it in the editor.
type diagnostics struct {
	s *Server

	mu      sync.Mutex // held while publishing too, so documents are published in order
	sources map[sourceKey]map[string][]glspproto.Diagnostic
}

type sourceKey struct {
	root     string // the project
	workflow string // "" for folder-wide sources
	kind     string
}

// Kinds of sources.
const (
	sourceSchema = "schema"
	sourceLedger = "ledger"
	sourceFiles  = "files"
)

func newDiagnostics(s *Server) *diagnostics {
	return &diagnostics{s: s, sources: map[sourceKey]map[string][]glspproto.Diagnostic{}}
}

// set replaces one source's diagnostics and publishes every document whose
// diagnostics changed.
func (d *diagnostics) set(key sourceKey, byURI map[string][]glspproto.Diagnostic) {
	d.mu.Lock()
	defer d.mu.Unlock()
	old := d.sources[key]
	if reflect.DeepEqual(old, byURI) || len(old) == 0 && len(byURI) == 0 {
		return
	}
	if len(byURI) == 0 {
		delete(d.sources, key)
	} else {
		d.sources[key] = byURI
	}
	affected := map[string]bool{}
	for u := range old {
		affected[u] = true
	}
	for u := range byURI {
		affected[u] = true
	}
	for _, u := range slices.Sorted(maps.Keys(affected)) {
		d.publish(u)
	}
}

// drop removes every source matching keep and publishes what changed.
func (d *diagnostics) drop(match func(sourceKey) bool) {
	d.mu.Lock()
	var keys []sourceKey
	for k := range d.sources {
		if match(k) {
			keys = append(keys, k)
		}
	}
	d.mu.Unlock()
	for _, k := range keys {
		d.set(k, nil)
	}
}

// publish sends the union of all sources for one document. d.mu is held.
func (d *diagnostics) publish(u string) {
	all := []glspproto.Diagnostic{}
	seen := map[string]bool{}
	keys := slices.SortedFunc(maps.Keys(d.sources), func(a, b sourceKey) int {
		return strings.Compare(a.root+"\x00"+a.workflow+"\x00"+a.kind, b.root+"\x00"+b.workflow+"\x00"+b.kind)
	})
	for _, k := range keys {
		for _, diag := range d.sources[k][u] {
			// Two workflows of the same base report the same discrepancy
			// on the user's checkout: show it once.
			sig := fmt.Sprintf("%v|%v|%v|%s", diag.Range, diag.Code, *diag.Severity, diag.Message)
			if seen[sig] {
				continue
			}
			seen[sig] = true
			all = append(all, diag)
		}
	}
	d.s.notify(string(glspproto.ServerTextDocumentPublishDiagnostics), glspproto.PublishDiagnosticsParams{URI: u, Diagnostics: all})
}

func (d *diagnostics) clearWorkflow(root, id string) {
	d.drop(func(k sourceKey) bool { return k.root == root && k.workflow == id })
}

func (d *diagnostics) clearFolder(root string) {
	d.drop(func(k sourceKey) bool { return k.root == root })
}

// setSchema publishes a workflow's schema-validation result; with errText
// set (the result file is not valid), one diagnostic on the file says why.
func (d *diagnostics) setSchema(root, id, worktree string, res *schema.Result, errText string) {
	key := sourceKey{root, id, sourceSchema}
	if res == nil {
		d.set(key, resultFileProblem(worktree, errText))
		return
	}
	d.set(key, schemaDiagnostics(root, worktree, res))
}

// setLedger publishes the problems of a workflow's feature_list.json; an
// empty problem clears them.
func (d *diagnostics) setLedger(root, id, worktree string, lp *events.LedgerProblem) {
	byURI := map[string][]glspproto.Diagnostic{}
	if !exists(lp.File) {
		// The engine reports a ledger the initializer never wrote (or that
		// a stopped session did not get to) as a problem; a diagnostic on a
		// file that does not exist helps no one, and the alert says it.
		d.set(sourceKey{root, id, sourceLedger}, nil)
		return
	}
	files := []string{lp.File}
	if worktree != "" {
		if rel, err := filepath.Rel(worktree, lp.File); err == nil && !strings.HasPrefix(rel, "..") {
			if alt := filepath.Join(root, rel); exists(alt) {
				files = append(files, alt)
			}
		}
	}
	lines := &fileLines{}
	for _, file := range files {
		for _, m := range lp.Messages {
			line := max(m.Line-1, 0)
			rng := lines.lineRange(file, line)
			if m.Column > 0 {
				rng.Start.Character = glspproto.UInteger(m.Column - 1)
			}
			byURI[fileURI(file)] = append(byURI[fileURI(file)], diagnostic(rng, severity(m.Severity), "ledger", "feature_list.json: "+m.Message, nil))
		}
	}
	d.set(sourceKey{root, id, sourceLedger}, byURI)
}

// setFileErrors publishes the workflow files of a folder that cannot be read.
func (d *diagnostics) setFileErrors(root string, errs []*workflow.FileError) {
	byURI := map[string][]glspproto.Diagnostic{}
	lines := &fileLines{}
	for _, e := range errs {
		rng := lines.lineRange(e.Path, max(e.Line-1, 0))
		sev := glspproto.DiagnosticSeverityError
		byURI[fileURI(e.Path)] = append(byURI[fileURI(e.Path)], diagnostic(rng, sev, "workflow-file", "autonomous cannot read this workflow file: "+e.Err.Error(), nil))
	}
	d.set(sourceKey{root, "", sourceFiles}, byURI)
}

// schemaDiagnostics places each discrepancy at its doc line and at its code
// line, each pointing at the other. Paths in the result are relative to the
// workflow's worktree; each place is marked in the user's checkout (root),
// which is what the user has open, and in the worktree only when the file is
// not in the checkout: a copy in the worktree is the agent's to change, and
// a mark there would go stale once the agent fixes it.
func schemaDiagnostics(root, worktree string, res *schema.Result) map[string][]glspproto.Diagnostic {
	out := map[string][]glspproto.Diagnostic{}
	lines := &fileLines{}
	place := func(ref *schema.Ref) (string, bool) {
		if ref == nil {
			return "", false
		}
		if path := filepath.Join(root, filepath.FromSlash(ref.File)); exists(path) {
			return path, true
		}
		return filepath.Join(worktree, filepath.FromSlash(ref.File)), true
	}
	for _, disc := range res.Discrepancies {
		doc, docOK := place(disc.SchemaRef)
		code, codeOK := place(disc.CodeRef)
		if docOK {
			var related []glspproto.DiagnosticRelatedInformation
			if codeOK {
				related = append(related, relatedAt(lines, code, disc.CodeRef.Line, "the code"))
			}
			out[fileURI(doc)] = append(out[fileURI(doc)], discrepancyDiagnostic(lines, doc, disc.SchemaRef.Line, disc, related))
		}
		if codeOK {
			var related []glspproto.DiagnosticRelatedInformation
			if docOK {
				related = append(related, relatedAt(lines, doc, disc.SchemaRef.Line, "what the docs say"))
			}
			out[fileURI(code)] = append(out[fileURI(code)], discrepancyDiagnostic(lines, code, disc.CodeRef.Line, disc, related))
		}
	}
	return out
}

func discrepancyDiagnostic(lines *fileLines, path string, line int, disc schema.Discrepancy, related []glspproto.DiagnosticRelatedInformation) glspproto.Diagnostic {
	var msg strings.Builder
	msg.WriteString(disc.Message)
	for _, part := range [][2]string{{"Expected", disc.Expected}, {"Actual", disc.Actual}, {"Suggestion", disc.Suggestion}} {
		if part[1] != "" {
			fmt.Fprintf(&msg, "\n%s: %s", part[0], part[1])
		}
	}
	return diagnostic(lines.lineRange(path, line-1), severity(disc.Severity), disc.ID, msg.String(), related)
}

func relatedAt(lines *fileLines, path string, line int, what string) glspproto.DiagnosticRelatedInformation {
	return glspproto.DiagnosticRelatedInformation{
		Location: glspproto.Location{URI: fileURI(path), Range: lines.lineRange(path, line-1)},
		Message:  what,
	}
}

func diagnostic(rng glspproto.Range, sev glspproto.DiagnosticSeverity, code, msg string, related []glspproto.DiagnosticRelatedInformation) glspproto.Diagnostic {
	source := protocol.DiagnosticSource
	return glspproto.Diagnostic{
		Range: rng, Severity: &sev, Code: &glspproto.IntegerOrString{Value: code}, Source: &source,
		Message: msg, RelatedInformation: related,
	}
}

// parseErrorAt finds "file:line:col:" at the start of a result error.
var parseErrorAt = regexp.MustCompile(`:(\d+):(\d+): `)

// resultFileProblem marks a schema result file that is not valid, at the
// position its error names.
func resultFileProblem(worktree, errText string) map[string][]glspproto.Diagnostic {
	file := filepath.Join(worktree, schema.File)
	if errText == "" || !exists(file) {
		return nil
	}
	line := 0
	if strings.HasPrefix(errText, file+":") {
		if m := parseErrorAt.FindStringSubmatch(errText[len(file):]); m != nil {
			n, _ := strconv.Atoi(m[1])
			line = max(n-1, 0)
		}
	}
	lines := &fileLines{}
	return map[string][]glspproto.Diagnostic{fileURI(file): {
		diagnostic(lines.lineRange(file, line), glspproto.DiagnosticSeverityError, "schema-result", "the schema validation result cannot be read: "+errText, nil),
	}}
}

func severity(s string) glspproto.DiagnosticSeverity {
	switch s {
	case schema.SeverityError:
		return glspproto.DiagnosticSeverityError
	case schema.SeverityWarning:
		return glspproto.DiagnosticSeverityWarning
	case schema.SeverityInfo:
		return glspproto.DiagnosticSeverityInformation
	}
	return glspproto.DiagnosticSeverityHint
}

// fileLines reads files once per computation, to give ranges the length of
// their line (in UTF-16 code units, as LSP counts by default).
type fileLines struct {
	files map[string][][]byte
}

// lineRange spans a whole 0-based line; a line the file does not have (or a
// file that cannot be read) gets an empty range at its start.
func (l *fileLines) lineRange(path string, line int) glspproto.Range {
	line = max(line, 0)
	if l.files == nil {
		l.files = map[string][][]byte{}
	}
	lines, ok := l.files[path]
	if !ok {
		if data, err := os.ReadFile(path); err == nil {
			lines = bytes.Split(data, []byte("\n"))
		}
		l.files[path] = lines
	}
	end := 0
	if line < len(lines) {
		end = len(utf16.Encode([]rune(string(bytes.TrimRight(lines[line], "\r")))))
	}
	return glspproto.Range{
		Start: glspproto.Position{Line: glspproto.UInteger(line)},
		End:   glspproto.Position{Line: glspproto.UInteger(line), Character: glspproto.UInteger(end)},
	}
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
