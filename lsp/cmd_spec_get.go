package lsp

import (
	"context"
	"encoding/json"

	"github.com/autonomous-coding/autonomous/lsp/protocol"
)

// cmdSpecGet: autonomous.spec.get {id, folder?} → {uri, path, text}: the
// spec in the workflow's worktree, for the editor to open.
func (s *Server) cmdSpecGet(_ context.Context, raw json.RawMessage) (any, error) {
	var args protocol.WorkflowArgs
	if err := decodeArgs(protocol.CmdSpecGet, raw, &args); err != nil {
		return nil, err
	}
	f, _, err := s.findWorkflow(args.ID, args.Folder)
	if err != nil {
		return nil, err
	}
	path, text, err := f.project.Spec(args.ID)
	if err != nil {
		return nil, err
	}
	return protocol.SpecResult{ID: args.ID, URI: fileURI(path), Path: path, Text: text}, nil
}
