package lsp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sourcegraph/jsonrpc2"

	"github.com/autonomous-coding/autonomous/engine/config"
	"github.com/autonomous-coding/autonomous/engine/demo"
	"github.com/autonomous-coding/autonomous/lsp/lsptest"
)

// binary is the autonomous binary, built once for the tests that need it:
// agent sessions call back into it (the PreToolUse hook), and the binary
// tests run `autonomous lsp` itself.
var binary struct {
	once sync.Once
	dir  string
	path string
	err  error
}

func autonomousBinary(t testing.TB) string {
	t.Helper()
	binary.once.Do(func() {
		binary.dir, binary.err = os.MkdirTemp("", "autonomous-lsp-test-")
		if binary.err != nil {
			return
		}
		binary.path = filepath.Join(binary.dir, "autonomous")
		cmd := exec.Command("go", "build", "-o", binary.path, "./cmd/autonomous")
		cmd.Dir = ".."
		if out, err := cmd.CombinedOutput(); err != nil {
			binary.err = fmt.Errorf("go build ./cmd/autonomous: %v\n%s", err, out)
		}
	})
	if binary.err != nil {
		t.Fatalf("the tests need the autonomous binary: %v", binary.err)
	}
	return binary.path
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binary.dir != "" {
		os.RemoveAll(binary.dir)
	}
	os.Exit(code)
}

// repo writes the demo project (a small Node.js API with architecture docs)
// into a new git repository and returns its resolved path.
func repo(t testing.TB) string {
	t.Helper()
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	dir = filepath.Join(dir, "shop-api")
	if err := demo.WriteProject(dir); err != nil {
		t.Fatal(err)
	}
	if err := demo.InitRepo(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

// home makes a per-user folder whose config sets the given keys.
func home(t testing.TB, settings map[string]any) string {
	t.Helper()
	dir := t.TempDir()
	for k, v := range settings {
		if err := config.Set(config.GlobalFile(dir), k, v); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// harness is one server and the fake editor talking to it.
type harness struct {
	t      testing.TB
	srv    *Server
	ed     *lsptest.Editor
	served chan error // Serve's result
	logs   *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// serve starts a server with opts (Home defaults to an empty temp folder) and
// connects a fake editor to it, without initializing. The server's log is
// printed if the test fails.
func serve(t testing.TB, opts Options, edOpts lsptest.Options) *harness {
	t.Helper()
	if opts.Home == "" {
		opts.Home = t.TempDir()
	}
	if opts.SelfPath == "" {
		opts.SelfPath = "/nonexistent/autonomous" // no agent runs in these tests
	}
	logs := &syncBuffer{}
	opts.Log = logs
	srv, err := NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	edEnd, srvEnd := lsptest.Pipe()
	h := &harness{t: t, srv: srv, served: make(chan error, 1), logs: logs}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { h.served <- srv.Serve(ctx, srvEnd) }()
	h.ed = lsptest.Connect(context.Background(), edEnd, edOpts)
	t.Cleanup(func() {
		h.ed.Close()
		select {
		case <-h.served:
		case <-time.After(60 * time.Second):
			t.Errorf("the server did not stop within a minute of the editor leaving")
		}
		cancel()
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	return h
}

// start is serve plus initialize with folders.
func start(t testing.TB, opts Options, edOpts lsptest.Options, folders ...string) *harness {
	t.Helper()
	h := serve(t, opts, edOpts)
	if _, err := h.ed.Initialize(ctxT(t, 30*time.Second), folders...); err != nil {
		t.Fatalf("initialize: %v", err)
	}
	return h
}

// ctxT is a context that ends with the test or after d.
func ctxT(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// exec runs a command and decodes its result.
func (h *harness) exec(cmd string, args, result any) error {
	return h.ed.Execute(ctxT(h.t, 60*time.Second), cmd, args, result)
}

// mustExec runs a command that must succeed.
func (h *harness) mustExec(t testing.TB, cmd string, args, result any) {
	t.Helper()
	if err := h.exec(cmd, args, result); err != nil {
		t.Fatalf("%s %v: %v", cmd, args, err)
	}
}

// rpcError returns the code and message of a failed request.
func rpcError(t testing.TB, err error) (int64, string) {
	t.Helper()
	var e *jsonrpc2.Error
	if !errors.As(err, &e) {
		t.Fatalf("want a JSON-RPC error, got %v", err)
	}
	return e.Code, e.Message
}

// created is what tests need of a workflow record.
type created struct {
	ID       string `json:"id"`
	Status   string `json:"status"`
	Worktree string `json:"worktree"`
	Branch   string `json:"branch"`
	Model    string `json:"model"`
}

func (h *harness) create(name string, extra map[string]any) created {
	h.t.Helper()
	args := map[string]any{"name": name, "spec": "Add a health check endpoint.\n"}
	for k, v := range extra {
		args[k] = v
	}
	var wf created
	h.mustExec(h.t, "autonomous.workflow.create", args, &wf)
	if wf.ID == "" || wf.Worktree == "" {
		h.t.Fatalf("create returned %+v", wf)
	}
	return wf
}

func await(t testing.TB, ed *lsptest.Editor, d time.Duration, conds ...lsptest.Condition) {
	t.Helper()
	if err := ed.Await(ctxT(t, d), conds...); err != nil {
		t.Fatal(err)
	}
}

func decode[T any](t testing.TB, raw json.RawMessage) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
	return v
}

func gitIn(t testing.TB, dir string, args ...string) string {
	t.Helper()
	out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}
