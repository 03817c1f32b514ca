package lsp

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	glspproto "github.com/tliron/glsp/protocol_3_16"
)

// workDone is one standard progress bar ($/progress with a token the server
// created with window/workDoneProgress/create). For a client that does not
// support work-done progress it is a no-op.
type workDone struct {
	s     *Server
	token string // "" = no-op

	mu    sync.Mutex
	ended bool
}

// createTimeout bounds the wait for the client to accept a progress token,
// so that a client that never answers cannot stall the caller for good.
const createTimeout = 5 * time.Second

// beginWorkDone creates a token and sends begin. onCancel, when not nil,
// makes the bar cancellable and runs when the user cancels it. Never call it
// from a handler: it waits for the client's answer.
func (s *Server) beginWorkDone(ctx context.Context, title string, onCancel func()) *workDone {
	s.mu.Lock()
	supported := s.client.workDoneProgress
	s.tokenSeq++
	token := fmt.Sprintf("autonomous/%d", s.tokenSeq)
	s.mu.Unlock()
	if !supported {
		return &workDone{s: s}
	}
	cctx, cancel := context.WithTimeout(ctx, createTimeout)
	defer cancel()
	if err := s.call(cctx, string(glspproto.ServerWindowWorkDoneProgressCreate), glspproto.WorkDoneProgressCreateParams{Token: glspproto.ProgressToken{Value: token}}, nil); err != nil {
		s.log.Info("client refused a progress token", "token", token, "err", err)
		return &workDone{s: s}
	}
	w := &workDone{s: s, token: token}
	if onCancel != nil {
		s.mu.Lock()
		s.cancels[token] = onCancel
		s.mu.Unlock()
	}
	cancellable := onCancel != nil
	w.send(glspproto.WorkDoneProgressBegin{Kind: "begin", Title: title, Cancellable: &cancellable})
	return w
}

// report updates the bar's message and, when pct is not nil, its percentage.
func (w *workDone) report(msg string, pct *uint32) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.token == "" || w.ended || msg == "" && pct == nil {
		return
	}
	w.send(glspproto.WorkDoneProgressReport{Kind: "report", Message: &msg, Percentage: pct})
}

// end closes the bar; later calls do nothing.
func (w *workDone) end(msg string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.token == "" || w.ended {
		return
	}
	w.ended = true
	w.s.mu.Lock()
	delete(w.s.cancels, w.token)
	w.s.mu.Unlock()
	w.send(glspproto.WorkDoneProgressEnd{Kind: "end", Message: &msg})
}

func (w *workDone) send(value any) {
	w.s.notify(string(glspproto.MethodProgress), glspproto.ProgressParams{Token: glspproto.ProgressToken{Value: w.token}, Value: value})
}

// cancelWorkDone handles window/workDoneProgress/cancel: the user pressed
// cancel on one of the server's bars.
func (s *Server) cancelWorkDone(raw json.RawMessage) {
	var token string
	if json.Unmarshal(raw, &token) != nil {
		var n int64
		if json.Unmarshal(raw, &n) != nil {
			return
		}
		token = fmt.Sprint(n)
	}
	s.mu.Lock()
	onCancel := s.cancels[token]
	s.mu.Unlock()
	if onCancel == nil {
		s.log.Debug("cancel for an unknown progress token", "token", token)
		return
	}
	s.log.Info("progress cancelled by the user", "token", token)
	s.goBackground(onCancel)
}
