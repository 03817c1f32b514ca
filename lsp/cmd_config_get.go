package lsp

import (
	"context"
	"encoding/json"

	"github.com/autonomous-coding/autonomous/lsp/protocol"
)

// cmdConfigGet: autonomous.config.get {folder?} → the configuration in force
// for the folder: built-in defaults, the global file and the project file
// merged (files lists which were read).
func (s *Server) cmdConfigGet(_ context.Context, raw json.RawMessage) (any, error) {
	var args protocol.FolderArgs
	if err := decodeArgs(protocol.CmdConfigGet, raw, &args); err != nil {
		return nil, err
	}
	cfg, _, err := s.configFor(args.Folder)
	if err != nil {
		return nil, err
	}
	return cfg, nil
}
