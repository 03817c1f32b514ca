package lsp

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	glspproto "github.com/tliron/glsp/protocol_3_16"
	"go.lsp.dev/uri"

	"github.com/autonomous-coding/autonomous/engine"
	"github.com/autonomous-coding/autonomous/engine/events"
	"github.com/autonomous-coding/autonomous/engine/workflow"
)

// folder is one project: a workspace folder of the client (or several, when
// they are in the same repository) with its engine and the pump that turns
// the engine's events into notifications.
type folder struct {
	s       *Server
	root    string   // the repository root, as the engine resolved it
	uris    []string // the client's workspace folders that lead here (guarded by s.mu)
	project *engine.Project
	sub     *events.Subscription
	pump    *pump

	mu      sync.Mutex
	started bool
	done    chan struct{} // closed when the pump has stopped

	closeOnce sync.Once
	closing   atomic.Bool // set once close begins: no new runs start here
}

// busQueue is how many log entries a folder's subscription holds before the
// bus starts counting drops: a few seconds of a very chatty agent.
const busQueue = 5000

// openFolder opens the project of a workspace folder (a file:// URI or a path).
func (s *Server) openFolder(ctx context.Context, folderURI string) (*folder, error) {
	dir, err := pathOf(folderURI)
	if err != nil {
		return nil, err
	}
	p, err := engine.Open(ctx, engine.Options{Root: dir, Home: s.opts.Home, SelfPath: s.opts.SelfPath, Env: s.opts.Env})
	if err != nil {
		return nil, err
	}
	f := &folder{s: s, root: p.Root(), uris: []string{folderURI}, project: p, done: make(chan struct{})}
	// Subscribe now, so that nothing the engine says between initialize and
	// initialized is lost; the pump starts reading on initialized.
	f.sub = p.Events().Subscribe(busQueue)
	f.pump = newPump(s, f)
	return f, nil
}

// start runs the folder's pump.
func (f *folder) start() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.started {
		return
	}
	f.started = true
	go func() {
		defer close(f.done)
		f.pump.run(f.s.ctxForSend())
	}()
}

// close stops the project's workflows (paused, resumable), delivers what
// the engine said meanwhile, and clears the folder's diagnostics.
func (f *folder) close() {
	f.closeOnce.Do(func() {
		f.closing.Store(true)
		f.s.log.Info("closing project", "root", f.root, "running", f.project.Running())
		f.project.Close()
		f.sub.Close()
		f.mu.Lock()
		started := f.started
		f.mu.Unlock()
		if started {
			<-f.done
		}
		f.s.diags.clearFolder(f.root)
	})
}

// addFolders opens the projects of workspace folders. A folder that is not
// usable (not a git repository, a broken config) is reported to the user and
// skipped; the others work.
func (s *Server) addFolders(ctx context.Context, folders []glspproto.WorkspaceFolder, start bool) {
	for _, wf := range folders {
		dir, err := pathOf(wf.URI)
		if err == nil {
			if f := s.folderOfPath(dir); f != nil && f.root == rootOf(dir, f.root) {
				s.mu.Lock()
				f.uris = append(f.uris, wf.URI)
				s.mu.Unlock()
				continue
			}
		}
		f, err := s.openFolder(ctx, wf.URI)
		if err != nil {
			msg := fmt.Sprintf("Autonomous cannot use the folder %s: %v", displayName(wf), err)
			s.log.Warn("folder not opened", "uri", wf.URI, "err", err)
			s.mu.Lock()
			s.problems = append(s.problems, msg)
			s.mu.Unlock()
			continue
		}
		s.mu.Lock()
		dup := false
		for _, g := range s.folders {
			if g.root == f.root {
				g.uris = append(g.uris, wf.URI)
				dup = true
			}
		}
		if !dup {
			s.folders = append(s.folders, f)
		}
		s.mu.Unlock()
		if dup {
			f.sub.Close()
			f.project.Close()
			continue
		}
		s.log.Info("project opened", "root", f.root)
		if start {
			f.start()
			s.goBackground(func() { s.publishExisting(f) })
		}
	}
}

// changeFolders handles workspace/didChangeWorkspaceFolders. A removed
// folder's project is closed in the background: its running workflows are
// paused, which takes as long as their sessions need to stop.
func (s *Server) changeFolders(added, removed []glspproto.WorkspaceFolder) {
	for _, wf := range removed {
		s.mu.Lock()
		var gone *folder
		for i, f := range s.folders {
			j := indexOf(f.uris, wf.URI)
			if j < 0 {
				continue
			}
			f.uris = append(f.uris[:j], f.uris[j+1:]...)
			if len(f.uris) == 0 {
				gone = f
				s.folders = append(s.folders[:i], s.folders[i+1:]...)
			}
			break
		}
		s.mu.Unlock()
		if gone != nil {
			s.log.Info("folder removed", "root", gone.root)
			s.goBackground(gone.close)
		}
	}
	s.addFolders(s.ctx, added, true)
	s.flushProblems()
}

// flushProblems shows the folder problems gathered so far.
func (s *Server) flushProblems() {
	s.mu.Lock()
	problems := s.problems
	s.problems = nil
	s.mu.Unlock()
	for _, p := range problems {
		s.showMessage(glspproto.MessageTypeWarning, p)
	}
}

// snapshot returns the open folders.
func (s *Server) snapshot() []*folder {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*folder(nil), s.folders...)
}

// folderOfPath returns the open folder whose project holds path (workflow
// worktrees included, since they live under the project's .autonomous/).
func (s *Server) folderOfPath(path string) *folder {
	path = resolve(path)
	var best *folder
	for _, f := range s.snapshot() {
		root := resolve(f.root)
		if path == root || strings.HasPrefix(path, root+string(filepath.Separator)) {
			if best == nil || len(f.root) > len(best.root) {
				best = f
			}
		}
	}
	return best
}

// pickFolder chooses the folder a command works on: the one named by arg (a
// path or a file:// URI), else the only one open. With several open and
// none named, fallback decides: true takes the first (for commands that only
// read settings), false refuses.
func (s *Server) pickFolder(arg string, fallback bool) (*folder, error) {
	folders := s.snapshot()
	if arg != "" {
		dir, err := pathOf(arg)
		if err != nil {
			return nil, invalidParams("argument \"folder\": %v", err)
		}
		if f := s.folderOfPath(dir); f != nil {
			return f, nil
		}
		return nil, invalidParams("argument \"folder\": %s is not an open workspace folder (open: %s)", arg, rootsOf(folders))
	}
	switch {
	case len(folders) == 0:
		return nil, invalidParams("no workspace folder is open: open a folder that is a git repository")
	case len(folders) == 1 || fallback:
		return folders[0], nil
	}
	return nil, invalidParams("%d workspace folders are open (%s): say which with the argument \"folder\"", len(folders), rootsOf(folders))
}

// findWorkflow finds the folder holding workflow id (in folderArg, when
// given) and reads the workflow. An id that is malformed or unknown is an
// InvalidParams error naming it.
func (s *Server) findWorkflow(id, folderArg string) (*folder, *workflow.Workflow, error) {
	if err := workflow.ValidateID(id); err != nil {
		return nil, nil, invalidParams("argument \"id\": %v", err)
	}
	candidates := s.snapshot()
	if folderArg != "" {
		f, err := s.pickFolder(folderArg, false)
		if err != nil {
			return nil, nil, err
		}
		candidates = []*folder{f}
	}
	for _, f := range candidates {
		wf, err := f.project.Get(id)
		if errors.Is(err, workflow.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, nil, fmt.Errorf("read workflow %s: %w", id, err)
		}
		return f, wf, nil
	}
	if len(candidates) == 0 {
		return nil, nil, invalidParams("unknown workflow id %q: no workspace folder is open", id)
	}
	return nil, nil, invalidParams("unknown workflow id %q (looked in %s)", id, rootsOf(candidates))
}

// pathOf turns a file:// URI or a path into a clean absolute path.
func pathOf(s string) (string, error) {
	if strings.Contains(s, "://") {
		u, err := uri.Parse(s)
		if err != nil {
			return "", fmt.Errorf("%q is not a valid URI: %v", s, err)
		}
		if !u.IsFile() {
			return "", fmt.Errorf("%q is not a file:// URI", s)
		}
		s = u.FsPath()
	}
	if s == "" {
		return "", errors.New("empty path")
	}
	abs, err := filepath.Abs(s)
	if err != nil {
		return "", err
	}
	return abs, nil
}

// resolve follows symlinks when it can, so that /tmp and /private/tmp, or a
// symlinked home, compare equal.
func resolve(path string) string {
	if r, err := filepath.EvalSymlinks(path); err == nil {
		return r
	}
	return filepath.Clean(path)
}

func rootOf(dir, root string) string {
	if resolve(dir) == resolve(root) {
		return root
	}
	return ""
}

func rootsOf(folders []*folder) string {
	roots := make([]string, len(folders))
	for i, f := range folders {
		roots[i] = f.root
	}
	return strings.Join(roots, ", ")
}

func displayName(wf glspproto.WorkspaceFolder) string {
	if wf.Name != "" {
		return fmt.Sprintf("%q (%s)", wf.Name, wf.URI)
	}
	return wf.URI
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

// fileURI is the URI of a path, as clients expect it.
func fileURI(path string) string { return string(uri.File(path)) }
