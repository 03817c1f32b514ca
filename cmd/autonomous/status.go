package main

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/autonomous-coding/autonomous/engine/workflow"
)

// statusRow is one workflow in `autonomous status --json`.
type statusRow struct {
	ID       string  `json:"id"`
	Name     string  `json:"name"`
	Status   string  `json:"status"`
	Phase    string  `json:"phase"`
	Reason   string  `json:"reason,omitempty"`
	Passing  int     `json:"passing"`
	Total    int     `json:"total"`
	Percent  float64 `json:"percent"`
	CostUSD  float64 `json:"costUsd"`
	Sessions int     `json:"sessions"`
	Branch   string  `json:"branch"`
}

func cmdStatus(ctx context.Context, c *cli, args []string) error {
	fs := newFlagSet("status")
	asJSON := fs.Bool("json", false, "print JSON")
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
	wfs, errs := p.List()
	rows := []statusRow{}
	for _, wf := range wfs {
		rows = append(rows, statusOf(wf))
	}
	if *asJSON {
		if err := writeJSON(c.stdout, struct {
			Project   string          `json:"project"`
			Workflows []statusRow     `json:"workflows"`
			Errors    []fileErrorJSON `json:"errors"`
		}{p.Root(), rows, fileErrors(errs)}); err != nil {
			return err
		}
	} else {
		c.reportFileErrors(errs)
		if len(rows) == 0 {
			fmt.Fprintln(c.stdout, "no workflows in", p.Root())
		} else {
			tw := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tNAME\tSTATUS\tPHASE\tPASSING\tPERCENT\tCOST")
			for _, r := range rows {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d/%d\t%.1f%%\t$%.2f\n", r.ID, r.Name, r.Status, dash(r.Phase), r.Passing, r.Total, r.Percent, r.CostUSD)
			}
			tw.Flush()
		}
	}
	if len(errs) > 0 {
		return &exitError{1}
	}
	return nil
}

func statusOf(wf *workflow.Workflow) statusRow {
	return statusRow{
		ID: wf.ID, Name: wf.Name, Status: string(wf.Status), Phase: string(wf.Phase), Reason: wf.Reason,
		Passing: wf.Progress.Passing, Total: wf.Progress.Total, Percent: wf.Progress.Percent,
		CostUSD: wf.Totals.CostUSD, Sessions: wf.Totals.Sessions, Branch: wf.Branch,
	}
}
