package session

import (
	"bufio"
	"os/exec"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/autonomous-coding/autonomous/orchestrator/agenttest"
)

// BenchmarkFirstEvent measures the runner's own cost per session: the time
// from Start to the first event ("runner"), against the time the same CLI,
// with the same arguments, environment and prompt, takes to print its first
// line when started directly ("cli"). The difference is the overhead.
// Run with -benchtime=10x: each op starts a real CLI.
func BenchmarkFirstEvent(b *testing.B) {
	srv := startModel(b, "sessions:\n- name: s\n  repeat: true\n  turns:\n  - text: hello\n")
	repo := gitRepo(b)
	opts := Options{
		CLI:          agenttest.ClaudePath(b),
		Dir:          repo,
		Prompt:       "Say hello.",
		Model:        "claude-sonnet-4-5",
		MaxTurns:     5,
		AllowedTools: []string{"Read", "Write", "Edit"},
		Env:          append(agenttest.OfflineEnv(srv.URL()), "CLAUDE_CONFIG_DIR="+b.TempDir()),
	}

	// Each op times both, in alternating order, so that the load of a
	// shared machine weighs on them alike; medians keep one slow start from
	// swamping the figures.
	var cli, runner, diff []time.Duration
	for i := 0; i < b.N; i++ {
		var c, r time.Duration
		if i%2 == 0 {
			c = cliFirstLine(b, opts)
			r = runnerFirstEvent(b, opts)
		} else {
			r = runnerFirstEvent(b, opts)
			c = cliFirstLine(b, opts)
		}
		cli, runner, diff = append(cli, c), append(runner, r), append(diff, r-c)
	}
	median := func(ds []time.Duration) float64 {
		slices.Sort(ds)
		return float64(ds[len(ds)/2].Microseconds()) / 1000
	}
	b.ReportMetric(median(cli), "cli-ms/first-line")
	b.ReportMetric(median(runner), "runner-ms/first-event")
	b.ReportMetric(median(diff), "overhead-ms")
}

// cliFirstLine starts the CLI as the runner would (same arguments and
// files) and times its first line of output.
func cliFirstLine(b *testing.B, opts Options) time.Duration {
	s := &Session{opts: opts}
	if err := s.prepare(); err != nil {
		b.Fatal(err)
	}
	defer s.cleanup()
	cmd := exec.Command(opts.CLI, s.args...)
	cmd.Dir, cmd.Env = opts.Dir, opts.Env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	start := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	stdin.Write([]byte(opts.Prompt))
	stdin.Close()
	if _, err := bufio.NewReader(stdout).ReadBytes('\n'); err != nil {
		b.Fatal(err)
	}
	d := time.Since(start)
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	_ = cmd.Wait()
	return d
}

// runnerFirstEvent times Start to the first event.
func runnerFirstEvent(b *testing.B, opts Options) time.Duration {
	start := time.Now()
	s, err := Start(b.Context(), opts)
	if err != nil {
		b.Fatal(err)
	}
	if _, ok := <-s.Events(); !ok {
		b.Fatal("no event")
	}
	d := time.Since(start)
	go func() {
		for range s.Events() {
		}
	}()
	if err := s.Stop(); err != nil {
		b.Fatal(err)
	}
	return d
}
