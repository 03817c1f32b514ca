package session

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// startTree starts `sh -c script` in its own process group, with the session
// mark in its environment when mark is set, and returns its pgid. The shell
// is reaped in the background, as the session runner does.
func startTree(t *testing.T, script, mark string) int {
	t.Helper()
	cmd := exec.Command("sh", "-c", script)
	cmd.Env = os.Environ()
	if mark != "" {
		cmd.Env = append(cmd.Env, MarkEnv+"="+mark)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go cmd.Wait()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		for _, pid := range pidsWithArg(t, uniqueArg(script)) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	return cmd.Process.Pid
}

// uniqueArg is the first sleep argument of a test script, which names its
// processes.
func uniqueArg(script string) string {
	f := strings.Fields(script)
	for i, w := range f {
		if w == "sleep" && i+1 < len(f) {
			return strings.Trim(f[i+1], ";&)")
		}
	}
	return script
}

// pidsWithArg scans /proc for live processes with arg in their command line.
func pidsWithArg(t *testing.T, arg string) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		if p, err := readStat(pid); err != nil || p.state == 'Z' {
			continue
		}
		for _, a := range bytes.Split(cmdline, []byte{0}) {
			if string(a) == arg {
				pids = append(pids, pid)
				break
			}
		}
	}
	return pids
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// uniqueSleep is a sleep duration no other process on the machine uses.
func uniqueSleep() string {
	return fmt.Sprintf("%d.%06d", 300+os.Getpid()%100, time.Now().Nanosecond()/1000)
}

// The Bash tool of the CLI runs each command with setsid: the escaped
// processes are what a signal to the CLI's group misses and the mark finds.
func TestSessionProcsFindsEscapedProcesses(t *testing.T) {
	t.Parallel()
	arg := uniqueSleep()
	mark := "test-" + strconv.Itoa(os.Getpid()) + "-" + arg
	// Inside the group: sh and a plain sleep. Escaped: a setsid'd shell whose
	// background child outlives it (an orphan in a session of its own).
	pgid := startTree(t, fmt.Sprintf("setsid sh -c 'sleep %[1]s & exit 0' & sleep %[1]s", arg), mark)
	waitFor(t, "two sleeps", func() bool { return len(pidsWithArg(t, arg)) == 2 })

	pids, err := sessionProcs(pgid, mark)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range pidsWithArg(t, arg) {
		if !containsInt(pids, want) {
			t.Errorf("sessionProcs = %v, misses sleep %d", pids, want)
		}
	}
	if containsInt(pids, os.Getpid()) {
		t.Error("sessionProcs includes the caller")
	}

	start := time.Now()
	if err := reap(pgid, mark, time.Second); err != nil {
		t.Fatal(err)
	}
	if left := pidsWithArg(t, arg); len(left) > 0 {
		t.Errorf("processes %v survived reap", left)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("reap took %v for processes that die on SIGTERM", d)
	}
}

// A process that ignores SIGTERM gets SIGKILL after the grace period.
func TestReapKillsWhatIgnoresSIGTERM(t *testing.T) {
	t.Parallel()
	arg := uniqueSleep()
	mark := "stubborn-" + arg
	pgid := startTree(t, fmt.Sprintf("trap '' TERM INT; sleep %s; sleep 1", arg), mark)
	waitFor(t, "the shell's sleep", func() bool { return len(pidsWithArg(t, arg)) == 1 })
	start := time.Now()
	if err := reap(pgid, mark, 300*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if left, _ := sessionProcs(pgid, mark); len(left) > 0 {
		t.Errorf("processes %v survived", left)
	}
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Errorf("reap returned after %v, before the grace period: was SIGTERM ignored at all?", d)
	}
}

func TestReapGroup(t *testing.T) {
	t.Parallel()
	t.Run("leftover of a crashed engine", func(t *testing.T) {
		t.Parallel()
		arg := uniqueSleep()
		pgid := startTree(t, fmt.Sprintf("setsid sleep %[1]s & sleep %[1]s", arg), "crashed-"+arg)
		waitFor(t, "two sleeps", func() bool { return len(pidsWithArg(t, arg)) == 2 })
		if err := ReapGroup(pgid, time.Second); err != nil {
			t.Fatal(err)
		}
		if left := pidsWithArg(t, arg); len(left) > 0 {
			t.Errorf("processes %v survived ReapGroup", left)
		}
	})
	t.Run("group that is not an agent session", func(t *testing.T) {
		t.Parallel()
		arg := uniqueSleep()
		pgid := startTree(t, "sleep "+arg, "")
		waitFor(t, "sleep", func() bool { return len(pidsWithArg(t, arg)) == 1 })
		err := ReapGroup(pgid, time.Second)
		if err == nil || !strings.Contains(err.Error(), "not an agent session") {
			t.Errorf("ReapGroup of an unmarked group = %v, want a refusal", err)
		}
		if len(pidsWithArg(t, arg)) != 1 {
			t.Error("ReapGroup killed a group that is not ours")
		}
	})
	t.Run("group that is gone", func(t *testing.T) {
		t.Parallel()
		cmd := exec.Command("true")
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Run(); err != nil {
			t.Fatal(err)
		}
		if err := ReapGroup(cmd.Process.Pid, time.Second); err != nil {
			t.Errorf("ReapGroup of a finished group = %v, want nil", err)
		}
	})
	t.Run("invalid", func(t *testing.T) {
		t.Parallel()
		for _, pgid := range []int{0, 1, -5} {
			if err := ReapGroup(pgid, time.Second); err == nil {
				t.Errorf("ReapGroup(%d) = nil, want an error", pgid)
			}
		}
	})
}

func TestReadStatOddNames(t *testing.T) {
	t.Parallel()
	// A command name with spaces and parentheses must not shift the fields.
	dir := t.TempDir()
	odd := filepath.Join(dir, "a) (b c")
	if err := os.Symlink("/bin/sleep", odd); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(odd, "5")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	p, err := readStat(cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	if p.ppid != os.Getpid() || p.pgid != cmd.Process.Pid {
		t.Errorf("readStat = %+v, want ppid %d and pgid %d", p, os.Getpid(), cmd.Process.Pid)
	}
}

func containsInt(list []int, x int) bool {
	for _, v := range list {
		if v == x {
			return true
		}
	}
	return false
}
