package lsp

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	glspproto "github.com/tliron/glsp/protocol_3_16"

	"github.com/autonomous-coding/autonomous/engine/runtime"
	"github.com/autonomous-coding/autonomous/lsp/protocol"
)

// installRun is the runtime install in progress.
type installRun struct {
	version string
	cancel  context.CancelFunc
}

// cmdRuntimeInstall: autonomous.runtime.install {version?} starts installing
// the managed Claude Code CLI and returns at once: npm's lines follow as
// $/progress reports, and a window/showMessage says how it ended. One install
// runs at a time.
func (s *Server) cmdRuntimeInstall(_ context.Context, raw json.RawMessage) (any, error) {
	const cmd = protocol.CmdRuntimeInstall
	var args protocol.RuntimeInstallArgs
	if err := decodeArgs(cmd, raw, &args); err != nil {
		return nil, err
	}
	version := args.Version
	if version == "" {
		version = runtime.DefaultVersion
		if cfg, _, err := s.configFor(args.Folder); err == nil && cfg.Agent.RuntimeVersion != "" {
			version = cfg.Agent.RuntimeVersion
		}
	}
	if err := runtime.ValidateVersion(version); err != nil {
		return nil, invalidParams("%s: argument \"version\": %v", cmd, err)
	}
	ctx, cancel := context.WithCancel(s.ctx)
	s.mu.Lock()
	if s.install != nil {
		running := s.install.version
		s.mu.Unlock()
		cancel()
		return nil, fmt.Errorf("install runtime %s: an install of %s is already running", version, running)
	}
	s.install = &installRun{version: version, cancel: cancel}
	s.mu.Unlock()

	s.goBackground(func() {
		wd := s.beginWorkDone(ctx, "Autonomous: installing Claude Code "+version, cancel)
		defer cancel()
		out := &lineWriter{line: func(l string) {
			s.log.Info("runtime install", "npm", l)
			wd.report(l, nil)
		}}
		rec, err := runtime.Manager{Home: s.opts.Home}.Install(ctx, version, out)
		out.flush()
		s.mu.Lock()
		s.install = nil
		s.mu.Unlock()
		if err != nil {
			wd.end("failed")
			s.log.Warn("runtime install failed", "version", version, "err", err)
			s.showMessage(glspproto.MessageTypeError, "Installing the Claude Code CLI failed: "+err.Error())
			return
		}
		wd.end("installed")
		s.showMessage(glspproto.MessageTypeInfo, fmt.Sprintf("Claude Code CLI %s is installed at %s", rec.Version, rec.Path))
	})
	return protocol.RuntimeInstallResult{Version: version}, nil
}

// lineWriter calls line for each complete line written to it.
type lineWriter struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	line func(string)
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	for {
		i := bytes.IndexByte(w.buf.Bytes(), '\n')
		if i < 0 {
			return len(p), nil
		}
		l := strings.TrimRight(string(w.buf.Next(i+1)), "\r\n")
		if l != "" {
			w.line(l)
		}
	}
}

func (w *lineWriter) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if l := strings.TrimSpace(w.buf.String()); l != "" {
		w.line(l)
	}
	w.buf.Reset()
}
