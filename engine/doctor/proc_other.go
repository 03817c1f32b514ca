//go:build !unix

package doctor

import (
	"context"
	"os/exec"
	"time"
)

func command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.WaitDelay = time.Second
	return cmd
}
