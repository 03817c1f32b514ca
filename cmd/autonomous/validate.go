package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/autonomous-coding/autonomous/engine"
	"github.com/autonomous-coding/autonomous/engine/schema"
)

// cmdValidate runs schema validation (phase 0) alone for a workflow and
// prints each discrepancy as `file:line: severity: message`, the format
// editors and CI logs understand.
func cmdValidate(ctx context.Context, c *cli, args []string) error {
	fs := newFlagSet("validate")
	id := fs.String("workflow", "", "the workflow whose worktree to validate (default: the only one)")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("unexpected argument %q", rest[0])
	}
	p, err := c.openProject(ctx)
	if err != nil {
		return err
	}
	if *id == "" {
		if *id, err = onlyWorkflow(p); err != nil {
			return err
		}
	}
	wf, err := runForeground(ctx, c, p, *id, engine.RunOptions{OnlySchema: true})
	if err != nil {
		return err
	}
	res, root, err := p.SchemaResult(wf.ID)
	if err != nil {
		return fmt.Errorf("schema validation of %s left no valid result: %w", wf.ID, err)
	}
	printDiscrepancies(c, root, res)
	if errs, _, _ := res.Counts(); errs > 0 {
		return &exitError{1}
	}
	return nil
}

// onlyWorkflow is the project's single workflow, for commands where naming
// it would be a chore.
func onlyWorkflow(p *engine.Project) (string, error) {
	wfs, _ := p.List()
	switch len(wfs) {
	case 0:
		return "", fmt.Errorf("the project has no workflow: create one with `autonomous workflow new --name NAME --spec FILE`")
	case 1:
		return wfs[0].ID, nil
	}
	var ids []string
	for _, wf := range wfs {
		ids = append(ids, wf.ID)
	}
	return "", usagef("the project has several workflows: choose one with --workflow (%s)", strings.Join(ids, ", "))
}

// printDiscrepancies prints the result's paths as they are: relative to the
// repository root, the same in the worktree and in the user's checkout.
func printDiscrepancies(c *cli, worktree string, res *schema.Result) {
	for _, d := range res.Discrepancies {
		file, line := "", 0
		if d.SchemaRef != nil {
			file, line = d.SchemaRef.File, d.SchemaRef.Line
		} else if d.CodeRef != nil {
			file, line = d.CodeRef.File, d.CodeRef.Line
		}
		msg := fmt.Sprintf("[%s] %s", d.ID, d.Message)
		if d.CodeRef != nil && d.SchemaRef != nil {
			msg += fmt.Sprintf(" (code: %s:%d)", d.CodeRef.File, d.CodeRef.Line)
		}
		if d.Suggestion != "" {
			msg += "; suggestion: " + d.Suggestion
		}
		fmt.Fprintf(c.stdout, "%s:%d: %s: %s\n", file, line, d.Severity, msg)
	}
	errs, warns, infos := res.Counts()
	fmt.Fprintf(c.stderr, "%d errors, %d warnings, %d notes (result: %s)\n", errs, warns, infos, filepath.Join(worktree, schema.File))
}
