//go:build unix

package runtime

import (
	"context"
	"os/exec"
	"syscall"
	"time"
)

// groupCommand starts name in its own process group, so that cancelling ctx
// kills npm together with the postinstall scripts it spawned.
func groupCommand(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	// A grandchild holding the output pipe open must not hang Wait.
	cmd.WaitDelay = 2 * time.Second
	return cmd
}

// reapGroup kills what is left of the command's group after it exited: a
// child that outlived its parent would otherwise keep writing into a folder
// that is being removed.
func reapGroup(cmd *exec.Cmd) {
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // ESRCH when nothing is left
	}
}
