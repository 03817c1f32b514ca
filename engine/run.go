package engine

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/autonomous-coding/autonomous/engine/workflow"
	"github.com/autonomous-coding/autonomous/orchestrator/session"
)

// RunOptions override a workflow's settings for one run; zero values keep
// what the workflow records.
type RunOptions struct {
	Model       string
	MaxSessions int
	BudgetUSD   float64
	// ValidateSchema runs schema validation first even when a result exists.
	ValidateSchema bool
	// OnlySchema runs schema validation alone and then stops (`autonomous validate`).
	OnlySchema bool
}

// run is a workflow this process drives.
type run struct {
	id     string
	cancel context.CancelFunc // ends the run: the session stops, the workflow pauses
	done   chan struct{}
	err    error // set before done is closed

	mu      sync.Mutex
	pending controlRequest
	wake    chan struct{} // signalled on a request, to cut waits short
	sess    *session.Session
}

func (r *run) request(req controlRequest) {
	r.mu.Lock()
	if r.pending != requestStop { // stop wins over pause
		r.pending = req
	}
	sess := r.sess
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default:
	}
	if req == requestStop && sess != nil {
		go sess.Stop()
	}
}

func (r *run) take() controlRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	req := r.pending
	r.pending = ""
	return req
}

func (r *run) peek() controlRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.pending
}

func (r *run) setSession(s *session.Session) {
	r.mu.Lock()
	r.sess = s
	stop := r.pending == requestStop
	r.mu.Unlock()
	if stop && s != nil {
		go s.Stop()
	}
}

// Start begins (or resumes) driving a workflow in the background and returns
// once the work is accepted: the workflow is locked by this process and
// marked running. ctx bounds the whole run: cancelling it stops the session
// and leaves the workflow paused and resumable.
func (p *Project) Start(ctx context.Context, id string, opts RunOptions) error {
	_, err := p.start(ctx, id, opts)
	return err
}

// start is Start, returning the run so that Run can wait for this very run
// (Wait looks runs up by id, and a short run may be over before it looks).
func (p *Project) start(ctx context.Context, id string, opts RunOptions) (*run, error) {
	if err := workflow.ValidateID(id); err != nil {
		return nil, err
	}
	p.mu.Lock()
	if _, busy := p.runs[id]; busy {
		p.mu.Unlock()
		return nil, fmt.Errorf("start workflow %s: it is already running in this process", id)
	}
	r := &run{id: id, done: make(chan struct{}), wake: make(chan struct{}, 1)}
	p.runs[id] = r
	p.mu.Unlock()

	release := func() {
		p.mu.Lock()
		delete(p.runs, id)
		p.mu.Unlock()
	}
	lock, err := p.store.Lock(id)
	if err != nil {
		r.err = err
		close(r.done)
		release()
		return nil, fmt.Errorf("start workflow %s: %w", id, err)
	}
	wf, err := p.store.Get(id)
	if err == nil && wf.Status == workflow.Running {
		// Recorded as running but we hold the lock: its driver died.
		wf, err = p.recoverOne(ctx, id)
	}
	if err == nil && !workflow.CanTransition(wf.Status, workflow.Running) {
		err = fmt.Errorf("it is %s and cannot be resumed", wf.Status)
	}
	if err == nil {
		os.Remove(p.controlFile(id)) // a request left over from an earlier run does not apply
		verb := "started"
		if len(wf.Sessions) > 0 {
			verb = "resumed"
		}
		wf, err = p.transition(id, workflow.Running, verb, func(w *workflow.Workflow) {
			applyRunOptions(w, opts)
			if w.StartedAt == nil {
				t := p.now()
				w.StartedAt = &t
			}
			w.WaitUntil = nil
			w.StuckFeature = ""
		})
	}
	if err != nil {
		lock.Release()
		r.err = err
		close(r.done)
		release()
		return nil, fmt.Errorf("start workflow %s: %w", id, err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	r.cancel = cancel
	go func() {
		err := p.drive(runCtx, r, opts)
		cancel()
		// Lock and slot go before done is closed, so that whoever Wait
		// wakes can start the workflow again at once.
		lock.Release()
		release()
		r.err = err
		close(r.done)
	}()
	return r, nil
}

func applyRunOptions(w *workflow.Workflow, o RunOptions) {
	if o.Model != "" {
		w.Model = o.Model
	}
	if o.MaxSessions > 0 {
		w.MaxSessions = o.MaxSessions
	}
	if o.BudgetUSD > 0 {
		w.BudgetUSD = o.BudgetUSD
	}
}

// Run drives a workflow in the foreground until it stops for any reason
// (completed, paused, stopped, stuck, a limit, a failure) and returns its
// final record.
func (p *Project) Run(ctx context.Context, id string, opts RunOptions) (*workflow.Workflow, error) {
	r, err := p.start(ctx, id, opts)
	if err != nil {
		return nil, err
	}
	<-r.done
	if r.err != nil {
		return nil, r.err
	}
	return p.store.Get(id)
}

// Wait blocks until this process stops driving workflow id.
func (p *Project) Wait(ctx context.Context, id string) error {
	p.mu.Lock()
	r := p.runs[id]
	p.mu.Unlock()
	if r == nil {
		return nil
	}
	select {
	case <-r.done:
		return r.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Running reports the ids this process drives.
func (p *Project) Running() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	ids := make([]string, 0, len(p.runs))
	for id := range p.runs {
		ids = append(ids, id)
	}
	return ids
}

// Close stops every workflow this process drives, leaving each paused and
// resumable (its session interrupted cleanly, its state written), and waits
// for them.
func (p *Project) Close() {
	p.mu.Lock()
	runs := make([]*run, 0, len(p.runs))
	for _, r := range p.runs {
		runs = append(runs, r)
	}
	p.mu.Unlock()
	for _, r := range runs {
		if r.cancel != nil {
			r.cancel()
		}
	}
	for _, r := range runs {
		<-r.done
	}
}

// sleep waits for d, returning early (false) when a control request arrives
// or ctx ends.
func (r *run) sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return r.peek() == ""
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return r.peek() == ""
	case <-r.wake:
		return false
	case <-ctx.Done():
		return false
	}
}
