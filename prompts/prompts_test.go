package prompts

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The engine reads these files after each session; a template that stops
// naming them breaks the workflow silently, so each must appear verbatim.
func TestTemplatesNameTheFilesTheEngineReads(t *testing.T) {
	data := Data{WorkflowID: "shop-abc123", WorkflowName: "Shop", Session: 3, Branch: "autonomous/shop-abc123",
		SchemaFiles: []string{".schema/_index.md"}, Total: 10, Passing: 4, NextFeature: "Cart total", NextIndex: 4}
	cases := []struct {
		name string
		want []string
	}{
		{SchemaValidation, []string{SchemaResultFile, ".schema/_index.md", "1-based", "read-only", "phase 0"}},
		{Initializer, []string{SpecFile, LedgerFile, InitScript, ProgressFile, `"passes": false`, "git commit", "phase 1"}},
		{Coding, []string{SpecFile, LedgerFile, ProgressFile, InitScript, "Cart total", "4 of 10", "git commit", "coding session", "**only** the `passes` field"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := Render(c.name, "", data)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range c.want {
				if !strings.Contains(out, w) {
					t.Errorf("rendered %s lacks %q", c.name, w)
				}
			}
			if strings.Contains(out, "<no value>") {
				t.Errorf("rendered %s has an unfilled field", c.name)
			}
		})
	}
}

func TestNoteAndWebAppSections(t *testing.T) {
	plain, err := Render(Coding, "", Data{Session: 2})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(plain, "Playwright") || strings.Contains(plain, "Note from the engine") {
		t.Error("optional sections must be absent when not asked for")
	}
	rich, err := Render(Coding, "", Data{Session: 2, WebApp: true, Note: "Your last edit reworded entry 3; it was restored."})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"Playwright MCP", "entry 3; it was restored"} {
		if !strings.Contains(rich, w) {
			t.Errorf("rendered prompt lacks %q", w)
		}
	}
	retry, err := Render(Initializer, "", Data{Note: "feature_list.json was not valid JSON"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(retry, "previous attempt") || !strings.Contains(retry, "not valid JSON") {
		t.Error("a retried initializer must be told what went wrong")
	}
}

func TestProjectOverride(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, ".autonomous", "prompts")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	override := filepath.Join(dir, Coding+".md")
	if err := os.WriteFile(override, []byte("Custom session {{.Session}} for {{.Files.Ledger}}"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := Render(Coding, root, Data{Session: 7})
	if err != nil {
		t.Fatal(err)
	}
	if out != "Custom session 7 for .autonomous/feature_list.json" {
		t.Errorf("override not used: %q", out)
	}
	if Source(Coding, root) != override || Source(Initializer, root) != "built-in" {
		t.Error("Source must name the override for overridden prompts only")
	}

	// A broken override is an error naming the file, not a silent fallback.
	if err := os.WriteFile(override, []byte("{{.Nope}}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Render(Coding, root, Data{}); err == nil || !strings.Contains(err.Error(), override) {
		t.Errorf("want an error naming %s, got %v", override, err)
	}
}

func TestUnknownPrompt(t *testing.T) {
	if _, err := Render("nope", "", Data{}); err == nil || !strings.Contains(err.Error(), "unknown prompt") {
		t.Errorf("got %v", err)
	}
}
