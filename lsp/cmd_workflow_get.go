package lsp

import (
	"context"
	"encoding/json"

	"github.com/autonomous-coding/autonomous/lsp/protocol"
)

// cmdWorkflowGet: autonomous.workflow.get {id, folder?} → the workflow's record.
func (s *Server) cmdWorkflowGet(_ context.Context, raw json.RawMessage) (any, error) {
	var args protocol.WorkflowArgs
	if err := decodeArgs(protocol.CmdWorkflowGet, raw, &args); err != nil {
		return nil, err
	}
	_, wf, err := s.findWorkflow(args.ID, args.Folder)
	if err != nil {
		return nil, err
	}
	return wf, nil
}
