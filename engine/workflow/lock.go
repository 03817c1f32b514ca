package workflow

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// lockWait bounds how long Lock keeps retrying when the lock is held but the
// file names no live holder: the holder may be between taking the lock and
// writing its pid, or be HolderPID's momentary probe.
const lockWait = 200 * time.Millisecond

// Lock is the exclusive right to drive one workflow. It is a flock(2) on
// <root>/.autonomous/locks/<id>.lock, so the kernel drops it when the
// holder dies, however it dies: a lock never outlives its process. The file
// descriptor is close-on-exec, so agent processes the holder spawns do not
// inherit it.
type Lock struct {
	id string
	f  *os.File
}

// LockedError means another holder has the workflow's lock. PID is 0 when
// the holder could not be identified.
type LockedError struct {
	ID  string
	PID int
}

func (e *LockedError) Error() string {
	switch e.PID {
	case 0:
		return fmt.Sprintf("workflow %s is being driven by another process (pid unknown); stop it there or wait", e.ID)
	case os.Getpid():
		return fmt.Sprintf("workflow %s is already being driven by this process (pid %d)", e.ID, e.PID)
	}
	return fmt.Sprintf("workflow %s is being driven by another process (pid %d); stop it there or wait", e.ID, e.PID)
}

func (s *Store) lockPath(id string) string {
	return filepath.Join(s.root, Dir, "locks", id+".lock")
}

// Lock takes the workflow's lock without waiting. If anyone holds it — another
// process, or this one through an earlier Lock — it returns *LockedError
// naming the holder's pid.
func (s *Store) Lock(id string) (*Lock, error) {
	if err := ValidateID(id); err != nil {
		return nil, err
	}
	path := s.lockPath(id)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("lock workflow %s: %w", id, err)
	}
	// No O_TRUNC: until the lock is ours, the file holds the holder's pid.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock workflow %s: %w", id, err)
	}
	deadline := time.Now().Add(lockWait)
	pid := 0
	for {
		err := flock(f, unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, unix.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("lock workflow %s: flock %s: %w", id, path, err)
		}
		pid = readHolder(f)
		if pid > 0 && alive(pid) {
			f.Close()
			return nil, &LockedError{ID: id, PID: pid}
		}
		if time.Now().After(deadline) {
			f.Close()
			return nil, &LockedError{ID: id}
		}
		time.Sleep(2 * time.Millisecond)
	}
	rec := fmt.Appendf(nil, "pid: %d\nstarted: %s\n", os.Getpid(), time.Now().UTC().Format(time.RFC3339))
	if err := f.Truncate(0); err == nil {
		_, err = f.WriteAt(rec, 0)
	}
	if err != nil {
		f.Close() // closing drops the flock
		return nil, fmt.Errorf("lock workflow %s: record holder in %s: %w", id, path, err)
	}
	return &Lock{id: id, f: f}, nil
}

// ID is the workflow the lock is for.
func (l *Lock) ID() string { return l.id }

// Release gives the lock up. Releasing twice is harmless. The lock file is
// left in place: removing it would let a process that opened it a moment
// earlier lock a file nobody else can find any more.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	f := l.f
	l.f = nil
	f.Truncate(0) // best effort: HolderPID probes the flock, not the content
	if err := f.Close(); err != nil {
		return fmt.Errorf("release lock of workflow %s: %w", l.id, err)
	}
	return nil
}

// HolderPID reports who holds the workflow's lock, for status displays: the
// pid and true while it is held (pid 0 if the holder is not yet recorded),
// false when nobody holds it.
func (s *Store) HolderPID(id string) (int, bool) {
	if !validID(id) {
		return 0, false
	}
	f, err := os.Open(s.lockPath(id))
	if err != nil {
		return 0, false
	}
	defer f.Close()
	// A shared lock is enough to tell: it fails only against an exclusive holder.
	if err := flock(f, unix.LOCK_SH|unix.LOCK_NB); err == nil {
		flock(f, unix.LOCK_UN)
		return 0, false
	}
	return readHolder(f), true
}

func flock(f *os.File, how int) error {
	for {
		err := unix.Flock(int(f.Fd()), how)
		if err != unix.EINTR {
			return err
		}
	}
}

// readHolder parses the "pid: N" line the holder wrote; 0 if there is none.
func readHolder(f *os.File) int {
	buf := make([]byte, 128)
	n, _ := f.ReadAt(buf, 0)
	line, _, _ := bytes.Cut(buf[:n], []byte("\n"))
	v, ok := bytes.CutPrefix(line, []byte("pid: "))
	if !ok {
		return 0
	}
	pid, err := strconv.Atoi(string(v))
	if err != nil || pid <= 0 {
		return 0
	}
	return pid
}

// alive reports whether a process with this pid exists. A pid left in the
// file by a holder that died is not taken as the current holder.
func alive(pid int) bool {
	err := unix.Kill(pid, 0)
	return err == nil || errors.Is(err, unix.EPERM)
}
