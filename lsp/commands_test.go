package lsp

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/autonomous-coding/autonomous/engine/runtime"
	"github.com/autonomous-coding/autonomous/lsp/lsptest"
	"github.com/autonomous-coding/autonomous/lsp/protocol"
	"github.com/autonomous-coding/autonomous/orchestrator/agenttest"
)

// Bad arguments get InvalidParams with a message naming what is wrong, and
// change nothing.
func TestBadArgumentsAreRefusedByName(t *testing.T) {
	t.Parallel()
	dir := repo(t)
	h := start(t, Options{}, lsptest.Options{}, dir)
	wf := h.create("Health check", nil)
	outside := filepath.Join(t.TempDir(), "secret.md")
	os.WriteFile(outside, []byte("outside the workspace\n"), 0o644)
	os.Symlink(outside, filepath.Join(dir, "link.md"))
	os.WriteFile(filepath.Join(dir, "notes.pdf"), []byte("%PDF"), 0o644)

	tests := []struct {
		name    string
		command string
		raw     any // arguments field; nil sends none
		code    int64
		want    []string // substrings of the message
	}{
		{"unknown command", "autonomous.nope", []any{}, protocol.CodeInvalidParams, []string{`unknown command "autonomous.nope"`, protocol.CmdWorkflowCreate}},
		{"no command", "", []any{}, protocol.CodeInvalidParams, []string{"no command"}},
		{"arguments not an object", protocol.CmdWorkflowGet, []any{wf.ID}, protocol.CodeInvalidParams, []string{"one JSON object", "a string"}},
		{"two arguments", protocol.CmdWorkflowGet, []any{map[string]any{"id": wf.ID}, 2}, protocol.CodeInvalidParams, []string{"got 2 arguments"}},
		{"missing id", protocol.CmdWorkflowGet, []any{map[string]any{}}, protocol.CodeInvalidParams, []string{`missing argument "id"`}},
		{"no arguments at all", protocol.CmdWorkflowStop, nil, protocol.CodeInvalidParams, []string{`missing argument "id"`}},
		{"empty id", protocol.CmdWorkflowStart, []any{map[string]any{"id": ""}}, protocol.CodeInvalidParams, []string{`argument "id" is empty`}},
		{"id of the wrong type", protocol.CmdWorkflowGet, []any{map[string]any{"id": 42}}, protocol.CodeInvalidParams, []string{`"id" must be a string`, "the number 42"}},
		{"flag of the wrong type", protocol.CmdWorkflowDelete, []any{map[string]any{"id": wf.ID, "deleteBranch": "yes"}}, protocol.CodeInvalidParams, []string{`"deleteBranch" must be true or false`, "a string"}},
		{"limit of the wrong type", protocol.CmdLogTail, []any{map[string]any{"id": wf.ID, "limit": 1.5}}, protocol.CodeInvalidParams, []string{`"limit" must be an integer`}},
		{"negative limit", protocol.CmdLogTail, []any{map[string]any{"id": wf.ID, "limit": -1}}, protocol.CodeInvalidParams, []string{`"limit" cannot be negative`}},
		{"unknown field", protocol.CmdWorkflowGet, []any{map[string]any{"id": wf.ID, "force": true}}, protocol.CodeInvalidParams, []string{`unknown argument "force"`, "id (required)"}},
		{"malformed id", protocol.CmdWorkflowGet, []any{map[string]any{"id": "../../etc"}}, protocol.CodeInvalidParams, []string{`"../../etc"`}},
		{"unknown id", protocol.CmdWorkflowStop, []any{map[string]any{"id": "no-such-workflow-abc123"}}, protocol.CodeInvalidParams, []string{`unknown workflow id "no-such-workflow-abc123"`, dir}},
		{"create without a spec", protocol.CmdWorkflowCreate, []any{map[string]any{"name": "x"}}, protocol.CodeInvalidParams, []string{`"spec"`, `"specPath"`}},
		{"create with both specs", protocol.CmdWorkflowCreate, []any{map[string]any{"name": "x", "spec": "a", "specPath": "README.md"}}, protocol.CodeInvalidParams, []string{"not both"}},
		{"create with a blank name", protocol.CmdWorkflowCreate, []any{map[string]any{"name": "  ", "spec": "a"}}, protocol.CodeInvalidParams, []string{`"name" is blank`}},
		{"create with an unknown model", protocol.CmdWorkflowCreate, []any{map[string]any{"name": "x", "spec": "a", "model": "gpt-9"}}, protocol.CodeInvalidParams, []string{`unknown model "gpt-9"`, "claude-sonnet-4-5"}},
		{"create with a spec file outside", protocol.CmdWorkflowCreate, []any{map[string]any{"name": "x", "specPath": outside}}, protocol.CodeInvalidParams, []string{`"specPath"`, "outside the workspace"}},
		{"spec.import path traversal", protocol.CmdSpecImport, []any{map[string]any{"id": wf.ID, "path": "../../etc/passwd"}}, protocol.CodeInvalidParams, []string{`"path"`, "../../etc/passwd is outside the workspace"}},
		{"spec.import absolute path outside", protocol.CmdSpecImport, []any{map[string]any{"id": wf.ID, "path": "/etc/passwd"}}, protocol.CodeInvalidParams, []string{"/etc/passwd is outside the workspace"}},
		{"spec.import URI outside", protocol.CmdSpecImport, []any{map[string]any{"id": wf.ID, "path": "file:///etc/passwd"}}, protocol.CodeInvalidParams, []string{"outside the workspace"}},
		{"spec.import symlink leading outside", protocol.CmdSpecImport, []any{map[string]any{"id": wf.ID, "path": "link.md"}}, protocol.CodeInvalidParams, []string{"link.md is outside the project"}},
		{"spec.import missing file", protocol.CmdSpecImport, []any{map[string]any{"id": wf.ID, "path": "docs/none.md"}}, protocol.CodeInvalidParams, []string{"docs/none.md"}},
		{"spec.import not text", protocol.CmdSpecImport, []any{map[string]any{"id": wf.ID, "path": "notes.pdf"}}, protocol.CodeInvalidParams, []string{"notes.pdf is not a Markdown or text file"}},
		{"spec.save blank text", protocol.CmdSpecSave, []any{map[string]any{"id": wf.ID, "text": " \n"}}, protocol.CodeInvalidParams, []string{`"text" is blank`}},
		{"start with an unknown model", protocol.CmdWorkflowStart, []any{map[string]any{"id": wf.ID, "model": "gpt-9"}}, protocol.CodeInvalidParams, []string{`unknown model "gpt-9"`}},
		{"folder not open", protocol.CmdWorkflowList, []any{map[string]any{"folder": t.TempDir()}}, protocol.CodeInvalidParams, []string{"is not an open workspace folder", dir}},
		{"config key unknown", protocol.CmdConfigUpdate, []any{map[string]any{"key": "defaults.colour", "value": "red"}}, protocol.CodeInvalidParams, []string{"defaults.colour"}},
		{"config value of the wrong type", protocol.CmdConfigUpdate, []any{map[string]any{"key": "defaults.maxSessions", "value": "many"}}, protocol.CodeInvalidParams, []string{"defaults.maxSessions"}},
		{"config value missing", protocol.CmdConfigUpdate, []any{map[string]any{"key": "defaults.model"}}, protocol.CodeInvalidParams, []string{`missing argument "value"`}},
		{"config scope unknown", protocol.CmdConfigUpdate, []any{map[string]any{"key": "defaults.model", "value": "x", "scope": "machine"}}, protocol.CodeInvalidParams, []string{`"scope" must be`}},
		{"runtime version malformed", protocol.CmdRuntimeInstall, []any{map[string]any{"version": "latest; rm -rf /"}}, protocol.CodeInvalidParams, []string{`"version"`}},
		{"resume a workflow that never ran", protocol.CmdWorkflowResume, []any{map[string]any{"id": wf.ID}}, protocol.CodeRequestFailed, []string{"never run", "Start"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			params := map[string]any{"command": tc.command}
			if tc.raw != nil {
				params["arguments"] = tc.raw
			}
			err := h.ed.Call(ctxT(t, 30*time.Second), "workspace/executeCommand", params, nil)
			code, msg := rpcError(t, err)
			if code != tc.code {
				t.Errorf("code %d, want %d (%s)", code, tc.code, msg)
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("message %q does not say %q", msg, w)
				}
			}
		})
	}

	// Nothing was lost or changed by the refused requests.
	var list []protocol.WorkflowSummary
	h.mustExec(t, protocol.CmdWorkflowList, nil, &list)
	if len(list) != 1 || list[0].ID != wf.ID || list[0].Status != "pending" {
		t.Errorf("after the refused requests the workflows are %+v, want just %s, pending", list, wf.ID)
	}
	var spec protocol.SpecResult
	h.mustExec(t, protocol.CmdSpecGet, map[string]any{"id": wf.ID}, &spec)
	if spec.Text != "Add a health check endpoint.\n" {
		t.Errorf("the spec changed: %q", spec.Text)
	}
	if _, err := os.Stat(filepath.Join(dir, ".autonomous", "config.yaml")); err == nil {
		b, _ := os.ReadFile(filepath.Join(dir, ".autonomous", "config.yaml"))
		t.Errorf("a refused config.update wrote the config:\n%s", b)
	}
}

// Every command that does not run an agent, through the wire, with what a
// user relies on in each answer.
func TestCommandsRoundTrip(t *testing.T) {
	t.Parallel()
	dir := repo(t)
	h := start(t, Options{}, lsptest.Options{}, dir)
	ed := h.ed

	wf := h.create("Health check", nil)
	if wf.Status != "pending" || wf.Branch != "autonomous/"+wf.ID || wf.Model != "claude-sonnet-4-5" {
		t.Errorf("created %+v", wf)
	}
	await(t, ed, 10*time.Second, lsptest.State(wf.ID, "pending"))

	var got created
	h.mustExec(t, protocol.CmdWorkflowGet, map[string]any{"id": wf.ID}, &got)
	if got.ID != wf.ID || got.Worktree != wf.Worktree {
		t.Errorf("get = %+v, want %+v", got, wf)
	}

	t.Run("spec", func(t *testing.T) {
		var spec protocol.SpecResult
		h.mustExec(t, protocol.CmdSpecGet, map[string]any{"id": wf.ID}, &spec)
		if spec.Path != filepath.Join(wf.Worktree, ".autonomous", "app_spec.txt") || spec.URI != lsptest.URI(spec.Path) || spec.Text != "Add a health check endpoint.\n" {
			t.Errorf("spec.get = %+v", spec)
		}
		h.mustExec(t, protocol.CmdSpecSave, map[string]any{"id": wf.ID, "text": "Add GET /health answering 200.\n"}, nil)
		if b, _ := os.ReadFile(spec.Path); string(b) != "Add GET /health answering 200.\n" {
			t.Errorf("after spec.save the file holds %q", b)
		}
		if log := gitIn(t, wf.Worktree, "log", "-1", "--format=%s"); !strings.Contains(log, "update spec") {
			t.Errorf("spec.save did not commit on the branch: %q", log)
		}
		os.MkdirAll(filepath.Join(dir, "docs"), 0o755)
		os.WriteFile(filepath.Join(dir, "docs", "health.md"), []byte("# Health\nGET /health answers {\"ok\": true}.\n"), 0o644)
		var imported protocol.SpecResult
		h.mustExec(t, protocol.CmdSpecImport, map[string]any{"id": wf.ID, "path": "docs/health.md"}, &imported)
		if !strings.Contains(imported.Text, `{"ok": true}`) {
			t.Errorf("spec.import = %+v", imported)
		}
		// An editor passes URIs.
		h.mustExec(t, protocol.CmdSpecImport, map[string]any{"id": wf.ID, "path": lsptest.URI(filepath.Join(dir, "docs", "health.md"))}, nil)
	})

	t.Run("models and config", func(t *testing.T) {
		var models protocol.ModelsResult
		h.mustExec(t, protocol.CmdModelsList, nil, &models)
		if models.Default != "claude-sonnet-4-5" || len(models.Models) < 3 || models.Models[0].Label == "" || models.Models[0].Prices.Output == 0 {
			t.Errorf("models.list = %+v", models)
		}
		var upd protocol.ConfigUpdateResult
		h.mustExec(t, protocol.CmdConfigUpdate, map[string]any{"key": "defaults.model", "value": "claude-haiku-4-5"}, &upd)
		h.mustExec(t, protocol.CmdConfigUpdate, map[string]any{"key": "defaults.maxSessions", "value": 7}, nil)
		if upd.File != filepath.Join(dir, ".autonomous", "config.yaml") {
			t.Errorf("config.update wrote %s", upd.File)
		}
		h.mustExec(t, protocol.CmdModelsList, nil, &models)
		if models.Default != "claude-haiku-4-5" {
			t.Errorf("after config.update the default model is %s", models.Default)
		}
		var cfg struct {
			Defaults struct {
				Model       string `json:"model"`
				MaxSessions int    `json:"maxSessions"`
			} `json:"defaults"`
			Files []string `json:"files"`
		}
		h.mustExec(t, protocol.CmdConfigGet, nil, &cfg)
		if cfg.Defaults.Model != "claude-haiku-4-5" || cfg.Defaults.MaxSessions != 7 || len(cfg.Files) == 0 {
			t.Errorf("config.get = %+v", cfg)
		}
		// null removes the key: the built-in default applies again.
		h.mustExec(t, protocol.CmdConfigUpdate, map[string]any{"key": "defaults.model", "value": nil}, nil)
		h.mustExec(t, protocol.CmdModelsList, nil, &models)
		if models.Default != "claude-sonnet-4-5" {
			t.Errorf("after removing defaults.model the default is %s", models.Default)
		}
	})

	t.Run("runtime and doctor", func(t *testing.T) {
		var st protocol.RuntimeStatus
		h.mustExec(t, protocol.CmdRuntimeStatus, nil, &st)
		if st.Installed || st.Package != "@anthropic-ai/claude-code" || st.DefaultVersion == "" {
			t.Errorf("runtime.status in an empty home = %+v", st)
		}
		var doc protocol.DoctorResult
		h.mustExec(t, protocol.CmdDoctor, nil, &doc)
		names := map[string]string{}
		for _, c := range doc.Checks {
			names[c.Name] = c.Status
			if c.Status != "ok" && c.Fix == "" {
				t.Errorf("doctor check %s is %s without a fix", c.Name, c.Status)
			}
		}
		if len(doc.Checks) < 5 || names["git"] != "ok" {
			t.Errorf("doctor = %+v", doc)
		}
	})

	t.Run("log tail of a workflow that never ran", func(t *testing.T) {
		var tail protocol.LogParams
		h.mustExec(t, protocol.CmdLogTail, map[string]any{"id": wf.ID}, &tail)
		if tail.WorkflowID != wf.ID || len(tail.Entries) != 0 {
			t.Errorf("log.tail = %+v", tail)
		}
	})

	t.Run("code lens on the workflow file", func(t *testing.T) {
		var lenses []struct {
			Command struct {
				Title     string            `json:"title"`
				Command   string            `json:"command"`
				Arguments []json.RawMessage `json:"arguments"`
			} `json:"command"`
		}
		file := filepath.Join(dir, ".autonomous", "workflows", wf.ID+".yaml")
		if err := ed.Call(ctxT(t, 10*time.Second), "textDocument/codeLens", map[string]any{"textDocument": map[string]string{"uri": lsptest.URI(file)}}, &lenses); err != nil {
			t.Fatal(err)
		}
		if len(lenses) != 2 || !strings.HasPrefix(lenses[0].Command.Title, "pending · 0/0 passing") ||
			lenses[1].Command.Command != protocol.CmdWorkflowStart || string(lenses[1].Command.Arguments[0]) != `{"id":"`+wf.ID+`"}` {
			t.Errorf("lenses on the workflow file = %+v", lenses)
		}
		var none []any
		ed.Call(ctxT(t, 10*time.Second), "textDocument/codeLens", map[string]any{"textDocument": map[string]string{"uri": lsptest.URI(filepath.Join(dir, "README.md"))}}, &none)
		if len(none) != 0 {
			t.Errorf("lenses on README.md: %v", none)
		}
	})

	t.Run("stop and delete", func(t *testing.T) {
		var res protocol.ControlResult
		h.mustExec(t, protocol.CmdWorkflowStop, map[string]any{"id": wf.ID}, &res)
		if res.Message != "stopped" {
			t.Errorf("stop of a pending workflow: %+v", res)
		}
		await(t, ed, 10*time.Second, lsptest.State(wf.ID, "stopped"))
		var del protocol.DeleteResult
		h.mustExec(t, protocol.CmdWorkflowDelete, map[string]any{"id": wf.ID}, &del)
		if del.BranchKept != wf.Branch {
			t.Errorf("delete without deleteBranch: %+v", del)
		}
		await(t, ed, 10*time.Second, lsptest.State(wf.ID, "deleted"))
		if _, err := os.Stat(wf.Worktree); !os.IsNotExist(err) {
			t.Errorf("the worktree is still there: %v", err)
		}
		if gitIn(t, dir, "branch", "--list", wf.Branch) == "" {
			t.Error("the branch was deleted")
		}
		var list []protocol.WorkflowSummary
		h.mustExec(t, protocol.CmdWorkflowList, nil, &list)
		if len(list) != 0 {
			t.Errorf("list after delete = %+v", list)
		}
	})
}

// A thousand list requests sent without waiting are all answered, in any
// order, and the server carries on.
func TestRequestFlood(t *testing.T) {
	t.Parallel()
	dir := repo(t)
	h := start(t, Options{}, lsptest.Options{}, dir)
	wf := h.create("Flood", nil)
	ctx := ctxT(t, 2*time.Minute)
	const n = 1000
	var waiters []func() error
	for range n {
		w, err := h.ed.Dispatch(ctx, "workspace/executeCommand", map[string]any{"command": protocol.CmdWorkflowList})
		if err != nil {
			t.Fatal(err)
		}
		waiters = append(waiters, func() error {
			var list []protocol.WorkflowSummary
			if err := w.Wait(ctx, &list); err != nil {
				return err
			}
			if len(list) != 1 || list[0].ID != wf.ID {
				t.Errorf("a flooded list answered %+v", list)
			}
			return nil
		})
	}
	for i, wait := range waiters {
		if err := wait(); err != nil {
			t.Fatalf("request %d of %d: %v", i+1, n, err)
		}
	}
	var got created
	h.mustExec(t, protocol.CmdWorkflowGet, map[string]any{"id": wf.ID}, &got)
	if got.ID != wf.ID {
		t.Errorf("after the flood get = %+v", got)
	}
}

// Each workspace folder is a project; commands find a workflow's folder by
// its id, and need to be told the folder only when it is ambiguous.
func TestWorkspaceFolders(t *testing.T) {
	t.Parallel()
	a, b := repo(t), repo(t)
	notRepo := t.TempDir()
	h := start(t, Options{}, lsptest.Options{}, a, b, notRepo)
	ed := h.ed
	await(t, ed, 10*time.Second, lsptest.ShowMessage("cannot use the folder"))

	err := h.exec(protocol.CmdWorkflowCreate, map[string]any{"name": "x", "spec": "y"}, nil)
	if code, msg := rpcError(t, err); code != protocol.CodeInvalidParams || !strings.Contains(msg, `"folder"`) || !strings.Contains(msg, a) || !strings.Contains(msg, b) {
		t.Errorf("create with two folders and none named: %d %q", code, msg)
	}
	wa := h.create("In a", map[string]any{"folder": lsptest.URI(a)})
	wb := h.create("In b", map[string]any{"folder": b})
	if !strings.HasPrefix(wa.Worktree, a) || !strings.HasPrefix(wb.Worktree, b) {
		t.Fatalf("worktrees %s and %s are not in their folders", wa.Worktree, wb.Worktree)
	}
	// The id finds the folder.
	var got created
	h.mustExec(t, protocol.CmdWorkflowGet, map[string]any{"id": wb.ID}, &got)
	if got.Worktree != wb.Worktree {
		t.Errorf("get %s found %+v", wb.ID, got)
	}
	err = h.exec(protocol.CmdWorkflowGet, map[string]any{"id": wb.ID, "folder": a}, nil)
	if code, msg := rpcError(t, err); code != protocol.CodeInvalidParams || !strings.Contains(msg, wb.ID) {
		t.Errorf("get of b's workflow in folder a: %d %q", code, msg)
	}
	list := func(args any) map[string]string {
		var l []protocol.WorkflowSummary
		h.mustExec(t, protocol.CmdWorkflowList, args, &l)
		m := map[string]string{}
		for _, w := range l {
			m[w.ID] = w.Folder
		}
		return m
	}
	if got := list(nil); len(got) != 2 || got[wa.ID] != a || got[wb.ID] != b {
		t.Errorf("list of every folder = %v", got)
	}
	if got := list(map[string]any{"folder": a}); len(got) != 1 || got[wa.ID] != a {
		t.Errorf("list of folder a = %v", got)
	}

	ed.Notify(ctxT(t, 5*time.Second), "workspace/didChangeWorkspaceFolders", map[string]any{"event": map[string]any{
		"added": []any{}, "removed": []any{map[string]string{"uri": lsptest.URI(b), "name": "b"}},
	}})
	deadline := time.Now().Add(10 * time.Second)
	for len(list(nil)) != 1 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if got := list(nil); len(got) != 1 || got[wa.ID] != a {
		t.Errorf("after removing b, list = %v", got)
	}
	// With one folder left, no folder argument is needed.
	h.create("Again in a", nil)
	ed.Notify(ctxT(t, 5*time.Second), "workspace/didChangeWorkspaceFolders", map[string]any{"event": map[string]any{
		"added": []any{map[string]string{"uri": lsptest.URI(b), "name": "b"}}, "removed": []any{},
	}})
	deadline = time.Now().Add(10 * time.Second)
	for len(list(nil)) != 3 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if got := list(nil); len(got) != 3 || got[wb.ID] != b {
		t.Errorf("after adding b back, list = %v", got)
	}
}

// Install Runtime returns at once; the install reports through a progress
// bar (for a client that supports them: no token is created otherwise) and a
// message. Here the version wanted is already in place (the home's runtime is
// the machine's managed one), so no download happens: npm is not even run.
func TestRuntimeInstallReportsProgress(t *testing.T) {
	t.Parallel()
	claude := agenttest.ClaudePath(t)
	if filepath.Base(filepath.Dir(claude)) != ".bin" || filepath.Base(filepath.Dir(filepath.Dir(claude))) != "node_modules" {
		t.Fatalf("%s is not a managed runtime (<home>/runtime/node_modules/.bin/claude): run `make runtime`", claude)
	}
	prefix := filepath.Dir(filepath.Dir(filepath.Dir(claude)))
	for _, workDone := range []bool{true, false} {
		t.Run(fmt.Sprintf("workDoneProgress=%v", workDone), func(t *testing.T) {
			home := t.TempDir()
			if err := os.Symlink(prefix, filepath.Join(home, "runtime")); err != nil {
				t.Fatal(err)
			}
			h := start(t, Options{Home: home}, lsptest.Options{WorkDoneProgress: workDone}, repo(t))
			var res protocol.RuntimeInstallResult
			h.mustExec(t, protocol.CmdRuntimeInstall, nil, &res)
			if res.Version != runtime.DefaultVersion {
				t.Errorf("install accepted for version %q, want the configured %s", res.Version, runtime.DefaultVersion)
			}
			await(t, h.ed, time.Minute, lsptest.ShowMessage("Claude Code CLI "+runtime.DefaultVersion+" is installed at"))
			kinds := ""
			for _, b := range lsptest.WorkDoneProgress(h.ed.Messages()) {
				kinds += b.Kind[:1]
			}
			creates := countRequests(h.ed.Messages(), "window/workDoneProgress/create")
			switch {
			case workDone && (creates != 1 || !strings.HasPrefix(kinds, "br") || !strings.HasSuffix(kinds, "e")):
				t.Errorf("%d tokens created and progress %q, want one bar that began, reported and ended", creates, kinds)
			case !workDone && (creates != 0 || kinds != ""):
				t.Errorf("a client without work-done progress got %d token requests and progress %q", creates, kinds)
			}
			var st protocol.RuntimeStatus
			h.mustExec(t, protocol.CmdRuntimeStatus, nil, &st)
			if !st.Installed || st.Version != runtime.DefaultVersion || st.Installing {
				t.Errorf("runtime.status after the install: %+v", st)
			}
		})
	}
}
