package lsp

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/autonomous-coding/autonomous/engine/config"
)

// confine resolves a path argument (relative to the folder, absolute, or a
// file:// URI) and refuses it unless it is inside the folder, symlinks
// followed. The lexical check comes first, so that nothing outside is even
// looked at.
func confine(f *folder, cmd, field, arg string) (string, error) {
	path := arg
	if strings.Contains(arg, "://") {
		p, err := pathOf(arg)
		if err != nil {
			return "", invalidParams("%s: argument %q: %v", cmd, field, err)
		}
		path = p
	}
	if !filepath.IsAbs(path) {
		path = filepath.Join(f.root, path)
	}
	path = filepath.Clean(path)
	if rel, err := filepath.Rel(f.root, path); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", invalidParams("%s: argument %q: %s is outside the workspace folder %s", cmd, field, arg, f.root)
	}
	abs, err := f.project.Confine(path)
	if err != nil {
		return "", invalidParams("%s: argument %q: %v", cmd, field, err)
	}
	return abs, nil
}

// checkModel refuses a model the configuration does not list.
func checkModel(cfg *config.Config, cmd, id string) error {
	if _, ok := cfg.Model(id); ok {
		return nil
	}
	ids := make([]string, len(cfg.Models))
	for i, m := range cfg.Models {
		ids[i] = m.ID
	}
	return invalidParams("%s: argument \"model\": unknown model %q (configured: %s)", cmd, id, strings.Join(ids, ", "))
}

// configFor returns the configuration of the folder named by arg, else of
// the only (or first) folder, else the global one.
func (s *Server) configFor(arg string) (*config.Config, *folder, error) {
	if arg == "" && len(s.snapshot()) == 0 {
		cfg, err := config.Load(s.opts.Home, "")
		if err != nil {
			return nil, nil, fmt.Errorf("load configuration: %w", err)
		}
		return cfg, nil, nil
	}
	f, err := s.pickFolder(arg, true)
	if err != nil {
		return nil, nil, err
	}
	return f.project.Config(), f, nil
}
