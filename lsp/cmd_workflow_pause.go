package lsp

import (
	"context"
	"encoding/json"

	"github.com/autonomous-coding/autonomous/lsp/protocol"
)

// cmdWorkflowPause: autonomous.workflow.pause {id, folder?}: the current
// session finishes, then the workflow holds.
func (s *Server) cmdWorkflowPause(ctx context.Context, raw json.RawMessage) (any, error) {
	var args protocol.WorkflowArgs
	if err := decodeArgs(protocol.CmdWorkflowPause, raw, &args); err != nil {
		return nil, err
	}
	f, _, err := s.findWorkflow(args.ID, args.Folder)
	if err != nil {
		return nil, err
	}
	msg, err := f.project.Pause(ctx, args.ID)
	if err != nil {
		return nil, err
	}
	return protocol.ControlResult{ID: args.ID, Message: msg}, nil
}
