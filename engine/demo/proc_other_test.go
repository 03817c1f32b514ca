//go:build !unix

package demo

import "os/exec"

// inOwnGroup is a no-op where process groups do not exist: cancelling cmd
// kills the CLI process only.
func inOwnGroup(cmd *exec.Cmd) {}
