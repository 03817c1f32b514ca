package lsp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/autonomous-coding/autonomous/engine/config"
	"github.com/autonomous-coding/autonomous/lsp/protocol"
)

// cmdConfigUpdate: autonomous.config.update {key, value, scope?, folder?}
// sets one dotted key (defaults.model, defaults.budgetUsd, ...) in the
// project's .autonomous/config.yaml, or with scope "global" in the user's,
// keeping the file's comments. A value the key does not accept is refused
// and nothing is written. The new configuration applies from the next
// session on.
func (s *Server) cmdConfigUpdate(_ context.Context, raw json.RawMessage) (any, error) {
	const cmd = protocol.CmdConfigUpdate
	var args protocol.ConfigUpdateArgs
	if err := decodeArgs(cmd, raw, &args); err != nil {
		return nil, err
	}
	var file string
	var targets []*folder
	switch args.Scope {
	case "", protocol.ScopeProject:
		f, err := s.pickFolder(args.Folder, false)
		if err != nil {
			return nil, err
		}
		file, targets = config.ProjectFile(f.root), []*folder{f}
	case protocol.ScopeGlobal:
		file, targets = config.GlobalFile(s.opts.Home), s.snapshot()
	default:
		return nil, invalidParams("%s: argument \"scope\" must be %q or %q, got %q", cmd, protocol.ScopeProject, protocol.ScopeGlobal, args.Scope)
	}
	if err := config.Set(file, args.Key, configValue(args.Value)); err != nil {
		return nil, invalidParams("%s: %v", cmd, err)
	}
	var errs []error
	for _, f := range targets {
		if err := f.project.ReloadConfig(); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", f.root, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("%s was written but the configuration does not load: %w", file, err)
	}
	s.log.Info("config updated", "file", file, "key", args.Key)
	return protocol.ConfigUpdateResult{File: file, Key: args.Key}, nil
}

// configValue turns a JSON value into what config.Set takes: a string as
// is, null as "remove the key", and anything else as its JSON text, which
// Set reads as YAML (JSON is YAML) into the key's type.
func configValue(v json.RawMessage) any {
	v = bytes.TrimSpace(v)
	if string(v) == "null" {
		return nil
	}
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	return string(v)
}
