package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/autonomous-coding/autonomous/engine/fsutil"
)

// Names of the sibling folders of <home>/runtime during an install. Both are
// swept by the next install, so a crash at any point leaves nothing behind
// for good.
const (
	tmpPrefix = "runtime.tmp-" // an install in progress
	oldPrefix = "runtime.old-" // the previous runtime, moved aside for the swap
)

// Install installs Package@version into the managed runtime and returns what
// is installed. It is idempotent: when that version is already in place and
// runs, it returns at once with Already set, without running npm.
//
// npm installs into a fresh temporary folder next to the runtime; only when
// the new CLI runs and reports the wanted version is it renamed into place, so
// a failed or interrupted install leaves the previous runtime as it was.
// npm's output is copied line by line to progress (which may be nil).
func (m Manager) Install(ctx context.Context, version string, progress io.Writer) (*Installed, error) {
	if progress == nil {
		progress = io.Discard
	}
	spec := Package + "@" + version
	if m.Home == "" {
		return nil, fmt.Errorf("install %s: no home folder given", spec)
	}
	if err := ValidateVersion(version); err != nil {
		return nil, fmt.Errorf("install %s: %w", Package, err)
	}
	if rec, ok := m.current(ctx, version); ok {
		m.sweepIfIdle(ctx, progress)
		fmt.Fprintf(progress, "%s is already installed at %s\n", spec, rec.Path)
		return rec, nil
	}
	if err := os.MkdirAll(m.Home, 0o755); err != nil {
		return nil, fmt.Errorf("install %s: %w", spec, err)
	}
	unlock, err := lockInstall(ctx, m.Home, true, progress)
	if err != nil {
		return nil, fmt.Errorf("install %s: %w", spec, err)
	}
	defer unlock()
	if err := m.sweep(progress); err != nil {
		return nil, fmt.Errorf("install %s: %w", spec, err)
	}
	// Another install may have finished this very version while we waited.
	if rec, ok := m.current(ctx, version); ok {
		fmt.Fprintf(progress, "%s is already installed at %s\n", spec, rec.Path)
		return rec, nil
	}

	tmp, err := os.MkdirTemp(m.Home, tmpPrefix+"*")
	if err != nil {
		return nil, fmt.Errorf("install %s: %w", spec, err)
	}
	swapped := false
	defer func() {
		if !swapped {
			os.RemoveAll(tmp)
		}
	}()
	fmt.Fprintf(progress, "installing %s with npm into %s\n", spec, m.Dir())
	if err := m.npmInstall(ctx, tmp, spec, progress); err != nil {
		return nil, err
	}
	fmt.Fprintf(progress, "checking that the new CLI runs\n")
	got, err := Version(ctx, cliIn(tmp))
	switch {
	case ctx.Err() != nil:
		return nil, interrupted(ctx, spec)
	case err != nil:
		return nil, fmt.Errorf("install %s: npm finished but the CLI does not run: %w\nhint: its postinstall step (node install.cjs) puts the native binary in place; check that npm did not skip install scripts (ignore-scripts in `npm config list`)", spec, err)
	case got != version:
		return nil, fmt.Errorf("install %s: the installed CLI reports version %s", spec, got)
	}
	rec := &Installed{Package: Package, Version: version, Path: m.CLIPath(), InstalledAt: time.Now().UTC().Truncate(time.Second)}
	if err := writeRecord(tmp, rec); err != nil {
		return nil, fmt.Errorf("install %s: %w", spec, err)
	}
	if ctx.Err() != nil {
		return nil, interrupted(ctx, spec)
	}
	if err := m.swapIn(tmp, progress); err != nil {
		return nil, fmt.Errorf("install %s: %w", spec, err)
	}
	swapped = true
	return rec, nil
}

func interrupted(ctx context.Context, spec string) error {
	return fmt.Errorf("install %s: interrupted before anything was changed: %w", spec, ctx.Err())
}

// current returns the installation when the runtime's CLI runs and reports
// version. A runtime installed by hand (plain `npm install --prefix`) has no
// record yet: it gets one, so that status can tell when it was installed.
func (m Manager) current(ctx context.Context, version string) (*Installed, bool) {
	cli := m.CLIPath()
	if !isExecutable(cli) {
		return nil, false
	}
	if v, err := Version(ctx, cli); err != nil || v != version {
		return nil, false
	}
	rec, err := readRecord(m.Dir())
	if err != nil || rec.Version != version {
		rec = Installed{Package: Package, Version: version, Path: cli, InstalledAt: time.Now().UTC().Truncate(time.Second)}
		if fi, err := os.Stat(cli); err == nil {
			rec.InstalledAt = fi.ModTime().UTC().Truncate(time.Second)
		}
		// Best effort: a read-only home still has a usable runtime.
		_ = writeRecord(m.Dir(), &rec)
	}
	rec.Path, rec.Already = cli, true
	return &rec, true
}

func writeRecord(dir string, rec *Installed) error {
	data, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return err
	}
	return fsutil.WriteFileAtomic(filepath.Join(dir, recordFile), append(data, '\n'), 0o644)
}

// sweepIfIdle removes what a killed install left behind (hundreds of MB)
// when nothing else is installing. It is best effort: the runtime in place
// works either way.
func (m Manager) sweepIfIdle(ctx context.Context, progress io.Writer) {
	if l, _ := filepath.Glob(filepath.Join(m.Home, "runtime.*-*")); len(l) == 0 {
		return
	}
	unlock, err := lockInstall(ctx, m.Home, false, progress)
	if err != nil {
		return
	}
	defer unlock()
	if err := m.sweep(progress); err != nil {
		fmt.Fprintf(progress, "warning: %v\n", err)
	}
}

// sweep removes what earlier installs left behind. A previous runtime that
// was moved aside when the install died before the new one took its place is
// put back rather than removed.
func (m Manager) sweep(progress io.Writer) error {
	entries, err := os.ReadDir(m.Home)
	if err != nil {
		return fmt.Errorf("clean up %s: %w", m.Home, err)
	}
	var olds []string
	for _, e := range entries {
		path := filepath.Join(m.Home, e.Name())
		switch {
		case strings.HasPrefix(e.Name(), tmpPrefix):
			fmt.Fprintf(progress, "removing %s, left by an interrupted install\n", path)
			if err := os.RemoveAll(path); err != nil {
				return fmt.Errorf("clean up %s: %w", path, err)
			}
		case strings.HasPrefix(e.Name(), oldPrefix):
			olds = append(olds, path)
		}
	}
	if len(olds) == 0 {
		return nil
	}
	if _, err := os.Lstat(m.Dir()); errors.Is(err, fs.ErrNotExist) {
		sort.Slice(olds, func(i, j int) bool { return modTime(olds[i]).After(modTime(olds[j])) })
		fmt.Fprintf(progress, "restoring the previous runtime from %s\n", olds[0])
		if err := os.Rename(olds[0], m.Dir()); err != nil {
			return fmt.Errorf("restore %s: %w", olds[0], err)
		}
		olds = olds[1:]
	}
	for _, old := range olds {
		if err := os.RemoveAll(old); err != nil {
			return fmt.Errorf("clean up %s: %w", old, err)
		}
	}
	return nil
}

func modTime(path string) time.Time {
	fi, err := os.Lstat(path)
	if err != nil {
		return time.Time{}
	}
	return fi.ModTime()
}

// swapIn renames tmp to the runtime folder, moving the previous runtime aside
// first and removing it after. Should the second rename fail, the previous
// runtime is put back; should the process die between the two renames, the
// next install's sweep puts it back.
func (m Manager) swapIn(tmp string, progress io.Writer) error {
	dir := m.Dir()
	old := ""
	if _, err := os.Lstat(dir); err == nil {
		old = filepath.Join(m.Home, oldPrefix+strings.TrimPrefix(filepath.Base(tmp), tmpPrefix))
		if err := os.Rename(dir, old); err != nil {
			return fmt.Errorf("move the previous runtime aside: %w", err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("swap in the new runtime: %w", err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		if old != "" {
			if rerr := os.Rename(old, dir); rerr != nil {
				return fmt.Errorf("move %s into place: %w (and putting the previous runtime back from %s failed: %v)", tmp, err, old, rerr)
			}
		}
		return fmt.Errorf("move %s into place: %w", tmp, err)
	}
	if d, err := os.Open(m.Home); err == nil {
		d.Sync() // best effort: make the renames survive a power loss
		d.Close()
	}
	if old != "" {
		if err := os.RemoveAll(old); err != nil {
			fmt.Fprintf(progress, "warning: could not remove the previous runtime %s: %v (the next install retries)\n", old, err)
		}
	}
	return nil
}
