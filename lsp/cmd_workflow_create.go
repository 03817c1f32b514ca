package lsp

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/autonomous-coding/autonomous/engine"
	"github.com/autonomous-coding/autonomous/lsp/protocol"
)

// cmdWorkflowCreate: autonomous.workflow.create {name, spec?, specPath?,
// baseRef?, model?, folder?} → the workflow's record.
func (s *Server) cmdWorkflowCreate(ctx context.Context, raw json.RawMessage) (any, error) {
	const cmd = protocol.CmdWorkflowCreate
	var args protocol.CreateArgs
	if err := decodeArgs(cmd, raw, &args); err != nil {
		return nil, err
	}
	if strings.TrimSpace(args.Name) == "" {
		return nil, invalidParams("%s: argument \"name\" is blank", cmd)
	}
	switch {
	case args.Spec != "" && args.SpecPath != "":
		return nil, invalidParams("%s: give the spec as \"spec\" (text) or \"specPath\" (a file), not both", cmd)
	case strings.TrimSpace(args.Spec) == "" && args.SpecPath == "":
		return nil, invalidParams("%s: missing argument \"spec\" (the text of what to build) or \"specPath\" (a Markdown or text file of the workspace)", cmd)
	}
	f, err := s.pickFolder(args.Folder, false)
	if err != nil {
		return nil, err
	}
	var specFile string
	if args.SpecPath != "" {
		if specFile, err = confine(f, cmd, "specPath", args.SpecPath); err != nil {
			return nil, err
		}
	}
	if args.Model != "" {
		if err := checkModel(f.project.Config(), cmd, args.Model); err != nil {
			return nil, err
		}
	}
	wf, err := f.project.Create(ctx, engine.CreateOptions{
		Name: args.Name, Spec: args.Spec, SpecFile: specFile, BaseRef: args.BaseRef, Model: args.Model,
	})
	if err != nil {
		return nil, err
	}
	s.log.Info("workflow created", "id", wf.ID, "root", f.root)
	return wf, nil
}
