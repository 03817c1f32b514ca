package main

import (
	"context"
	"encoding/json"
	"io"

	"github.com/autonomous-coding/autonomous/engine"
)

// openProject opens the project named by --project, else the git root above
// the working directory.
func (c *cli) openProject(ctx context.Context) (*engine.Project, error) {
	return engine.Open(ctx, engine.Options{Root: c.project})
}

// writeJSON prints v as indented JSON: the stable machine output of --json.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
