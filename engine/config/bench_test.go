package config

import (
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkLoad measures what the bash hook pays on every command the agent
// runs: loading the global and the project config.
func BenchmarkLoad(b *testing.B) {
	home, root := b.TempDir(), b.TempDir()
	writeFileB(b, GlobalFile(home), "version: 2\nmodels:\n  - id: gateway\n    prices: {input: 1, output: 2}\nmcp:\n  servers:\n    - {name: docs, command: npx, args: [-y, docs-mcp]}\nsecurity:\n  allow: [make, cargo]\n")
	writeFileB(b, ProjectFile(root), commented)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load(home, root); err != nil {
			b.Fatal(err)
		}
	}
}

func writeFileB(b *testing.B, path, content string) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		b.Fatal(err)
	}
}
