package workflow

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// legal is the state machine as the brief states it, written out pair by
// pair so the test does not share a table with the code under test.
var legal = map[[2]Status]bool{
	{Pending, Running}: true, {Pending, Stopped}: true, {Pending, Failed}: true,
	{Running, Paused}: true, {Running, Waiting}: true, {Running, Stuck}: true,
	{Running, Completed}: true, {Running, Stopped}: true, {Running, Failed}: true,
	{Paused, Running}: true, {Paused, Stopped}: true, {Paused, Failed}: true,
	{Waiting, Running}: true, {Waiting, Paused}: true, {Waiting, Stopped}: true, {Waiting, Failed}: true,
	{Stuck, Running}: true, {Stuck, Stopped}: true,
	{Stopped, Running}: true,
	{Failed, Running}:  true,
}

func TestTransitionEveryPair(t *testing.T) {
	t.Parallel()
	created := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	now := created.Add(time.Hour)
	all := append(Statuses(), Status("bogus"))
	for _, from := range all {
		for _, to := range all {
			t.Run(string(from)+"->"+string(to), func(t *testing.T) {
				w := fullWorkflow("w1")
				w.Status = from
				before := *w
				err := w.Transition(to, "because", now)
				want := legal[[2]Status{from, to}]
				if CanTransition(from, to) != want {
					t.Errorf("CanTransition(%s, %s) = %v, want %v", from, to, !want, want)
				}
				if !want {
					var te *TransitionError
					if !errors.As(err, &te) || te.ID != "w1" || te.From != from || te.To != to {
						t.Fatalf("got error %v, want *TransitionError{w1, %s, %s}", err, from, to)
					}
					for _, part := range []string{"w1", string(from), string(to)} {
						if !strings.Contains(err.Error(), part) {
							t.Errorf("message %q does not name %q", err, part)
						}
					}
					if !reflect.DeepEqual(*w, before) {
						t.Errorf("illegal transition changed the workflow:\n got %+v\nwant %+v", *w, before)
					}
					return
				}
				if err != nil {
					t.Fatalf("legal transition refused: %v", err)
				}
				if w.Status != to || w.Reason != "because" || !w.UpdatedAt.Equal(now) {
					t.Errorf("after transition: status %s reason %q updated %v", w.Status, w.Reason, w.UpdatedAt)
				}
			})
		}
	}
}

func TestTransitionKeepsStateFieldsHonest(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	w := &Workflow{ID: "w1", Status: Pending}
	mustTransition(t, w, Running, t0)
	if w.StartedAt == nil || !w.StartedAt.Equal(t0) {
		t.Fatalf("first run: StartedAt = %v, want %v", w.StartedAt, t0)
	}
	until := t0.Add(time.Hour)
	w.WaitUntil = &until
	mustTransition(t, w, Waiting, t0.Add(time.Minute))
	if w.WaitUntil == nil {
		t.Fatal("entering waiting dropped WaitUntil")
	}
	mustTransition(t, w, Running, t0.Add(2*time.Minute))
	if w.WaitUntil != nil {
		t.Errorf("leaving waiting kept WaitUntil %v", w.WaitUntil)
	}
	if !w.StartedAt.Equal(t0) {
		t.Errorf("second run moved StartedAt to %v", w.StartedAt)
	}
	w.StuckFeature = "login works"
	mustTransition(t, w, Stuck, t0.Add(3*time.Minute))
	if w.StuckFeature != "login works" {
		t.Fatal("entering stuck dropped StuckFeature")
	}
	mustTransition(t, w, Running, t0.Add(4*time.Minute))
	if w.StuckFeature != "" {
		t.Errorf("leaving stuck kept StuckFeature %q", w.StuckFeature)
	}
}

func mustTransition(t *testing.T, w *Workflow, to Status, now time.Time) {
	t.Helper()
	if err := w.Transition(to, "test", now); err != nil {
		t.Fatal(err)
	}
}

func TestStatusPredicates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		s                       Status
		valid, terminal, active bool
	}{
		{Pending, true, false, false},
		{Running, true, false, true},
		{Paused, true, false, false},
		{Waiting, true, false, true},
		{Stuck, true, false, false},
		{Completed, true, true, false},
		{Stopped, true, false, false},
		{Failed, true, false, false},
		{"", false, false, false},
		{"RUNNING", false, false, false},
	}
	for _, tt := range tests {
		if tt.s.Valid() != tt.valid || tt.s.Terminal() != tt.terminal || tt.s.Active() != tt.active {
			t.Errorf("%q: valid %v terminal %v active %v, want %v %v %v",
				tt.s, tt.s.Valid(), tt.s.Terminal(), tt.s.Active(), tt.valid, tt.terminal, tt.active)
		}
	}
}

func TestAddSessionUpdatesTotals(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	w := &Workflow{ID: "w1"}
	w.AddSession(Session{Number: 1, StartedAt: t0, EndedAt: t0.Add(90 * time.Second), CostUSD: 0.25, InputTokens: 100, OutputTokens: 10, CacheReadTokens: 5})
	w.AddSession(Session{Number: 2, StartedAt: t0, EndedAt: t0.Add(1500 * time.Millisecond), CostUSD: 0.5, InputTokens: 1, OutputTokens: 2})
	w.AddSession(Session{Number: 3, StartedAt: t0}) // still running: no duration yet
	want := Totals{CostUSD: 0.75, Sessions: 3, DurationMs: 91500, InputTokens: 101, OutputTokens: 12}
	if w.Totals != want {
		t.Errorf("totals %+v, want %+v", w.Totals, want)
	}
	if len(w.Sessions) != 3 || w.Sessions[2].Number != 3 {
		t.Errorf("sessions not appended in order: %+v", w.Sessions)
	}
}
