package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"text/tabwriter"

	"github.com/autonomous-coding/autonomous/engine/config"
	"github.com/autonomous-coding/autonomous/engine/doctor"
)

// cmdDoctor checks what workflows need and prints how to fix what is
// missing. It exits 1 when a required check fails, so scripts can gate on it.
func cmdDoctor(ctx context.Context, c *cli, args []string) error {
	fs := newFlagSet("doctor")
	asJSON := fs.Bool("json", false, `print {"ok": bool, "checks": [...]} instead of a table`)
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("unexpected argument %q", rest[0])
	}
	project := c.project
	if project == "" {
		project = doctorGitRoot(ctx)
	}
	home := config.Home()
	opts := doctor.Options{Home: home, ProjectDir: project, Env: os.Getenv}
	var configCheck *doctor.Check
	// A broken config file stops every workflow, so it is a row of its own;
	// the other checks still run, with the defaults.
	if cfg, err := config.Load(home, project); err != nil {
		configCheck = &doctor.Check{Name: "config", Status: doctor.StatusFail, Required: true,
			Detail: err.Error(), Fix: "correct the config file named in the detail"}
	} else {
		opts.ConfiguredCLI = cfg.Agent.CLIPath
	}
	checks := doctor.Run(ctx, opts)
	if configCheck != nil {
		checks = append([]doctor.Check{*configCheck}, checks...)
	}
	ok := doctor.Passed(checks)
	if *asJSON {
		enc := json.NewEncoder(c.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(struct {
			OK     bool           `json:"ok"`
			Checks []doctor.Check `json:"checks"`
		}{ok, checks}); err != nil {
			return err
		}
	} else {
		printDoctor(c, checks, ok)
	}
	if !ok {
		return &exitError{1}
	}
	return nil
}

func printDoctor(c *cli, checks []doctor.Check, ok bool) {
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CHECK\tSTATUS\tDETAIL")
	for _, ch := range checks {
		// A multi-line detail (a config error listing several problems)
		// would break the table: its first line stands for it here, and
		// the fixes below repeat the rest.
		detail, more, _ := strings.Cut(ch.Detail, "\n")
		if more != "" {
			detail += " (...)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", ch.Name, ch.Status, detail)
	}
	tw.Flush()
	first := true
	for _, ch := range checks {
		if ch.Status == doctor.StatusOK || ch.Fix == "" {
			continue
		}
		if first {
			fmt.Fprintln(c.stdout, "\nTo fix:")
			first = false
		}
		fmt.Fprintf(c.stdout, "  %s (%s): %s\n", ch.Name, ch.Status, ch.Fix)
		if strings.Contains(ch.Detail, "\n") {
			for _, l := range strings.Split(ch.Detail, "\n") {
				fmt.Fprintf(c.stdout, "      %s\n", l)
			}
		}
	}
	if ok {
		fmt.Fprintln(c.stdout, "\nready: every required check passed")
	} else {
		fmt.Fprintln(c.stdout, "\nnot ready: fix the failing required checks above")
	}
}

// doctorGitRoot is the repository above the working directory, or "" when
// there is none (doctor then reports "no project" rather than failing).
func doctorGitRoot(ctx context.Context) string {
	out, err := exec.CommandContext(ctx, "git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}
