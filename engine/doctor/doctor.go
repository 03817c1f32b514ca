// Package doctor checks that a machine can run autonomous workflows: git with
// worktrees, a project with a commit, node and npm, the agent CLI, and
// credentials for a model. Every failing check carries the command or step
// that fixes it, because doctor is what users run when something is wrong.
package doctor

import (
	"context"
	"os"
	"sync"
	"time"
)

// Status is the outcome of one check.
type Status string

const (
	StatusOK   Status = "ok"
	StatusWarn Status = "warn" // works, but something deserves attention
	StatusFail Status = "fail"
)

// Check is one row of the doctor's report. The JSON names are part of the
// `autonomous doctor --json` contract.
type Check struct {
	Name     string `json:"name"`
	Status   Status `json:"status"`
	Required bool   `json:"required"` // a failure stops workflows from running
	Detail   string `json:"detail"`
	Fix      string `json:"fix"` // what to do when Status is not ok; "" when ok
}

// Options says what to check.
type Options struct {
	Home          string // the tool's per-user folder, holding the managed runtime
	ConfiguredCLI string // the agent CLI path from config, "" when not set
	ProjectDir    string // the project to check, "" when there is none
	// Env reads credential variables and HOME; nil means os.Getenv. Tools
	// (git, node, npm, claude) are looked up on the process's PATH.
	Env func(string) string
}

// checkTimeout bounds each check: npm alone can take seconds to start.
const checkTimeout = 20 * time.Second

// Run performs every check, concurrently, and returns them in a fixed order.
func Run(ctx context.Context, opts Options) []Check {
	if opts.Env == nil {
		opts.Env = os.Getenv
	}
	checks := []func(context.Context, Options) Check{
		checkGit,
		checkProject,
		checkNode,
		checkNPM,
		checkAgent,
		checkCredentials,
	}
	out := make([]Check, len(checks))
	var wg sync.WaitGroup
	for i, check := range checks {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(ctx, checkTimeout)
			defer cancel()
			out[i] = check(ctx, opts)
		})
	}
	wg.Wait()
	return out
}

// Passed reports whether no required check failed.
func Passed(checks []Check) bool {
	for _, c := range checks {
		if c.Required && c.Status == StatusFail {
			return false
		}
	}
	return true
}
