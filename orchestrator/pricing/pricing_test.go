package pricing

import (
	"math"
	"testing"
)

func TestCost(t *testing.T) {
	t.Parallel()
	sonnet := Prices{Input: 3, Output: 15, CacheWrite: 3.75, CacheRead: 0.30}
	opus := Prices{Input: 5, Output: 25, CacheWrite: 6.25, CacheRead: 0.50}
	tests := []struct {
		name string
		u    Usage
		p    Prices
		want float64
	}{
		{"nothing", Usage{}, sonnet, 0},
		// The CLI 2.1.331 reported total_cost_usd 0.0012 for this usage with
		// claude-sonnet-4-5 (testdata/streams/allowed.jsonl).
		{"as the CLI computes it", Usage{InputTokens: 200, OutputTokens: 40}, sonnet, 0.0012},
		{"one million of each", Usage{InputTokens: 1e6, OutputTokens: 1e6, CacheReadTokens: 1e6, CacheWriteTokens: 1e6}, sonnet, 3 + 15 + 3.75 + 0.30},
		{"cache heavy", Usage{InputTokens: 10, OutputTokens: 2000, CacheReadTokens: 150000, CacheWriteTokens: 20000}, opus, (10*5 + 2000*25 + 150000*0.5 + 20000*6.25) / 1e6},
		{"no prices configured", Usage{InputTokens: 1e6}, Prices{}, 0},
	}
	for _, tt := range tests {
		if got := Cost(tt.u, tt.p); math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("%s: Cost = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestUsageAdd(t *testing.T) {
	t.Parallel()
	got := Usage{1, 2, 3, 4}.Add(Usage{10, 20, 30, 40})
	if got != (Usage{11, 22, 33, 44}) {
		t.Errorf("Add = %+v", got)
	}
}
