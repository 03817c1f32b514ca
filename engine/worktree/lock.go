package worktree

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// lockRepo serializes the changes this package makes to one repository's
// worktrees, across processes (the LSP server and the CLI may create
// workflows at the same moment). git itself is not safe here: a
// `git worktree add` reads the half-made administrative folder of another one
// being added and fails ("failed to read .git/worktrees/<id>/commondir").
func (m *Manager) lockRepo(ctx context.Context) (unlock func(), err error) {
	dir := filepath.Join(m.Root, ".autonomous", "worktrees")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("lock worktrees: %w", err)
	}
	path := filepath.Join(dir, ".lock")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock worktrees: %w", err)
	}
	// Polling rather than a blocking flock, so that ctx can end the wait.
	for delay := time.Millisecond; ; delay = min(2*delay, 50*time.Millisecond) {
		held, err := tryLock(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("lock worktrees %s: %w", path, err)
		}
		if !held {
			return func() { f.Close() }, nil // closing the file releases the lock
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("wait for the worktrees lock %s: %w", path, ctx.Err())
		case <-time.After(delay):
		}
	}
}
