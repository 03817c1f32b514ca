//go:build unix

package demo

import (
	"os/exec"
	"syscall"
)

// inOwnGroup runs cmd in its own process group and makes cancelling it kill
// the whole group, so nothing the CLI started (shells, node) outlives a test.
func inOwnGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
}
