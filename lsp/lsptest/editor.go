// Package lsptest is a fake editor for testing the LSP server, in the style
// of gopls' integration tests: a real JSON-RPC client (sourcegraph/jsonrpc2)
// that records every notification and every request the server sends, and
// waits on conditions over what it recorded. When a wait times out, the error
// lists the unmet conditions and what was recorded.
//
//	ed := lsptest.Connect(ctx, conn, lsptest.Options{WorkDoneProgress: true})
//	ed.Initialize(ctx, repoDir)
//	var wf struct{ ID string }
//	ed.Execute(ctx, "autonomous.workflow.create", map[string]any{"name": "x", "spec": "..."}, &wf)
//	err := ed.Await(ctx, lsptest.State(wf.ID, "completed"))
package lsptest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/sourcegraph/jsonrpc2"
	glspproto "github.com/tliron/glsp/protocol_3_16"
	"go.lsp.dev/uri"
)

// Message is one message the server sent on its own: a notification, or a
// request to the client (Request true).
type Message struct {
	Method  string
	Params  json.RawMessage
	Request bool
	At      time.Time
}

// Options set what the fake editor advertises.
type Options struct {
	// WorkDoneProgress advertises window.workDoneProgress: the server may
	// create progress tokens (the editor accepts them).
	WorkDoneProgress bool
	// CodeLensRefresh advertises workspace.codeLens.refreshSupport.
	CodeLensRefresh bool
	// ClientName is sent as clientInfo.name; default "lsptest".
	ClientName string
}

// Editor is the fake editor.
type Editor struct {
	conn *jsonrpc2.Conn
	opts Options

	mu      sync.Mutex
	log     []Message
	changed chan struct{} // closed and replaced whenever log grows
}

// Pipe returns the two ends of an in-memory connection: one for the editor,
// one for the server.
func Pipe() (editor, server io.ReadWriteCloser) {
	return net.Pipe()
}

// Connect starts an editor speaking LSP over rwc.
func Connect(ctx context.Context, rwc io.ReadWriteCloser, opts Options) *Editor {
	if opts.ClientName == "" {
		opts.ClientName = "lsptest"
	}
	e := &Editor{opts: opts, changed: make(chan struct{})}
	stream := jsonrpc2.NewBufferedStream(rwc, jsonrpc2.VSCodeObjectCodec{})
	// Messages are handled in arrival order (no AsyncHandler): tests assert
	// sequences, and recording never blocks.
	e.conn = jsonrpc2.NewConn(ctx, stream, jsonrpc2.HandlerWithError(e.handle))
	return e
}

// handle records what the server sends and answers its requests as an
// editor would: yes to progress tokens and lens refreshes, no to the rest.
func (e *Editor) handle(_ context.Context, _ *jsonrpc2.Conn, req *jsonrpc2.Request) (any, error) {
	m := Message{Method: req.Method, Request: !req.Notif, At: time.Now()}
	if req.Params != nil {
		m.Params = append(json.RawMessage(nil), *req.Params...)
	}
	e.mu.Lock()
	e.log = append(e.log, m)
	close(e.changed)
	e.changed = make(chan struct{})
	e.mu.Unlock()
	if req.Notif {
		return nil, nil
	}
	switch req.Method {
	case "window/workDoneProgress/create", "workspace/codeLens/refresh":
		return nil, nil
	}
	return nil, &jsonrpc2.Error{Code: jsonrpc2.CodeMethodNotFound, Message: "lsptest does not answer " + req.Method}
}

// Initialize sends initialize with the folders (paths) as workspace folders,
// then initialized.
func (e *Editor) Initialize(ctx context.Context, folders ...string) (*glspproto.InitializeResult, error) {
	params := map[string]any{
		"processId":  nil,
		"clientInfo": map[string]string{"name": e.opts.ClientName},
		"capabilities": map[string]any{
			"window":    map[string]any{"workDoneProgress": e.opts.WorkDoneProgress},
			"workspace": map[string]any{"workspaceFolders": true, "codeLens": map[string]any{"refreshSupport": e.opts.CodeLensRefresh}},
		},
	}
	ws := []glspproto.WorkspaceFolder{}
	for _, f := range folders {
		ws = append(ws, glspproto.WorkspaceFolder{URI: URI(f), Name: f})
	}
	params["workspaceFolders"] = ws
	if len(folders) > 0 {
		params["rootUri"] = URI(folders[0])
	}
	var res glspproto.InitializeResult
	if err := e.conn.Call(ctx, "initialize", params, &res); err != nil {
		return nil, err
	}
	if err := e.conn.Notify(ctx, "initialized", map[string]any{}); err != nil {
		return nil, err
	}
	return &res, nil
}

// Call sends a request and decodes its result into result (may be nil).
func (e *Editor) Call(ctx context.Context, method string, params, result any) error {
	return e.conn.Call(ctx, method, params, result)
}

// Notify sends a notification.
func (e *Editor) Notify(ctx context.Context, method string, params any) error {
	return e.conn.Notify(ctx, method, params)
}

// Execute runs a server command with args as arguments[0] (none when args
// is nil) and decodes its result into result (may be nil).
func (e *Editor) Execute(ctx context.Context, command string, args, result any) error {
	params := map[string]any{"command": command}
	if args != nil {
		params["arguments"] = []any{args}
	}
	return e.conn.Call(ctx, "workspace/executeCommand", params, result)
}

// Dispatch sends a request without waiting, for pipelining.
func (e *Editor) Dispatch(ctx context.Context, method string, params any) (jsonrpc2.Waiter, error) {
	return e.conn.DispatchCall(ctx, method, params)
}

// Shutdown sends shutdown, then exit.
func (e *Editor) Shutdown(ctx context.Context) error {
	if err := e.conn.Call(ctx, "shutdown", nil, nil); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return e.conn.Notify(ctx, "exit", nil)
}

// Close drops the connection, as an editor that crashes does.
func (e *Editor) Close() error { return e.conn.Close() }

// Done is closed when the connection is gone.
func (e *Editor) Done() <-chan struct{} { return e.conn.DisconnectNotify() }

// Messages returns what the server has sent so far.
func (e *Editor) Messages() []Message {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]Message(nil), e.log...)
}

// Received returns the params of the messages with this method, in order.
func (e *Editor) Received(method string) []json.RawMessage {
	var out []json.RawMessage
	for _, m := range e.Messages() {
		if m.Method == method {
			out = append(out, m.Params)
		}
	}
	return out
}

// Await waits until every condition holds over what was recorded, or ctx
// ends; then the error says which conditions did not hold and what the
// server sent.
func (e *Editor) Await(ctx context.Context, conds ...Condition) error {
	for {
		e.mu.Lock()
		log, changed := e.log, e.changed
		e.mu.Unlock()
		var unmet []string
		for _, c := range conds {
			if !c.Met(log) {
				unmet = append(unmet, c.Desc)
			}
		}
		if len(unmet) == 0 {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("%v while waiting for:\n  %s\nthe server sent %d messages:\n%s", ctx.Err(), strings.Join(unmet, "\n  "), len(log), Describe(log, 80))
		}
	}
}

// Describe lists the last n messages, one a line, params shortened.
func Describe(log []Message, n int) string {
	var b strings.Builder
	start := max(len(log)-n, 0)
	if start > 0 {
		fmt.Fprintf(&b, "  ... %d earlier messages\n", start)
	}
	for _, m := range log[start:] {
		p := string(m.Params)
		if len(p) > 240 {
			p = p[:240] + "…"
		}
		kind := ""
		if m.Request {
			kind = " (request)"
		}
		fmt.Fprintf(&b, "  %s %s%s %s\n", m.At.Format("15:04:05.000"), m.Method, kind, p)
	}
	return b.String()
}

// URI is the file:// URI of a path.
func URI(path string) string { return string(uri.File(path)) }
