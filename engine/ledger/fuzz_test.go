package ledger

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"
)

func FuzzParse(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("..", "..", "testdata", "ledger", "*.json"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seed ledgers in testdata/ledger: %v", err)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`[]`))
	f.Add([]byte("\xef\xbb\xbf[{\"category\":\"c\\u00e9\",\"description\":\"d\\ud83d\\ude00\",\"steps\":[\"\\n\"],\"passes\":true,\"x\":[1e5,{\"y\":null}]}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		features, lines, err := ParseWithLines(data)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a *ParseError", err)
			}
			if pe.Line < 1 || pe.Column < 1 || pe.Offset < 0 || pe.Offset > len(data) || pe.Msg == "" {
				t.Fatalf("error without a usable position: %+v", pe)
			}
			return
		}
		if len(lines) != len(features) {
			t.Fatalf("%d lines for %d features", len(lines), len(features))
		}
		checkAgainstEncodingJSON(t, data, features)
		out, err := Marshal(features)
		if err != nil {
			t.Fatalf("Marshal of a parsed ledger: %v", err)
		}
		again, err := Parse(out)
		if err != nil {
			t.Fatalf("Parse of written ledger: %v\n%s", err, out)
		}
		if !reflect.DeepEqual(again, features) {
			t.Fatalf("round trip changed the ledger:\n%#v\n%#v", features, again)
		}
		if out2, _ := Marshal(again); !bytes.Equal(out, out2) {
			t.Fatalf("writing is not stable:\n%s\n%s", out, out2)
		}
		_ = Compute(features)
	})
}

// ledgerFrom builds a ledger from fuzz bytes, two bytes an entry, out of a
// small vocabulary so that identities repeat and collide the way edits do.
func ledgerFrom(b []byte) []Feature {
	cats := []string{"auth", "todo", "ui", "api"}
	descs := []string{"sign in", "sign out", "add", "delete", "rename", "dark mode", "export", "import"}
	steps := [][]string{nil, {"open"}, {"open", "click"}, {"click"}}
	var fs []Feature
	for i := 0; i+1 < len(b); i += 2 {
		x, y := b[i], b[i+1]
		f := Feature{Category: cats[x&3], Description: descs[(x>>2)&7], Steps: steps[y&3], Passes: y&4 != 0}
		if y&8 != 0 {
			f.Extra = map[string]json.RawMessage{"id": json.RawMessage(strconv.Itoa(int(y >> 4)))}
		}
		fs = append(fs, f)
	}
	return fs
}

func FuzzGuard(f *testing.F) {
	f.Add([]byte{}, []byte{})
	f.Add([]byte{0, 0, 4, 1, 8, 2}, []byte{0, 4, 4, 1, 8, 2, 12, 3})     // flips and an append
	f.Add([]byte{0, 0, 4, 1, 8, 2}, []byte{8, 2, 0, 0, 4, 1})            // moved
	f.Add([]byte{0, 0, 4, 1, 8, 2}, []byte{0, 0, 5, 1, 8, 2})            // category changed
	f.Add([]byte{0, 0, 4, 1, 8, 2}, []byte{0, 0, 8, 6})                  // removed, flipped
	f.Add([]byte{0, 0, 0, 0, 4, 1}, []byte{0, 4, 28, 1, 4, 1, 0, 0})     // duplicates, insert
	f.Add([]byte{1, 9, 2, 25, 3, 41}, []byte{2, 29, 1, 13, 3, 45, 4, 0}) // extras
	f.Fuzz(func(t *testing.T, a, b []byte) {
		// Up to 64 entries a side: enough for every shape of edit, and
		// small enough to keep the fuzzer fast.
		a, b = a[:min(len(a), 128)], b[:min(len(b), 128)]
		accepted, proposed := ledgerFrom(a), ledgerFrom(b)

		if r := Check(accepted, accepted); len(r.Violations)+len(r.Appended)+len(r.Flipped) != 0 {
			t.Fatalf("a ledger checked against itself: %+v", r)
		}
		report := Check(accepted, proposed)
		repaired := Repair(accepted, proposed)
		if r := Check(accepted, repaired); len(r.Violations) != 0 {
			t.Fatalf("repaired ledger has violations %+v\naccepted %+v\nrepaired %+v", r.Violations, accepted, repaired)
		}
		// Nothing accepted is lost or rewritten, extra fields included.
		for i := range accepted {
			got, want := repaired[i], accepted[i]
			got.Passes = want.Passes
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("repaired entry %d = %+v, want %+v", i, repaired[i], accepted[i])
			}
		}
		// Legitimate flips are not lost.
		for _, fl := range report.Flipped {
			if repaired[fl.Index].Passes != fl.To {
				t.Fatalf("flip %+v lost in repair", fl)
			}
		}
		// Appended entries survive, in order, after the accepted ones.
		tail := repaired[len(accepted):]
		k := 0
		for _, j := range report.Appended {
			for k < len(tail) && !reflect.DeepEqual(tail[k], proposed[j]) {
				k++
			}
			if k == len(tail) {
				t.Fatalf("appended entry %d missing from the repair", j)
			}
			k++
		}
		if len(report.Violations) == 0 {
			if len(repaired) != len(proposed) {
				t.Fatalf("nothing to repair, yet the repair has %d entries for %d", len(repaired), len(proposed))
			}
			for j := range proposed {
				if !sameIdentity(&repaired[j], &proposed[j]) || repaired[j].Passes != proposed[j].Passes {
					t.Fatalf("nothing to repair, yet entry %d changed: %+v -> %+v", j, proposed[j], repaired[j])
				}
			}
		}
		for _, v := range report.Violations {
			if v.Msg == "" || (v.Index < 0 && v.ProposedIndex < 0) || v.Index >= len(accepted) || v.ProposedIndex >= len(proposed) {
				t.Fatalf("malformed violation %+v", v)
			}
		}
	})
}
