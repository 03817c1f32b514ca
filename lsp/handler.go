package lsp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sourcegraph/jsonrpc2"
	"github.com/tliron/glsp"
	glspproto "github.com/tliron/glsp/protocol_3_16"

	"github.com/autonomous-coding/autonomous/lsp/protocol"
)

// The server uses glsp for what it is good at — the LSP 3.16 types and
// protocol.Handler's dispatch of standard messages — behind its own
// glsp.Handler (handler), and its own jsonrpc2 plumbing (Server.handle)
// instead of glsp/server, because glsp v0.2.2's server:
//   - can serve stdio, TCP and websockets but not an arbitrary stream, which
//     in-process tests need;
//   - answers every handler error with -32600, losing InvalidParams,
//     ServerNotInitialized and RequestFailed;
//   - runs each handler on the read loop, so a slow command stalls all
//     others; here requests that touch the disk, git or the network return a
//     deferred result that runs in its own goroutine.
// glsp's IntegerOrString also decodes nothing (its UnmarshalJSON has a value
// receiver), so messages carrying progress tokens or request ids are decoded
// here.

// deferred is a result computed off the read loop.
type deferred func(ctx context.Context) (any, error)

// rpcHandler is the server as a jsonrpc2.Handler.
type rpcHandler struct{ s *Server }

func (h rpcHandler) Handle(ctx context.Context, conn *jsonrpc2.Conn, req *jsonrpc2.Request) {
	h.s.handle(conn, req)
}

// handle runs on the connection's read loop, for every message received.
func (s *Server) handle(conn *jsonrpc2.Conn, req *jsonrpc2.Request) {
	s.setConn(conn)
	gctx := &glsp.Context{
		Method: req.Method,
		Notify: func(method string, params any) { s.notify(method, params) },
		Call: func(method string, _, _ any) {
			// The answer would arrive on the loop this handler blocks.
			s.log.Error("a handler tried to call the client from the read loop; call refused", "method", method)
		},
	}
	if req.Params != nil {
		gctx.Params = *req.Params
	}
	start := time.Now()
	result, validMethod, validParams, err := s.handler.Handle(gctx)
	if req.Notif {
		if err != nil {
			s.log.Warn("notification failed", "method", req.Method, "err", err)
		} else if !validMethod && !strings.HasPrefix(req.Method, "$/") {
			s.log.Debug("notification ignored", "method", req.Method)
		}
		return
	}
	if d, ok := result.(deferred); ok && err == nil {
		rctx, cancel := context.WithCancel(s.ctx)
		s.track(req.ID, cancel)
		// shutdown waits for the other requests; it cannot wait for itself.
		counted := req.Method != string(glspproto.MethodShutdown)
		if counted {
			s.requests.Add(1)
		} else {
			s.shutdownReply.Add(1) // exit waits for this answer
		}
		s.goBackground(func() {
			if counted {
				defer s.requests.Done()
			} else {
				defer s.shutdownReply.Done()
			}
			defer s.untrack(req.ID)
			defer cancel()
			res, err := d(rctx)
			if err != nil && rctx.Err() != nil && s.ctx.Err() == nil {
				err = &jsonrpc2.Error{Code: protocol.CodeRequestCancelled, Message: "request cancelled"}
			}
			s.reply(conn, req, res, err, start)
		})
		return
	}
	if !validMethod {
		err = &jsonrpc2.Error{Code: protocol.CodeMethodNotFound, Message: fmt.Sprintf("method not supported: %s", req.Method)}
	} else if !validParams {
		err = invalidParams("%s: %v", req.Method, err)
	}
	s.reply(conn, req, result, err, start)
}

func (s *Server) reply(conn *jsonrpc2.Conn, req *jsonrpc2.Request, result any, err error, start time.Time) {
	rpcErr := asRPCError(err)
	if rpcErr != nil {
		s.log.Info("request refused", "method", req.Method, "code", rpcErr.Code, "err", rpcErr.Message)
		err = conn.ReplyWithError(s.ctxForSend(), req.ID, rpcErr)
	} else {
		s.log.Debug("request done", "method", req.Method, "ms", time.Since(start).Milliseconds())
		err = conn.Reply(s.ctxForSend(), req.ID, result)
	}
	if err != nil && !errors.Is(err, jsonrpc2.ErrClosed) {
		s.log.Warn("reply not sent", "method", req.Method, "err", err)
	}
}

// asRPCError keeps the code of a *jsonrpc2.Error and calls anything else a
// failed request, with its message (which names what was being done).
func asRPCError(err error) *jsonrpc2.Error {
	if err == nil {
		return nil
	}
	var rpcErr *jsonrpc2.Error
	if errors.As(err, &rpcErr) {
		return rpcErr
	}
	return &jsonrpc2.Error{Code: protocol.CodeRequestFailed, Message: err.Error()}
}

func invalidParams(format string, args ...any) *jsonrpc2.Error {
	return &jsonrpc2.Error{Code: protocol.CodeInvalidParams, Message: fmt.Sprintf(format, args...)}
}

func (s *Server) track(id jsonrpc2.ID, cancel func()) {
	s.mu.Lock()
	s.inFlight[id] = cancel
	s.mu.Unlock()
}

func (s *Server) untrack(id jsonrpc2.ID) {
	s.mu.Lock()
	delete(s.inFlight, id)
	s.mu.Unlock()
}

// handler is the server's glsp.Handler: it enforces the LSP life cycle, takes
// the messages that need more than glsp offers, and delegates the rest to
// glsp's protocol.Handler.
type handler struct {
	s   *Server
	std glspproto.Handler
}

func errNotInitialized() error {
	return &jsonrpc2.Error{Code: protocol.CodeServerNotInitialized, Message: "the server is not initialized: send initialize first"}
}

func errShuttingDown() error {
	return &jsonrpc2.Error{Code: protocol.CodeInvalidRequest, Message: "the server is shutting down: only exit is accepted"}
}

// Handle implements glsp.Handler.
func (h *handler) Handle(ctx *glsp.Context) (r any, validMethod bool, validParams bool, err error) {
	s := h.s
	s.mu.Lock()
	state := s.state
	s.mu.Unlock()
	switch {
	case ctx.Method == string(glspproto.MethodExit):
		s.exit()
		return nil, true, true, nil
	case state == stateNew && ctx.Method != string(glspproto.MethodInitialize):
		return nil, true, true, errNotInitialized()
	case state == stateShutdown || state == stateExited:
		return nil, true, true, errShuttingDown()
	}
	switch ctx.Method {
	case string(glspproto.MethodInitialize):
		var params glspproto.InitializeParams
		if err := json.Unmarshal(ctx.Params, &params); err != nil {
			return nil, true, false, err
		}
		r, err := s.initialize(&params)
		if err == nil {
			h.std.SetInitialized(true)
		}
		return r, true, true, err
	case string(glspproto.MethodInitialized):
		s.initialized()
		return nil, true, true, nil
	case string(glspproto.MethodShutdown):
		return s.shutdown(), true, true, nil
	case string(glspproto.MethodWorkspaceExecuteCommand):
		d, err := s.executeCommand(ctx.Params)
		return d, true, true, err
	case string(glspproto.MethodTextDocumentCodeLens):
		var params glspproto.CodeLensParams
		if err := json.Unmarshal(ctx.Params, &params); err != nil {
			return nil, true, false, err
		}
		return deferred(func(ctx context.Context) (any, error) { return s.codeLenses(ctx, params.TextDocument.URI) }), true, true, nil
	case string(glspproto.MethodWindowWorkDoneProgressCancel):
		var params struct {
			Token json.RawMessage `json:"token"`
		}
		if err := json.Unmarshal(ctx.Params, &params); err != nil {
			return nil, true, false, err
		}
		s.cancelWorkDone(params.Token)
		return nil, true, true, nil
	case string(glspproto.MethodCancelRequest):
		var params struct {
			ID jsonrpc2.ID `json:"id"`
		}
		if err := json.Unmarshal(ctx.Params, &params); err != nil {
			return nil, true, false, err
		}
		s.mu.Lock()
		cancel := s.inFlight[params.ID]
		s.mu.Unlock()
		if cancel != nil {
			cancel()
		}
		return nil, true, true, nil
	}
	return h.std.Handle(ctx)
}

func newHandler(s *Server) *handler {
	h := &handler{s: s}
	h.std.WorkspaceDidChangeWorkspaceFolders = func(_ *glsp.Context, p *glspproto.DidChangeWorkspaceFoldersParams) error {
		s.changeFolders(p.Event.Added, p.Event.Removed)
		return nil
	}
	// Accepted and ignored: the server keeps no per-document state.
	h.std.SetTrace = func(*glsp.Context, *glspproto.SetTraceParams) error { return nil }
	h.std.TextDocumentDidOpen = func(*glsp.Context, *glspproto.DidOpenTextDocumentParams) error { return nil }
	h.std.TextDocumentDidClose = func(*glsp.Context, *glspproto.DidCloseTextDocumentParams) error { return nil }
	return h
}
