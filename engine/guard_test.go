package engine

import (
	"testing"

	"github.com/autonomous-coding/autonomous/engine/ledger"
)

// An agent that renames a test beyond recognition (new description and new
// steps) and marks the new copy passing must not gain progress from it: the
// accepted entry comes back failing and the copy enters failing.
func TestRepairLedgerRenamedEntryGainsNothing(t *testing.T) {
	accepted := []ledger.Feature{
		{Category: "functional", Description: "search by name", Steps: []string{"GET /api/items?q=pen"}},
		{Category: "functional", Description: "reject negative stock", Steps: []string{"PATCH stock -5", "expect 409"}},
	}
	proposed := []ledger.Feature{
		{Category: "functional", Description: "search by name", Steps: []string{"GET /api/items?q=pen"}, Passes: true},
		{Category: "functional", Description: "stock can be changed", Steps: []string{"PATCH stock +1"}, Passes: true},
	}
	if report := ledger.Check(accepted, proposed); len(report.Violations) == 0 {
		t.Fatal("the rename must be a violation")
	}
	got := repairLedger(accepted, proposed)
	if len(got) < 2 || !got[0].Passes || got[1].Passes || got[1].Description != "reject negative stock" {
		t.Fatalf("repaired ledger %+v: want the accepted entries, the legitimate flip kept, the renamed one failing", got)
	}
	prog := ledger.Compute(got)
	if prog.Passing != 1 {
		t.Errorf("progress after repair: %d passing, want 1 (the rename gains nothing): %+v", prog.Passing, got)
	}
	if report := ledger.Check(accepted, got); len(report.Violations) != 0 {
		t.Errorf("the repaired ledger must satisfy the guard: %+v", report.Violations)
	}
}
