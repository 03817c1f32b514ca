package lsp

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/autonomous-coding/autonomous/engine/demo"
	"github.com/autonomous-coding/autonomous/engine/workflow"
	"github.com/autonomous-coding/autonomous/lsp/lsptest"
	"github.com/autonomous-coding/autonomous/lsp/protocol"
	"github.com/autonomous-coding/autonomous/orchestrator/agenttest"
	"github.com/autonomous-coding/autonomous/orchestrator/scriptedmodel"
)

// agentServer starts a scripted model playing scenario and returns server
// options under which agent sessions run the real Claude Code CLI against
// it, with the real hook, isolated from the user's home and ~/.claude.
func agentServer(t *testing.T, scenario []byte) (Options, *scriptedmodel.Server) {
	t.Helper()
	claude := agenttest.ClaudePath(t)
	sc, err := scriptedmodel.ParseScenario(scenario)
	if err != nil {
		t.Fatal(err)
	}
	model, err := scriptedmodel.Start(sc, scriptedmodel.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { model.Close() })
	h := home(t, map[string]any{"agent.cliPath": claude, "defaults.autoContinueDelay": "0s"})
	env := append(agenttest.OfflineEnv(model.URL()), "CLAUDE_CONFIG_DIR="+t.TempDir(), "AUTONOMOUS_HOME="+h)
	return Options{Home: h, SelfPath: autonomousBinary(t), Env: env}, model
}

// A whole workflow, from autonomous.workflow.create to completed, run by the
// real CLI against the scripted model on the demo project, seen from the
// editor: the state sequence, progress to 100%, the progress bar, the schema
// discrepancy at the right lines, the log, the sessions, the final message
// and the code lenses.
func TestWorkflowRunsToCompletion(t *testing.T) {
	t.Parallel()
	opts, model := agentServer(t, demo.Scenario())
	dir := repo(t)
	h := start(t, opts, lsptest.Options{WorkDoneProgress: true, CodeLensRefresh: true}, dir)
	ed := h.ed

	var wf created
	h.mustExec(t, protocol.CmdWorkflowCreate, map[string]any{"name": demo.WorkflowName, "spec": demo.Spec()}, &wf)
	var started created
	h.mustExec(t, protocol.CmdWorkflowStart, map[string]any{"id": wf.ID}, &started)
	if started.Status != "running" {
		t.Fatalf("start answered %+v, want it running", started)
	}
	docLine := lineOf(t, filepath.Join(dir, ".schema", "_index.md"), "| DELETE |")
	codeLine := lineOf(t, filepath.Join(dir, "src", "routes.js"), "method: 'GET', path: '/api/items/:id'")
	docURI, codeURI := lsptest.URI(filepath.Join(dir, ".schema", "_index.md")), lsptest.URI(filepath.Join(dir, "src", "routes.js"))
	atLine := func(line int, related string) func([]lsptest.Diagnostic) bool {
		return func(ds []lsptest.Diagnostic) bool {
			return len(ds) == 1 && ds[0].Code == "D1" && ds[0].Source == "autonomous" && ds[0].Severity == 1 &&
				int(ds[0].Range.Start.Line) == line-1 && len(ds[0].RelatedInformation) == 1 && ds[0].RelatedInformation[0].Location.URI == related
		}
	}
	await(t, ed, 6*time.Minute,
		lsptest.State(wf.ID, "completed"),
		lsptest.ProgressComplete(wf.ID),
		lsptest.Diagnostics(docURI, "D1 at the DELETE row of the doc", atLine(docLine, codeURI)),
		lsptest.Diagnostics(codeURI, "D1 at the route table", atLine(codeLine, docURI)),
		lsptest.ShowMessage("completed"),
	)
	if f := model.Failures(); len(f) > 0 {
		t.Fatalf("the scenario did not play as written:\n%s", strings.Join(f, "\n"))
	}
	log := ed.Messages()

	t.Run("states", func(t *testing.T) {
		var states []string
		var sessions []string
		for _, m := range log {
			if m.Method != protocol.MethodState {
				continue
			}
			st := decode[protocol.StateParams](t, m.Params)
			if st.WorkflowID != wf.ID {
				continue
			}
			if len(states) == 0 || states[len(states)-1] != st.Status {
				states = append(states, st.Status)
			}
			if st.Status == "running" && st.Session > 0 && !slices.Contains(sessions, strconv.Itoa(st.Session)+" "+st.Phase) {
				sessions = append(sessions, strconv.Itoa(st.Session)+" "+st.Phase)
			}
			if st.Name != demo.WorkflowName || st.Folder != dir || st.Model != "claude-sonnet-4-5" {
				t.Errorf("state notification %+v", st)
			}
		}
		if want := []string{"pending", "running", "completed"}; !slices.Equal(states, want) {
			t.Errorf("states %v, want %v", states, want)
		}
		want := []string{"1 schema_validation", "2 initializer", "3 coding", "4 coding", "5 coding"}
		if !slices.Equal(sessions, want) {
			t.Errorf("sessions announced %v, want %v", sessions, want)
		}
	})

	t.Run("sessions", func(t *testing.T) {
		var ended []protocol.SessionParams
		for _, raw := range ed.Received(protocol.MethodSession) {
			ended = append(ended, decode[protocol.SessionParams](t, raw))
		}
		if len(ended) != 5 {
			t.Fatalf("%d autonomous/session notifications, want 5: %+v", len(ended), ended)
		}
		newly := 0
		for i, s := range ended {
			if s.Session != i+1 || s.Outcome != "success" || s.CostUSD <= 0 || s.Tokens.Output <= 0 || s.DurationMs <= 0 {
				t.Errorf("session %d: %+v", i+1, s)
			}
			newly += s.NewlyPassing
		}
		if newly != 7 {
			t.Errorf("%d features newly passing over the sessions, want 7", newly)
		}
	})

	t.Run("progress bar", func(t *testing.T) {
		bars := lsptest.WorkDoneProgress(log)
		if len(bars) < 3 || bars[0].Kind != "begin" || bars[0].Title != "Autonomous: "+demo.WorkflowName {
			t.Fatalf("progress: %+v", bars)
		}
		token := bars[0].Token
		var reports []lsptest.WorkDone
		var end *lsptest.WorkDone
		for i, b := range bars {
			switch {
			case b.Token != token:
			case b.Kind == "report":
				reports = append(reports, b)
			case b.Kind == "end":
				end = &bars[i]
			}
		}
		if len(reports) == 0 || end == nil || !strings.HasPrefix(end.Message, "completed") {
			t.Fatalf("reports %+v, end %+v", reports, end)
		}
		last := reports[len(reports)-1]
		if last.Percentage == nil || *last.Percentage != 100 || !strings.Contains(last.Message, "7/7 passing · session 5 · coding") {
			t.Errorf("last report %+v, want 100%% and 7/7 passing · session 5 · coding", last)
		}
		var sawValidation bool
		for _, r := range reports {
			sawValidation = sawValidation || strings.Contains(r.Message, "session 1 · schema validation")
		}
		if !sawValidation {
			t.Errorf("no report while schema validation ran: %+v", reports)
		}
		if creates := countRequests(log, "window/workDoneProgress/create"); creates != 1 {
			t.Errorf("%d progress tokens created for one run", creates)
		}
	})

	t.Run("log", func(t *testing.T) {
		entries, kinds := 0, map[string]int{}
		for _, raw := range ed.Received(protocol.MethodLog) {
			lp := decode[protocol.LogParams](t, raw)
			if len(lp.Entries) > protocol.MaxLogBatch+1 {
				t.Errorf("a batch of %d entries", len(lp.Entries))
			}
			for _, e := range lp.Entries {
				entries++
				kinds[e.Kind]++
				if e.Time.IsZero() || e.Session == 0 && e.Kind != protocol.LogKindDropped {
					t.Errorf("entry without time or session: %+v", e)
				}
			}
		}
		if entries < 20 || kinds["tool"] == 0 || kinds["result"] == 0 || kinds["denied"] == 0 {
			t.Errorf("%d log entries by kind %v: want tool calls, results and the denied curl", entries, kinds)
		}
		var tail protocol.LogParams
		h.mustExec(t, protocol.CmdLogTail, map[string]any{"id": wf.ID, "limit": 5}, &tail)
		if len(tail.Entries) != 5 || !strings.Contains(tail.Entries[4].Text, "session 5 ended") {
			t.Errorf("log.tail: %+v", tail.Entries)
		}
	})

	t.Run("code lenses", func(t *testing.T) {
		type lens struct {
			Range struct {
				Start struct{ Line int } `json:"start"`
			} `json:"range"`
			Command struct{ Title string } `json:"command"`
		}
		var lenses []lens
		ledgerFile := filepath.Join(wf.Worktree, ".autonomous", "feature_list.json")
		if err := ed.Call(ctxT(t, 30*time.Second), "textDocument/codeLens", map[string]any{"textDocument": map[string]string{"uri": lsptest.URI(ledgerFile)}}, &lenses); err != nil {
			t.Fatal(err)
		}
		var titles []string
		for _, l := range lenses {
			titles = append(titles, l.Command.Title)
		}
		// DELETE (2 features) in session 3, search and report (3) in 4, stock (2) in 5.
		want := []string{"✓ passing · session 3", "✓ passing · session 3", "✓ passing · session 4", "✓ passing · session 4", "✓ passing · session 4", "✓ passing · session 5", "✓ passing · session 5"}
		if !slices.Equal(titles, want) {
			t.Errorf("ledger lenses %q, want %q", titles, want)
		}
		if len(lenses) > 0 && lenses[0].Range.Start.Line != 1 {
			t.Errorf("the first lens is on line %d, want the first entry's line 1", lenses[0].Range.Start.Line)
		}
		var wfLenses []lens
		ed.Call(ctxT(t, 30*time.Second), "textDocument/codeLens", map[string]any{"textDocument": map[string]string{"uri": lsptest.URI(filepath.Join(dir, ".autonomous", "workflows", wf.ID+".yaml"))}}, &wfLenses)
		if len(wfLenses) != 1 || !strings.HasPrefix(wfLenses[0].Command.Title, "completed · 7/7 passing (100%) · 5 sessions") {
			t.Errorf("workflow lenses %+v", wfLenses)
		}
		if countRequests(log, "workspace/codeLens/refresh") == 0 {
			t.Error("the server never asked the editor to refresh its lenses as features passed")
		}
	})
}

func countRequests(log []lsptest.Message, method string) int {
	n := 0
	for _, m := range log {
		if m.Request && m.Method == method {
			n++
		}
	}
	return n
}

// plainRepo is a repository without architecture docs: a workflow on it
// starts with the initializer.
func plainRepo(t *testing.T) string {
	t.Helper()
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "README.md"), []byte("# app\n"), 0o644)
	gitIn(t, dir, "init", "-q", "-b", "main")
	gitIn(t, dir, "config", "user.name", "Test")
	gitIn(t, dir, "config", "user.email", "test@autonomous.invalid")
	gitIn(t, dir, "add", "-A")
	gitIn(t, dir, "commit", "-q", "-m", "init")
	return dir
}

// Stop interrupts a session in the middle of a tool call, from the command
// and from the progress bar's cancel button; the workflow is stopped within
// seconds, resumable, and its agent is gone.
func TestStopMidSession(t *testing.T) {
	t.Parallel()
	scenario, err := os.ReadFile(filepath.Join("testdata", "sleep.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	opts, _ := agentServer(t, scenario)
	dir := plainRepo(t)
	h := start(t, opts, lsptest.Options{WorkDoneProgress: true}, dir)
	ed := h.ed

	byCommand := h.create("Stopped by command", nil)
	byCancel := h.create("Stopped by cancel", nil)
	for _, wf := range []created{byCommand, byCancel} {
		h.mustExec(t, protocol.CmdWorkflowStart, map[string]any{"id": wf.ID}, nil)
	}
	// Both agents are inside their sleep.
	waitFor(t, 2*time.Minute, "both agents to run their sleep", func() bool { return len(sleepersOf("93.217")) == 2 })
	agents := map[string]int{}
	for _, wf := range []created{byCommand, byCancel} {
		rec, err := h.srv.snapshot()[0].project.Get(wf.ID)
		if err != nil || rec.Agent == nil {
			t.Fatalf("workflow %s has no agent on record: %v", wf.ID, err)
		}
		agents[wf.ID] = rec.Agent.PGID
	}

	stopAt := time.Now()
	var res protocol.ControlResult
	h.mustExec(t, protocol.CmdWorkflowStop, map[string]any{"id": byCommand.ID}, &res)
	if res.Message != "stop requested" {
		t.Errorf("stop answered %+v", res)
	}
	var token string
	for _, b := range lsptest.WorkDoneProgress(ed.Messages()) {
		if b.Kind == "begin" && b.Title == "Autonomous: Stopped by cancel" {
			token = b.Token
		}
	}
	if token == "" {
		t.Fatal("no progress bar for the second workflow")
	}
	ed.Notify(ctxT(t, 5*time.Second), "window/workDoneProgress/cancel", map[string]any{"token": token})
	await(t, ed, 30*time.Second, lsptest.State(byCommand.ID, "stopped"), lsptest.State(byCancel.ID, "stopped"))
	if took := time.Since(stopAt); took > 15*time.Second {
		t.Errorf("stopping took %s", took)
	}
	for _, wf := range []created{byCommand, byCancel} {
		rec, err := h.srv.snapshot()[0].project.Get(wf.ID)
		if err != nil {
			t.Fatal(err)
		}
		last := rec.Sessions[len(rec.Sessions)-1]
		if rec.Status != workflow.Stopped || rec.Agent != nil || last.Outcome != workflow.OutcomeStopped || !workflow.CanTransition(rec.Status, workflow.Running) {
			t.Errorf("%s after stop: status %s, agent %+v, last session %+v", wf.ID, rec.Status, rec.Agent, last)
		}
		if alive := groupAlive(agents[wf.ID]); alive {
			t.Errorf("the agent's process group %d of %s is still alive", agents[wf.ID], wf.ID)
		}
	}
	if left := sleepersOf("93.217"); len(left) > 0 {
		t.Errorf("the agents' sleeps are still running: pids %v", left)
	}
	// The bar of each workflow ended (the end follows the state notification).
	await(t, ed, 10*time.Second, lsptest.Condition{Desc: "both progress bars ended as stopped", Met: func(log []lsptest.Message) bool {
		ends := 0
		for _, b := range lsptest.WorkDoneProgress(log) {
			if b.Kind == "end" && strings.HasPrefix(b.Message, "stopped") {
				ends++
			}
		}
		return ends == 2
	}})
	var list []protocol.WorkflowSummary
	h.mustExec(t, protocol.CmdWorkflowList, nil, &list)
	raw, _ := json.Marshal(list)
	if !strings.Contains(string(raw), `"status":"stopped"`) {
		t.Errorf("list after stop: %s", raw)
	}
	if os.Getenv("LSP_DEBUG") != "" {
		t.Log(lsptest.Describe(ed.Messages(), 200))
	}
}

func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// groupAlive reports whether a process group has members left.
func groupAlive(pgid int) bool {
	if pgid <= 0 {
		return false
	}
	err := syscall.Kill(-pgid, 0)
	return err == nil
}
