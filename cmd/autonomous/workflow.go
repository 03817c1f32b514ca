package main

import (
	"context"
	"flag"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/autonomous-coding/autonomous/engine"
	"github.com/autonomous-coding/autonomous/engine/workflow"
)

const workflowUsage = `workflow <new|list|show|pause|stop|delete> ...
  workflow new --name NAME --spec FILE [--base REF] [--model M]
  workflow list [--json]
  workflow show ID [--json]
  workflow pause ID          finish the current session, then hold
  workflow stop ID           interrupt the current session now and hold
  workflow delete ID [--delete-branch]`

func cmdWorkflow(ctx context.Context, c *cli, args []string) error {
	if len(args) == 0 {
		return usagef("missing subcommand")
	}
	switch args[0] {
	case "new":
		return workflowNew(ctx, c, args[1:])
	case "list", "ls":
		return workflowList(ctx, c, args[1:])
	case "show":
		return workflowShow(ctx, c, args[1:])
	case "pause", "stop":
		return workflowControl(ctx, c, args[0], args[1:])
	case "delete", "rm":
		return workflowDelete(ctx, c, args[1:])
	}
	return usagef("unknown subcommand %q", args[0])
}

func workflowNew(ctx context.Context, c *cli, args []string) error {
	fs := newFlagSet("workflow new")
	name := fs.String("name", "", "workflow name")
	spec := fs.String("spec", "", "spec file (Markdown or text)")
	base := fs.String("base", "", "base ref (default HEAD)")
	model := fs.String("model", "", "model id (default from config)")
	asJSON := fs.Bool("json", false, "print the workflow as JSON")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("unexpected argument %q", rest[0])
	}
	if *name == "" || *spec == "" {
		return usagef("--name and --spec are required")
	}
	p, err := c.openProject(ctx)
	if err != nil {
		return err
	}
	wf, err := p.Create(ctx, engine.CreateOptions{Name: *name, SpecFile: *spec, BaseRef: *base, Model: *model})
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(c.stdout, wf)
	}
	fmt.Fprintf(c.stdout, "created workflow %s\n  branch   %s\n  worktree %s\n  model    %s\nstart it with: autonomous run --workflow %s\n", wf.ID, wf.Branch, wf.Worktree, wf.Model, wf.ID)
	return nil
}

// fileErrorJSON is how an unreadable workflow file appears in --json output.
type fileErrorJSON struct {
	Path  string `json:"path"`
	Line  int    `json:"line,omitempty"`
	Error string `json:"error"`
}

func fileErrors(errs []*workflow.FileError) []fileErrorJSON {
	out := []fileErrorJSON{}
	for _, e := range errs {
		out = append(out, fileErrorJSON{Path: e.Path, Line: e.Line, Error: e.Err.Error()})
	}
	return out
}

func (c *cli) reportFileErrors(errs []*workflow.FileError) {
	for _, e := range errs {
		fmt.Fprintf(c.stderr, "autonomous: skipped unreadable workflow file: %v\n", e)
	}
}

func workflowList(ctx context.Context, c *cli, args []string) error {
	fs := newFlagSet("workflow list")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	p, err := c.openProject(ctx)
	if err != nil {
		return err
	}
	wfs, errs := p.List()
	if *asJSON {
		if wfs == nil {
			wfs = []*workflow.Workflow{}
		}
		if err := writeJSON(c.stdout, struct {
			Workflows []*workflow.Workflow `json:"workflows"`
			Errors    []fileErrorJSON      `json:"errors"`
		}{wfs, fileErrors(errs)}); err != nil {
			return err
		}
	} else {
		c.reportFileErrors(errs)
		if len(wfs) == 0 && len(errs) == 0 {
			fmt.Fprintln(c.stdout, "no workflows yet: create one with `autonomous workflow new --name NAME --spec FILE`")
			return nil
		}
		tw := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tSTATUS\tPHASE\tBRANCH\tCREATED")
		for _, wf := range wfs {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", wf.ID, wf.Name, wf.Status, dash(string(wf.Phase)), wf.Branch, wf.CreatedAt.Local().Format(time.DateTime))
		}
		tw.Flush()
	}
	if len(errs) > 0 {
		return &exitError{1}
	}
	return nil
}

// workflowArg parses fs with args, which must name exactly one workflow, and
// opens the project and that workflow.
func (c *cli) workflowArg(ctx context.Context, fs *flag.FlagSet, args []string) (*engine.Project, *workflow.Workflow, error) {
	rest, err := parseFlags(fs, args)
	if err != nil {
		return nil, nil, err
	}
	if len(rest) != 1 {
		return nil, nil, usagef("want exactly one workflow id")
	}
	p, err := c.openProject(ctx)
	if err != nil {
		return nil, nil, err
	}
	wf, err := p.Get(rest[0])
	if err != nil {
		return nil, nil, err
	}
	return p, wf, nil
}

func workflowShow(ctx context.Context, c *cli, args []string) error {
	fs := newFlagSet("workflow show")
	asJSON := fs.Bool("json", false, "print JSON")
	_, wf, err := c.workflowArg(ctx, fs, args)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(c.stdout, wf)
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
	row := func(k, v string) { fmt.Fprintf(tw, "%s\t%s\n", k, v) }
	row("id", wf.ID)
	row("name", wf.Name)
	row("status", string(wf.Status)+reasonSuffix(wf.Reason))
	row("phase", dash(string(wf.Phase)))
	row("model", wf.Model)
	row("branch", wf.Branch)
	row("worktree", wf.Worktree)
	row("base", fmt.Sprintf("%s (%s)", wf.BaseRef, short(wf.BaseCommit)))
	row("progress", fmt.Sprintf("%d/%d passing (%.1f%%)", wf.Progress.Passing, wf.Progress.Total, wf.Progress.Percent))
	for _, cat := range wf.Progress.Categories {
		row("  "+cat.Name, fmt.Sprintf("%d/%d", cat.Passing, cat.Total))
	}
	if wf.Progress.CurrentFeature != "" {
		row("next", wf.Progress.CurrentFeature)
	}
	row("sessions", fmt.Sprintf("%d (limit %s)", wf.Totals.Sessions, limit(wf.MaxSessions)))
	row("cost", fmt.Sprintf("$%.4f (budget %s)", wf.Totals.CostUSD, budget(wf.BudgetUSD)))
	tw.Flush()
	if len(wf.Sessions) > 0 {
		fmt.Fprintln(c.stdout, "\nsessions:")
		tw = tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  #\tPHASE\tOUTCOME\tDURATION\tCOST\tNEW\tNOTE")
		for _, s := range wf.Sessions {
			dur := "-"
			if !s.EndedAt.IsZero() {
				dur = s.EndedAt.Sub(s.StartedAt).Round(time.Second).String()
			}
			fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\t$%.4f\t%d\t%s\n", s.Number, s.Phase, dash(s.Outcome), dur, s.CostUSD, s.NewlyPassing, s.Note)
		}
		tw.Flush()
	}
	return nil
}

func workflowControl(ctx context.Context, c *cli, verb string, args []string) error {
	p, wf, err := c.workflowArg(ctx, newFlagSet("workflow "+verb), args)
	if err != nil {
		return err
	}
	var msg string
	if verb == "pause" {
		msg, err = p.Pause(ctx, wf.ID)
	} else {
		msg, err = p.Stop(ctx, wf.ID)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "%s: %s\n", wf.ID, msg)
	return nil
}

func workflowDelete(ctx context.Context, c *cli, args []string) error {
	fs := newFlagSet("workflow delete")
	deleteBranch := fs.Bool("delete-branch", false, "also delete the branch, if it is merged into its base")
	p, wf, err := c.workflowArg(ctx, fs, args)
	if err != nil {
		return err
	}
	if err := p.Delete(ctx, wf.ID, *deleteBranch); err != nil {
		return err
	}
	kept := fmt.Sprintf("; branch %s kept", wf.Branch)
	if *deleteBranch {
		kept = fmt.Sprintf("; branch %s deleted", wf.Branch)
	}
	fmt.Fprintf(c.stdout, "deleted workflow %s and its worktree%s\n", wf.ID, kept)
	return nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func short(commit string) string {
	if len(commit) > 10 {
		return commit[:10]
	}
	return commit
}

func reasonSuffix(reason string) string {
	if reason == "" {
		return ""
	}
	return " (" + reason + ")"
}

func limit(n int) string {
	if n <= 0 {
		return "none"
	}
	return fmt.Sprint(n)
}

func budget(usd float64) string {
	if usd <= 0 {
		return "none"
	}
	return fmt.Sprintf("$%.2f", usd)
}
