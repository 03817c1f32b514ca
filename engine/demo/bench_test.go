package demo

import (
	"path/filepath"
	"strconv"
	"testing"

	"github.com/autonomous-coding/autonomous/orchestrator/scriptedmodel"
)

// What `autonomous demo` spends before the first session: writing the project
// (every file fsynced) and parsing the scenario.
func BenchmarkWriteProject(b *testing.B) {
	root := b.TempDir()
	i := 0
	for b.Loop() {
		i++
		if err := WriteProject(filepath.Join(root, strconv.Itoa(i))); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseScenario(b *testing.B) {
	data := Scenario()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := scriptedmodel.ParseScenario(data); err != nil {
			b.Fatal(err)
		}
	}
}
