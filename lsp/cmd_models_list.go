package lsp

import (
	"context"
	"encoding/json"

	"github.com/autonomous-coding/autonomous/lsp/protocol"
)

// cmdModelsList: autonomous.models.list {folder?} → the configured models
// with labels and prices, and the default, for a model picker.
func (s *Server) cmdModelsList(_ context.Context, raw json.RawMessage) (any, error) {
	var args protocol.FolderArgs
	if err := decodeArgs(protocol.CmdModelsList, raw, &args); err != nil {
		return nil, err
	}
	cfg, _, err := s.configFor(args.Folder)
	if err != nil {
		return nil, err
	}
	out := protocol.ModelsResult{Models: make([]protocol.Model, len(cfg.Models)), Default: cfg.Defaults.Model}
	for i, m := range cfg.Models {
		out.Models[i] = protocol.Model{ID: m.ID, Label: m.Label, Prices: protocol.Prices{
			Input: m.Prices.Input, Output: m.Prices.Output, CacheWrite: m.Prices.CacheWrite, CacheRead: m.Prices.CacheRead,
		}}
	}
	return out, nil
}
