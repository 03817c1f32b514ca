package lsp

import (
	"context"
	"encoding/json"

	"github.com/autonomous-coding/autonomous/lsp/protocol"
)

// cmdWorkflowStop: autonomous.workflow.stop {id, folder?}: the current
// session is interrupted now; the workflow holds, resumable.
func (s *Server) cmdWorkflowStop(ctx context.Context, raw json.RawMessage) (any, error) {
	var args protocol.WorkflowArgs
	if err := decodeArgs(protocol.CmdWorkflowStop, raw, &args); err != nil {
		return nil, err
	}
	f, _, err := s.findWorkflow(args.ID, args.Folder)
	if err != nil {
		return nil, err
	}
	msg, err := f.project.Stop(ctx, args.ID)
	if err != nil {
		return nil, err
	}
	return protocol.ControlResult{ID: args.ID, Message: msg}, nil
}
