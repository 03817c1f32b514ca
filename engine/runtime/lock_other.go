//go:build !unix

package runtime

import (
	"context"
	"io"
)

// lockInstall is a no-op where flock is unavailable: concurrent installs are
// then the user's to avoid.
func lockInstall(context.Context, string, bool, io.Writer) (func(), error) { return func() {}, nil }
