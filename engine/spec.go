package engine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/autonomous-coding/autonomous/engine/schema"
	"github.com/autonomous-coding/autonomous/engine/workflow"
)

// SpecPath is the absolute path of a workflow's spec, inside its worktree.
func (p *Project) SpecPath(id string) (string, error) {
	wf, err := p.store.Get(id)
	if err != nil {
		return "", err
	}
	return filepath.Join(wf.Worktree, wf.SpecPath), nil
}

// Spec returns a workflow's spec text and where it lives.
func (p *Project) Spec(id string) (path, text string, err error) {
	if path, err = p.SpecPath(id); err != nil {
		return "", "", err
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", "", fmt.Errorf("read spec of %s: %w", id, err)
	}
	return path, string(b), nil
}

// SaveSpec replaces a workflow's spec and commits it on the workflow branch.
// The next session reads the new text; sessions already finished are not redone.
func (p *Project) SaveSpec(ctx context.Context, id, text string) error {
	if strings.TrimSpace(text) == "" {
		return fmt.Errorf("save spec of %s: the spec is empty", id)
	}
	wf, err := p.store.Get(id)
	if err != nil {
		return err
	}
	if err := writeSpec(ctx, wf.Worktree, text, "autonomous: update spec for "+wf.Name); err != nil {
		return fmt.Errorf("save spec of %s: %w", id, err)
	}
	return nil
}

// ImportSpec replaces a workflow's spec with the content of a Markdown or
// text file inside the project.
func (p *Project) ImportSpec(ctx context.Context, id, path string) error {
	abs, err := p.Confine(path)
	if err != nil {
		return err
	}
	switch strings.ToLower(filepath.Ext(abs)) {
	case ".md", ".markdown", ".txt", "":
	default:
		return fmt.Errorf("import spec: %s is not a Markdown or text file", path)
	}
	b, err := os.ReadFile(abs)
	if err != nil {
		return fmt.Errorf("import spec: %w", err)
	}
	return p.SaveSpec(ctx, id, string(b))
}

// Confine resolves path (relative to the project root, or absolute) and
// refuses anything outside the project, following symlinks, so that paths
// from a client cannot reach other files on the machine.
func (p *Project) Confine(path string) (string, error) {
	if path == "" {
		return "", fmt.Errorf("path is empty")
	}
	abs := path
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(p.root, abs)
	}
	abs = filepath.Clean(abs)
	resolved, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return "", fmt.Errorf("path %s: %w", path, err)
	}
	root, err := filepath.EvalSymlinks(p.root)
	if err != nil {
		return "", err
	}
	if resolved != root && !strings.HasPrefix(resolved, root+string(filepath.Separator)) {
		return "", fmt.Errorf("path %s is outside the project %s", path, p.root)
	}
	return resolved, nil
}

// Validate runs schema validation (phase 0) alone for a workflow and returns
// when it is done; the workflow is left paused, ready to start. The result is
// read with SchemaResult.
func (p *Project) Validate(ctx context.Context, id string) (*workflow.Workflow, error) {
	if err := p.checkSchemaDocs(id); err != nil {
		return nil, err
	}
	return p.Run(ctx, id, RunOptions{OnlySchema: true})
}

func (p *Project) checkSchemaDocs(id string) error {
	wf, err := p.store.Get(id)
	if err != nil {
		return err
	}
	if docs, _ := schemaDocs(wf.Worktree); len(docs) == 0 {
		return fmt.Errorf("validate %s: the project has no architecture docs (.schema/*.md) to check", id)
	}
	return nil
}

// SchemaResult reads a workflow's latest schema-validation result.
func (p *Project) SchemaResult(id string) (*schema.Result, string, error) {
	wf, err := p.store.Get(id)
	if err != nil {
		return nil, "", err
	}
	res, err := schema.Read(filepath.Join(wf.Worktree, schema.File))
	return res, wf.Worktree, err
}

// StartValidate is Validate in the background, for the editor.
func (p *Project) StartValidate(ctx context.Context, id string) error {
	if err := p.checkSchemaDocs(id); err != nil {
		return err
	}
	return p.Start(ctx, id, RunOptions{OnlySchema: true})
}
