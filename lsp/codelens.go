package lsp

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	glspproto "github.com/tliron/glsp/protocol_3_16"

	"github.com/autonomous-coding/autonomous/engine/ledger"
	"github.com/autonomous-coding/autonomous/engine/workflow"
	"github.com/autonomous-coding/autonomous/lsp/protocol"
)

// codeLenses answers textDocument/codeLens for the two kinds of files the
// server knows: a feature ledger (✓/✗ on each entry, with the session that
// made it pass) and a workflow file (its state, and buttons to start, pause,
// stop or resume it). Other documents get none.
func (s *Server) codeLenses(ctx context.Context, docURI string) ([]glspproto.CodeLens, error) {
	lenses := []glspproto.CodeLens{}
	path, err := pathOf(docURI)
	if err != nil {
		return lenses, nil
	}
	f := s.folderOfPath(path)
	if f == nil {
		return lenses, nil
	}
	switch {
	case filepath.Base(path) == filepath.Base(ledger.File) && filepath.Base(filepath.Dir(path)) == workflow.Dir:
		return s.ledgerLenses(ctx, f, path)
	case filepath.Ext(path) == ".yaml" && filepath.Base(filepath.Dir(path)) == "workflows" && filepath.Base(filepath.Dir(filepath.Dir(path))) == workflow.Dir:
		return workflowLenses(f, strings.TrimSuffix(filepath.Base(path), ".yaml")), nil
	}
	return lenses, nil
}

func (s *Server) ledgerLenses(ctx context.Context, f *folder, path string) ([]glspproto.CodeLens, error) {
	lenses := []glspproto.CodeLens{}
	data, err := os.ReadFile(path)
	if err != nil {
		return lenses, nil
	}
	features, lines, err := ledger.ParseWithLines(data)
	if err != nil {
		return lenses, nil // the ledger's problem is a diagnostic, not a lens
	}
	var passedIn map[int]int
	if wf := workflowOfWorktreeFile(f, path); wf != nil {
		passedIn = s.lenses.passedIn(ctx, wf, features)
	}
	next := ledger.Compute(features).CurrentIndex
	for i, feat := range features {
		title := "✗ failing"
		switch {
		case feat.Passes && passedIn[i] > 0:
			title = fmt.Sprintf("✓ passing · session %d", passedIn[i])
		case feat.Passes:
			title = "✓ passing"
		case i == next:
			title = "✗ failing · next up"
		}
		line := glspproto.UInteger(max(lines[i]-1, 0))
		lenses = append(lenses, glspproto.CodeLens{
			Range:   glspproto.Range{Start: glspproto.Position{Line: line}, End: glspproto.Position{Line: line}},
			Command: &glspproto.Command{Title: title},
		})
	}
	return lenses, nil
}

// workflowLenses puts a workflow's state on the first line of its file, with
// the actions that apply to it now.
func workflowLenses(f *folder, id string) []glspproto.CodeLens {
	lenses := []glspproto.CodeLens{}
	wf, err := f.project.Get(id)
	if err != nil {
		return lenses
	}
	at := glspproto.Range{}
	summary := fmt.Sprintf("%s · %d/%d passing (%.0f%%) · %d sessions · $%.2f", wf.Status, wf.Progress.Passing, wf.Progress.Total, wf.Progress.Percent, len(wf.Sessions), wf.Totals.CostUSD)
	lenses = append(lenses, glspproto.CodeLens{Range: at, Command: &glspproto.Command{Title: summary}})
	args := []any{map[string]string{"id": wf.ID}}
	action := func(title, cmd string) {
		lenses = append(lenses, glspproto.CodeLens{Range: at, Command: &glspproto.Command{Title: title, Command: cmd, Arguments: args}})
	}
	switch wf.Status {
	case workflow.Pending:
		action("▶ Start", protocol.CmdWorkflowStart)
	case workflow.Running, workflow.Waiting:
		action("⏸ Pause", protocol.CmdWorkflowPause)
		action("■ Stop", protocol.CmdWorkflowStop)
	case workflow.Paused, workflow.Stopped, workflow.Stuck, workflow.Failed:
		action("▶ Resume", protocol.CmdWorkflowResume)
	}
	return lenses
}

// workflowOfWorktreeFile returns the workflow whose worktree holds path.
func workflowOfWorktreeFile(f *folder, path string) *workflow.Workflow {
	rel, err := filepath.Rel(filepath.Join(f.root, workflow.Dir, "worktrees"), path)
	if err != nil || strings.HasPrefix(rel, "..") {
		return nil
	}
	id, _, _ := strings.Cut(filepath.ToSlash(rel), "/")
	wf, err := f.project.Get(id)
	if err != nil {
		return nil
	}
	return wf
}

// refreshLenses asks the client to ask again for code lenses, when it can.
func (s *Server) refreshLenses() {
	s.mu.Lock()
	ok := s.client.codeLensRefresh
	s.mu.Unlock()
	if !ok {
		return
	}
	s.goBackground(func() {
		ctx, cancel := context.WithTimeout(s.ctxForSend(), createTimeout)
		defer cancel()
		if err := s.call(ctx, "workspace/codeLens/refresh", nil, nil); err != nil {
			s.log.Debug("codeLens refresh", "err", err)
		}
	})
}

// lensCache remembers, per worktree and commit, which session made each
// ledger entry pass: finding out reads the ledger at each commit of the
// branch, which is worth doing once per commit, not once per keystroke.
type lensCache struct {
	mu      sync.Mutex
	entries map[string]lensEntry // by worktree
}

type lensEntry struct {
	head     string
	passedIn map[int]int
}

func newLensCache() *lensCache { return &lensCache{entries: map[string]lensEntry{}} }

// passedIn maps each passing entry of features (the ledger as it is now) to
// the session that made it pass: the session during which the first commit
// with it passing was made, or the session in progress for a pass not yet
// committed. Entries it cannot tell are left out.
func (c *lensCache) passedIn(ctx context.Context, wf *workflow.Workflow, features []ledger.Feature) map[int]int {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	head, err := gitOut(ctx, wf.Worktree, "rev-parse", "HEAD")
	if err != nil {
		return nil
	}
	c.mu.Lock()
	e, ok := c.entries[wf.Worktree]
	c.mu.Unlock()
	if !ok || e.head != head {
		e = lensEntry{head: head, passedIn: committedPasses(ctx, wf)}
		c.mu.Lock()
		c.entries[wf.Worktree] = e
		c.mu.Unlock()
	}
	out := make(map[int]int, len(e.passedIn))
	for i, f := range features {
		switch n, ok := e.passedIn[i]; {
		case !f.Passes:
		case ok:
			out[i] = n
		case wf.Status == workflow.Running && len(wf.Sessions) > 0:
			out[i] = wf.Sessions[len(wf.Sessions)-1].Number
		}
	}
	return out
}

// committedPasses walks the ledger's commits on the workflow's branch, oldest
// first, and attributes each entry's first pass to the session whose time
// span holds the commit.
func committedPasses(ctx context.Context, wf *workflow.Workflow) map[int]int {
	log, err := gitOut(ctx, wf.Worktree, "log", "--reverse", "--format=%H %ct", wf.BaseCommit+"..HEAD", "--", ledger.File)
	if err != nil || log == "" {
		return map[int]int{}
	}
	out := map[int]int{}
	session := 0
	for _, line := range strings.Split(log, "\n") {
		sha, ts, _ := strings.Cut(line, " ")
		secs, err := strconv.ParseInt(ts, 10, 64)
		if err != nil {
			continue
		}
		data, err := gitOut(ctx, wf.Worktree, "show", sha+":"+ledger.File)
		if err != nil {
			continue
		}
		features, err := ledger.Parse([]byte(data))
		if err != nil {
			continue
		}
		session = sessionAt(wf, time.Unix(secs, 0), session)
		for i, f := range features {
			if _, seen := out[i]; f.Passes && !seen && session > 0 {
				out[i] = session
			}
		}
	}
	return out
}

// sessionAt is the session that made a commit at t, given that the previous
// commit was made by session after (commits come in session order). Commit
// times have one-second resolution, so when sessions are short two may span
// that second: the earlier one wins, since a session commits after its work,
// not within a second of starting. Failing that, it is the last session
// started by t.
func sessionAt(wf *workflow.Workflow, t time.Time, after int) int {
	last := 0
	for _, s := range wf.Sessions {
		if s.Number < after || s.StartedAt.Truncate(time.Second).After(t) {
			continue
		}
		if s.EndedAt.IsZero() || !t.After(s.EndedAt) {
			return s.Number
		}
		last = s.Number
	}
	return last
}

func gitOut(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("git %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(errb.String()))
	}
	return strings.TrimSpace(out.String()), nil
}
