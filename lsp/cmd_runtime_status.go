package lsp

import (
	"context"
	"encoding/json"

	"github.com/autonomous-coding/autonomous/engine/runtime"
	"github.com/autonomous-coding/autonomous/lsp/protocol"
)

// cmdRuntimeStatus: autonomous.runtime.status → whether the managed Claude
// Code CLI is installed and runs, and which version.
func (s *Server) cmdRuntimeStatus(ctx context.Context, raw json.RawMessage) (any, error) {
	var args protocol.FolderArgs
	if err := decodeArgs(protocol.CmdRuntimeStatus, raw, &args); err != nil {
		return nil, err
	}
	st, err := runtime.Manager{Home: s.opts.Home}.Status(ctx)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	installing := s.install != nil
	s.mu.Unlock()
	return protocol.RuntimeStatus{
		Installed: st.Installed, Package: st.Package, Version: st.Version, DefaultVersion: st.DefaultVersion,
		Path: st.Path, InstalledAt: st.InstalledAt, Problem: st.Problem, Installing: installing,
	}, nil
}
