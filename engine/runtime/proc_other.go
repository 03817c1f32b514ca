//go:build !unix

package runtime

import (
	"context"
	"os/exec"
	"time"
)

func groupCommand(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.WaitDelay = 2 * time.Second
	return cmd
}

func reapGroup(*exec.Cmd) {}
