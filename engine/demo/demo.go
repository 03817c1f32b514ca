// Package demo holds what `autonomous demo` plays offline: a small brownfield
// project, the spec a user would give for it, and the scenario the scripted
// model server follows in place of a real model.
//
// The project, shop-api, is a Node.js 20 JSON API with no dependencies and its
// own passing tests (node --test). Its architecture doc, .schema/_index.md,
// is accurate except for one genuine discrepancy: it documents
// DELETE /api/items/:id, which the route table does not register. Played
// through the real Claude Code CLI, the scenario shows every phase of a
// workflow on it:
//
//   - schema validation reads the doc and the code and reports that route as
//     discrepancy D1, with the exact lines of the doc row and of the route table;
//   - the initializer reads the spec and the code, runs the tests, and commits
//     a ledger of 7 features in 3 categories, .autonomous/init.sh and
//     .autonomous/progress.md;
//   - three coding sessions change real code and tests (DELETE; search and
//     low-stock report; stock adjustment with 409 on negative stock), run
//     npm test, flip only their features' passes and commit;
//   - the second coding session first tries `curl ... | sh`, which the
//     security policy denies, and carries on.
//
// After the last session every feature passes and so does npm test. Every
// path in the scenario is relative: the CLI resolves it against the worktree.
//
// Around these, InitRepo, Env and CountDenied are what `autonomous demo`
// needs to set the project up, point the CLI at the scripted model and no
// real one, and report what the policy refused.
package demo

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/autonomous-coding/autonomous/engine/fsutil"
)

// WorkflowName is the name of the demo's workflow; the prompts quote it.
const WorkflowName = "Stock management"

//go:embed all:project
var project embed.FS

//go:embed spec.md
var spec string

//go:embed scenario.yaml
var scenario string

// Spec returns the demo's spec, to be written to .autonomous/app_spec.txt.
func Spec() string { return spec }

// Scenario returns the scripted model's scenario (YAML for
// scriptedmodel.ParseScenario); each call returns a fresh copy.
func Scenario() []byte { return []byte(scenario) }

// WriteProject writes the demo project into dir, creating dir if needed. It
// refuses a dir that already has entries, so that it never overwrites a
// user's files. InitRepo then makes it a repository.
func WriteProject(dir string) error {
	sub, err := fs.Sub(project, "project")
	if err != nil {
		return fmt.Errorf("demo project: %w", err)
	}
	return writeTree(sub, dir)
}

// writeTree copies fsys into dir. Embedded files carry no modes, so a file
// that starts with "#!" is taken for a script and made executable.
func writeTree(fsys fs.FS, dir string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case err == nil && len(entries) > 0:
		return fmt.Errorf("write demo project: %s is not empty (it holds %s, ...): choose a new folder; nothing was written", dir, entries[0].Name())
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("write demo project to %s: %w", dir, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write demo project: %w", err)
	}
	return fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("write demo project: read %s: %w", name, err)
		}
		target := filepath.Join(dir, filepath.FromSlash(name))
		if d.IsDir() {
			if err := os.MkdirAll(target, 0o755); err != nil {
				return fmt.Errorf("write demo project: %w", err)
			}
			return nil
		}
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return fmt.Errorf("write demo project: read %s: %w", name, err)
		}
		perm := fs.FileMode(0o644)
		if len(data) >= 2 && data[0] == '#' && data[1] == '!' {
			perm = 0o755
		}
		if err := fsutil.WriteFileAtomic(target, data, perm); err != nil {
			return fmt.Errorf("write demo project: %w", err)
		}
		return nil
	})
}
