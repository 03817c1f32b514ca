package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/autonomous-coding/autonomous/engine"
	"github.com/autonomous-coding/autonomous/engine/events"
	"github.com/autonomous-coding/autonomous/engine/ledger"
	"github.com/autonomous-coding/autonomous/engine/workflow"
)

func cmdRun(ctx context.Context, c *cli, args []string) error {
	fs := newFlagSet("run")
	id := fs.String("workflow", "", "id of the workflow to run or resume")
	name := fs.String("name", "", "name of a new workflow (with --spec)")
	spec := fs.String("spec", "", "spec file of a new workflow (with --name)")
	base := fs.String("base", "", "base ref of a new workflow (default HEAD)")
	model := fs.String("model", "", "model id")
	maxSessions := fs.Int("max-sessions", 0, "stop after this many sessions in total")
	budgetUSD := fs.Float64("budget-usd", 0, "stop once the workflow has cost this much")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("unexpected argument %q", rest[0])
	}
	switch {
	case *id != "" && (*name != "" || *spec != ""):
		return usagef("give --workflow ID, or --name and --spec for a new workflow, not both")
	case *id == "" && (*name == "" || *spec == ""):
		return usagef("give --workflow ID, or --name and --spec for a new workflow")
	case *maxSessions < 0 || *budgetUSD < 0:
		return usagef("--max-sessions and --budget-usd must not be negative")
	}
	p, err := c.openProject(ctx)
	if err != nil {
		return err
	}
	if *id == "" {
		wf, err := p.Create(ctx, engine.CreateOptions{Name: *name, SpecFile: *spec, BaseRef: *base, Model: *model})
		if err != nil {
			return err
		}
		*id = wf.ID
		fmt.Fprintf(c.stderr, "created workflow %s (branch %s, worktree %s)\n", wf.ID, wf.Branch, wf.Worktree)
	}
	wf, err := runForeground(ctx, c, p, *id, engine.RunOptions{Model: *model, MaxSessions: *maxSessions, BudgetUSD: *budgetUSD})
	if err != nil {
		return err
	}
	if wf.Status != workflow.Completed {
		return &exitError{1}
	}
	return nil
}

// runForeground drives a workflow while showing its progress, and handles
// Ctrl-C: the first stops the workflow gracefully (the session is
// interrupted, state written, resumable), the second kills at once.
func runForeground(ctx context.Context, c *cli, p *engine.Project, id string, opts engine.RunOptions) (*workflow.Workflow, error) {
	sub := p.Events().Subscribe(1000)
	defer sub.Close()
	// The engine must outlive the first Ctrl-C so that it can stop cleanly.
	runCtx := context.WithoutCancel(ctx)
	if err := p.Start(runCtx, id, opts); err != nil {
		return nil, err
	}
	wf, _ := p.Get(id)
	view := newRunView(c.stderr, isTerminal(c.stderr), wf)

	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	done := make(chan error, 1)
	go func() { done <- p.Wait(runCtx, id) }()
	evCtx, stopEvents := context.WithCancel(runCtx)
	defer stopEvents()
	evs := make(chan events.Event, 64)
	go func() {
		for {
			e, err := sub.Next(evCtx)
			if err != nil {
				close(evs)
				return
			}
			evs <- e
		}
	}()
	interrupts := 0
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case e, ok := <-evs:
			if ok && e.WorkflowID == id {
				view.event(e)
			}
		case <-tick.C:
			view.redraw()
		case <-sigs:
			interrupts++
			if interrupts == 1 {
				view.line("stopping: the session is interrupted and the state written (Ctrl-C again to kill at once)")
				go p.Stop(runCtx, id)
				continue
			}
			view.line("killed; `autonomous run --workflow " + id + "` resumes")
			killAgents(p, id)
			os.Exit(130)
		case err := <-done:
			// Let the last events through before the final line.
			for drained := false; !drained; {
				select {
				case e, ok := <-evs:
					if ok && e.WorkflowID == id {
						view.event(e)
					} else {
						drained = true
					}
				case <-time.After(100 * time.Millisecond):
					drained = true
				}
			}
			wf, gerr := p.Get(id)
			if gerr != nil {
				return nil, errors.Join(err, gerr)
			}
			view.finish(wf)
			return wf, err
		}
	}
}

// killAgents kills the process group of a workflow's running agent, for the
// second Ctrl-C; the next start recovers the workflow as paused.
func killAgents(p *engine.Project, id string) {
	if wf, err := p.Get(id); err == nil && wf.Agent != nil && wf.Agent.PGID > 0 {
		syscall.Kill(-wf.Agent.PGID, syscall.SIGKILL)
	}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// runView renders a run: on a terminal a live status line under the log;
// elsewhere plain timestamped lines.
type runView struct {
	w        io.Writer
	tty      bool
	wf       *workflow.Workflow
	started  time.Time
	status   string
	phase    string
	session  int
	cost     float64
	progress ledger.Progress
	drawn    bool
}

func newRunView(w io.Writer, tty bool, wf *workflow.Workflow) *runView {
	v := &runView{w: w, tty: tty, wf: wf, started: time.Now()}
	if wf != nil {
		v.progress, v.cost, v.status, v.session = wf.Progress, wf.Totals.CostUSD, string(wf.Status), len(wf.Sessions)
	}
	return v
}

func (v *runView) event(e events.Event) {
	switch e.Kind {
	case events.KindState:
		s := e.State
		statusChanged, phaseChanged := s.Status != v.status, s.Phase != v.phase
		v.status, v.phase, v.cost = s.Status, s.Phase, s.CostUSD
		if s.Session > 0 {
			v.session = s.Session
		}
		switch {
		case statusChanged:
			text := s.Status
			if s.Phase != "" && s.Status == "running" {
				text += " · " + s.Phase
			}
			v.line(text + reasonSuffix(s.Reason))
		case phaseChanged:
			v.line("running · " + s.Phase)
		}
	case events.KindProgress:
		v.progress = *e.Progress
		if !v.tty {
			v.line(v.progressText())
		}
	case events.KindLog:
		v.line(fmt.Sprintf("[%d] %s", e.Log.Session, e.Log.Text))
	case events.KindLogDropped:
		v.line(fmt.Sprintf("(%d log lines skipped; see %s)", e.Dropped, e.Log.File))
	case events.KindSession:
		s := e.Session
		v.line(fmt.Sprintf("session %d (%s) %s in %s, $%.4f, %d newly passing", s.Session, s.Phase, s.Outcome,
			(time.Duration(s.DurationMs) * time.Millisecond).Round(time.Second), s.CostUSD, s.NewlyPassing))
	case events.KindAlert:
		v.line(strings.ToUpper(e.Alert.Level) + ": " + e.Alert.Message)
	}
	v.redraw()
}

func (v *runView) progressText() string {
	p := v.progress
	var cats []string
	for _, c := range p.Categories {
		cats = append(cats, fmt.Sprintf("%s %d/%d", c.Name, c.Passing, c.Total))
	}
	text := fmt.Sprintf("%5.1f%% %d/%d passing", p.Percent, p.Passing, p.Total)
	if len(cats) > 0 {
		text += " (" + strings.Join(cats, ", ") + ")"
	}
	return text
}

func (v *runView) statusText(width int) string {
	bar := 20
	filled := int(v.progress.Percent / 100 * float64(bar))
	text := fmt.Sprintf("[%s%s] %s · session %d %s · %s · $%.2f", strings.Repeat("#", filled), strings.Repeat("-", bar-filled),
		v.progressText(), v.session, v.phase, time.Since(v.started).Round(time.Second), v.cost)
	if v.progress.CurrentFeature != "" {
		text += " · next: " + v.progress.CurrentFeature
	}
	if len([]rune(text)) > width {
		text = string([]rune(text)[:width-1]) + "…"
	}
	return text
}

func (v *runView) line(text string) {
	if v.tty {
		fmt.Fprint(v.w, "\r\033[K")
		fmt.Fprintln(v.w, text)
		v.drawn = false
		return
	}
	fmt.Fprintf(v.w, "%s %s\n", time.Now().Format("15:04:05"), text)
}

func (v *runView) redraw() {
	if !v.tty {
		return
	}
	fmt.Fprint(v.w, "\r\033[K"+v.statusText(terminalWidth(v.w)))
	v.drawn = true
}

func (v *runView) finish(wf *workflow.Workflow) {
	if v.tty && v.drawn {
		fmt.Fprint(v.w, "\r\033[K")
	}
	fmt.Fprintf(v.w, "workflow %s %s%s: %d/%d passing, %d sessions, $%.4f\n  branch %s\n  worktree %s\n",
		wf.ID, wf.Status, reasonSuffix(wf.Reason), wf.Progress.Passing, wf.Progress.Total, wf.Totals.Sessions, wf.Totals.CostUSD, wf.Branch, wf.Worktree)
}

func terminalWidth(w io.Writer) int {
	if f, ok := w.(*os.File); ok {
		if ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ); err == nil && ws.Col > 20 {
			return int(ws.Col)
		}
	}
	return 100
}
