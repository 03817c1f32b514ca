package stream

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestLineReader(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 300<<10) // longer than bufio's buffer and Scanner's limit
	tests := []struct {
		name  string
		input string
		max   int
		want  []string
		long  int // index of the line expected to be too long, or -1
	}{
		{"lines", "a\nbb\n\nccc\n", MaxLineBytes, []string{"a", "bb", "", "ccc"}, -1},
		{"last line without newline", "a\nbb", MaxLineBytes, []string{"a", "bb"}, -1},
		{"empty", "", MaxLineBytes, nil, -1},
		{"long line", "a\n" + long + "\nz\n", MaxLineBytes, []string{"a", long, "z"}, -1},
		{"too long line is skipped", "a\n" + long + "\nz\n", 100 << 10, []string{"a", long[:ExcerptBytes], "z"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// One byte at a time: lines must not depend on how reads split.
			lr := NewLineReader(iotest.OneByteReader(strings.NewReader(tt.input)))
			lr.max = tt.max
			var got []string
			for i := 0; ; i++ {
				line, err := lr.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				if (i == tt.long) != errors.Is(err, ErrLineTooLong) {
					t.Fatalf("line %d: err = %v", i, err)
				} else if err != nil && !errors.Is(err, ErrLineTooLong) {
					t.Fatal(err)
				}
				got = append(got, string(line))
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d lines, want %d", len(got), len(tt.want))
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("line %d = %.40q (%d bytes), want %.40q (%d bytes)", i, got[i], len(got[i]), tt.want[i], len(tt.want[i]))
				}
			}
		})
	}
}

func TestReadAllReportsReadErrors(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	r := io.MultiReader(strings.NewReader(`{"type":"system","subtype":"init","session_id":"s"}`+"\n"), iotest.ErrReader(boom))
	var evs []Event
	err := NewParser().ReadAll(r, func(e Event) { evs = append(evs, e) })
	if !errors.Is(err, boom) || len(evs) != 1 || evs[0].Kind != KindStarted {
		t.Errorf("err = %v, events = %v; want boom after one started event", err, kinds(evs))
	}
}
