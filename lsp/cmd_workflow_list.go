package lsp

import (
	"context"
	"encoding/json"

	"github.com/autonomous-coding/autonomous/engine/ledger"
	"github.com/autonomous-coding/autonomous/engine/workflow"
	"github.com/autonomous-coding/autonomous/lsp/protocol"
)

// cmdWorkflowList: autonomous.workflow.list {folder?} → the workflows of the
// folder, or of every folder, oldest first. Workflow files that cannot be
// read are left out of the list and reported as diagnostics on the files.
func (s *Server) cmdWorkflowList(_ context.Context, raw json.RawMessage) (any, error) {
	var args protocol.FolderArgs
	if err := decodeArgs(protocol.CmdWorkflowList, raw, &args); err != nil {
		return nil, err
	}
	folders := s.snapshot()
	if args.Folder != "" {
		f, err := s.pickFolder(args.Folder, false)
		if err != nil {
			return nil, err
		}
		folders = []*folder{f}
	}
	out := []protocol.WorkflowSummary{}
	for _, f := range folders {
		wfs, bad := f.project.List()
		for _, wf := range wfs {
			out = append(out, summary(f.root, wf))
		}
		s.diags.setFileErrors(f.root, bad)
	}
	return out, nil
}

func summary(root string, wf *workflow.Workflow) protocol.WorkflowSummary {
	return protocol.WorkflowSummary{
		ID:        wf.ID,
		Name:      wf.Name,
		Status:    string(wf.Status),
		Phase:     string(wf.Phase),
		Reason:    wf.Reason,
		Model:     wf.Model,
		Progress:  progressOf(wf.Progress),
		CostUSD:   wf.Totals.CostUSD,
		Sessions:  len(wf.Sessions),
		Branch:    wf.Branch,
		Worktree:  wf.Worktree,
		Folder:    root,
		CreatedAt: wf.CreatedAt,
		UpdatedAt: wf.UpdatedAt,
	}
}

func progressOf(p ledger.Progress) protocol.Progress {
	cats := make([]protocol.CategoryProgress, len(p.Categories))
	for i, c := range p.Categories {
		cats[i] = protocol.CategoryProgress{Name: c.Name, Total: c.Total, Passing: c.Passing}
	}
	return protocol.Progress{Total: p.Total, Passing: p.Passing, Percent: p.Percent, Categories: cats, CurrentFeature: p.CurrentFeature}
}
