package lsp

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/autonomous-coding/autonomous/engine/doctor"
	"github.com/autonomous-coding/autonomous/lsp/protocol"
)

// cmdDoctor: autonomous.doctor {folder?} → the doctor's checks (git, the
// project, node, npm, the agent CLI, credentials), each failure with its fix.
// Credentials are looked up in the environment agent sessions get.
func (s *Server) cmdDoctor(ctx context.Context, raw json.RawMessage) (any, error) {
	var args protocol.FolderArgs
	if err := decodeArgs(protocol.CmdDoctor, raw, &args); err != nil {
		return nil, err
	}
	cfg, f, err := s.configFor(args.Folder)
	if err != nil {
		return nil, err
	}
	opts := doctor.Options{Home: s.opts.Home, ConfiguredCLI: cfg.Agent.CLIPath, Env: envLookup(s.opts.Env)}
	if f != nil {
		opts.ProjectDir = f.root
	}
	checks := doctor.Run(ctx, opts)
	out := protocol.DoctorResult{Passed: doctor.Passed(checks), Checks: make([]protocol.DoctorCheck, len(checks))}
	for i, c := range checks {
		out.Checks[i] = protocol.DoctorCheck{Name: c.Name, Status: string(c.Status), Required: c.Required, Detail: c.Detail, Fix: c.Fix}
	}
	return out, nil
}

// envLookup reads a variable from an environment list; the last setting wins,
// as in exec.
func envLookup(env []string) func(string) string {
	return func(name string) string {
		for i := len(env) - 1; i >= 0; i-- {
			if k, v, ok := strings.Cut(env[i], "="); ok && k == name {
				return v
			}
		}
		return ""
	}
}
