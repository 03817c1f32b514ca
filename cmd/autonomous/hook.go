package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/autonomous-coding/autonomous/engine/config"
	"github.com/autonomous-coding/autonomous/orchestrator/policy"
)

const hookUsage = "hook pre-tool-use [--root DIR] [--workflow ID] [--session N] [--log FILE]"

// cmdHook is what the agent CLI runs before each Bash call (the settings
// file the session runner writes wires it as the PreToolUse hook). It must
// never exit 1: the CLI treats 1 as "allow", so every failure denies
// (exit 0 with a deny decision, or exit 2).
func cmdHook(ctx context.Context, c *cli, args []string) error {
	if len(args) == 0 || args[0] != "pre-tool-use" {
		if len(args) == 0 {
			return usagef("name the hook: pre-tool-use")
		}
		return usagef("unknown hook %q (want pre-tool-use)", args[0])
	}
	fs := newFlagSet("hook pre-tool-use")
	var f hookFlags
	fs.StringVar(&f.root, "root", "", "the worktree the agent works in (default: the git root above the hook input's cwd)")
	fs.StringVar(&f.workflow, "workflow", "", "the workflow id, for the decision log (default: from the worktree's path)")
	fs.StringVar(&f.session, "session", "", "the session number, for the decision log (default: the agent's session id)")
	fs.StringVar(&f.log, "log", "", "the decision log (default: <project>/.autonomous/logs/<workflow>/policy.jsonl)")
	rest, err := parseFlags(fs, args[1:])
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("unexpected argument %q", rest[0])
	}
	code := policy.Hook(ctx, c.stdin, c.stdout, c.stderr, policy.HookOptions{
		Configure: func(in *policy.HookInput) (policy.HookConfig, error) { return f.configure(in) },
	})
	if code != 0 {
		return &exitError{code: code}
	}
	return nil
}

type hookFlags struct{ root, workflow, session, log string }

// configure finds the worktree, the project and the workflow from the
// flags and the hook input, loads the project's security additions and
// builds the policy.
func (f hookFlags) configure(in *policy.HookInput) (policy.HookConfig, error) {
	cwd := in.Cwd
	if cwd == "" {
		wd, err := os.Getwd()
		if err != nil {
			return policy.HookConfig{}, fmt.Errorf("find the working directory: %w", err)
		}
		cwd = wd
	}
	root := f.root
	if root == "" {
		root = gitTop(cwd)
	}
	root, _ = filepath.Abs(root)
	project, workflow := projectOf(root)
	if f.workflow != "" {
		workflow = f.workflow
	}
	logPath := f.log
	if logPath == "" {
		logPath = filepath.Join(project, ".autonomous", "logs", workflow, "policy.jsonl")
	}
	cfg := policy.HookConfig{LogPath: logPath, Workflow: workflow, Session: f.session}
	if cfg.Session == "" {
		cfg.Session = in.SessionID
	}
	// The configuration comes from the user's checkout, never from the
	// worktree, whose files the agent writes.
	conf, err := config.Load(config.Home(), project)
	if err != nil {
		return cfg, fmt.Errorf("load the configuration of %s: %w", project, err)
	}
	sec := conf.Security
	p, err := policy.New(root, policy.Rules{Allow: sec.Allow, Deny: sec.Deny, WritablePaths: sec.WritablePaths, Pkill: sec.Pkill})
	if err != nil {
		return cfg, err
	}
	cfg.Policy = p
	return cfg, nil
}

// gitTop returns the nearest directory at or above dir holding .git (a
// repository or a worktree), else dir itself.
func gitTop(dir string) string {
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		if _, err := os.Lstat(filepath.Join(d, ".git")); err == nil {
			return d
		}
		if d == filepath.Dir(d) {
			return dir
		}
	}
}

// projectOf maps a workflow's worktree, <repo>/.autonomous/worktrees/<id>,
// to its project and workflow; any other root is its own project.
func projectOf(root string) (project, workflow string) {
	parent := filepath.Dir(root)
	if filepath.Base(parent) == "worktrees" && filepath.Base(filepath.Dir(parent)) == ".autonomous" {
		return filepath.Dir(filepath.Dir(parent)), filepath.Base(root)
	}
	return root, ""
}
