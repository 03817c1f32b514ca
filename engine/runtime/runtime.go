// Package runtime manages the agent runtime: the Claude Code CLI, installed
// with npm into a folder the tool owns (<home>/runtime), the way a Python tool
// keeps its own venv. It also finds the CLI a session should run (config,
// then the managed runtime, then PATH) and reads its version.
//
// The runtime folder is an npm prefix, so the CLI is
// <home>/runtime/node_modules/.bin/claude. npm makes that a relative symlink,
// which keeps the folder valid when Install renames it into place.
package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

const (
	// DefaultVersion is the Claude Code release the tool is tested with.
	DefaultVersion = "2.1.331"
	// Package is the npm package of the Claude Code CLI.
	Package = "@anthropic-ai/claude-code"
)

// recordFile is written inside the runtime folder, so that it is swapped in
// together with what it describes.
const recordFile = "installed.json"

// Manager installs and inspects the managed runtime under Home.
type Manager struct {
	Home string // the tool's per-user folder ($AUTONOMOUS_HOME or ~/.autonomous-coding)
	NPM  string // the npm executable; "" means "npm" from PATH
}

// Installed records one installation; it is stored as <runtime>/installed.json.
type Installed struct {
	Package     string    `json:"package"`
	Version     string    `json:"version"`
	Path        string    `json:"path"` // the CLI at the time of installation
	InstalledAt time.Time `json:"installedAt"`
	// Already is true when Install found this version in place and did nothing.
	Already bool `json:"-"`
}

// Status describes the managed runtime for `autonomous runtime status` and
// the editor's status command.
type Status struct {
	Installed      bool      `json:"installed"` // the CLI is present and runs
	Package        string    `json:"package"`
	Version        string    `json:"version,omitempty"` // as reported by the CLI itself
	DefaultVersion string    `json:"defaultVersion"`    // the version `runtime install` pins
	Path           string    `json:"path"`              // where the CLI is (or would be)
	Dir            string    `json:"dir"`
	InstalledAt    time.Time `json:"installedAt,omitzero"`
	Problem        string    `json:"problem,omitempty"` // why a present runtime is not usable
}

// Dir is the runtime folder, <Home>/runtime.
func (m Manager) Dir() string { return filepath.Join(m.Home, "runtime") }

// CLIPath is where the managed CLI lives.
func (m Manager) CLIPath() string { return cliIn(m.Dir()) }

func cliIn(prefix string) string {
	return filepath.Join(prefix, "node_modules", ".bin", "claude")
}

// Status reports whether the managed runtime is installed and usable. A
// missing or broken runtime is described in the Status, not returned as an
// error; the error is for a cancelled ctx or a folder that cannot be read.
func (m Manager) Status(ctx context.Context) (Status, error) {
	st := Status{Package: Package, DefaultVersion: DefaultVersion, Path: m.CLIPath(), Dir: m.Dir()}
	if m.Home == "" {
		return st, errors.New("runtime status: no home folder given")
	}
	if _, err := os.Stat(st.Path); err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			return st, fmt.Errorf("runtime status: %w", err)
		}
		if _, derr := os.Stat(st.Dir); derr == nil {
			st.Problem = fmt.Sprintf("%s exists but holds no Claude Code CLI: run `autonomous runtime install`", st.Dir)
		}
		return st, nil
	}
	v, err := Version(ctx, st.Path)
	if err != nil {
		if ctx.Err() != nil {
			return st, fmt.Errorf("runtime status: %w", ctx.Err())
		}
		st.Problem = fmt.Sprintf("the CLI does not run (%v): run `autonomous runtime install`", err)
		return st, nil
	}
	st.Installed, st.Version = true, v
	rec, err := readRecord(m.Dir())
	switch {
	case err == nil:
		st.InstalledAt = rec.InstalledAt
	case !errors.Is(err, fs.ErrNotExist):
		st.Problem = err.Error()
	}
	return st, nil
}

// readRecord reads installed.json of the runtime folder dir.
func readRecord(dir string) (Installed, error) {
	path := filepath.Join(dir, recordFile)
	var rec Installed
	data, err := os.ReadFile(path)
	if err != nil {
		return rec, err
	}
	if err := json.Unmarshal(data, &rec); err != nil {
		return rec, fmt.Errorf("read %s: %w", path, err)
	}
	return rec, nil
}
