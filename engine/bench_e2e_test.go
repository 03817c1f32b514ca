package engine_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/autonomous-coding/autonomous/engine"
	"github.com/autonomous-coding/autonomous/engine/workflow"
	"github.com/autonomous-coding/autonomous/orchestrator/agenttest"
)

// BenchmarkLoop measures what the loop itself costs in a run of n short
// coding sessions, each making one of n features pass, driven by the real
// `autonomous run` with the real CLI and no auto-continue delay:
//
//   - overhead-ms: from one agent's exit to the next agent's spawn (mean,
//     median and worst), as seen by a wrapper around the CLI that timestamps
//     both; the configured delay is 0. Split, by the session records, into
//     exit-to-recorded (reaping the session's processes, the ledger guard,
//     the commit of leftovers, recording the session), recorded-to-next (the
//     next phase choice and prompt) and next-to-spawn (building the command,
//     starting the wrapper);
//   - peak-rss-MB: the maximum resident memory of the autonomous process over
//     the whole run (its Go heap, the event bus, the log ring and the
//     workflow record with n+1 sessions);
//   - ns/op: the whole run, CLI sessions included.
func BenchmarkLoop(b *testing.B) {
	for _, n := range []int{10, 50} {
		b.Run(fmt.Sprintf("sessions=%d", n), func(b *testing.B) {
			for b.Loop() {
				benchRun(b, n)
			}
		})
	}
}

func benchRun(b *testing.B, n int) {
	dir := b.TempDir()
	stamps := filepath.Join(dir, "stamps")
	wrapper := filepath.Join(dir, "claude")
	script := fmt.Sprintf("#!/bin/bash\necho \"start $EPOCHREALTIME\" >> %q\n%q \"$@\"\nrc=$?\necho \"end $EPOCHREALTIME\" >> %q\nexit $rc\n",
		stamps, agenttest.ClaudePath(b), stamps)
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		b.Fatal(err)
	}
	r := newRig(b, rigOptions{scenario: manySessionsScenario(n), cliPath: wrapper, defaults: map[string]string{"autoContinueDelay": "0s"}})
	wf := r.create(engine.CreateOptions{MaxSessions: n + 10})

	child := exec.Command(selfBin, "--project", r.root, "run", "--workflow", wf.ID)
	child.Env = r.env
	var out bytes.Buffer
	child.Stdout, child.Stderr = &out, &out
	if err := child.Start(); err != nil {
		b.Fatal(err)
	}
	// The peak resident memory of autonomous alone: wait4's rusage would
	// include the agents it reaped (~230 MB each), so read its own
	// high-water mark while it runs.
	peak := make(chan int, 1)
	go func() {
		hwm := 0
		for {
			if kb := vmHWM(child.Process.Pid); kb > 0 {
				hwm = kb
			} else {
				peak <- hwm
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	if err := child.Wait(); err != nil {
		b.Fatalf("autonomous run: %v\n%s", err, tail(out.String(), 3000))
	}
	wf, err := r.p.Get(wf.ID)
	if err != nil {
		b.Fatal(err)
	}
	if wf.Status != workflow.Completed || wf.Totals.Sessions != n+1 {
		b.Fatalf("run ended %s (%s) after %d sessions, want completed after %d", wf.Status, wf.Reason, wf.Totals.Sessions, n+1)
	}
	r.noFailures()

	starts, ends := readStamps(b, stamps)
	if len(starts) != n+1 || len(ends) != n+1 {
		b.Fatalf("%d starts and %d ends stamped for %d sessions", len(starts), len(ends), n+1)
	}
	// Where the time goes, from the session records: agent exit -> session
	// recorded (reaping, guard, commit, record), -> next session recorded as
	// started (phase choice, prompt), -> next agent spawned.
	var gaps []time.Duration
	var toRecord, toNext, toSpawn time.Duration
	for i := range n {
		gaps = append(gaps, starts[i+1].Sub(ends[i]))
		toRecord += wf.Sessions[i].EndedAt.Sub(ends[i])
		toNext += wf.Sessions[i+1].StartedAt.Sub(wf.Sessions[i].EndedAt)
		toSpawn += starts[i+1].Sub(wf.Sessions[i+1].StartedAt)
	}
	slices.Sort(gaps)
	var sum time.Duration
	for _, g := range gaps {
		sum += g
	}
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(sum/time.Duration(len(gaps))), "overhead-ms-mean")
	b.ReportMetric(ms(gaps[len(gaps)/2]), "overhead-ms-p50")
	b.ReportMetric(ms(gaps[len(gaps)-1]), "overhead-ms-max")
	b.ReportMetric(ms(toRecord/time.Duration(n)), "exit-to-recorded-ms")
	b.ReportMetric(ms(toNext/time.Duration(n)), "recorded-to-next-ms")
	b.ReportMetric(ms(toSpawn/time.Duration(n)), "next-to-spawn-ms")
	b.ReportMetric(float64(<-peak)/1024, "peak-rss-MB")
}

// vmHWM is the peak resident set of process pid in KiB, 0 once it is gone
// (or a zombie, whose memory is released).
func vmHWM(pid int) int {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return kb
		}
	}
	return 0
}

// readStamps reads the wrapper's stamps: when each agent started and ended.
func readStamps(b *testing.B, path string) (starts, ends []time.Time) {
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		kind, stamp, _ := strings.Cut(line, " ")
		secs, err := strconv.ParseFloat(stamp, 64)
		if err != nil {
			b.Fatalf("stamp %q: %v", line, err)
		}
		t := time.Unix(0, int64(secs*1e9))
		switch kind {
		case "start":
			starts = append(starts, t)
		case "end":
			ends = append(ends, t)
		}
	}
	return starts, ends
}

// manySessionsScenario: an initializer writing a ledger of n features, then
// one short coding session per feature (a command that marks the first
// failing feature as passing and commits, then a closing message).
func manySessionsScenario(n int) []byte {
	var ledger strings.Builder
	ledger.WriteString("[\n")
	for i := range n {
		fmt.Fprintf(&ledger, "  {\"category\": \"area-%d\", \"description\": \"feature %d works\", \"steps\": [\"check feature %d\"], \"passes\": false}", i%5, i+1, i+1)
		if i < n-1 {
			ledger.WriteString(",")
		}
		ledger.WriteString("\n")
	}
	ledger.WriteString("]\n")
	return fmt.Appendf(nil, `sessions:
  - name: init
    match: 'initializer \(phase 1\)'
    turns:
      - tools:
          - name: Write
            input:
              file_path: .autonomous/feature_list.json
              content: |
%s        expect:
          - {tool: 0, error: false}
      - text: The ledger is written.
  - name: coding
    match: 'coding session for workflow'
    repeat: true
    turns:
      - tools:
          - name: Bash
            input:
              command: >-
                sed -i '0,/"passes": false/s//"passes": true/' .autonomous/feature_list.json &&
                git add -A && git commit -q -m "One more feature passes"
              description: Mark the feature passing and commit
        expect:
          - {tool: 0, error: false}
      - text: Done.
`, indentLines(ledger.String(), "                "))
}

func indentLines(s, prefix string) string {
	lines := strings.SplitAfter(s, "\n")
	var b strings.Builder
	for _, l := range lines {
		if l != "" {
			b.WriteString(prefix + l)
		}
	}
	return b.String()
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}
