package workflow

import (
	"hash/maphash"
	"slices"
	"sync"
)

// parseCache remembers the last parse of each workflow file, keyed by a hash
// of its content, so that List — which status displays call often — parses
// only the files that changed. Reading a file is cheap; parsing a long
// session history is not (yaml.v3 spends milliseconds on it). Keying on the
// content rather than on size and modification time means no edit, however
// quick or however made, is ever served stale.
type parseCache struct {
	seed maphash.Seed
	mu   sync.Mutex
	m    map[string]cacheEntry // by workflow id
}

type cacheEntry struct {
	sum uint64
	w   *Workflow
}

func newParseCache() *parseCache {
	return &parseCache{seed: maphash.MakeSeed(), m: map[string]cacheEntry{}}
}

func (c *parseCache) sum(data []byte) uint64 { return maphash.Bytes(c.seed, data) }

// get returns a private copy of the cached parse of id if its content hashed to sum.
func (c *parseCache) get(id string, sum uint64) *Workflow {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.m[id]; ok && e.sum == sum {
		return e.w.clone()
	}
	return nil
}

func (c *parseCache) put(id string, sum uint64, w *Workflow) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[id] = cacheEntry{sum: sum, w: w.clone()}
}

// keep forgets every workflow not in ids, so deleted ones do not linger.
func (c *parseCache) keep(ids map[string]bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for id := range c.m {
		if !ids[id] {
			delete(c.m, id)
		}
	}
}

func (c *parseCache) drop(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, id)
}

// clone is a deep copy: callers get workflows they may change freely.
// TestCloneSharesNothing fails if a field is added that this misses.
func (w *Workflow) clone() *Workflow {
	c := *w
	c.StartedAt = clonePtr(w.StartedAt)
	c.WaitUntil = clonePtr(w.WaitUntil)
	c.Agent = clonePtr(w.Agent)
	c.Sessions = slices.Clone(w.Sessions)
	c.Progress.Categories = slices.Clone(w.Progress.Categories)
	return &c
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}
