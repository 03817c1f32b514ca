package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/autonomous-coding/autonomous/engine"
	"github.com/autonomous-coding/autonomous/engine/config"
	"github.com/autonomous-coding/autonomous/engine/demo"
	"github.com/autonomous-coding/autonomous/engine/runtime"
	"github.com/autonomous-coding/autonomous/engine/workflow"
	"github.com/autonomous-coding/autonomous/orchestrator/scriptedmodel"
)

// cmdDemo runs a whole workflow offline: a small brownfield project, the real
// Claude Code CLI, and the scripted model in place of a real one.
func cmdDemo(ctx context.Context, c *cli, args []string) error {
	fs := newFlagSet("demo")
	dir := fs.String("dir", "autonomous-demo", "folder to create the demo project in (must not exist or be empty)")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("unexpected argument %q", rest[0])
	}
	abs, err := filepath.Abs(*dir)
	if err != nil {
		return err
	}
	if entries, err := os.ReadDir(abs); err == nil && len(entries) > 0 {
		return fmt.Errorf("%s is not empty: remove it or choose another folder with --dir", abs)
	}

	fmt.Fprintf(c.stderr, "1/4 writing the demo project (a small Node.js API with its own tests) to %s\n", abs)
	if err := demo.WriteProject(abs); err != nil {
		return fmt.Errorf("write demo project: %w", err)
	}
	if err := demo.InitRepo(ctx, abs); err != nil {
		return err
	}

	home := config.Home()
	found, err := runtime.Find("", home)
	if err != nil {
		fmt.Fprintf(c.stderr, "2/4 installing the agent runtime (%s %s) into %s\n", runtime.Package, runtime.DefaultVersion, filepath.Join(home, "runtime"))
		m := &runtime.Manager{Home: home}
		if _, err := m.Install(ctx, runtime.DefaultVersion, c.stderr); err != nil {
			return err
		}
		if found, err = runtime.Find("", home); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(c.stderr, "2/4 agent runtime: %s (%s)\n", found.Path, found.Source)
	}

	sc, err := scriptedmodel.ParseScenario(demo.Scenario())
	if err != nil {
		return fmt.Errorf("demo scenario: %w", err)
	}
	srv, err := scriptedmodel.Start(sc, scriptedmodel.Options{})
	if err != nil {
		return fmt.Errorf("start the scripted model: %w", err)
	}
	defer srv.Close()
	fmt.Fprintf(c.stderr, "3/4 scripted model serving the Anthropic Messages API at %s (no network needed)\n", srv.URL())

	p, err := engine.Open(ctx, engine.Options{Root: abs, Env: demo.Env(srv.URL(), abs)})
	if err != nil {
		return err
	}
	wf, err := p.Create(ctx, engine.CreateOptions{Name: demo.WorkflowName, Spec: demo.Spec()})
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stderr, "4/4 running workflow %s on branch %s\n\n", wf.ID, wf.Branch)
	wf, err = runForeground(ctx, c, p, wf.ID, engine.RunOptions{})
	if err != nil {
		return err
	}
	printDemoSummary(c, p, wf)
	if failures := srv.Failures(); len(failures) > 0 {
		return fmt.Errorf("the scripted model saw unexpected requests:\n  %s", strings.Join(failures, "\n  "))
	}
	if wf.Status != workflow.Completed {
		return errors.New("the demo workflow did not complete")
	}
	return nil
}

// selfName is how the user runs this program: "autonomous" when that is on
// PATH, else the binary's path (bin/autonomous after `make`).
func selfName() string {
	self, err := os.Executable()
	if err != nil {
		return "autonomous"
	}
	if onPath, err := exec.LookPath("autonomous"); err == nil {
		if a, _ := filepath.EvalSymlinks(onPath); a != "" {
			if b, _ := filepath.EvalSymlinks(self); a == b {
				return "autonomous"
			}
		}
	}
	return self
}

func printDemoSummary(c *cli, p *engine.Project, wf *workflow.Workflow) {
	denied, _ := demo.CountDenied(filepath.Join(p.Root(), ".autonomous", "logs", wf.ID, "policy.jsonl"))
	w := c.stdout
	fmt.Fprintf(w, "\nDemo %s: %d/%d features pass after %d sessions ($%.4f of simulated cost).\n",
		wf.Status, wf.Progress.Passing, wf.Progress.Total, wf.Totals.Sessions, wf.Totals.CostUSD)
	for _, s := range wf.Sessions {
		fmt.Fprintf(w, "  session %d  %-17s %-8s %d newly passing\n", s.Number, s.Phase, s.Outcome, s.NewlyPassing)
	}
	fmt.Fprintf(w, "Commands the security policy denied: %d (see .autonomous/logs/%s/policy.jsonl)\n", denied, wf.ID)
	fmt.Fprintf(w, "\nThe work is on branch %s, checked out in\n  %s\n", wf.Branch, wf.Worktree)
	fmt.Fprintf(w, "Look at it:  git -C %s log --oneline %s\n", p.Root(), wf.Branch)
	fmt.Fprintf(w, "             %s --project %s workflow show %s\n", selfName(), p.Root(), wf.ID)
	fmt.Fprintln(w, "\nWith a real model: set ANTHROPIC_API_KEY, then in your own repository run")
	fmt.Fprintln(w, "  autonomous run --name \"My change\" --spec spec.md --budget-usd 5")
	fmt.Fprintln(w, "or open the repository in VS Code or Neovim and use the Autonomous commands.")
}
