package lsp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/autonomous-coding/autonomous/engine/worktree"
	"github.com/autonomous-coding/autonomous/lsp/protocol"
)

// cmdWorkflowDelete: autonomous.workflow.delete {id, deleteBranch?, folder?}
// removes the workflow, its worktree and its state. Its branch is the work
// done, so it is kept unless deleteBranch is set and it is merged.
func (s *Server) cmdWorkflowDelete(ctx context.Context, raw json.RawMessage) (any, error) {
	var args protocol.DeleteArgs
	if err := decodeArgs(protocol.CmdWorkflowDelete, raw, &args); err != nil {
		return nil, err
	}
	f, wf, err := s.findWorkflow(args.ID, args.Folder)
	if err != nil {
		return nil, err
	}
	if slices.Contains(f.project.Running(), args.ID) {
		return nil, fmt.Errorf("delete workflow %s: it is %s; stop it first", args.ID, wf.Status)
	}
	res := protocol.DeleteResult{ID: args.ID, Message: "deleted"}
	err = f.project.Delete(ctx, args.ID, args.DeleteBranch)
	switch {
	case errors.Is(err, worktree.ErrUnmerged):
		res.BranchKept = wf.Branch
		res.Message = fmt.Sprintf("deleted; branch %s kept: it is not merged into %s", wf.Branch, wf.BaseRef)
	case err != nil:
		return nil, err
	case !args.DeleteBranch:
		res.BranchKept = wf.Branch
		res.Message = fmt.Sprintf("deleted; branch %s kept", wf.Branch)
	}
	s.diags.clearWorkflow(f.root, args.ID)
	s.log.Info("workflow deleted", "id", args.ID, "root", f.root)
	return res, nil
}
