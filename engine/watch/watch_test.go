package watch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/autonomous-coding/autonomous/engine/fsutil"
	"github.com/autonomous-coding/autonomous/engine/ledger"
	"github.com/autonomous-coding/autonomous/engine/schema"
)

// testDebounce keeps the tests quick; the default is for real use.
const testDebounce = 15 * time.Millisecond

// features returns a ledger of total entries in two categories, the first
// passing of them passing.
func features(passing, total int) []ledger.Feature {
	list := make([]ledger.Feature, total)
	for i := range list {
		list[i] = ledger.Feature{
			Category:    []string{"functional", "api"}[i%2],
			Description: fmt.Sprintf("Feature %d works end to end", i+1),
			Steps:       []string{"open the app", fmt.Sprintf("use feature %d", i+1)},
			Passes:      i < passing,
		}
	}
	return list
}

func ledgerBytes(t *testing.T, list []ledger.Feature) []byte {
	t.Helper()
	data, err := ledger.Marshal(list)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// writeLedger replaces the ledger by rename, as the engine and atomic
// writers do.
func writeLedger(t *testing.T, root string, list []ledger.Feature) {
	t.Helper()
	if err := ledger.Write(filepath.Join(root, ledger.File), list); err != nil {
		t.Fatal(err)
	}
}

type running struct {
	w      *Watcher
	events chan Event
}

// start runs a watcher on root until the test ends.
func start(t *testing.T, root string) *running {
	t.Helper()
	r := &running{events: make(chan Event, 100)}
	r.w = New(Options{Root: root, Debounce: testDebounce, OnEvent: func(e Event) { r.events <- e }})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.w.Run(ctx) }()
	select {
	case <-r.w.started:
	case err := <-done:
		t.Fatalf("Run: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("Run did not return after cancel")
		}
	})
	return r
}

// next returns the next event, failing the test if none comes in time.
func (r *running) next(t *testing.T) Event {
	t.Helper()
	select {
	case e := <-r.events:
		return e
	case <-time.After(5 * time.Second):
		t.Fatal("no event within 5s")
		return Event{}
	}
}

// wantProgress takes the next event and checks it reports passing/total.
func (r *running) wantProgress(t *testing.T, passing, total int) Event {
	t.Helper()
	e := r.next(t)
	if e.Kind != KindProgress || e.Progress.Passing != passing || e.Progress.Total != total {
		t.Fatalf("got %s event %d/%d (err %v), want progress %d/%d", e.Kind, e.Progress.Passing, e.Progress.Total, e.Err, passing, total)
	}
	return e
}

func TestExistingLedgerReportedAtStart(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	writeLedger(t, root, features(3, 8))
	r := &running{events: make(chan Event, 10)}
	r.w = New(Options{Root: root, Debounce: testDebounce, OnEvent: func(e Event) { r.events <- e }})
	if s := r.w.Snapshot(); !s.HasLedger || s.Progress.Passing != 3 || s.Progress.Total != 8 || s.Progress.Percent != 37.5 {
		t.Fatalf("Snapshot before Run = %+v", s)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go r.w.Run(ctx)
	e := r.wantProgress(t, 3, 8)
	if e.Path != filepath.Join(root, ledger.File) || e.Progress.CurrentIndex != 3 || len(e.Progress.Categories) != 2 {
		t.Errorf("initial event = %+v", e)
	}
}

func TestInvalidLedgerReportedAtStart(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	path := filepath.Join(root, ledger.File)
	if err := fsutil.WriteFileAtomic(path, []byte(`{"features": []}`), 0o644); err != nil {
		t.Fatal(err)
	}
	r := &running{events: make(chan Event, 10)}
	r.w = New(Options{Root: root, Debounce: testDebounce, OnEvent: func(e Event) { r.events <- e }})
	if s := r.w.Snapshot(); s.HasLedger || s.LedgerErr == nil {
		t.Fatalf("Snapshot before Run = %+v", s)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go r.w.Run(ctx)
	e := r.next(t)
	if e.Kind != KindLedgerError || e.Err.Error() != path+":1:1: the top level must be a JSON array of features, got an object" {
		t.Fatalf("initial event %s: %v", e.Kind, e.Err)
	}
}

func TestBurstOfWritesGivesOneEvent(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	path := filepath.Join(root, ledger.File)
	writeLedger(t, root, features(0, 5))
	r := &running{events: make(chan Event, 10)}
	// A long debounce, so that the burst below surely falls inside it.
	r.w = New(Options{Root: root, Debounce: 400 * time.Millisecond, OnEvent: func(e Event) { r.events <- e }})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go r.w.Run(ctx)
	r.wantProgress(t, 0, 5)

	tmp := filepath.Join(root, "staged.json")
	for passing := 1; passing <= 3; passing++ {
		if err := os.WriteFile(tmp, ledgerBytes(t, features(passing, 5)), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, path); err != nil {
			t.Fatal(err)
		}
	}
	r.wantProgress(t, 3, 5) // not 1/5 or 2/5
	writeLedger(t, root, features(4, 5))
	r.wantProgress(t, 4, 5)
}

func TestLedgerAppearsAfterStart(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		setup func(t *testing.T) string // returns the worktree root
	}{
		{".autonomous exists", func(t *testing.T) string {
			root := t.TempDir()
			if err := os.Mkdir(filepath.Join(root, ".autonomous"), 0o755); err != nil {
				t.Fatal(err)
			}
			return root
		}},
		{".autonomous created later", func(t *testing.T) string { return t.TempDir() }},
		{"worktree created later", func(t *testing.T) string { return filepath.Join(t.TempDir(), "worktrees", "wf-1") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			root := tt.setup(t)
			r := start(t, root)
			if s := r.w.Snapshot(); s.HasLedger || s.LedgerErr != nil {
				t.Fatalf("Snapshot without a ledger = %+v", s)
			}
			// The watch is on the nearest existing parent. The directories
			// and the file arrive in one burst, faster than the watch can
			// move down the tree.
			if err := os.MkdirAll(filepath.Join(root, ".autonomous"), 0o755); err != nil {
				t.Fatal(err)
			}
			writeLedger(t, root, features(0, 5))
			r.wantProgress(t, 0, 5)
			writeLedger(t, root, features(1, 5))
			r.wantProgress(t, 1, 5)
		})
	}
}

func TestLedgerReplacedByRename(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	writeLedger(t, root, features(0, 4))
	r := start(t, root)
	r.wantProgress(t, 0, 4)

	// The engine's atomic writer.
	writeLedger(t, root, features(1, 4))
	r.wantProgress(t, 1, 4)

	// `mv` from elsewhere, as an agent's shell would.
	elsewhere := filepath.Join(t.TempDir(), "new.json")
	if err := os.WriteFile(elsewhere, ledgerBytes(t, features(2, 5)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(elsewhere, filepath.Join(root, ledger.File)); err != nil {
		t.Fatal(err)
	}
	e := r.wantProgress(t, 2, 5)
	if s := r.w.Snapshot(); !s.Progress.Equal(e.Progress) {
		t.Errorf("Snapshot %+v differs from the last event %+v", s.Progress, e.Progress)
	}
}

func TestHalfWrittenLedger(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		final       []ledger.Feature
		wantPassing int
	}{
		{"recovers with new figures", features(3, 4), 3},
		{"recovers with the same figures", features(2, 4), 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			path := filepath.Join(root, ledger.File)
			writeLedger(t, root, features(2, 4))
			r := start(t, root)
			r.wantProgress(t, 2, 4)

			// An in-place write in two halves, the way a plain
			// open(O_TRUNC)+write does it when it is slow.
			data := ledgerBytes(t, tt.final)
			f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if _, err := f.Write(data[:len(data)/2]); err != nil {
				t.Fatal(err)
			}
			e := r.next(t)
			var pe *ledger.ParseError
			if e.Kind != KindLedgerError || !errors.As(e.Err, &pe) {
				t.Fatalf("after the first half: %s event, err %v; want a ledger error with a position", e.Kind, e.Err)
			}
			if pe.File != path || pe.Line < 2 || !strings.Contains(pe.Msg, "unexpected end of file") {
				t.Errorf("parse error = %v", pe)
			}
			if e.Progress.Passing != 2 || e.Progress.Total != 4 {
				t.Errorf("error event carries %d/%d, want the last good 2/4", e.Progress.Passing, e.Progress.Total)
			}
			if s := r.w.Snapshot(); s.LedgerErr == nil || s.Progress.Passing != 2 || !s.HasLedger {
				t.Errorf("Snapshot during the error = %+v", s)
			}

			if _, err := f.Write(data[len(data)/2:]); err != nil {
				t.Fatal(err)
			}
			r.wantProgress(t, tt.wantPassing, 4)
			if s := r.w.Snapshot(); s.LedgerErr != nil {
				t.Errorf("error kept after recovery: %v", s.LedgerErr)
			}
		})
	}
}

func TestEachLedgerErrorReportedOnce(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	path := filepath.Join(root, ledger.File)
	writeLedger(t, root, features(1, 2))
	r := start(t, root)
	r.wantProgress(t, 1, 2)

	bad := `[{"category":"c","description":"d","steps":[],"passes":"yes"}]`
	write := func(s string) {
		if err := fsutil.WriteFileAtomic(path, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(bad)
	if e := r.next(t); e.Kind != KindLedgerError || !strings.Contains(e.Err.Error(), `passes must be a boolean`) {
		t.Fatalf("got %s: %v", e.Kind, e.Err)
	}
	write(bad + "\n\n") // other bytes, same error: nothing new to say
	time.Sleep(4 * testDebounce)
	write(`[{"category":"c","description":"d","steps":[]}]`)
	if e := r.next(t); e.Kind != KindLedgerError || !strings.Contains(e.Err.Error(), "missing passes") {
		t.Fatalf("got %s: %v; want the new error (and the repeated one not reported)", e.Kind, e.Err)
	}
	write(bad)
	if e := r.next(t); e.Kind != KindLedgerError || !strings.Contains(e.Err.Error(), `passes must be a boolean`) {
		t.Fatalf("an error that comes back after another is reported again; got %s: %v", e.Kind, e.Err)
	}
}

func TestNoEventWhenFiguresDoNotChange(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	fl := features(1, 3)
	writeLedger(t, root, fl)
	r := start(t, root)
	r.wantProgress(t, 1, 3)

	// Reworded steps of a passing feature, and a new extra field: the
	// content changes, the figures do not.
	fl[0].Steps = []string{"open the app in a private window", "use it"}
	writeLedger(t, root, fl)
	time.Sleep(4 * testDebounce)
	fl[1].Extra = map[string]json.RawMessage{"id": json.RawMessage(`"F-2"`)}
	writeLedger(t, root, fl)
	time.Sleep(4 * testDebounce)
	// The same bytes again (touch-like rewrite).
	writeLedger(t, root, fl)
	time.Sleep(4 * testDebounce)

	// The next event must be this flip, not one of the writes above.
	fl[1].Passes = true
	writeLedger(t, root, fl)
	e := r.wantProgress(t, 2, 3)
	if e.Progress.CurrentIndex != 2 {
		t.Errorf("current feature index %d, want 2", e.Progress.CurrentIndex)
	}

	// A rewording of the current feature's description does change what
	// is shown (the current feature), so it is reported.
	fl[2].Description = "Feature 3, reworded"
	writeLedger(t, root, fl)
	if e := r.wantProgress(t, 2, 3); e.Progress.CurrentFeature != "Feature 3, reworded" {
		t.Errorf("current feature %q", e.Progress.CurrentFeature)
	}
}

func TestLedgerRemovedAndDirectoryRecreated(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	writeLedger(t, root, features(2, 3))
	r := start(t, root)
	r.wantProgress(t, 2, 3)

	if err := os.Remove(filepath.Join(root, ledger.File)); err != nil {
		t.Fatal(err)
	}
	e := r.next(t)
	if e.Kind != KindLedgerError || !errors.Is(e.Err, fs.ErrNotExist) || e.Progress.Passing != 2 {
		t.Fatalf("after removal: %+v", e)
	}

	// The whole directory goes (a checkout, rm -rf) and comes back.
	if err := os.RemoveAll(filepath.Join(root, ".autonomous")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(4 * testDebounce)
	if err := os.MkdirAll(filepath.Join(root, ".autonomous"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeLedger(t, root, features(2, 3))
	r.wantProgress(t, 2, 3) // recovery is reported even with the same figures

	// The directory is replaced by rename: the watch must follow the path,
	// not the old directory.
	staged := filepath.Join(root, "staged")
	if err := os.MkdirAll(staged, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(staged, filepath.Base(ledger.File)), ledgerBytes(t, features(3, 3)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(root, ".autonomous")); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(staged, filepath.Join(root, ".autonomous")); err != nil {
		t.Fatal(err)
	}
	for {
		e := r.next(t)
		if e.Kind == KindProgress {
			if e.Progress.Passing != 3 {
				t.Fatalf("after the directory was replaced: %d/%d", e.Progress.Passing, e.Progress.Total)
			}
			break
		}
		if e.Kind != KindLedgerError { // the removal may be seen first
			t.Fatalf("unexpected %+v", e)
		}
	}
	writeLedger(t, root, features(1, 3))
	r.wantProgress(t, 1, 3)
}

func TestSchemaResults(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	path := filepath.Join(root, schema.File)
	r := start(t, root)

	valid := `{"validatedAt":"2026-01-01T00:00:00Z","schemaFiles":[".schema/_index.md"],"discrepancies":[
 {"id":"D1","severity":"error","message":"Channel 'x' is documented but not registered","schemaRef":{"file":".schema/_index.md","line":42}}]}`
	if err := fsutil.WriteFileAtomic(path, []byte(valid), 0o644); err != nil {
		t.Fatal(err)
	}
	e := r.next(t)
	if e.Kind != KindSchema || e.Schema == nil || len(e.Schema.Discrepancies) != 1 || e.Schema.Discrepancies[0].SchemaRef.Line != 42 {
		t.Fatalf("got %+v", e)
	}

	if err := fsutil.WriteFileAtomic(path, []byte(strings.Replace(valid, `"error"`, `"fatal"`, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	e = r.next(t)
	var pe *schema.ParseError
	if e.Kind != KindSchemaError || !errors.As(e.Err, &pe) || pe.Path != "discrepancies[0].severity" || pe.File != path {
		t.Fatalf("got %s: %v", e.Kind, e.Err)
	}
	if s := r.w.Snapshot(); s.SchemaErr == nil || s.Schema == nil {
		t.Errorf("Snapshot keeps the last good result and the error: %+v", s)
	}

	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if e := r.next(t); e.Kind != KindSchema || e.Schema != nil {
		t.Fatalf("after removal: %+v", e)
	}
	if s := r.w.Snapshot(); s.Schema != nil || s.SchemaErr != nil {
		t.Errorf("Snapshot after removal: %+v", s)
	}
}

func TestRunOnlyOnce(t *testing.T) {
	t.Parallel()
	w := New(Options{Root: t.TempDir()})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := w.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if err := w.Run(context.Background()); err == nil {
		t.Fatal("second Run succeeded")
	}
}

// openFDs counts this process's open file descriptors, and among them the
// inotify instances.
func openFDs(t *testing.T) (all, inotify int) {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if target, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name())); err == nil && target == "anon_inode:inotify" {
			inotify++
		}
	}
	return len(entries), inotify
}

// TestStartStopLeaksNothing is not parallel: it counts the process's
// goroutines and descriptors.
func TestStartStopLeaksNothing(t *testing.T) {
	root := t.TempDir()
	writeLedger(t, root, features(1, 2))
	fdsBefore, inotifyBefore := openFDs(t)
	goroutinesBefore := runtime.NumGoroutine()

	const cycles = 50
	for i := range cycles {
		events := make(chan Event, 10)
		// Half the cycles on a worktree without .autonomous/ (watching
		// the parent), half on one with a ledger.
		dir := root
		if i%2 == 1 {
			dir = filepath.Join(root, "missing", "worktree")
		}
		w := New(Options{Root: dir, Debounce: time.Millisecond, OnEvent: func(e Event) { events <- e }})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- w.Run(ctx) }()
		if i%2 == 0 {
			select {
			case <-events:
			case <-time.After(5 * time.Second):
				t.Fatal("no initial event")
			}
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}

	// Goroutines that ended may take a moment to be accounted.
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > goroutinesBefore && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > goroutinesBefore {
		buf := make([]byte, 1<<16)
		t.Fatalf("%d goroutines after %d start/stop cycles, %d before:\n%s", n, cycles, goroutinesBefore, buf[:runtime.Stack(buf, true)])
	}
	fdsAfter, inotifyAfter := openFDs(t)
	if fdsAfter != fdsBefore || inotifyAfter != inotifyBefore {
		t.Fatalf("descriptors: %d before, %d after (inotify: %d before, %d after)", fdsBefore, fdsAfter, inotifyBefore, inotifyAfter)
	}
}
