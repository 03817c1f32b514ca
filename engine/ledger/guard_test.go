package ledger

import (
	"encoding/json"
	"reflect"
	"testing"
)

// Entries of a small ledger. Each has its own category, description and
// steps; variants of B change one thing.
var (
	entA = Feature{Category: "auth", Description: "User can sign in", Steps: []string{"open /login", "submit"}}
	entB = Feature{Category: "auth", Description: "User can sign out", Steps: []string{"sign in", "click sign out"}}
	entC = Feature{Category: "todo", Description: "User can add a todo", Steps: []string{"type", "press enter"}}
	entD = Feature{Category: "todo", Description: "User can delete a todo", Steps: []string{"hover", "click trash"}}
	entN = Feature{Category: "todo", Description: "User can rename a todo", Steps: []string{"double click", "type"}}
	entM = Feature{Category: "ui", Description: "Dark mode follows the system", Steps: []string{"set dark", "reload"}}
)

func passing(f Feature) Feature { f.Passes = true; return f }

func withDescription(f Feature, d string) Feature { f.Description = d; return f }

func withCategory(f Feature, c string) Feature { f.Category = c; return f }

func withSteps(f Feature, s ...string) Feature { f.Steps = s; return f }

func withID(f Feature, id string) Feature {
	f.Extra = map[string]json.RawMessage{"id": json.RawMessage(`"` + id + `"`)}
	return f
}

func list(fs ...Feature) []Feature { return fs }

func TestCheck(t *testing.T) {
	t.Parallel()
	v := func(kind string, index, proposed int, field string) Violation {
		return Violation{Kind: kind, Index: index, ProposedIndex: proposed, Field: field}
	}
	tests := []struct {
		name       string
		accepted   []Feature
		proposed   []Feature
		violations []Violation // Msg is checked to be non-empty, not compared
		appended   []int
		flipped    []Flip
	}{
		{name: "unchanged", accepted: list(entA, entB), proposed: list(entA, entB)},
		{name: "flips both ways", accepted: list(entA, passing(entB), entC), proposed: list(passing(entA), entB, entC),
			flipped: []Flip{{0, entA.Description, false, true}, {1, entB.Description, true, false}}},
		{name: "appended", accepted: list(entA, entB), proposed: list(entA, entB, entC, entD), appended: []int{2, 3}},
		{name: "first ledger from the initializer", accepted: nil, proposed: list(entA, entB), appended: []int{0, 1}},
		{name: "extra fields may change", accepted: list(withID(entA, "1")), proposed: list(withID(entA, "2"))},
		{name: "removed in the middle", accepted: list(entA, entB, entC), proposed: list(entA, entC),
			violations: []Violation{v(Removed, 1, -1, "")}},
		{name: "removed at the end", accepted: list(entA, entB, entC), proposed: list(entA, entB),
			violations: []Violation{v(Removed, 2, -1, "")}},
		{name: "all removed", accepted: list(entA, entB), proposed: nil,
			violations: []Violation{v(Removed, 0, -1, ""), v(Removed, 1, -1, "")}},
		{name: "duplicate removed", accepted: list(entA, entA), proposed: list(entA),
			violations: []Violation{v(Removed, 1, -1, "")}},
		{name: "two swapped", accepted: list(entA, entB, entC), proposed: list(entA, entC, entB),
			violations: []Violation{v(Reordered, 1, 2, "")}},
		{name: "moved and flipped", accepted: list(entA, entB, entC), proposed: list(entB, passing(entA), entC),
			violations: []Violation{v(Reordered, 0, 1, "")},
			flipped:    []Flip{{0, entA.Description, false, true}}},
		{name: "description reworded", accepted: list(entA, entB, entC), proposed: list(entA, withDescription(entB, "User can log out"), entC),
			violations: []Violation{v(Changed, 1, 1, "description")}},
		{name: "reworded and flipped: the flip does not count", accepted: list(entA, entB), proposed: list(entA, passing(withDescription(entB, "Sign out works"))),
			violations: []Violation{v(Changed, 1, 1, "description")}},
		{name: "category and steps changed", accepted: list(entA, entB), proposed: list(entA, withSteps(withCategory(entB, "session"), "x")),
			violations: []Violation{v(Changed, 1, 1, "category"), v(Changed, 1, 1, "steps")}},
		{name: "reworded and moved", accepted: list(entA, entB, entC), proposed: list(withDescription(entB, "Log out"), entA, entC),
			violations: []Violation{v(Changed, 1, 0, "description"), v(Reordered, 1, 0, "")}},
		{name: "replaced by an unrelated entry", accepted: list(entA, entB), proposed: list(entA, entN),
			violations: []Violation{v(Removed, 1, -1, "")}, appended: []int{1}},
		{name: "inserted among the accepted", accepted: list(entA, entB), proposed: list(entA, entN, entB, entM),
			violations: []Violation{v(Inserted, -1, 1, "")}, appended: []int{3}},
		{name: "rewrite and a new entry", accepted: list(entA, entB), proposed: list(entA, withDescription(entB, "Log out"), entN),
			violations: []Violation{v(Changed, 1, 1, "description")}, appended: []int{2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := Check(tt.accepted, tt.proposed)
			got := make([]Violation, len(r.Violations))
			for i, v := range r.Violations {
				if v.Msg == "" {
					t.Errorf("violation %+v has no message", v)
				}
				v.Msg = ""
				got[i] = v
			}
			if tt.violations == nil {
				tt.violations = []Violation{}
			}
			if tt.appended == nil {
				tt.appended = []int{}
			}
			if tt.flipped == nil {
				tt.flipped = []Flip{}
			}
			if !reflect.DeepEqual(got, tt.violations) {
				t.Errorf("violations = %+v\nwant %+v", r.Violations, tt.violations)
			}
			if !reflect.DeepEqual(r.Appended, tt.appended) {
				t.Errorf("appended = %v, want %v", r.Appended, tt.appended)
			}
			if !reflect.DeepEqual(r.Flipped, tt.flipped) {
				t.Errorf("flipped = %+v, want %+v", r.Flipped, tt.flipped)
			}
		})
	}
}

func TestViolationMessages(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name               string
		accepted, proposed []Feature
		want               string
	}{
		{"removed", list(entA, entB), list(entA), `entry 2 "User can sign out" was removed; entries must never be removed`},
		{"reordered", list(entA, entB, entC), list(entA, entC, entB), `entry 2 "User can sign out" was moved to position 3; entries must keep their order`},
		{"description", list(entB), list(withDescription(entB, "Log out")), `entry 1 "User can sign out": description changed to "Log out"; only passes may change`},
		{"category", list(entB), list(withCategory(entB, "session")), `entry 1 "User can sign out": category changed from "auth" to "session"; only passes may change`},
		{"inserted", list(entA, entB), list(entN, entA, entB), `new entry "User can rename a todo" was inserted at position 1 among the accepted entries; new entries must be appended at the end`},
	}
	for _, tt := range tests {
		r := Check(tt.accepted, tt.proposed)
		if len(r.Violations) != 1 || r.Violations[0].Msg != tt.want {
			t.Errorf("%s: violations %+v\nwant one with message %s", tt.name, r.Violations, tt.want)
		}
	}
}

func TestRepair(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name               string
		accepted, proposed []Feature
		want               []Feature
	}{
		{"removed entry comes back, flips elsewhere are kept",
			list(entA, entB, entC), list(passing(entA), passing(entC)),
			list(passing(entA), entB, passing(entC))},
		{"order restored with the flip of the moved entry",
			list(entA, entB, entC), list(passing(entB), entA, entC),
			list(entA, passing(entB), entC)},
		{"rewrite rejected, its flip too",
			list(entA, entB, entC), list(entA, passing(withDescription(entB, "Log out")), passing(entC)),
			list(entA, entB, passing(entC))},
		{"inserted and appended entries kept at the end in proposed order",
			list(entA, entB), list(entA, entN, passing(entB), entM),
			list(entA, passing(entB), entN, entM)},
		{"unrelated replacement kept as a new entry",
			list(entA, entB), list(entA, entN),
			list(entA, entB, entN)},
		{"accepted extra fields kept",
			list(withID(entA, "1"), entB), list(entB, passing(withID(entA, "2"))),
			list(passing(withID(entA, "1")), entB)},
		{"duplicates matched one for one; the missing copy keeps its accepted passes",
			list(entA, passing(entA), entB), list(entB, passing(entA)),
			list(passing(entA), passing(entA), entB)},
		{"no violations: the proposed ledger",
			list(entA, entB), list(passing(entA), entB, entC),
			list(passing(entA), entB, entC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Repair(tt.accepted, tt.proposed)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Repair =\n%+v\nwant\n%+v", got, tt.want)
			}
			if r := Check(tt.accepted, got); len(r.Violations) != 0 {
				t.Errorf("the repaired ledger still has violations: %+v", r.Violations)
			}
		})
	}
}

func TestRepairDoesNotShareMemory(t *testing.T) {
	t.Parallel()
	// Fresh entries: a failure here must not corrupt the shared ones.
	a := func() Feature {
		return withID(Feature{Category: "c", Description: "d", Steps: []string{"open /login"}}, "1")
	}
	accepted := list(a())
	proposed := list(Feature{Category: "c", Description: "n", Steps: []string{"double click"}}, a())
	got := Repair(accepted, proposed)
	got[0].Steps[0] = "changed"
	got[0].Extra["id"] = json.RawMessage(`"changed"`)
	got[1].Steps[0] = "changed"
	if accepted[0].Steps[0] != "open /login" || string(accepted[0].Extra["id"]) != `"1"` || proposed[0].Steps[0] != "double click" {
		t.Error("editing the repaired ledger changed its inputs")
	}
}
