package lsp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"

	"github.com/autonomous-coding/autonomous/lsp/protocol"
)

// cmdSchemaValidate: autonomous.schema.validate {id?, folder?}. With an id, a
// schema-validation session starts for that workflow (the discrepancies
// arrive as diagnostics when it writes its result). Without, the latest
// results of the folder's workflows (or every folder's) are published again
// and summed up.
func (s *Server) cmdSchemaValidate(_ context.Context, raw json.RawMessage) (any, error) {
	var args protocol.ValidateArgs
	if err := decodeArgs(protocol.CmdSchemaValidate, raw, &args); err != nil {
		return nil, err
	}
	res := protocol.ValidateResult{Results: []protocol.SchemaSummary{}}
	if args.ID != "" {
		f, _, err := s.findWorkflow(args.ID, args.Folder)
		if err != nil {
			return nil, err
		}
		if f.closing.Load() {
			return nil, fmt.Errorf("validate workflow %s: its folder %s is being closed", args.ID, f.root)
		}
		if err := f.project.StartValidate(s.ctx, args.ID); err != nil {
			return nil, err
		}
		res.Started = args.ID
		if sum, ok := s.publishSchemaResult(f, args.ID); ok {
			res.Results = append(res.Results, sum)
		}
		return res, nil
	}
	folders := s.snapshot()
	if args.Folder != "" {
		f, err := s.pickFolder(args.Folder, false)
		if err != nil {
			return nil, err
		}
		folders = []*folder{f}
	}
	for _, f := range folders {
		wfs, _ := f.project.List()
		for _, wf := range wfs {
			if sum, ok := s.publishSchemaResult(f, wf.ID); ok {
				res.Results = append(res.Results, sum)
			}
		}
	}
	return res, nil
}

// publishSchemaResult reads a workflow's latest schema-validation result,
// publishes it as diagnostics and sums it up; ok is false when the workflow
// has none.
func (s *Server) publishSchemaResult(f *folder, id string) (protocol.SchemaSummary, bool) {
	result, worktreeRoot, err := f.project.SchemaResult(id)
	sum := protocol.SchemaSummary{WorkflowID: id}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return sum, false
	case err != nil && worktreeRoot == "":
		return sum, false // the workflow itself is gone or unreadable
	case err != nil:
		sum.Problem = err.Error()
		s.diags.setSchema(f.root, id, worktreeRoot, nil, err.Error())
		return sum, true
	}
	s.diags.setSchema(f.root, id, worktreeRoot, result, "")
	sum.ValidatedAt = result.ValidatedAt
	sum.Errors, sum.Warnings, sum.Infos = result.Counts()
	return sum, true
}

// publishExisting publishes the latest schema results of a folder's
// workflows, for a client that connects after they were written.
func (s *Server) publishExisting(f *folder) {
	wfs, bad := f.project.List()
	for _, wf := range wfs {
		s.publishSchemaResult(f, wf.ID)
	}
	s.diags.setFileErrors(f.root, bad)
}
