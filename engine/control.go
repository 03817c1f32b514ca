package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/autonomous-coding/autonomous/engine/fsutil"
	"github.com/autonomous-coding/autonomous/engine/workflow"
)

// A control request asks the process driving a workflow to pause or stop it.
// Within one process it is a method call; across processes (the CLI while the
// LSP server drives the workflow, or the reverse) it is a file in the
// workflow's private state folder that the driver polls, since only the lock
// holder may write the workflow file.
type controlRequest string

const (
	requestPause controlRequest = "pause"
	requestStop  controlRequest = "stop"
)

// controlPollInterval is how often a driver looks for a request from another process.
const controlPollInterval = 250 * time.Millisecond

func (p *Project) controlFile(id string) string { return filepath.Join(p.statePath(id), "control") }

func (p *Project) writeControl(id string, req controlRequest) error {
	return fsutil.WriteFileAtomic(p.controlFile(id), []byte(string(req)+"\n"), 0o644)
}

// takeControl reads and removes a pending cross-process request.
func (p *Project) takeControl(id string) controlRequest {
	b, err := os.ReadFile(p.controlFile(id))
	if err != nil {
		return ""
	}
	os.Remove(p.controlFile(id))
	switch req := controlRequest(strings.TrimSpace(string(b))); req {
	case requestPause, requestStop:
		return req
	}
	return ""
}

// Pause asks a running workflow to finish its current session and hold. A
// workflow that is waiting for a rate limit to reset is paused at once.
func (p *Project) Pause(ctx context.Context, id string) (string, error) {
	return p.control(ctx, id, requestPause)
}

// Stop interrupts a workflow's running session now and holds it (resumable).
func (p *Project) Stop(ctx context.Context, id string) (string, error) {
	return p.control(ctx, id, requestStop)
}

// control delivers req to whoever drives the workflow and says what happened.
func (p *Project) control(ctx context.Context, id string, req controlRequest) (string, error) {
	if err := workflow.ValidateID(id); err != nil {
		return "", err
	}
	wf, err := p.store.Get(id)
	if err != nil {
		return "", fmt.Errorf("%s workflow: %w", req, err)
	}
	p.mu.Lock()
	r := p.runs[id]
	p.mu.Unlock()
	if r != nil {
		r.request(req)
		return fmt.Sprintf("%s requested", req), nil
	}
	lock, err := p.store.Lock(id)
	var locked *workflow.LockedError
	if errors.As(err, &locked) {
		if err := p.writeControl(id, req); err != nil {
			return "", fmt.Errorf("%s workflow %s: %w", req, id, err)
		}
		return fmt.Sprintf("%s sent to the process driving it (pid %d)", req, locked.PID), nil
	}
	if err != nil {
		return "", fmt.Errorf("%s workflow %s: %w", req, id, err)
	}
	defer lock.Release()
	// Nobody drives it: change the recorded state directly.
	to := workflow.Paused
	if req == requestStop {
		to = workflow.Stopped
	}
	switch {
	case wf.Status == to:
		return fmt.Sprintf("already %s", to), nil
	case wf.Status == workflow.Running:
		// Left running by a process that died: recover it first.
		wf, err = p.recoverOne(ctx, id)
		if err != nil || to == workflow.Paused {
			return "recovered as paused", err
		}
	}
	if !workflow.CanTransition(wf.Status, to) {
		return "", fmt.Errorf("%s workflow %s: it is %s, not running", req, id, wf.Status)
	}
	if _, err := p.transition(id, to, fmt.Sprintf("%s by the user", pastTense(req)), nil); err != nil {
		return "", err
	}
	return string(to), nil
}

func pastTense(req controlRequest) string {
	if req == requestPause {
		return "paused"
	}
	return "stopped"
}

// transition changes a workflow's state, writes it, and only then announces it.
func (p *Project) transition(id string, to workflow.Status, reason string, mutate func(*workflow.Workflow)) (*workflow.Workflow, error) {
	wf, err := p.store.Update(id, func(w *workflow.Workflow) error {
		if mutate != nil {
			mutate(w)
		}
		return w.Transition(to, reason, p.now())
	})
	if err != nil {
		return nil, err
	}
	p.publishState(wf, len(wf.Sessions))
	return wf, nil
}
