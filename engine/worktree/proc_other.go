//go:build !unix

package worktree

import (
	"os"
	"os/exec"
)

// setProcessGroup is a no-op where process groups do not exist; the default
// cancel of exec.CommandContext kills git itself.
func setProcessGroup(*exec.Cmd) {}

// tryLock cannot lock where flock does not exist: callers run unserialized.
func tryLock(*os.File) (held bool, err error) { return false, nil }
