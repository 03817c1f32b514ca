// Package watch follows one worktree's .autonomous/ directory and reports
// the feature ledger's figures and the schema-validation result as agents and
// editors change them.
//
// It watches the directory, never the files: the agent's Write tool, `mv`
// and atomic writers replace files by rename, which a watch on the file
// itself would lose. When .autonomous/ does not exist yet, it watches the
// nearest existing parent and moves down as directories appear.
package watch

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/autonomous-coding/autonomous/engine/ledger"
	"github.com/autonomous-coding/autonomous/engine/schema"
)

// DefaultDebounce is how long the files must stay quiet before they are
// read. It covers an in-place write done in several system calls, and keeps
// the latency from a write to its event well under 100 ms.
const DefaultDebounce = 50 * time.Millisecond

// Kind says what an Event reports.
type Kind string

const (
	// KindProgress: the ledger's figures changed, or the ledger is readable
	// again after an error. Progress holds the figures.
	KindProgress Kind = "progress"
	// KindLedgerError: the ledger cannot be read or parsed (a
	// *ledger.ParseError says where), or it was removed. Progress still
	// holds the last good figures. Reported once per distinct error.
	KindLedgerError Kind = "ledgerError"
	// KindSchema: a new schema-validation result, or nil Schema when the
	// file was removed.
	KindSchema Kind = "schema"
	// KindSchemaError: the result file cannot be read or parsed (a
	// *schema.ParseError says where). Reported once per distinct error.
	KindSchemaError Kind = "schemaError"
)

// Event is one change a Watcher reports.
type Event struct {
	Kind     Kind
	Path     string          // the file the event is about
	Progress ledger.Progress // KindProgress, KindLedgerError
	Schema   *schema.Result  // KindSchema
	Err      error           // KindLedgerError, KindSchemaError
}

// Options configure a Watcher.
type Options struct {
	// Root is the worktree whose .autonomous/ directory is watched. It may
	// not exist yet.
	Root string
	// Debounce is how long the files must stay quiet before they are read;
	// DefaultDebounce when zero. A file that never stays quiet is still read
	// every few debounce periods.
	Debounce time.Duration
	// OnEvent receives the events, one at a time, on Run's goroutine. It
	// should return quickly (hand the event to a queue or a bus): while it
	// runs, no other change is read.
	OnEvent func(Event)
}

// State is what a Watcher knows now.
type State struct {
	// HasLedger is true once a valid ledger has been read; Progress holds
	// its figures, kept through later errors.
	HasLedger bool
	Progress  ledger.Progress
	// LedgerErr is why the ledger on disk is not usable now; nil when it is
	// fine or does not exist yet.
	LedgerErr error
	// Schema is the last valid schema-validation result, nil when none.
	Schema    *schema.Result
	SchemaErr error
}

// Watcher follows one worktree. Create it with New, start it with Run, stop
// it by cancelling Run's context. A Watcher runs once.
type Watcher struct {
	root     string
	dir      string // root/.autonomous
	debounce time.Duration
	onEvent  func(Event)

	mu    sync.Mutex // guards state, which Snapshot reads from any goroutine
	state State

	runMu sync.Mutex // guards ran
	ran   bool

	// Owned by Run's goroutine (and by New before it).
	ledgerFile  tracked
	schemaFile  tracked
	ledgerSeen  bool   // the ledger file existed at the last read
	schemaSeen  bool   // the schema file existed at the last read
	lastLedgerE string // text of the last ledger error reported
	lastSchemaE string // text of the last schema error reported
	watched     string // the directory the fsnotify watch is on

	// started is closed once Run's watch is in place and the initial state
	// announced; tests wait on it to know that later changes are seen as
	// changes.
	started chan struct{}
}

// tracked is a file's last content, so that a rewrite with the same bytes
// costs no parse.
type tracked struct {
	path string
	data []byte
	read bool
}

// New returns a watcher for opts.Root and reads the files once, so that
// Snapshot has the figures of an existing ledger before Run starts.
func New(opts Options) *Watcher {
	root := opts.Root
	if abs, err := filepath.Abs(root); err == nil {
		root = abs // fsnotify names events after the watched path: keep one spelling
	}
	w := &Watcher{
		root:     root,
		dir:      filepath.Join(root, filepath.Dir(ledger.File)),
		debounce: opts.Debounce,
		onEvent:  opts.OnEvent,
		started:  make(chan struct{}),
	}
	if w.debounce <= 0 {
		w.debounce = DefaultDebounce
	}
	if w.onEvent == nil {
		w.onEvent = func(Event) {}
	}
	w.ledgerFile.path = filepath.Join(root, ledger.File)
	w.schemaFile.path = filepath.Join(root, schema.File)
	w.refresh(false, false, true, true)
	return w
}

// Snapshot returns what the watcher knows now. It is safe to call from any
// goroutine, before, during and after Run.
func (w *Watcher) Snapshot() State {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := w.state
	s.Progress.Categories = append([]ledger.CategoryProgress(nil), s.Progress.Categories...)
	return s
}

// Run watches until ctx is cancelled. It first reports the current state
// (the ledger's figures or its error, and the schema result if there is
// one), then every change. It returns nil once ctx is cancelled, after
// closing its fsnotify watcher, whose goroutine has then ended too; it
// returns an error if the watch cannot be set up.
func (w *Watcher) Run(ctx context.Context) error {
	w.runMu.Lock()
	if w.ran {
		w.runMu.Unlock()
		return errors.New("watch: a Watcher runs only once; create a new one")
	}
	w.ran = true
	w.runMu.Unlock()

	fw, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watch %s: %w", w.dir, err)
	}
	defer fw.Close()
	if err := w.rewatch(fw, false); err != nil {
		return err
	}
	// Read again now that the watch is in place, so that nothing written
	// between New and here is missed, and announce what is there.
	w.refresh(true, true, true, true)
	close(w.started)

	timer := time.NewTimer(time.Hour)
	timer.Stop()
	var dirtySince time.Time // zero when nothing is pending
	var ledgerDirty, schemaDirty bool
	pending := func(l, s bool) {
		ledgerDirty = ledgerDirty || l
		schemaDirty = schemaDirty || s
		now := time.Now()
		if dirtySince.IsZero() {
			dirtySince = now
		}
		// Trailing debounce, but never put off beyond a few periods: a file
		// rewritten non-stop must still be reported.
		wait := min(w.debounce, dirtySince.Add(4*w.debounce).Sub(now))
		timer.Reset(max(wait, 0))
	}

	for {
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case ev, ok := <-fw.Events:
			if !ok {
				return fmt.Errorf("watch %s: fsnotify stopped", w.dir)
			}
			switch {
			case ev.Name == w.ledgerFile.path:
				pending(true, false)
			case ev.Name == w.schemaFile.path:
				pending(false, true)
			case ev.Name == w.watched && ev.Op.Has(fsnotify.Remove|fsnotify.Rename):
				// The watched directory itself went away or was moved:
				// move the watch up the tree and reread everything.
				if err := w.rewatch(fw, true); err != nil {
					return err
				}
				pending(true, true)
			case w.watched != w.dir && onPath(ev.Name, w.dir) && ev.Op.Has(fsnotify.Create|fsnotify.Rename):
				// Something appeared in an ancestor: maybe the next
				// directory on the way to .autonomous/.
				if err := w.rewatch(fw, false); err != nil {
					return err
				}
				pending(true, true)
			}
		case _, ok := <-fw.Errors:
			if !ok {
				return fmt.Errorf("watch %s: fsnotify stopped", w.dir)
			}
			// Most likely an event overflow: events were lost, so check
			// where the watch should be and read everything again.
			if err := w.rewatch(fw, true); err != nil {
				return err
			}
			pending(true, true)
		case <-timer.C:
			dirtySince = time.Time{}
			l, s := ledgerDirty, schemaDirty
			ledgerDirty, schemaDirty = false, false
			w.refresh(true, false, l, s)
		}
	}
}

// rewatch puts the fsnotify watch on .autonomous/ or, while it does not
// exist, on its nearest existing ancestor. force re-adds the watch even when
// the path is unchanged (the directory at that path may be a new one).
func (w *Watcher) rewatch(fw *fsnotify.Watcher, force bool) error {
	for {
		target := nearestDir(w.dir)
		if target == w.watched && !force {
			return nil
		}
		force = false
		if w.watched != "" {
			_ = fw.Remove(w.watched) // fails when the kernel already dropped it
		}
		w.watched = ""
		if err := fw.Add(target); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue // removed between the check and the watch: look again
			}
			return fmt.Errorf("watch %s: %w", target, err)
		}
		w.watched = target
		// A directory created between nearestDir and Add sent its event to
		// nobody: if a deeper one exists now, go on down.
		if nearestDir(w.dir) == target {
			return nil
		}
	}
}

// nearestDir returns dir or its nearest ancestor that is an existing directory.
func nearestDir(dir string) string {
	for {
		if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return dir
		}
		dir = parent
	}
}

// onPath reports whether name is dir or one of its ancestors.
func onPath(name, dir string) bool {
	rel, err := filepath.Rel(name, dir)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, "../")
}

// refresh rereads the files asked for and, when announce is set, reports
// what changed; force reports the current state even if it did not change.
func (w *Watcher) refresh(announce, force, readLedger, readSchema bool) {
	var events []Event
	if readLedger {
		if ev, ok := w.readLedger(force); ok {
			events = append(events, ev)
		}
	}
	if readSchema {
		if ev, ok := w.readSchema(force); ok {
			events = append(events, ev)
		}
	}
	if !announce {
		return
	}
	for _, ev := range events {
		w.onEvent(ev)
	}
}

// readLedger reads the ledger and returns the event to report, if any.
func (w *Watcher) readLedger(force bool) (Event, bool) {
	data, changed, err := w.ledgerFile.load()
	if err == nil && !changed && !force {
		return Event{}, false
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	st := &w.state
	if errors.Is(err, fs.ErrNotExist) {
		seen := w.ledgerSeen
		w.ledgerSeen = false
		if !seen {
			return Event{}, false
		}
	} else {
		w.ledgerSeen = true
	}
	if err == nil {
		var features []ledger.Feature
		features, err = ledger.Parse(data)
		if pe, ok := err.(*ledger.ParseError); ok {
			pe.File = w.ledgerFile.path
		}
		if err == nil {
			progress := ledger.Compute(features)
			recovered := st.LedgerErr != nil || !st.HasLedger
			if !force && !recovered && progress.Equal(st.Progress) {
				return Event{}, false
			}
			st.HasLedger, st.Progress, st.LedgerErr = true, progress, nil
			w.lastLedgerE = ""
			return Event{Kind: KindProgress, Path: w.ledgerFile.path, Progress: progress}, true
		}
	}
	st.LedgerErr = err
	if !force && err.Error() == w.lastLedgerE {
		return Event{}, false
	}
	w.lastLedgerE = err.Error()
	return Event{Kind: KindLedgerError, Path: w.ledgerFile.path, Progress: st.Progress, Err: err}, true
}

// readSchema reads the schema-validation result and returns the event to
// report, if any.
func (w *Watcher) readSchema(force bool) (Event, bool) {
	data, changed, err := w.schemaFile.load()
	if err == nil && !changed && !force {
		return Event{}, false
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	st := &w.state
	if errors.Is(err, fs.ErrNotExist) {
		seen := w.schemaSeen
		w.schemaSeen = false
		st.Schema, st.SchemaErr = nil, nil
		w.lastSchemaE = ""
		if !seen {
			return Event{}, false
		}
		return Event{Kind: KindSchema, Path: w.schemaFile.path}, true
	}
	w.schemaSeen = true
	if err == nil {
		var r *schema.Result
		r, err = schema.Parse(data)
		if pe, ok := err.(*schema.ParseError); ok {
			pe.File = w.schemaFile.path
		}
		if err == nil {
			st.Schema, st.SchemaErr = r, nil
			w.lastSchemaE = ""
			return Event{Kind: KindSchema, Path: w.schemaFile.path, Schema: r}, true
		}
	}
	st.SchemaErr = err
	if !force && err.Error() == w.lastSchemaE {
		return Event{}, false
	}
	w.lastSchemaE = err.Error()
	return Event{Kind: KindSchemaError, Path: w.schemaFile.path, Err: err}, true
}

// load reads the file and says whether its content differs from the last
// read. A missing file forgets the last content, so that the same bytes
// written again count as a change.
func (t *tracked) load() (data []byte, changed bool, err error) {
	data, err = os.ReadFile(t.path)
	if err != nil {
		t.data, t.read = nil, false
		return nil, true, err
	}
	changed = !t.read || string(data) != string(t.data)
	t.data, t.read = data, true
	return data, changed, nil
}
