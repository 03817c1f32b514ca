package workflow

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// lockHelperEnv makes the test binary, re-executed, act as another process
// that takes a workflow lock and holds it until killed. Its value is
// "<root>|<id>".
const lockHelperEnv = "AUTONOMOUS_TEST_LOCK_HELPER"

func TestMain(m *testing.M) {
	if spec := os.Getenv(lockHelperEnv); spec != "" {
		os.Exit(holdLock(spec))
	}
	os.Exit(m.Run())
}

func holdLock(spec string) int {
	root, id, _ := strings.Cut(spec, "|")
	if _, err := NewStore(root).Lock(id); err != nil {
		fmt.Println("error:", err)
		return 1
	}
	fmt.Println("locked")
	select {} // hold it until killed
}

// startHolder runs a separate process that takes the lock on id, and returns
// once it holds it.
func startHolder(t *testing.T, s *Store, id string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), lockHelperEnv+"="+s.Root()+"|"+id)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		cmd.Wait()
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	if strings.TrimSpace(line) != "locked" {
		t.Fatalf("lock holder process said %q (%v)", line, err)
	}
	return cmd
}

func TestLockAcrossProcesses(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	holder := startHolder(t, s, "w1")
	pid := holder.Process.Pid

	_, err := s.Lock("w1")
	var le *LockedError
	if !errors.As(err, &le) || le.ID != "w1" || le.PID != pid {
		t.Fatalf("Lock while another process holds it: %v, want *LockedError{w1, %d}", err, pid)
	}
	want := fmt.Sprintf("workflow w1 is being driven by another process (pid %d); stop it there or wait", pid)
	if err.Error() != want {
		t.Errorf("message %q\n want %q", err, want)
	}
	if got, held := s.HolderPID("w1"); !held || got != pid {
		t.Errorf("HolderPID = %d, %v; want %d, true", got, held, pid)
	}
	// Another workflow is not affected.
	other, err := s.Lock("w2")
	if err != nil {
		t.Fatalf("lock of an unrelated workflow: %v", err)
	}
	other.Release()

	// A holder that dies without releasing (SIGKILL: no cleanup runs) leaves
	// nothing that blocks the next driver.
	if err := syscall.Kill(-pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	holder.Wait()
	if _, held := s.HolderPID("w1"); held {
		t.Error("HolderPID still reports the killed process")
	}
	l, err := s.Lock("w1")
	if err != nil {
		t.Fatalf("Lock after the holder was killed: %v", err)
	}
	defer l.Release()
	if got, held := s.HolderPID("w1"); !held || got != os.Getpid() {
		t.Errorf("HolderPID after taking over = %d, %v; want this process (%d)", got, held, os.Getpid())
	}
}

func TestLockWithinOneProcess(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	if _, held := s.HolderPID("w1"); held {
		t.Error("HolderPID reports a holder before anyone locked")
	}
	l, err := s.Lock("w1")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = s.Lock("w1")
	var le *LockedError
	if !errors.As(err, &le) || le.PID != os.Getpid() {
		t.Fatalf("second Lock in the same process: %v, want *LockedError with pid %d", err, os.Getpid())
	}
	if !strings.Contains(err.Error(), fmt.Sprint(os.Getpid())) {
		t.Errorf("message %q does not name the pid", err)
	}
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Errorf("a refused Lock took %v; it must not wait", d)
	}
	// A second store on the same project (another part of the engine) is refused too.
	if _, err := NewStore(s.Root()).Lock("w1"); !errors.As(err, &le) {
		t.Errorf("Lock through a second Store: %v", err)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	if err := l.Release(); err != nil {
		t.Errorf("second Release: %v", err)
	}
	// A child process forked by a parallel test holds a copy of every open
	// descriptor until its exec closes it (close-on-exec), and with it the
	// flock: allow that instant to pass.
	for deadline := time.Now().Add(time.Second); ; time.Sleep(5 * time.Millisecond) {
		if _, held := s.HolderPID("w1"); !held {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("HolderPID reports a holder after Release")
		}
	}
	l2, err := s.Lock("w1")
	if err != nil {
		t.Fatalf("Lock after Release: %v", err)
	}
	l2.Release()
}

func TestLockedErrorMessages(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  LockedError
		want string
	}{
		{LockedError{"w1", 1234}, "workflow w1 is being driven by another process (pid 1234); stop it there or wait"},
		{LockedError{"w1", 0}, "workflow w1 is being driven by another process (pid unknown); stop it there or wait"},
		{LockedError{"w1", os.Getpid()}, fmt.Sprintf("workflow w1 is already being driven by this process (pid %d)", os.Getpid())},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("got %q\nwant %q", got, tt.want)
		}
	}
}

// A pid left in the lock file by a holder that died is not reported as the
// holder, even while the flock is briefly held by someone who has not yet
// written their own pid.
func TestLockIgnoresStalePID(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	l, err := s.Lock("w1")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s.lockPath("w1"), fmt.Appendf(nil, "pid: %d\n", dead.Process.Pid), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = s.Lock("w1")
	var le *LockedError
	if !errors.As(err, &le) || le.PID != 0 {
		t.Errorf("Lock = %v, want a *LockedError with the pid unknown, not the dead pid %d", err, dead.Process.Pid)
	}
	l.Release()
}
