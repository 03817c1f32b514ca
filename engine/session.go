package engine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/autonomous-coding/autonomous/engine/config"
	"github.com/autonomous-coding/autonomous/engine/events"
	"github.com/autonomous-coding/autonomous/engine/ledger"
	"github.com/autonomous-coding/autonomous/engine/runtime"
	"github.com/autonomous-coding/autonomous/engine/schema"
	"github.com/autonomous-coding/autonomous/engine/workflow"
	"github.com/autonomous-coding/autonomous/orchestrator/mcp"
	"github.com/autonomous-coding/autonomous/orchestrator/session"
	"github.com/autonomous-coding/autonomous/prompts"
)

// sessionOutcome is what one finished session left behind.
type sessionOutcome struct {
	number int
	phase  workflow.Phase
	result *session.Result
	// before is the ledger accepted before the session (nil before the initializer).
	before []ledger.Feature
}

// runSession records the start of a session, runs the agent until it ends,
// and streams what it does to the log. An error means the agent could not be
// started at all.
func (p *Project) runSession(ctx context.Context, r *run, wf *workflow.Workflow, st step) (*sessionOutcome, error) {
	cfg := p.Config()
	id := wf.ID
	n := len(wf.Sessions) + 1
	cli, err := runtime.Find(cfg.Agent.CLIPath, p.home)
	if err != nil {
		return nil, fmt.Errorf("the agent CLI was not found (%v): run `autonomous runtime install`, or `autonomous doctor` to see what is missing", err)
	}
	model, ok := cfg.Model(wf.Model)
	if !ok {
		return nil, fmt.Errorf("model %q is not configured: add it to models in config.yaml or pick another with --model", wf.Model)
	}
	prompt, err := p.renderPrompt(wf, st, n)
	if err != nil {
		return nil, err
	}
	servers, err := mcpServers(cfg)
	if err != nil {
		return nil, err
	}
	var mcpConfig []byte
	if len(servers) > 0 {
		if mcpConfig, err = mcp.Build(servers); err != nil {
			return nil, fmt.Errorf("build MCP config: %w", err)
		}
	}
	logDir := filepath.Join(p.root, ".autonomous", "logs", id)
	rawLog := filepath.Join(logDir, fmt.Sprintf("session-%03d.jsonl", n))
	hook := shellJoin(p.selfPath, "hook", "pre-tool-use",
		"--root", wf.Worktree, "--workflow", id, "--session", strconv.Itoa(n),
		"--log", filepath.Join(logDir, "policy.jsonl"))
	var budget float64
	if wf.BudgetUSD > 0 {
		budget = max(wf.BudgetUSD-wf.Totals.CostUSD, 0.01)
	}
	var before []ledger.Feature
	if st.phase == workflow.PhaseCoding {
		before = p.acceptedLedger(wf)
	}

	// The session is on record before the agent starts, so that a crash in
	// the middle of it is visible after a restart.
	started := p.now()
	wf, err = p.store.Update(id, func(w *workflow.Workflow) error {
		w.Phase = st.phase
		if st.phase == workflow.PhaseCoding {
			w.NextNote = ""
		}
		w.Sessions = append(w.Sessions, workflow.Session{Number: n, Phase: st.phase, StartedAt: started, LogPath: rawLog})
		return nil
	})
	if err != nil {
		return nil, err
	}
	p.publishState(wf, n)
	p.logInfo(id, n, rawLog, fmt.Sprintf("session %d (%s) started with %s", n, st.phase, wf.Model))

	sess, err := session.Start(ctx, session.Options{
		CLI:          cli.Path,
		Dir:          wf.Worktree,
		Prompt:       prompt,
		Model:        wf.Model,
		MaxTurns:     cfg.Defaults.MaxTurns,
		BudgetUSD:    budget,
		AllowedTools: append(session.DefaultTools(), mcp.AllowedTools(servers)...),
		MCPConfig:    mcpConfig,
		HookCommand:  hook,
		RawLogPath:   rawLog,
		Env:          p.env,
		Prices:       model.Prices,
	})
	if err != nil {
		p.store.Update(id, func(w *workflow.Workflow) error {
			last := &w.Sessions[len(w.Sessions)-1]
			last.EndedAt, last.Outcome, last.Note = p.now(), workflow.OutcomeCrashed, err.Error()
			return nil
		})
		return nil, fmt.Errorf("start the agent: %w", err)
	}
	r.setSession(sess)
	p.store.Update(id, func(w *workflow.Workflow) error {
		w.Agent = &workflow.Agent{PID: sess.PID(), PGID: sess.PGID(), StartedAt: started}
		return nil
	})
	for ev := range sess.Events() {
		p.logEvent(id, n, rawLog, ev)
	}
	res, err := sess.Wait()
	r.setSession(nil)
	if res == nil {
		res = &session.Result{Outcome: session.OutcomeCrashed}
	}
	if err != nil && res.StderrTail == "" {
		res.StderrTail = err.Error()
	}
	return &sessionOutcome{number: n, phase: st.phase, result: res, before: before}, nil
}

func (p *Project) renderPrompt(wf *workflow.Workflow, st step, n int) (string, error) {
	data := prompts.Data{
		WorkflowID:   wf.ID,
		WorkflowName: wf.Name,
		Session:      n,
		Branch:       wf.Branch,
		BaseRef:      wf.BaseRef,
		Note:         st.note,
		WebApp:       p.Config().MCP.Playwright.Enabled,
	}
	switch st.phase {
	case workflow.PhaseSchemaValidation:
		data.SchemaFiles, _ = schemaDocs(wf.Worktree)
	case workflow.PhaseCoding:
		if features, err := ledger.Read(filepath.Join(wf.Worktree, prompts.LedgerFile)); err == nil {
			prog := ledger.Compute(features)
			data.Total, data.Passing, data.NextFeature, data.NextIndex = prog.Total, prog.Passing, prog.CurrentFeature, prog.CurrentIndex
		}
	}
	name := map[workflow.Phase]string{
		workflow.PhaseSchemaValidation: prompts.SchemaValidation,
		workflow.PhaseInitializer:      prompts.Initializer,
		workflow.PhaseCoding:           prompts.Coding,
	}[st.phase]
	return prompts.Render(name, p.root, data)
}

// schemaDocs lists the architecture docs of a tree, _index.md first.
func schemaDocs(root string) ([]string, error) {
	matches, err := filepath.Glob(filepath.Join(root, ".schema", "*.md"))
	if err != nil {
		return nil, err
	}
	docs := []string{}
	for _, m := range matches {
		rel, _ := filepath.Rel(root, m)
		if filepath.Base(m) == "_index.md" {
			docs = append([]string{rel}, docs...)
		} else {
			docs = append(docs, rel)
		}
	}
	return docs, nil
}

// mcpServers turns the MCP section of the configuration into servers.
func mcpServers(cfg *config.Config) ([]mcp.Server, error) {
	var servers []mcp.Server
	if pw := cfg.MCP.Playwright; pw.Enabled {
		servers = append(servers, mcp.Playwright(pw.Version, pw.ExecutablePath))
	}
	if sb := cfg.MCP.Supabase; sb.Enabled {
		ref := os.Getenv(sb.ProjectRefEnv)
		if ref == "" {
			return nil, fmt.Errorf("the Supabase MCP server is enabled but $%s (the project ref) is not set", sb.ProjectRefEnv)
		}
		servers = append(servers, mcp.Supabase(ref))
	}
	for _, s := range cfg.MCP.Servers {
		servers = append(servers, mcp.Server{Name: s.Name, Type: s.Type, Command: s.Command, Args: s.Args, Env: s.Env, URL: s.URL, Headers: s.Headers})
	}
	return servers, nil
}

// afterSession checks and records what a session did, and decides whether
// the loop goes on. It returns stop=true when the workflow left the running
// state (with err saying why the transition itself failed, if it did).
func (p *Project) afterSession(ctx context.Context, r *run, out *sessionOutcome) (stop bool, err error) {
	// Work on the branch must outlive whatever happens next, even when the
	// agent did not commit it (stopped mid-way, crashed, forgot).
	ctx = context.WithoutCancel(ctx)
	wf, err := p.store.Get(r.id)
	if err != nil {
		return true, err
	}
	res := out.result
	var note string
	switch out.phase {
	case workflow.PhaseSchemaValidation:
		note = p.afterSchemaValidation(ctx, wf, res)
	case workflow.PhaseInitializer:
		note = p.afterInitializer(wf, res)
	case workflow.PhaseCoding:
		note = p.guardLedger(ctx, wf, out.before)
	}
	if committed, err := gitCommitAll(ctx, wf.Worktree, fmt.Sprintf("autonomous: work left uncommitted by session %d (%s)", out.number, out.phase)); err != nil {
		p.logInfo(wf.ID, out.number, "", "could not commit the session's leftover changes: "+err.Error())
	} else if committed {
		p.logInfo(wf.ID, out.number, "", "committed changes the session left uncommitted")
	}

	features, _ := ledger.Read(filepath.Join(wf.Worktree, prompts.LedgerFile))
	prog := ledger.Compute(features)
	newly := newlyPassing(out.before, features)
	rec := workflow.Session{
		Outcome:          res.Outcome,
		CostUSD:          res.CostUSD,
		InputTokens:      res.Usage.InputTokens,
		OutputTokens:     res.Usage.OutputTokens,
		CacheReadTokens:  res.Usage.CacheReadTokens,
		CacheWriteTokens: res.Usage.CacheWriteTokens,
		Turns:            res.Turns,
		AgentSessionID:   res.AgentSessionID,
		NewlyPassing:     newly,
		Note:             joinNotes(note, sessionProblem(res)),
	}
	wf, err = p.store.Update(wf.ID, func(w *workflow.Workflow) error {
		last := &w.Sessions[len(w.Sessions)-1]
		rec.Number, rec.Phase, rec.StartedAt, rec.LogPath = last.Number, last.Phase, last.StartedAt, last.LogPath
		rec.EndedAt = p.now()
		w.Sessions = w.Sessions[:len(w.Sessions)-1]
		w.AddSession(rec)
		w.Agent = nil
		if features != nil {
			w.Progress = prog
		}
		return nil
	})
	if err != nil {
		return true, err
	}
	last := wf.Sessions[len(wf.Sessions)-1]
	p.bus.Publish(events.Event{Kind: events.KindSession, WorkflowID: wf.ID, Time: p.now(), Session: &events.SessionStats{
		Session: last.Number, Phase: string(last.Phase), Outcome: last.Outcome,
		DurationMs: last.EndedAt.Sub(last.StartedAt).Milliseconds(), CostUSD: last.CostUSD,
		InputTokens: last.InputTokens, OutputTokens: last.OutputTokens,
		CacheRead: last.CacheReadTokens, CacheWrite: last.CacheWriteTokens, NewlyPassing: last.NewlyPassing,
	}})
	if features != nil {
		p.publishProgress(wf.ID, prog)
	}
	p.logInfo(wf.ID, last.Number, last.LogPath, fmt.Sprintf("session %d ended: %s, $%.4f, %d newly passing, %d/%d passing",
		last.Number, last.Outcome, last.CostUSD, newly, prog.Passing, prog.Total))

	if r.peek() != "" || ctx.Err() != nil {
		return false, nil // the loop applies the request
	}
	switch res.Outcome {
	case session.OutcomeRateLimited:
		return p.waitForRateLimit(ctx, r, wf, res)
	case session.OutcomeBudget:
		_, err := p.transition(wf.ID, workflow.Stopped, fmt.Sprintf("budget reached ($%.2f of $%.2f); resume with a higher --budget-usd to continue", wf.Totals.CostUSD, wf.BudgetUSD), nil)
		p.alert(wf.ID, "warning", wf.Name+" stopped: budget reached")
		return true, err
	case session.OutcomeError, session.OutcomeCrashed:
		if n := trailingOutcomes(wf, session.OutcomeError, session.OutcomeCrashed); n >= maxConsecutiveErrors {
			reason := fmt.Sprintf("the agent failed %d sessions in a row; last: %s", n, sessionProblem(res))
			_, err := p.transition(wf.ID, workflow.Failed, reason, nil)
			p.alert(wf.ID, "error", wf.Name+" failed: "+reason)
			return true, err
		}
	}
	if out.phase == workflow.PhaseCoding && prog.Passing < prog.Total {
		if n := trailingNoProgress(wf); wf.StuckThreshold > 0 && n >= wf.StuckThreshold {
			reason := fmt.Sprintf("no new feature passed in %d coding sessions; blocked on feature %d: %q", n, prog.CurrentIndex+1, prog.CurrentFeature)
			_, err := p.transition(wf.ID, workflow.Stuck, reason, func(w *workflow.Workflow) { w.StuckFeature = prog.CurrentFeature })
			p.alert(wf.ID, "warning", wf.Name+" is stuck: "+reason)
			return true, err
		}
	}
	return false, nil
}

// waitForRateLimit holds the workflow in `waiting` until the reset time the
// agent reported (else an exponential backoff), then resumes it by itself.
func (p *Project) waitForRateLimit(ctx context.Context, r *run, wf *workflow.Workflow, res *session.Result) (bool, error) {
	n := trailingOutcomes(wf, session.OutcomeRateLimited)
	until := p.now().Add(backoff(p.Config().Defaults.RateLimitBackoff.Duration(), n))
	if res.RateLimitResetsAt != nil && res.RateLimitResetsAt.After(p.now()) {
		until = *res.RateLimitResetsAt
	}
	reason := fmt.Sprintf("rate limited; resuming at %s", until.Format(time.TimeOnly))
	if _, err := p.transition(wf.ID, workflow.Waiting, reason, func(w *workflow.Workflow) { w.WaitUntil = &until }); err != nil {
		return true, err
	}
	p.alert(wf.ID, "warning", fmt.Sprintf("%s hit a rate limit; it resumes by itself at %s", wf.Name, until.Format(time.TimeOnly)))
	if !r.sleep(ctx, time.Until(until)) {
		if req := r.take(); req == requestStop {
			_, err := p.transition(wf.ID, workflow.Stopped, "stopped by the user", func(w *workflow.Workflow) { w.WaitUntil = nil })
			return true, err
		} else if req == requestPause {
			_, err := p.transition(wf.ID, workflow.Paused, "paused by the user", func(w *workflow.Workflow) { w.WaitUntil = nil })
			return true, err
		}
		_, err := p.transition(wf.ID, workflow.Paused, "the engine shut down while waiting; resume to continue", func(w *workflow.Workflow) { w.WaitUntil = nil })
		return true, err
	}
	_, err := p.transition(wf.ID, workflow.Running, "rate limit reset; resumed", func(w *workflow.Workflow) { w.WaitUntil = nil })
	return err != nil, err
}

func (p *Project) afterSchemaValidation(ctx context.Context, wf *workflow.Workflow, res *session.Result) string {
	path := filepath.Join(wf.Worktree, prompts.SchemaResultFile)
	result, err := schema.Read(path)
	if err != nil {
		p.bus.Publish(events.Event{Kind: events.KindDiscrepancies, WorkflowID: wf.ID, Time: p.now(), Discrepancies: &events.Discrepancies{Root: wf.Worktree, Err: err.Error()}})
		if res.Outcome != session.OutcomeSuccess {
			return "" // interrupted or failed: try again next time
		}
		p.alert(wf.ID, "warning", fmt.Sprintf("schema validation did not produce a valid %s: %v", prompts.SchemaResultFile, err))
	} else {
		p.bus.Publish(events.Event{Kind: events.KindDiscrepancies, WorkflowID: wf.ID, Time: p.now(), Discrepancies: &events.Discrepancies{Root: wf.Worktree, Payload: result}})
		errs, warns, _ := result.Counts()
		p.logInfo(wf.ID, len(wf.Sessions), "", fmt.Sprintf("schema validation: %d errors, %d warnings", errs, warns))
		if err := gitCommitPaths(ctx, wf.Worktree, "autonomous: schema validation result", prompts.SchemaResultFile); err != nil {
			p.logInfo(wf.ID, len(wf.Sessions), "", "could not commit the schema validation result: "+err.Error())
		}
	}
	// Validated for this base, valid or not: a broken result is reported, not retried forever.
	p.store.Update(wf.ID, func(w *workflow.Workflow) error { w.SchemaValidatedCommit = w.BaseCommit; return nil })
	return ""
}

// afterInitializer accepts the ledger the initializer wrote as the baseline
// the guard compares later sessions with.
func (p *Project) afterInitializer(wf *workflow.Workflow, res *session.Result) string {
	features, err := ledger.Read(filepath.Join(wf.Worktree, prompts.LedgerFile))
	if err != nil || len(features) == 0 {
		if res.Outcome == session.OutcomeStopped || res.Outcome == session.OutcomeRateLimited {
			return "" // interrupted, not failed: it simply runs again
		}
		problem := initializerProblem(err)
		p.alert(wf.ID, "warning", fmt.Sprintf("the initializer did not leave a valid %s (%s); it will run again", prompts.LedgerFile, problem))
		p.publishLedgerProblem(wf, err)
		return problem
	}
	p.publishLedgerProblem(wf, nil)
	if err := p.saveAccepted(wf.ID, features); err != nil {
		p.alert(wf.ID, "error", "could not save the accepted ledger: "+err.Error())
	}
	return ""
}

// guardLedger enforces the ledger rule after a coding session: entries are
// never removed, reordered or reworded; only passes changes. A session that
// broke it has its ledger edits rejected and the file restored, keeping the
// legitimate passes flips.
func (p *Project) guardLedger(ctx context.Context, wf *workflow.Workflow, accepted []ledger.Feature) string {
	path := filepath.Join(wf.Worktree, prompts.LedgerFile)
	proposed, err := ledger.Read(path)
	if accepted == nil {
		if err == nil {
			p.saveAccepted(wf.ID, proposed)
		}
		return ""
	}
	var note string
	var repaired []ledger.Feature
	if err != nil {
		repaired = accepted
		note = fmt.Sprintf("Your session left %s unreadable (%v); the engine restored the last accepted version. Change only the passes fields, and keep it valid JSON.", prompts.LedgerFile, err)
		p.publishLedgerProblem(wf, err)
	} else if report := ledger.Check(accepted, proposed); len(report.Violations) > 0 {
		repaired = repairLedger(accepted, proposed)
		var msgs []string
		for _, v := range report.Violations {
			msgs = append(msgs, v.Msg)
		}
		note = fmt.Sprintf("The last session broke the ledger rule (%s). Its edits to entries were rejected and the file restored; only passes flips were kept. Never remove, reorder or reword entries.", strings.Join(msgs, "; "))
		p.publishGuardViolations(wf, report)
	} else {
		p.publishLedgerProblem(wf, nil)
		p.saveAccepted(wf.ID, proposed)
		return ""
	}
	if err := ledger.Write(path, repaired); err != nil {
		p.alert(wf.ID, "error", "could not restore the ledger: "+err.Error())
		return note
	}
	if err := gitCommitPaths(ctx, wf.Worktree, "autonomous: restore feature ledger (rejected edits)", prompts.LedgerFile); err != nil {
		p.logInfo(wf.ID, len(wf.Sessions), "", "could not commit the restored ledger: "+err.Error())
	}
	p.saveAccepted(wf.ID, repaired)
	p.alert(wf.ID, "warning", "ledger edits rejected: "+note)
	p.logWarning(wf.ID, len(wf.Sessions), note)
	p.store.Update(wf.ID, func(w *workflow.Workflow) error { w.NextNote = note; return nil })
	return note
}

// repairLedger is the ledger restored after a session broke the rule: the
// accepted entries with their legitimate passes flips, then the entries the
// session added — failing. A test renamed beyond recognition comes back as
// "removed + appended", and its new copy must not carry a flip nobody can
// trust.
func repairLedger(accepted, proposed []ledger.Feature) []ledger.Feature {
	repaired := ledger.Repair(accepted, proposed)
	for i := len(accepted); i < len(repaired); i++ {
		repaired[i].Passes = false
	}
	return repaired
}

// acceptedLedger is the ledger last accepted by the guard.
func (p *Project) acceptedLedger(wf *workflow.Workflow) []ledger.Feature {
	features, err := ledger.Read(filepath.Join(p.statePath(wf.ID), "ledger.json"))
	if err != nil {
		return nil
	}
	return features
}

func (p *Project) saveAccepted(id string, features []ledger.Feature) error {
	return ledger.Write(filepath.Join(p.statePath(id), "ledger.json"), features)
}

// newlyPassing counts entries that passed after and not before.
func newlyPassing(before, after []ledger.Feature) int {
	n := 0
	for i, f := range after {
		if f.Passes && (i >= len(before) || !before[i].Passes) {
			n++
		}
	}
	return n
}

func trailingOutcomes(wf *workflow.Workflow, outcomes ...string) int {
	n := 0
	for i := len(wf.Sessions) - 1; i >= 0; i-- {
		match := false
		for _, o := range outcomes {
			match = match || wf.Sessions[i].Outcome == o
		}
		if !match {
			break
		}
		n++
	}
	return n
}

// trailingNoProgress counts the latest coding sessions that made no new
// feature pass (sessions of other phases, and interrupted ones, do not count
// either way).
func trailingNoProgress(wf *workflow.Workflow) int {
	n := 0
	for i := len(wf.Sessions) - 1; i >= 0; i-- {
		s := wf.Sessions[i]
		if s.Phase != workflow.PhaseCoding || s.Outcome == session.OutcomeStopped || s.Outcome == session.OutcomeRateLimited {
			continue
		}
		if s.NewlyPassing > 0 {
			break
		}
		n++
	}
	return n
}

func sessionProblem(res *session.Result) string {
	switch res.Outcome {
	case session.OutcomeSuccess, session.OutcomeStopped:
		return ""
	}
	msg := res.Outcome
	if res.ResultText != "" && res.IsError {
		msg += ": " + firstLine(res.ResultText)
	}
	if res.StderrTail != "" {
		msg += ": " + lastLine(res.StderrTail)
	}
	return msg
}

func joinNotes(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "; " + b
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// shellJoin quotes args for the hook command line, which the CLI runs through a shell.
func shellJoin(args ...string) string {
	quoted := make([]string, len(args))
	for i, a := range args {
		if a != "" && strings.IndexFunc(a, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=:@", r))
		}) < 0 {
			quoted[i] = a
			continue
		}
		quoted[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(quoted, " ")
}
