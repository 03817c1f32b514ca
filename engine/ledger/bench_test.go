package ledger

import (
	"fmt"
	"strconv"
	"testing"
)

// realisticLedger renders n entries shaped like the ones the initializer
// writes: a sentence of description and four steps, about 450 bytes each.
func realisticLedger(tb testing.TB, n int) ([]Feature, []byte) {
	tb.Helper()
	features := make([]Feature, n)
	for i := range features {
		features[i] = Feature{
			Category:    "category-" + strconv.Itoa(i/50),
			Description: fmt.Sprintf("User can open the settings page and change option number %d, and the change persists after a reload", i),
			Steps: []string{
				"Navigate to http://localhost:5173 and sign in as the demo user",
				"Click the settings button in the top bar",
				fmt.Sprintf("Change option %d and press save", i),
				"Reload the page and verify the option is still set",
			},
			Passes: i%3 == 0,
		}
	}
	data, err := Marshal(features)
	if err != nil {
		tb.Fatal(err)
	}
	return features, data
}

func BenchmarkParseCompute(b *testing.B) {
	for _, n := range []int{200, 10000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			_, data := realisticLedger(b, n)
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				features, err := Parse(data)
				if err != nil {
					b.Fatal(err)
				}
				if p := Compute(features); p.Total != n {
					b.Fatalf("total %d", p.Total)
				}
			}
		})
	}
}

func BenchmarkCheck(b *testing.B) {
	accepted, _ := realisticLedger(b, 10000)
	flipped := Repair(accepted, accepted)
	for i := range flipped {
		flipped[i].Passes = true
	}
	swapped := Repair(accepted, accepted)
	swapped[10], swapped[9000] = swapped[9000], swapped[10]
	// Every description reworded, every entry with the same steps: the
	// worst case for pairing rewrites with their originals.
	sameSteps := Repair(accepted, accepted)
	for i := range sameSteps {
		sameSteps[i].Steps = []string{"open the app"}
	}
	rewritten := Repair(sameSteps, sameSteps)
	for i := range rewritten {
		rewritten[i].Description += " (reworded)"
	}
	for _, c := range []struct {
		name               string
		accepted, proposed []Feature
	}{{"10000-flips", accepted, flipped}, {"10000-swapped", accepted, swapped}, {"10000-all-rewritten", sameSteps, rewritten}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Check(c.accepted, c.proposed)
			}
		})
	}
}
