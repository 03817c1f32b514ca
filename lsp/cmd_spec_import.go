package lsp

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"

	"github.com/autonomous-coding/autonomous/lsp/protocol"
)

// cmdSpecImport: autonomous.spec.import {id, path, folder?} replaces the spec
// with a Markdown or text file of the workspace → {uri, path, text}. A path
// outside the workspace folder is refused before anything reads it.
func (s *Server) cmdSpecImport(ctx context.Context, raw json.RawMessage) (any, error) {
	const cmd = protocol.CmdSpecImport
	var args protocol.SpecImportArgs
	if err := decodeArgs(cmd, raw, &args); err != nil {
		return nil, err
	}
	f, _, err := s.findWorkflow(args.ID, args.Folder)
	if err != nil {
		return nil, err
	}
	abs, err := confine(f, cmd, "path", args.Path)
	if err != nil {
		return nil, err
	}
	switch strings.ToLower(filepath.Ext(abs)) {
	case ".md", ".markdown", ".txt", "":
	default:
		return nil, invalidParams("%s: argument \"path\": %s is not a Markdown or text file (.md, .markdown, .txt)", cmd, args.Path)
	}
	if err := f.project.ImportSpec(ctx, args.ID, abs); err != nil {
		return nil, err
	}
	path, text, err := f.project.Spec(args.ID)
	if err != nil {
		return nil, err
	}
	return protocol.SpecResult{ID: args.ID, URI: fileURI(path), Path: path, Text: text}, nil
}
