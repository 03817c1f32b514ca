package lsp

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/autonomous-coding/autonomous/lsp/protocol"
)

// cmdSpecSave: autonomous.spec.save {id, text, folder?} replaces the spec and
// commits it on the workflow's branch; the next session reads it.
func (s *Server) cmdSpecSave(ctx context.Context, raw json.RawMessage) (any, error) {
	const cmd = protocol.CmdSpecSave
	var args protocol.SpecSaveArgs
	if err := decodeArgs(cmd, raw, &args); err != nil {
		return nil, err
	}
	if strings.TrimSpace(args.Text) == "" {
		return nil, invalidParams("%s: argument \"text\" is blank: say what should be built", cmd)
	}
	f, _, err := s.findWorkflow(args.ID, args.Folder)
	if err != nil {
		return nil, err
	}
	if err := f.project.SaveSpec(ctx, args.ID, args.Text); err != nil {
		return nil, err
	}
	path, err := f.project.SpecPath(args.ID)
	if err != nil {
		return nil, err
	}
	return protocol.SpecResult{ID: args.ID, URI: fileURI(path), Path: path}, nil
}
