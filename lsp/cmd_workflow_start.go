package lsp

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/autonomous-coding/autonomous/engine"
	"github.com/autonomous-coding/autonomous/engine/workflow"
	"github.com/autonomous-coding/autonomous/lsp/protocol"
)

// cmdWorkflowStart: autonomous.workflow.start {id, model?, folder?} → the
// workflow's record, once it is running. The sessions run in the background,
// bounded by the server's life, not the request's: what they do arrives as
// notifications.
func (s *Server) cmdWorkflowStart(_ context.Context, raw json.RawMessage) (any, error) {
	var args protocol.StartArgs
	if err := decodeArgs(protocol.CmdWorkflowStart, raw, &args); err != nil {
		return nil, err
	}
	f, _, err := s.findWorkflow(args.ID, args.Folder)
	if err != nil {
		return nil, err
	}
	if args.Model != "" {
		if err := checkModel(f.project.Config(), protocol.CmdWorkflowStart, args.Model); err != nil {
			return nil, err
		}
	}
	return s.start(f, args.ID, engine.RunOptions{Model: args.Model})
}

// cmdWorkflowResume: autonomous.workflow.resume {id, folder?} → the
// workflow's record, once it is running again. Only a workflow that has run
// before can be resumed.
func (s *Server) cmdWorkflowResume(_ context.Context, raw json.RawMessage) (any, error) {
	var args protocol.WorkflowArgs
	if err := decodeArgs(protocol.CmdWorkflowResume, raw, &args); err != nil {
		return nil, err
	}
	f, wf, err := s.findWorkflow(args.ID, args.Folder)
	if err != nil {
		return nil, err
	}
	if wf.Status == workflow.Pending {
		return nil, fmt.Errorf("resume workflow %s: it has never run; use Start", args.ID)
	}
	return s.start(f, args.ID, engine.RunOptions{})
}

func (s *Server) start(f *folder, id string, opts engine.RunOptions) (any, error) {
	if f.closing.Load() {
		return nil, fmt.Errorf("start workflow %s: its folder %s is being closed", id, f.root)
	}
	if err := f.project.Start(s.ctx, id, opts); err != nil {
		return nil, err
	}
	s.log.Info("workflow started", "id", id, "root", f.root)
	return f.project.Get(id)
}
