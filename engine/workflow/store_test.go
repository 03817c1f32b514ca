package workflow

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/autonomous-coding/autonomous/engine/ledger"
)

var t0 = time.Date(2026, 3, 4, 5, 6, 7, 890000000, time.UTC)

// fullWorkflow sets every field to a value that is not its zero value, so a
// round trip through the file proves each one is written and read back.
func fullWorkflow(id string) *Workflow {
	started, until := t0.Add(time.Minute), t0.Add(5*time.Hour)
	return &Workflow{
		Version: FormatVersion, ID: id, Name: "Add dark mode: ünïcode & \"quotes\"\nand a second line",
		Status: Running, Phase: PhaseCoding, Reason: "resumed by the user",
		CreatedAt: t0, UpdatedAt: t0.Add(2 * time.Minute), StartedAt: &started,
		BaseRef: "main", BaseCommit: "0123456789abcdef0123456789abcdef01234567",
		Branch: "autonomous/" + id, Worktree: "/repo/.autonomous/worktrees/" + id,
		Model: "claude-sonnet-4-5", SpecPath: ".autonomous/app_spec.txt",
		MaxSessions: 50, BudgetUSD: 12.5, StuckThreshold: 3,
		Sessions: []Session{{
			Number: 1, Phase: PhaseInitializer, StartedAt: t0, EndedAt: t0.Add(90 * time.Second),
			Outcome: OutcomeSuccess, CostUSD: 0.123456789, InputTokens: 1 << 40, OutputTokens: 2000,
			CacheReadTokens: 3000, CacheWriteTokens: 4000, Turns: 17, AgentSessionID: "9f1c-uuid",
			NewlyPassing: 2, Note: "ledger edits rejected: entry 3 reworded", LogPath: "/repo/.autonomous/logs/" + id + "/session-001.jsonl",
		}},
		Totals: Totals{CostUSD: 0.123456789, Sessions: 1, DurationMs: 90000, InputTokens: 1 << 40, OutputTokens: 2000},
		Progress: ledger.Progress{Total: 10, Passing: 2, Percent: 20,
			Categories:     []ledger.CategoryProgress{{Name: "ui", Total: 10, Passing: 2}},
			CurrentFeature: "toggle switches theme", CurrentIndex: 2},
		WaitUntil: &until, StuckFeature: "toggle switches theme",
		Agent:                 &Agent{PID: 4242, PGID: 4242, StartedAt: started},
		NextNote:              "do not reword entries",
		SchemaValidatedCommit: "0123456789abcdef0123456789abcdef01234567",
	}
}

// zeroFields lists the fields of v (recursively) left at their zero value.
func zeroFields(v reflect.Value, path string) []string {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return []string{path}
		}
		return zeroFields(v.Elem(), path)
	case reflect.Slice:
		if v.Len() == 0 {
			return []string{path}
		}
		var out []string
		for i := range v.Len() {
			out = append(out, zeroFields(v.Index(i), fmt.Sprintf("%s[%d]", path, i))...)
		}
		return out
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			break
		}
		var out []string
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				out = append(out, zeroFields(v.Field(i), path+"."+v.Type().Field(i).Name)...)
			}
		}
		return out
	}
	if v.IsZero() {
		return []string{path}
	}
	return nil
}

func newStore(t testing.TB) *Store {
	t.Helper()
	s := NewStore(t.TempDir())
	if err := s.EnsureLayout(); err != nil {
		t.Fatal(err)
	}
	return s
}

func writeRaw(t testing.TB, s *Store, id, content string) string {
	t.Helper()
	path := s.Path(id)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestRoundTripKeepsEveryField(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	w := fullWorkflow("dark-mode-abc123")
	if zero := zeroFields(reflect.ValueOf(w), "Workflow"); len(zero) > 0 {
		t.Fatalf("fixture leaves fields unset, so the round trip would not cover them: %v", zero)
	}
	want := *w
	if err := s.Create(w); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(w.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(*got, want) {
		a, _ := json.MarshalIndent(got, "", " ")
		b, _ := json.MarshalIndent(&want, "", " ")
		t.Fatalf("round trip changed the workflow:\n got %s\nwant %s", a, b)
	}
}

func TestSessionInProgressRoundTrips(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	w := fullWorkflow("w1")
	w.Sessions = append(w.Sessions, Session{Number: 2, Phase: PhaseCoding, StartedAt: t0, LogPath: "/l"})
	mustCreate(t, s, w)
	got, err := s.Get("w1")
	if err != nil {
		t.Fatal(err)
	}
	last := got.Sessions[1]
	if !last.EndedAt.IsZero() || last.Outcome != "" || last.Number != 2 {
		t.Errorf("running session read back as %+v", last)
	}
	j, _ := json.Marshal(last)
	if bytes.Contains(j, []byte("endedAt")) {
		t.Errorf("running session JSON has an end time: %s", j)
	}
}

// The JSON shape (--json, LSP) uses the same key names as the file.
func TestJSONKeysMatchFileKeys(t *testing.T) {
	t.Parallel()
	w := fullWorkflow("w1")
	y, err := Marshal(w)
	if err != nil {
		t.Fatal(err)
	}
	j, err := json.Marshal(w)
	if err != nil {
		t.Fatal(err)
	}
	var ym, jm map[string]any
	if err := yaml.Unmarshal(y, &ym); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(j, &jm); err != nil {
		t.Fatal(err)
	}
	keys := func(m map[string]any) []string {
		var k []string
		for key := range m {
			k = append(k, key)
		}
		slices.Sort(k)
		return k
	}
	if !slices.Equal(keys(ym), keys(jm)) {
		t.Errorf("file keys %v\n json keys %v", keys(ym), keys(jm))
	}
	for _, k := range []string{"id", "status", "createdAt", "budgetUsd", "maxSessions", "sessions", "totals", "waitUntil"} {
		if _, ok := jm[k]; !ok {
			t.Errorf("JSON lacks key %q", k)
		}
	}
	// A new workflow lists no sessions as [], not null: editors iterate it.
	fresh, err := json.Marshal(mustCreate(t, newStore(t), &Workflow{ID: "fresh"}))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(fresh, []byte(`"sessions":[]`)) {
		t.Errorf("new workflow JSON: %s", fresh)
	}
}

func mustCreate(t *testing.T, s *Store, w *Workflow) *Workflow {
	t.Helper()
	if err := s.Create(w); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(w.ID)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestCreate(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	before := time.Now()
	got := mustCreate(t, s, &Workflow{ID: "new-one", Name: "first"})
	if got.Version != FormatVersion || got.Status != Pending || got.CreatedAt.Before(before) || !got.UpdatedAt.Equal(got.CreatedAt) {
		t.Errorf("new workflow: version %d status %s created %v updated %v", got.Version, got.Status, got.CreatedAt, got.UpdatedAt)
	}
	orig, _ := os.ReadFile(s.Path("new-one"))
	err := s.Create(&Workflow{ID: "new-one", Name: "second"})
	if !errors.Is(err, ErrExists) || !strings.Contains(err.Error(), "new-one") {
		t.Errorf("second Create with the same id: %v, want ErrExists naming the id", err)
	}
	if now, _ := os.ReadFile(s.Path("new-one")); !bytes.Equal(now, orig) {
		t.Error("a refused Create changed the existing file")
	}
}

func TestGetMissing(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	_, err := s.Get("nope-123456")
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "nope-123456") {
		t.Errorf("Get of a missing workflow: %v, want ErrNotFound naming the id", err)
	}
	if _, err := s.Update("nope-123456", func(*Workflow) error { return nil }); !errors.Is(err, ErrNotFound) {
		t.Errorf("Update of a missing workflow: %v", err)
	}
	if err := s.Save(&Workflow{ID: "nope-123456", Status: Pending}); !errors.Is(err, ErrNotFound) {
		t.Errorf("Save of a missing workflow: %v", err)
	}
	if _, err := os.Stat(s.Path("nope-123456")); !errors.Is(err, os.ErrNotExist) {
		t.Error("Update or Save created a workflow that did not exist")
	}
}

func TestBadIDsAreRefusedEverywhere(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	// A real workflow one level up, which "../victim" would reach without validation.
	victim := filepath.Join(s.Root(), Dir, "victim.yaml")
	data, _ := Marshal(fullWorkflow("victim"))
	if err := os.WriteFile(victim, data, 0o644); err != nil {
		t.Fatal(err)
	}
	ops := map[string]func(id string) error{
		"Get":    func(id string) error { _, err := s.Get(id); return err },
		"Update": func(id string) error { _, err := s.Update(id, func(*Workflow) error { return nil }); return err },
		"Save":   func(id string) error { return s.Save(&Workflow{ID: id, Status: Pending}) },
		"Create": func(id string) error { return s.Create(&Workflow{ID: id}) },
		"Delete": func(id string) error { return s.Delete(id) },
		"Lock": func(id string) error {
			l, err := s.Lock(id)
			l.Release()
			return err
		},
	}
	for name, op := range ops {
		for _, id := range []string{"../victim", "a/b", "A", "-x", "", strings.Repeat("a", 64), "é"} {
			err := op(id)
			if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("%q", id)) || !strings.Contains(err.Error(), "a-z") {
				t.Errorf("%s(%q) = %v, want an error naming the id and the rule", name, id, err)
			}
		}
		if pid, held := s.HolderPID("../victim"); held {
			t.Errorf("HolderPID accepted a bad id (pid %d)", pid)
		}
	}
	if now, err := os.ReadFile(victim); err != nil || !bytes.Equal(now, data) {
		t.Errorf("a bad id reached the file outside the store: %v", err)
	}
	if _, err := os.Stat(filepath.Join(s.Root(), Dir, "victim.lock")); err == nil {
		t.Error("Lock with a bad id created a file outside locks/")
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	good, _ := Marshal(fullWorkflow("w1"))
	lines := strings.Split(string(good), "\n")
	lineOf := func(prefix string) int {
		for i, l := range lines {
			if strings.HasPrefix(l, prefix) {
				return i + 1
			}
		}
		t.Fatalf("fixture has no line %q", prefix)
		return 0
	}
	replace := func(prefix, with string) string {
		out := slices.Clone(lines)
		out[lineOf(prefix)-1] = with
		return strings.Join(out, "\n")
	}
	tests := []struct {
		name     string
		data     string
		line     int
		contains string
		newer    bool
	}{
		{"garbage", "version: 1\nid: w1\nstatus: [unclosed\nname: x\n", 3, "yaml", false},
		{"stray list item", "version: 1\nid: w1\n- x\n", 3, "did not find expected key", false},
		{"bad indentation", "version: 1\nid: w1\n  status: x\n", 3, "mapping values are not allowed", false},
		{"unterminated quote", "version: 1\nid: w1\nname: \"abc\nstatus: x\n", 3, "unexpected end", false},
		{"not a mapping", "- just\n- a list\n", 1, "cannot unmarshal", false},
		{"tab indentation", "version: 1\nsessions:\n\t- number: 1\n", 3, "yaml", false},
		{"wrong type", replace("maxSessions:", "maxSessions: many"), lineOf("maxSessions:"), "many", false},
		{"bad time", replace("createdAt:", "createdAt: yesterday"), lineOf("createdAt:"), "yesterday", false},
		{"unknown key", replace("model:", "modle: claude"), lineOf("model:"), "modle", false},
		{"unknown status", replace("status:", "status: runing"), lineOf("status:"), `unknown status "runing"`, false},
		{"unknown phase", replace("phase:", "phase: testing"), lineOf("phase:"), `unknown phase "testing"`, false},
		{"missing status", replace("status:", ""), 0, "status is missing", false},
		{"missing version", replace("version:", ""), 0, "version is missing", false},
		{"empty", "", 0, "empty", false},
		{"newer version", replace("version:", "version: 2"), 1, "upgrade autonomous", true},
		{"newer version with new keys", replace("version:", "version: 7\nshinyNewKey: {a: 1}"), 1, "format version 7", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.data))
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("Parse = %v, want a *FileError", err)
			}
			if fe.Line != tt.line {
				t.Errorf("line %d, want %d (%v)", fe.Line, tt.line, err)
			}
			if !strings.Contains(err.Error(), tt.contains) {
				t.Errorf("error %q does not mention %q", err, tt.contains)
			}
			if errors.Is(err, ErrNewerVersion) != tt.newer {
				t.Errorf("errors.Is(ErrNewerVersion) = %v, want %v", !tt.newer, tt.newer)
			}
		})
	}
}

func TestListReportsBadFilesAndKeepsTheRest(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	// Created out of order, to check the sort by creation time.
	for i, id := range []string{"c-third", "a-first", "b-second"} {
		w := fullWorkflow(id)
		w.CreatedAt = t0.Add(time.Duration([]int{3, 1, 2}[i]) * time.Hour)
		if err := s.Create(w); err != nil {
			t.Fatal(err)
		}
	}
	corrupt := writeRaw(t, s, "corrupt", "version: 1\nid: corrupt\nname: [oops\nstatus: running\n")
	dir := filepath.Dir(corrupt)
	unreadableDir := filepath.Join(dir, "is-a-dir.yaml")
	if err := os.Mkdir(unreadableDir, 0o755); err != nil {
		t.Fatal(err)
	}
	loop := filepath.Join(dir, "loop.yaml")
	if err := os.Symlink("loop.yaml", loop); err != nil {
		t.Fatal(err)
	}
	renamed := filepath.Join(dir, "renamed.yaml")
	data, _ := Marshal(fullWorkflow("original"))
	if err := os.WriteFile(renamed, data, 0o644); err != nil {
		t.Fatal(err)
	}
	// Not workflows: a temporary file of an interrupted write, and other files.
	for _, name := range []string{".a-first.yaml.tmp-123", "README.md"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("{{{"), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	wfs, bad := s.List()
	var ids []string
	for _, w := range wfs {
		ids = append(ids, w.ID)
	}
	if want := []string{"a-first", "b-second", "c-third"}; !slices.Equal(ids, want) {
		t.Errorf("listed %v, want %v", ids, want)
	}
	byPath := map[string]*FileError{}
	for _, fe := range bad {
		byPath[fe.Path] = fe
	}
	if len(bad) != 4 {
		t.Errorf("%d file errors, want 4: %v", len(bad), bad)
	}
	for path, want := range map[string]struct {
		line     int
		contains string
	}{
		corrupt:       {3, "did not find expected"},
		unreadableDir: {0, "is a directory"},
		loop:          {0, "too many levels of symbolic links"},
		renamed:       {2, `records workflow id "original" but is named for "renamed"`},
	} {
		fe := byPath[path]
		if fe == nil {
			t.Errorf("no file error for %s", path)
			continue
		}
		if fe.Line != want.line || !strings.Contains(fe.Error(), want.contains) || !strings.Contains(fe.Error(), path) {
			t.Errorf("%s: line %d, error %q; want line %d mentioning %q and the path", filepath.Base(path), fe.Line, fe, want.line, want.contains)
		}
	}
}

func TestListOfEmptyProject(t *testing.T) {
	t.Parallel()
	wfs, bad := NewStore(t.TempDir()).List()
	if len(wfs) != 0 || len(bad) != 0 {
		t.Errorf("List on a project without .autonomous: %v, %v", wfs, bad)
	}
}

func TestUnreadableFilesAreNeverOverwritten(t *testing.T) {
	t.Parallel()
	good, _ := Marshal(fullWorkflow("w1"))
	tests := []struct {
		name, content string
		newer         bool
	}{
		{"corrupt", "version: 1\nid: w1\nstatus: running\nsessions: [\n", false},
		{"unknown key", strings.Replace(string(good), "model:", "modle:", 1), false},
		{"newer version", strings.Replace(string(good), "version: 1", "version: 2", 1) + "laterField: x\n", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newStore(t)
			path := writeRaw(t, s, "w1", tt.content)
			called := false
			_, err := s.Update("w1", func(w *Workflow) error { called = true; return nil })
			var fe *FileError
			if !errors.As(err, &fe) || fe.Path != path {
				t.Errorf("Update: %v, want a *FileError for %s", err, path)
			}
			if called {
				t.Error("Update called its function on a file it could not read")
			}
			if errors.Is(err, ErrNewerVersion) != tt.newer {
				t.Errorf("Update: %v; newer-version error expected: %v", err, tt.newer)
			}
			if err := s.Save(fullWorkflow("w1")); err == nil || !errors.As(err, &fe) {
				t.Errorf("Save over it: %v, want a *FileError", err)
			}
			if got, _ := os.ReadFile(path); string(got) != tt.content {
				t.Errorf("file was changed to:\n%s", got)
			}
			if _, err := s.Get("w1"); errors.Is(err, ErrNewerVersion) != tt.newer || err == nil {
				t.Errorf("Get: %v", err)
			}
		})
	}
}

func TestUpdate(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	w := fullWorkflow("w1")
	w.Status, w.UpdatedAt = Paused, t0
	mustCreate(t, s, w)
	path := s.Path("w1")

	t.Run("callback error writes nothing", func(t *testing.T) {
		before, _ := os.ReadFile(path)
		stop := errors.New("changed my mind")
		got, err := s.Update("w1", func(w *Workflow) error {
			w.Name = "half-done change"
			return stop
		})
		if !errors.Is(err, stop) || got != nil {
			t.Errorf("Update = %v, %v; want the callback's error", got, err)
		}
		if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
			t.Error("a failed Update changed the file")
		}
		var te *TransitionError
		_, err = s.Update("w1", func(w *Workflow) error { return w.Transition(Completed, "x", time.Now()) })
		if !errors.As(err, &te) {
			t.Errorf("illegal transition through Update: %v, want *TransitionError", err)
		}
		if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
			t.Error("an illegal transition changed the file")
		}
	})
	t.Run("stamps UpdatedAt", func(t *testing.T) {
		before := time.Now()
		got, err := s.Update("w1", func(w *Workflow) error { w.Name = "renamed"; return nil })
		if err != nil {
			t.Fatal(err)
		}
		if got.UpdatedAt.Before(before) || got.Name != "renamed" {
			t.Errorf("after Update: updated %v (want >= %v), name %q", got.UpdatedAt, before, got.Name)
		}
		clock := t0.Add(42 * time.Hour)
		got, err = s.Update("w1", func(w *Workflow) error { return w.Transition(Running, "resumed", clock) })
		if err != nil {
			t.Fatal(err)
		}
		if reread, _ := s.Get("w1"); !reread.UpdatedAt.Equal(clock) || reread.Status != Running || reread.Reason != "resumed" {
			t.Errorf("transition's clock not kept: %+v", reread)
		}
	})
	t.Run("id is fixed", func(t *testing.T) {
		if _, err := s.Update("w1", func(w *Workflow) error { w.ID = "other"; return nil }); err == nil {
			t.Error("Update allowed changing the id")
		}
		if _, err := os.Stat(s.Path("other")); err == nil {
			t.Error("Update wrote a file for the changed id")
		}
	})
	t.Run("save", func(t *testing.T) {
		w, err := s.Get("w1")
		if err != nil {
			t.Fatal(err)
		}
		w.Model = "claude-opus-4-1"
		if err := s.Save(w); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.Get("w1"); got.Model != "claude-opus-4-1" || !got.UpdatedAt.Equal(w.UpdatedAt) {
			t.Errorf("after Save: model %q updated %v (caller has %v)", got.Model, got.UpdatedAt, w.UpdatedAt)
		}
	})
}

func TestConcurrentUpdatesLoseNothing(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	mustCreate(t, s, &Workflow{ID: "busy"})
	const writers = 40
	var wg sync.WaitGroup
	errs := make(chan error, 2*writers)
	for i := range writers {
		wg.Go(func() {
			_, err := s.Update("busy", func(w *Workflow) error {
				w.AddSession(Session{Number: i + 1, CostUSD: 1})
				return nil
			})
			errs <- err
		})
		// Readers run alongside: atomic writes mean they never see a partial file.
		wg.Go(func() {
			_, err := s.Get("busy")
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	w, err := s.Get("busy")
	if err != nil {
		t.Fatal(err)
	}
	if len(w.Sessions) != writers || w.Totals.Sessions != writers || w.Totals.CostUSD != writers {
		t.Errorf("%d sessions, totals %+v; want %d of each: updates were lost", len(w.Sessions), w.Totals, writers)
	}
}

func TestDelete(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	mustCreate(t, s, &Workflow{ID: "gone"})
	mustCreate(t, s, &Workflow{ID: "kept"})
	if err := s.Delete("gone"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get("gone"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get after Delete: %v", err)
	}
	if err := s.Delete("gone"); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "gone") {
		t.Errorf("second Delete: %v, want ErrNotFound naming the id", err)
	}
	if wfs, _ := s.List(); len(wfs) != 1 || wfs[0].ID != "kept" {
		t.Errorf("after Delete, List = %v", wfs)
	}
}

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// What users rely on: after the engine has run, `git status` in their
// checkout shows only what they may want to commit.
func TestEnsureLayoutKeepsPrivateStateOutOfCommits(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	git(t, root, "init", "-q")
	s := NewStore(root)
	if err := s.EnsureLayout(); err != nil {
		t.Fatal(err)
	}
	mustCreate(t, s, fullWorkflow("w1"))
	lock, err := s.Lock("w1")
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Release()
	for _, p := range []string{
		"logs/w1/session-001.jsonl", "worktrees/w1/main.go", "state/engine.json",
		".config.yaml.tmp-123", "config.yaml", "prompts/coding.md",
	} {
		full := filepath.Join(root, Dir, p)
		os.MkdirAll(filepath.Dir(full), 0o755)
		if err := os.WriteFile(full, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	status := git(t, root, "status", "--porcelain", "--untracked-files=all")
	got := strings.Fields(strings.ReplaceAll(status, "??", ""))
	slices.Sort(got)
	// The .gitignore ignores itself: a fresh project's status stays clean.
	want := []string{".autonomous/config.yaml", ".autonomous/prompts/coding.md"}
	if !slices.Equal(got, want) {
		t.Errorf("git status shows %v, want only %v", got, want)
	}
}

func TestEnsureLayoutRespectsAnExistingGitignore(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, existing, want string }{
		{"complete", "# mine\n.gitignore\nworkflows/\nlogs/\nworktrees/\nlocks/\nstate/\n*.tmp-*\nnotes/\n", "# mine\n.gitignore\nworkflows/\nlogs/\nworktrees/\nlocks/\nstate/\n*.tmp-*\nnotes/\n"},
		{"partial, no final newline", "notes/\nlogs/", "notes/\nlogs/\n.gitignore\nworkflows/\nworktrees/\nlocks/\nstate/\n*.tmp-*\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := NewStore(t.TempDir())
			path := filepath.Join(s.Root(), Dir, ".gitignore")
			os.MkdirAll(filepath.Dir(path), 0o755)
			if err := os.WriteFile(path, []byte(tt.existing), 0o644); err != nil {
				t.Fatal(err)
			}
			before, _ := os.Stat(path)
			for range 2 {
				if err := s.EnsureLayout(); err != nil {
					t.Fatal(err)
				}
			}
			got, _ := os.ReadFile(path)
			if string(got) != tt.want {
				t.Errorf(".gitignore:\n%s\nwant:\n%s", got, tt.want)
			}
			after, _ := os.Stat(path)
			if tt.existing == tt.want && !os.SameFile(before, after) {
				t.Error("a complete .gitignore was rewritten")
			}
		})
	}
}

// FuzzParse: workflow files are hand-editable, so Parse must take anything
// without panicking, and whatever it accepts must survive a write and re-read.
func FuzzParse(f *testing.F) {
	full, _ := Marshal(fullWorkflow("w1"))
	f.Add(full)
	f.Add([]byte("version: 1\nid: a\nstatus: pending\n"))
	f.Add([]byte("version: 1\nid: a\nstatus: waiting\nwaitUntil: 2026-01-01T00:00:00+02:00\nbudgetUsd: .nan\n"))
	f.Add([]byte("version: 2\nfoo: bar\n"))
	f.Add([]byte("version: 1\nstatus: [\n"))
	f.Add([]byte("&a [*a]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		w, err := Parse(data)
		if err != nil {
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("Parse error is not a *FileError: %v", err)
			}
			return
		}
		once, err := Marshal(w)
		if err != nil {
			t.Fatalf("accepted workflow cannot be written: %v", err)
		}
		w2, err := Parse(once)
		if err != nil {
			t.Fatalf("written workflow cannot be read back: %v\n%s", err, once)
		}
		twice, err := Marshal(w2)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(once, twice) {
			t.Fatalf("not stable across a write and re-read:\n%s\n---\n%s", once, twice)
		}
	})
}

// BenchmarkList100 lists 100 workflows of 50 sessions each: "cold" parses
// every file (a fresh process), "warm" is a later List in the same process
// with no file changed (a status display refreshing).
func BenchmarkList100(b *testing.B) {
	s := newStore(b)
	for i := range 100 {
		w := fullWorkflow(fmt.Sprintf("wf-%03d", i))
		w.Sessions = w.Sessions[:0]
		w.Totals = Totals{}
		for n := range 50 {
			sess := fullWorkflow("x").Sessions[0]
			sess.Number = n + 1
			w.AddSession(sess)
		}
		if err := s.Create(w); err != nil {
			b.Fatal(err)
		}
	}
	list := func(b *testing.B, s *Store) {
		wfs, bad := s.List()
		if len(wfs) != 100 || len(bad) != 0 || len(wfs[99].Sessions) != 50 {
			b.Fatalf("listed %d, %d errors", len(wfs), len(bad))
		}
	}
	b.Run("cold", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			list(b, NewStore(s.Root()))
		}
	})
	b.Run("warm", func(b *testing.B) {
		s := NewStore(s.Root())
		list(b, s)
		b.ReportAllocs()
		for b.Loop() {
			list(b, s)
		}
	})
}
