// Package engine drives autonomous coding workflows for one project (a git
// repository): it creates workflows and their worktrees, runs the session
// loop, watches progress, and publishes what happens on an event bus that the
// LSP server and the CLI subscribe to. It knows nothing of LSP.
package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/autonomous-coding/autonomous/engine/config"
	"github.com/autonomous-coding/autonomous/engine/events"
	"github.com/autonomous-coding/autonomous/engine/fsutil"
	"github.com/autonomous-coding/autonomous/engine/ledger"
	"github.com/autonomous-coding/autonomous/engine/workflow"
	"github.com/autonomous-coding/autonomous/engine/worktree"
	"github.com/autonomous-coding/autonomous/prompts"
)

// Options configure a Project.
type Options struct {
	// Root is any directory inside the repository; the project is its git root.
	Root string
	// Home is the per-user folder (config, runtime); default config.Home().
	Home string
	// SelfPath is the autonomous binary the agent's hook calls back into;
	// default: this executable.
	SelfPath string
	// Env is the environment agent sessions inherit; default os.Environ().
	Env []string
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Project is the engine for one repository.
type Project struct {
	root     string
	home     string
	selfPath string
	env      []string
	now      func() time.Time

	store *workflow.Store
	trees *worktree.Manager
	bus   *events.Bus

	mu   sync.Mutex
	cfg  *config.Config
	runs map[string]*run // workflows this process is driving
	logs map[string]*logRing
}

// Open opens the project containing opts.Root: it checks that it is a git
// repository, lays out .autonomous/, loads the configuration, and recovers
// workflows left running by a process that died.
func Open(ctx context.Context, opts Options) (*Project, error) {
	if opts.Root == "" {
		wd, err := os.Getwd()
		if err != nil {
			return nil, fmt.Errorf("open project: %w", err)
		}
		opts.Root = wd
	}
	root, err := worktree.RepoRoot(ctx, opts.Root)
	if err != nil {
		return nil, fmt.Errorf("open project %s: %w", opts.Root, err)
	}
	root = projectOf(root)
	p := &Project{
		root:     root,
		home:     opts.Home,
		selfPath: opts.SelfPath,
		env:      opts.Env,
		now:      opts.Now,
		store:    workflow.NewStore(root),
		trees:    worktree.New(root),
		bus:      events.NewBus(),
		runs:     map[string]*run{},
		logs:     map[string]*logRing{},
	}
	if p.home == "" {
		p.home = config.Home()
	}
	if p.selfPath == "" {
		if p.selfPath, err = os.Executable(); err != nil {
			return nil, fmt.Errorf("open project: find own executable: %w", err)
		}
	}
	if p.env == nil {
		p.env = os.Environ()
	}
	if p.now == nil {
		p.now = time.Now
	}
	if err := p.store.EnsureLayout(); err != nil {
		return nil, fmt.Errorf("open project %s: %w", root, err)
	}
	if err := p.ReloadConfig(); err != nil {
		return nil, err
	}
	p.recover(ctx)
	return p, nil
}

// projectOf maps a workflow's own worktree (<repo>/.autonomous/worktrees/<id>)
// to the project it belongs to, so that commands run inside a worktree (as
// the agent's hook and a curious user do) see the same workflows.
func projectOf(root string) string {
	dir, id := filepath.Split(filepath.Clean(root))
	dir = filepath.Clean(dir)
	if filepath.Base(dir) == "worktrees" && filepath.Base(filepath.Dir(dir)) == ".autonomous" && workflow.ValidateID(id) == nil {
		return filepath.Dir(filepath.Dir(dir))
	}
	return root
}

// Root is the repository root.
func (p *Project) Root() string { return p.root }

// Events is the project's event bus.
func (p *Project) Events() *events.Bus { return p.bus }

// Config returns the configuration in force.
func (p *Project) Config() *config.Config {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cfg
}

// ReloadConfig reads the global and project configuration again.
func (p *Project) ReloadConfig() error {
	cfg, err := config.Load(p.home, p.root)
	if err != nil {
		return fmt.Errorf("load configuration: %w", err)
	}
	p.mu.Lock()
	p.cfg = cfg
	p.mu.Unlock()
	return nil
}

// CreateOptions describe a new workflow.
type CreateOptions struct {
	Name     string
	Spec     string // the spec text; or
	SpecFile string // a file to read it from
	BaseRef  string // default HEAD
	Model    string // default from config
	// MaxSessions, BudgetUSD and StuckThreshold override the configured defaults when set.
	MaxSessions    int
	BudgetUSD      float64
	StuckThreshold int
}

// Create makes a workflow: its worktree on branch autonomous/<id>, the spec
// committed there as .autonomous/app_spec.txt, and its state file.
func (p *Project) Create(ctx context.Context, o CreateOptions) (*workflow.Workflow, error) {
	name := strings.TrimSpace(o.Name)
	if name == "" {
		return nil, errors.New("create workflow: a name is required")
	}
	spec := o.Spec
	if o.SpecFile != "" {
		if spec != "" {
			return nil, errors.New("create workflow: give the spec as text or as a file, not both")
		}
		b, err := os.ReadFile(o.SpecFile)
		if err != nil {
			return nil, fmt.Errorf("create workflow: read spec: %w", err)
		}
		spec = string(b)
	}
	if strings.TrimSpace(spec) == "" {
		return nil, errors.New("create workflow: the spec is empty: say what should be built (--spec FILE)")
	}
	cfg := p.Config()
	model := o.Model
	if model == "" {
		model = cfg.Defaults.Model
	}
	if _, ok := cfg.Model(model); !ok {
		return nil, fmt.Errorf("create workflow: unknown model %q (configured: %s)", model, strings.Join(modelIDs(cfg), ", "))
	}
	id := workflow.NewID(name)
	tree, err := p.trees.Create(ctx, id, o.BaseRef)
	if err != nil {
		return nil, fmt.Errorf("create workflow %s: %w", name, err)
	}
	if err := writeSpec(ctx, tree.Path, spec, "autonomous: spec for "+name); err != nil {
		p.trees.Remove(context.WithoutCancel(ctx), id, true)
		return nil, fmt.Errorf("create workflow %s: %w", name, err)
	}
	now := p.now()
	wf := &workflow.Workflow{
		Version:        workflow.FormatVersion,
		ID:             id,
		Name:           name,
		Status:         workflow.Pending,
		CreatedAt:      now,
		UpdatedAt:      now,
		BaseRef:        tree.BaseRef,
		BaseCommit:     tree.BaseCommit,
		Branch:         tree.Branch,
		Worktree:       tree.Path,
		Model:          model,
		SpecPath:       prompts.SpecFile,
		MaxSessions:    pick(o.MaxSessions, cfg.Defaults.MaxSessions),
		BudgetUSD:      pickf(o.BudgetUSD, cfg.Defaults.BudgetUSD),
		StuckThreshold: pick(o.StuckThreshold, cfg.Defaults.StuckThreshold),
		Progress:       ledger.Progress{CurrentIndex: -1},
	}
	if err := p.store.Create(wf); err != nil {
		p.trees.Remove(context.WithoutCancel(ctx), id, true)
		return nil, fmt.Errorf("create workflow %s: %w", name, err)
	}
	p.publishState(wf, 0)
	return wf, nil
}

// writeSpec writes the spec into the worktree and commits it, so that every
// session (and the user) sees the same text on the workflow branch.
func writeSpec(ctx context.Context, worktreePath, spec, message string) error {
	if !strings.HasSuffix(spec, "\n") {
		spec += "\n"
	}
	if err := fsutil.WriteFileAtomic(filepath.Join(worktreePath, prompts.SpecFile), []byte(spec), 0o644); err != nil {
		return fmt.Errorf("write spec: %w", err)
	}
	return gitCommitPaths(ctx, worktreePath, message, prompts.SpecFile)
}

// Get returns a workflow by id.
func (p *Project) Get(id string) (*workflow.Workflow, error) { return p.store.Get(id) }

// List returns every readable workflow, and the files that could not be read.
func (p *Project) List() ([]*workflow.Workflow, []*workflow.FileError) { return p.store.List() }

// Delete removes a workflow, its worktree and its private state. The branch is
// kept unless deleteBranch is set and it is merged into its base.
func (p *Project) Delete(ctx context.Context, id string, deleteBranch bool) error {
	if err := workflow.ValidateID(id); err != nil {
		return err
	}
	if _, err := p.store.Get(id); err != nil {
		return fmt.Errorf("delete workflow: %w", err)
	}
	lock, err := p.store.Lock(id)
	if err != nil {
		return fmt.Errorf("delete workflow %s: %w", id, err)
	}
	defer lock.Release()
	branchErr := p.trees.Remove(ctx, id, deleteBranch)
	if branchErr != nil && !errors.Is(branchErr, worktree.ErrUnmerged) {
		return fmt.Errorf("delete workflow %s: %w", id, branchErr)
	}
	if err := p.store.Delete(id); err != nil {
		return fmt.Errorf("delete workflow %s: %w", id, err)
	}
	os.RemoveAll(p.statePath(id))
	p.mu.Lock()
	delete(p.logs, id)
	p.mu.Unlock()
	p.bus.Publish(events.Event{Kind: events.KindState, WorkflowID: id, State: &events.State{Status: "deleted"}})
	return branchErr
}

// statePath is the folder of a workflow's private engine state (the accepted
// ledger, control requests).
func (p *Project) statePath(id string) string {
	return filepath.Join(p.root, ".autonomous", "state", id)
}

func (p *Project) publishState(wf *workflow.Workflow, session int) {
	st := &events.State{
		Status:    string(wf.Status),
		Phase:     string(wf.Phase),
		Reason:    wf.Reason,
		Session:   session,
		Model:     wf.Model,
		CostUSD:   wf.Totals.CostUSD,
		StartedAt: wf.StartedAt,
	}
	p.bus.Publish(events.Event{Kind: events.KindState, WorkflowID: wf.ID, Time: p.now(), State: st})
}

func modelIDs(cfg *config.Config) []string {
	var ids []string
	for _, m := range cfg.Models {
		ids = append(ids, m.ID)
	}
	return ids
}

func pick(v, def int) int {
	if v != 0 {
		return v
	}
	return def
}

func pickf(v, def float64) float64 {
	if v != 0 {
		return v
	}
	return def
}
