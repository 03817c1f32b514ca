//go:build unix

package runtime

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// errLocked is returned by lockInstall when told not to wait.
var errLocked = errors.New("another install is running")

// lockInstall takes <home>/runtime.lock so that two installs (two `make
// runtime`, or an editor and a terminal) never clean up or swap each other's
// folders. With wait it waits for a running install, saying so, until ctx
// ends; without, it returns errLocked at once.
func lockInstall(ctx context.Context, home string, wait bool, progress io.Writer) (unlock func(), err error) {
	path := filepath.Join(home, "runtime.lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	announced := false
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if !wait {
			f.Close()
			return nil, errLocked
		}
		if !announced {
			holder, _ := os.ReadFile(path)
			fmt.Fprintf(progress, "waiting for another install (pid %s) to finish\n", strings.TrimSpace(string(holder)))
			announced = true
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("wait for the install lock %s: %w", path, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
	// The pid is only there to tell a waiting user who holds the lock.
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return func() {
		_ = f.Truncate(0)
		f.Close()
	}, nil
}
