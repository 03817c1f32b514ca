package watch

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/autonomous-coding/autonomous/engine/ledger"
)

// BenchmarkWatchLatency measures, with the default debounce, the time from
// replacing the ledger by rename to receiving its progress event: p50 and
// p99 over 200 writes. The clock starts at the rename, when the new content
// becomes visible; writing the temporary file is not the watcher's time.
func BenchmarkWatchLatency(b *testing.B) {
	const writes = 200
	root := b.TempDir()
	path := filepath.Join(root, ledger.File)
	contents := make([][]byte, 2) // 200 entries; 0 or 1 passing
	for i := range contents {
		features := make([]ledger.Feature, 200)
		for j := range features {
			features[j] = ledger.Feature{Category: "c", Description: "feature " + strconv.Itoa(j), Steps: []string{"step"}, Passes: j < i}
		}
		data, err := ledger.Marshal(features)
		if err != nil {
			b.Fatal(err)
		}
		contents[i] = data
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(path, contents[0], 0o644); err != nil {
		b.Fatal(err)
	}
	tmp := path + ".tmp"
	events := make(chan Event, 1)
	w := New(Options{Root: root, OnEvent: func(e Event) { events <- e }})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			b.Error(err)
		}
	}()
	<-events // the initial figures

	var latencies []time.Duration
	n := 0
	for b.Loop() {
		for range writes {
			n++
			want := n % 2
			if err := os.WriteFile(tmp, contents[want], 0o644); err != nil {
				b.Fatal(err)
			}
			start := time.Now()
			if err := os.Rename(tmp, path); err != nil {
				b.Fatal(err)
			}
			select {
			case e := <-events:
				if e.Kind != KindProgress || e.Progress.Passing != want {
					b.Fatalf("got %s event with %d passing, want %d", e.Kind, e.Progress.Passing, want)
				}
			case <-time.After(5 * time.Second):
				b.Fatal("no event within 5s")
			}
			latencies = append(latencies, time.Since(start))
		}
	}
	slices.Sort(latencies)
	pct := func(p float64) float64 {
		return float64(latencies[int(p*float64(len(latencies)-1))]) / float64(time.Millisecond)
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(writes), "writes/op")
}
