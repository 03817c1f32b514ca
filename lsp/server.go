// Package lsp is the language server behind `autonomous lsp`: it turns
// workspace/executeCommand requests into engine calls, and engine events into
// notifications — autonomous/* for state, progress, log and sessions, and
// standard LSP for what it can carry: $/progress, publishDiagnostics,
// window/showMessage and code lenses. Each workspace folder is one engine
// Project.
//
// Where things are:
//   - server.go: Options, Serve, shutting down; initialize.go: the life cycle
//   - transport.go: the base protocol, surviving bad input
//   - handler.go: dispatch, and why glsp/server is not used
//   - folders.go: one project per workspace folder
//   - commands.go: the command table and strict argument decoding;
//     cmd_*.go: one file per command (their wire types are in lsp/protocol)
//   - pump.go: engine events to notifications, with logbatch.go (the log's
//     rate limit), workdone.go ($/progress), diagnostics.go
//   - codelens.go: lenses on feature_list.json and workflow files
//
// The tests drive it as an editor would, through lsp/lsptest.
package lsp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/sourcegraph/jsonrpc2"
	glspproto "github.com/tliron/glsp/protocol_3_16"

	"github.com/autonomous-coding/autonomous/engine/config"
)

// Options configure a Server.
type Options struct {
	// Home is the per-user folder (config, runtime, logs); default config.Home().
	Home string
	// SelfPath is the autonomous binary the agent's hook calls back into;
	// default: this executable.
	SelfPath string
	// Env is the environment agent sessions get; default os.Environ().
	Env []string
	// Log receives the server's log (never stdout: that is the LSP stream);
	// nil discards it. LogFile, when set, gets a copy, appended to.
	Log     io.Writer
	LogFile string
	// Debug logs every message received and sent.
	Debug bool
	// Version is reported in serverInfo.
	Version string
}

// Server is one LSP session. Serve runs it; a Server serves once.
type Server struct {
	opts    Options
	log     *slog.Logger
	logFile *os.File
	handler *handler

	// ctx is the server's lifetime: workflow runs started from the editor are
	// bounded by it, not by the request that started them.
	ctx    context.Context
	cancel context.CancelFunc

	mu    sync.Mutex
	conn  *jsonrpc2.Conn
	state lifecycle
	// shutdownSeen: the client asked for shutdown (so a later exit is clean).
	shutdownSeen bool
	client       clientCaps
	folders      []*folder              // open projects, in the order the client gave them
	problems     []string               // folder problems to show once the client is ready
	inFlight     map[jsonrpc2.ID]func() // cancel funcs of requests being handled
	install      *installRun            // the runtime install in progress, if any
	tokenSeq     int
	cancels      map[string]func() // what cancelling each live progress token does

	diags  *diagnostics
	lenses *lensCache

	bg       sync.WaitGroup // background work that must end before Serve returns
	requests sync.WaitGroup // requests being handled off the read loop
	// shutdownReply counts the shutdown answer being written, which exit waits for.
	shutdownReply sync.WaitGroup
	closeOnce     sync.Once
	closed        chan struct{} // closed once every project is closed
}

type lifecycle int

const (
	stateNew         lifecycle = iota // waiting for initialize
	stateInitialized                  // serving
	stateShutdown                     // shutdown received: only exit is accepted
	stateExited
)

// clientCaps are the client capabilities the server acts on.
type clientCaps struct {
	workDoneProgress bool // window/workDoneProgress/create and $/progress
	codeLensRefresh  bool // workspace/codeLens/refresh
}

// Errors Serve returns, for the exit code (the LSP spec wants 1 when the
// client did not shut the server down first).
var (
	ErrExitWithoutShutdown = errors.New("the client sent exit without shutdown")
	ErrClientGone          = errors.New("the client closed the connection without shutdown and exit")
)

// NewServer returns a server with opts, filling in the defaults.
func NewServer(opts Options) (*Server, error) {
	if opts.Home == "" {
		opts.Home = config.Home()
	}
	if opts.SelfPath == "" {
		self, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("lsp server: find own executable: %w", err)
		}
		opts.SelfPath = self
	}
	if opts.Env == nil {
		opts.Env = os.Environ()
	}
	s := &Server{
		opts:     opts,
		inFlight: map[jsonrpc2.ID]func(){},
		cancels:  map[string]func(){},
		closed:   make(chan struct{}),
		lenses:   newLensCache(),
	}
	w := opts.Log
	if w == nil {
		w = io.Discard
	}
	if opts.LogFile != "" {
		if err := os.MkdirAll(filepath.Dir(opts.LogFile), 0o755); err != nil {
			return nil, fmt.Errorf("lsp server: log file: %w", err)
		}
		f, err := os.OpenFile(opts.LogFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return nil, fmt.Errorf("lsp server: log file: %w", err)
		}
		s.logFile = f
		w = io.MultiWriter(w, f)
	}
	level := slog.LevelInfo
	if opts.Debug {
		level = slog.LevelDebug
	}
	s.log = slog.New(slog.NewTextHandler(&lockedWriter{w: w}, &slog.HandlerOptions{Level: level}))
	s.diags = newDiagnostics(s)
	s.handler = newHandler(s)
	return s, nil
}

// Serve speaks LSP over rwc until the client exits or goes away, or ctx
// ends. Whichever comes first, every workflow this server drives is left
// paused and resumable (its session stopped cleanly, its state written)
// before Serve returns. It returns nil after shutdown and exit,
// ErrExitWithoutShutdown or ErrClientGone when the client skipped them, or
// ctx's error.
func (s *Server) Serve(ctx context.Context, rwc io.ReadWriteCloser) error {
	s.ctx, s.cancel = context.WithCancel(ctx)
	defer s.cancel()
	if s.logFile != nil {
		defer s.logFile.Close()
	}
	s.log.Info("serving LSP", "pid", os.Getpid(), "home", s.opts.Home)
	opts := []jsonrpc2.ConnOpt{jsonrpc2.SetLogger(slogPrintf{s.log})}
	if s.opts.Debug {
		opts = append(opts, jsonrpc2.OnRecv(s.traceRecv), jsonrpc2.OnSend(s.traceSend))
	}
	// The connection outlives ctx by a little: after ctx ends, the
	// projects close and their last state changes still reach the client.
	conn := jsonrpc2.NewConn(context.WithoutCancel(ctx), newStream(rwc, s.log), rpcHandler{s}, opts...)
	s.setConn(conn)
	select {
	case <-conn.DisconnectNotify():
	case <-ctx.Done():
		s.log.Info("stopping", "cause", context.Cause(ctx))
	}
	s.closeAll()
	s.cancel()
	s.bg.Wait()
	conn.Close()

	s.mu.Lock()
	shutdown, exited := s.shutdownSeen, s.state == stateExited
	s.mu.Unlock()
	s.log.Info("stopped")
	switch {
	case exited && shutdown:
		return nil
	case exited:
		return ErrExitWithoutShutdown
	case ctx.Err() != nil:
		return ctx.Err()
	case shutdown:
		return nil // shut down properly; the exit notification got lost
	}
	return ErrClientGone
}

// closeAll closes every project — their runs stop and are recorded as
// paused — and drains their notifications. It runs once; later calls wait
// for the first.
func (s *Server) closeAll() {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		folders := s.folders
		s.mu.Unlock()
		var wg sync.WaitGroup
		for _, f := range folders {
			wg.Go(func() { f.close() })
		}
		wg.Wait()
		s.mu.Lock()
		if s.install != nil {
			s.install.cancel()
		}
		s.mu.Unlock()
		close(s.closed)
	})
	<-s.closed
}

// goBackground runs fn in a goroutine Serve waits for before returning.
func (s *Server) goBackground(fn func()) {
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		fn()
	}()
}

// notify sends a notification; a connection already closed is not an error
// worth more than a debug line.
func (s *Server) notify(method string, params any) {
	if err := s.connection().Notify(s.ctxForSend(), method, params); err != nil {
		s.log.Debug("notification not sent", "method", method, "err", err)
	}
}

// call sends a request to the client and waits for its answer. Never call
// it from a handler: the answer arrives on the loop the handler blocks.
func (s *Server) call(ctx context.Context, method string, params, result any) error {
	return s.connection().Call(ctx, method, params, result)
}

// setConn records the connection. The read loop starts inside
// jsonrpc2.NewConn, so the first handler can run before NewConn returns:
// both Serve and Handle set it.
func (s *Server) setConn(c *jsonrpc2.Conn) {
	s.mu.Lock()
	s.conn = c
	s.mu.Unlock()
}

func (s *Server) connection() *jsonrpc2.Conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conn
}

func (s *Server) ctxForSend() context.Context { return context.WithoutCancel(s.ctx) }

// finishRequests waits (at most d) for the requests in flight to be
// answered, so that a client that sends shutdown or exit right after other
// requests still gets their answers.
func (s *Server) finishRequests(d time.Duration) {
	if !waitGroupFor(&s.requests, d) {
		s.log.Warn("requests still running at exit", "waited", d)
	}
}

func (s *Server) showMessage(typ glspproto.MessageType, msg string) {
	s.notify(string(glspproto.ServerWindowShowMessage), glspproto.ShowMessageParams{Type: typ, Message: msg})
}

// lockedWriter serialises writes, since the log has several writers
// (slog's handler is safe, the file and stderr behind a MultiWriter are not
// atomic together).
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// slogPrintf routes jsonrpc2's own complaints into the server log.
type slogPrintf struct{ log *slog.Logger }

func (l slogPrintf) Printf(format string, v ...any) { l.log.Warn(fmt.Sprintf(format, v...)) }

// traceRecv and traceSend log each message's method and id in debug mode;
// never their params, which may hold a user's spec or config values.
func (s *Server) traceRecv(req *jsonrpc2.Request, resp *jsonrpc2.Response) {
	s.trace("recv", req, resp)
}

func (s *Server) traceSend(req *jsonrpc2.Request, resp *jsonrpc2.Response) {
	s.trace("send", req, resp)
}

func (s *Server) trace(dir string, req *jsonrpc2.Request, resp *jsonrpc2.Response) {
	switch {
	case req != nil && resp == nil:
		s.log.Debug(dir, "method", req.Method, "id", req.ID.String(), "notification", req.Notif)
	case resp != nil:
		s.log.Debug(dir+" response", "id", resp.ID.String(), "error", resp.Error != nil)
	}
}
