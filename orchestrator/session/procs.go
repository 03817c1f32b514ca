package session

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// MarkEnv is the environment variable that marks every process of an agent
// session. The CLI's Bash tool starts each command in a new session (setsid),
// so commands, and what they leave running in the background, are not in the
// CLI's process group: a signal to the group misses them. They all inherit
// the environment, though, and /proc/<pid>/environ shows it, so the mark
// finds them, orphans included.
const MarkEnv = "AUTONOMOUS_SESSION_MARK"

// proc is what /proc/<pid>/stat says about a process.
type proc struct {
	pid, ppid, pgid, sid int
	state                byte
}

// readProcs lists the processes of the machine, skipping those that vanish
// while being read.
func readProcs() ([]proc, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, fmt.Errorf("list processes: %w", err)
	}
	procs := make([]proc, 0, len(entries))
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		p, err := readStat(pid)
		if err != nil {
			continue
		}
		procs = append(procs, p)
	}
	return procs, nil
}

func readStat(pid int) (proc, error) {
	data, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return proc{}, err
	}
	// The command name (field 2) is in parentheses and may hold anything,
	// parentheses and spaces included: the fields we want follow the last ')'.
	i := bytes.LastIndexByte(data, ')')
	if i < 0 || i+2 >= len(data) {
		return proc{}, fmt.Errorf("parse /proc/%d/stat", pid)
	}
	f := strings.Fields(string(data[i+2:]))
	if len(f) < 4 {
		return proc{}, fmt.Errorf("parse /proc/%d/stat", pid)
	}
	p := proc{pid: pid, state: f[0][0]}
	p.ppid, _ = strconv.Atoi(f[1])
	p.pgid, _ = strconv.Atoi(f[2])
	p.sid, _ = strconv.Atoi(f[3])
	return p, nil
}

// hasMark reports whether the process's initial environment carries
// MarkEnv=mark. Processes of other users are unreadable, hence never ours.
func hasMark(pid int, mark string) bool {
	data, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "environ"))
	if err != nil {
		return false
	}
	want := []byte(MarkEnv + "=" + mark)
	for _, kv := range bytes.Split(data, []byte{0}) {
		if bytes.Equal(kv, want) {
			return true
		}
	}
	return false
}

// markOf returns the MarkEnv value in a process's environment, or "".
func markOf(pid int) string {
	data, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "environ"))
	if err != nil {
		return ""
	}
	prefix := []byte(MarkEnv + "=")
	for _, kv := range bytes.Split(data, []byte{0}) {
		if bytes.HasPrefix(kv, prefix) {
			return string(kv[len(prefix):])
		}
	}
	return ""
}

// sessionProcs returns the live (non-zombie) processes that belong to an
// agent session: those in process group pgid, those carrying the mark, their
// descendants, and the members of sessions they lead. The caller's own
// process is never included.
func sessionProcs(pgid int, mark string) ([]int, error) {
	procs, err := readProcs()
	if err != nil {
		return nil, err
	}
	self := os.Getpid()
	in := make(map[int]bool)
	for _, p := range procs {
		if p.pid == self || p.state == 'Z' {
			continue
		}
		if (pgid > 0 && p.pgid == pgid) || (mark != "" && hasMark(p.pid, mark)) {
			in[p.pid] = true
		}
	}
	// A process that cleared its environment is still a child of ours, or in
	// a session one of ours leads.
	for changed := true; changed; {
		changed = false
		for _, p := range procs {
			if in[p.pid] || p.pid == self || p.state == 'Z' {
				continue
			}
			if in[p.ppid] || (p.sid != p.pid && in[p.sid]) {
				in[p.pid] = true
				changed = true
			}
		}
	}
	pids := make([]int, 0, len(in))
	for pid := range in {
		pids = append(pids, pid)
	}
	sort.Ints(pids)
	return pids, nil
}

// killProcs sends sig to each pid; processes already gone are not an error.
func killProcs(pids []int, sig syscall.Signal) {
	for _, pid := range pids {
		_ = syscall.Kill(pid, sig)
	}
}

// reap ends the processes of an agent session, politely first: SIGTERM to
// the group and every member, up to grace for them to exit, then SIGKILL,
// and up to killWait for the kernel to finish them. It reports the processes
// that are still there.
func reap(pgid int, mark string, grace time.Duration) error {
	pids, err := sessionProcs(pgid, mark)
	if err != nil || len(pids) == 0 {
		return err
	}
	if pgid > 0 {
		_ = syscall.Kill(-pgid, syscall.SIGTERM)
	}
	killProcs(pids, syscall.SIGTERM)
	if pids, err = waitGone(pgid, mark, grace); err != nil || len(pids) == 0 {
		return err
	}
	if pgid > 0 {
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
	}
	killProcs(pids, syscall.SIGKILL)
	if pids, err = waitGone(pgid, mark, killWait); err != nil || len(pids) == 0 {
		return err
	}
	return fmt.Errorf("processes %v of the agent session survived SIGKILL", pids)
}

// killWait bounds the wait for SIGKILLed processes to disappear.
const killWait = 3 * time.Second

// waitGone polls until no process of the session is left or d has passed,
// and returns those left.
func waitGone(pgid int, mark string, d time.Duration) ([]int, error) {
	deadline := time.Now().Add(d)
	for {
		pids, err := sessionProcs(pgid, mark)
		if err != nil || len(pids) == 0 || time.Now().After(deadline) {
			return pids, err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ReapGroup ends what a crashed engine left of an agent session whose CLI ran
// in process group pgid: the group's processes and every process carrying the
// same session mark (commands the Bash tool started in sessions of their
// own). SIGTERM first, SIGKILL after grace. A group that no longer exists is
// not an error. A group none of whose processes carries a session mark is
// left alone, with an error: after a restart its number may belong to an
// unrelated program.
func ReapGroup(pgid int, grace time.Duration) error {
	if pgid <= 1 {
		return fmt.Errorf("reap process group %d: not a valid group", pgid)
	}
	if err := syscall.Kill(-pgid, 0); errors.Is(err, syscall.ESRCH) {
		return nil
	}
	procs, err := readProcs()
	if err != nil {
		return fmt.Errorf("reap process group %d: %w", pgid, err)
	}
	mark, live := "", 0
	for _, p := range procs {
		if p.pgid == pgid && p.state != 'Z' {
			live++
			if mark == "" {
				mark = markOf(p.pid)
			}
		}
	}
	if live == 0 {
		return nil // only zombies, which their parents will collect
	}
	if mark == "" {
		return fmt.Errorf("reap process group %d: it is not an agent session (no %s in its environment), leaving it alone", pgid, MarkEnv)
	}
	if err := reap(pgid, mark, grace); err != nil {
		return fmt.Errorf("reap process group %d: %w", pgid, err)
	}
	return nil
}
