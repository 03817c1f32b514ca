package lsp

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/autonomous-coding/autonomous/engine/events"
	"github.com/autonomous-coding/autonomous/engine/ledger"
	"github.com/autonomous-coding/autonomous/engine/workflow"
	"github.com/autonomous-coding/autonomous/lsp/lsptest"
	"github.com/autonomous-coding/autonomous/lsp/protocol"
)

// BenchmarkWorkflowList measures autonomous.workflow.list over the wire with
// 100 workflows, idle and while one workflow streams 5,000 log lines a
// second (synthetic events on the project's bus, through the real batching),
// and reports latency percentiles, the heap (server and fake editor share the
// process) and the notifications reaching the editor.
func BenchmarkWorkflowList(b *testing.B) {
	for _, load := range []int{0, 5000} {
		name := "idle"
		if load > 0 {
			name = fmt.Sprintf("streaming-%d-lines-per-second", load)
		}
		b.Run(name, func(b *testing.B) {
			dir := repo(b)
			store := workflow.NewStore(dir)
			for i := range 100 {
				wf := &workflow.Workflow{
					ID: workflow.NewID(fmt.Sprintf("bench %d", i)), Name: fmt.Sprintf("Bench %d", i), Status: workflow.Paused,
					BaseRef: "main", Branch: "autonomous/x", Worktree: dir, Model: "claude-sonnet-4-5",
					Progress: ledger.Progress{Total: 40, Passing: i % 40, Percent: float64(i%40) * 2.5, CurrentIndex: i % 40,
						Categories: []ledger.CategoryProgress{{Name: "functional", Total: 30, Passing: i % 30}, {Name: "style", Total: 10}}},
					Sessions: make([]workflow.Session, 5),
				}
				if err := store.Create(wf); err != nil {
					b.Fatal(err)
				}
			}
			h := start(b, Options{}, lsptest.Options{}, dir)
			bus := h.srv.snapshot()[0].project.Events()
			ctx := context.Background()

			stop := make(chan struct{})
			var published atomic.Int64
			if load > 0 {
				go func() {
					const tick = 10 * time.Millisecond
					perTick := load / int(time.Second/tick)
					t := time.NewTicker(tick)
					defer t.Stop()
					for {
						select {
						case <-stop:
							return
						case <-t.C:
						}
						for range perTick {
							n := published.Add(1)
							bus.Publish(events.Event{Kind: events.KindLog, WorkflowID: "streaming", Log: &events.LogEntry{
								Time: time.Now(), Session: 1, Kind: "tool", Text: fmt.Sprintf("Bash npm test # line %d of a busy agent", n), File: "/tmp/session-001.jsonl"}})
						}
					}
				}()
				time.Sleep(time.Second) // reach the steady state
			}
			before, publishedBefore := len(h.ed.Received(protocol.MethodLog)), published.Load()
			var lat []time.Duration
			begin := time.Now()
			for b.Loop() {
				t0 := time.Now()
				var list []protocol.WorkflowSummary
				if err := h.ed.Execute(ctx, protocol.CmdWorkflowList, nil, &list); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(t0))
				if len(list) != 100 {
					b.Fatalf("list returned %d workflows", len(list))
				}
			}
			elapsed := time.Since(begin)
			notes := len(h.ed.Received(protocol.MethodLog)) - before
			close(stop)

			slices.Sort(lat)
			pct := func(p float64) float64 {
				return float64(lat[min(int(float64(len(lat))*p), len(lat)-1)].Microseconds()) / 1000
			}
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			b.ReportMetric(pct(0.50), "p50-ms")
			b.ReportMetric(pct(0.99), "p99-ms")
			b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MB")
			if load > 0 {
				b.ReportMetric(float64(notes)/elapsed.Seconds(), "log-notifications/s")
				b.ReportMetric(float64(published.Load()-publishedBefore)/elapsed.Seconds(), "lines-published/s")
			}
		})
	}
}
