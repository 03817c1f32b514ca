package events

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/autonomous-coding/autonomous/engine/ledger"
)

func drain(t *testing.T, s *Subscription) []Event {
	t.Helper()
	var out []Event
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		e, err := s.Next(ctx)
		cancel()
		if err != nil {
			return out
		}
		out = append(out, e)
	}
}

func TestSlowSubscriberGetsCoalescedProgressAndDropCount(t *testing.T) {
	bus := NewBus()
	slow := bus.Subscribe(3)
	fast := bus.Subscribe(1000)
	defer slow.Close()
	defer fast.Close()

	bus.Publish(Event{Kind: KindState, WorkflowID: "w", State: &State{Status: "running"}})
	for i := 0; i < 10; i++ {
		bus.Publish(Event{Kind: KindLog, WorkflowID: "w", Log: &LogEntry{Text: "line", Session: 2, File: "s.jsonl"}})
		bus.Publish(Event{Kind: KindProgress, WorkflowID: "w", Progress: &ledger.Progress{Total: 10, Passing: i}})
	}
	bus.Publish(Event{Kind: KindState, WorkflowID: "w", State: &State{Status: "completed"}})

	got := drain(t, slow)
	var logs, progress, states, dropped int
	var lastPassing int
	for _, e := range got {
		switch e.Kind {
		case KindLog:
			logs++
		case KindProgress:
			progress++
			lastPassing = e.Progress.Passing
		case KindState:
			states++
		case KindLogDropped:
			dropped += e.Dropped
			if e.Log == nil || e.Log.File != "s.jsonl" {
				t.Errorf("drop notice should point at the session log, got %+v", e.Log)
			}
		}
	}
	if logs != 3 || dropped != 7 {
		t.Errorf("slow subscriber: %d log entries and %d dropped, want 3 and 7", logs, dropped)
	}
	if progress != 1 || lastPassing != 9 {
		t.Errorf("slow subscriber: %d progress events (last passing %d), want 1 with the latest figures (9)", progress, lastPassing)
	}
	if states != 2 {
		t.Errorf("state changes must never be dropped: got %d, want 2", states)
	}
	if n := len(drain(t, fast)); n != 2+10+1 {
		t.Errorf("fast subscriber got %d events, want 13 (progress still coalesces while undelivered)", n)
	}
}

func TestPublishNeverBlocks(t *testing.T) {
	bus := NewBus()
	s := bus.Subscribe(10)
	defer s.Close()
	done := make(chan struct{})
	go func() {
		for i := 0; i < 100000; i++ {
			bus.Publish(Event{Kind: KindLog, WorkflowID: "w", Log: &LogEntry{Text: "x"}})
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("publishing to a subscriber that never reads blocked")
	}
}

func TestCloseEndsNext(t *testing.T) {
	bus := NewBus()
	s := bus.Subscribe(10)
	bus.Publish(Event{Kind: KindAlert, Alert: &Alert{Level: "info", Message: "hi"}})
	s.Close()
	bus.Publish(Event{Kind: KindAlert, Alert: &Alert{Level: "info", Message: "after close"}})
	e, err := s.Next(context.Background())
	if err != nil || e.Alert.Message != "hi" {
		t.Fatalf("queued event must still be delivered after Close: %v %v", e, err)
	}
	if _, err := s.Next(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("want ErrClosed, got %v", err)
	}
}

func BenchmarkPublishTwoSubscribers(b *testing.B) {
	bus := NewBus()
	s1, s2 := bus.Subscribe(1000), bus.Subscribe(1000)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for {
			if _, err := s1.Next(ctx); err != nil {
				return
			}
		}
	}()
	e := Event{Kind: KindLog, WorkflowID: "w", Log: &LogEntry{Text: "a log line of ordinary length"}}
	b.ReportAllocs()
	for b.Loop() {
		bus.Publish(e)
	}
	s2.Close()
}
