// Package prompts holds the prompt templates of the three session kinds
// (schema validation, brownfield initializer, brownfield coding), embedded in
// the binary and rendered with the workflow's data. A project overrides one by
// putting a file of the same name in .autonomous/prompts/<name>.md.
//
// The templates name exact file paths (.autonomous/feature_list.json, ...):
// the engine reads those files after each session, so an override must keep
// them.
package prompts

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"text/template"
)

// Names of the templates.
const (
	SchemaValidation = "schema_validation"
	Initializer      = "initializer_brownfield"
	Coding           = "coding_brownfield"
)

// Files the templates name and the engine reads, relative to the worktree.
const (
	SpecFile         = ".autonomous/app_spec.txt"
	LedgerFile       = ".autonomous/feature_list.json"
	ProgressFile     = ".autonomous/progress.md"
	InitScript       = ".autonomous/init.sh"
	SchemaResultFile = ".autonomous/schema_validation.json"
	SchemaIndex      = ".schema/_index.md"
)

//go:embed templates/*.md
var embedded embed.FS

// Data is what a template can use.
type Data struct {
	WorkflowID   string
	WorkflowName string
	Session      int    // 1-based number of this session in the workflow
	Branch       string // the workflow's branch
	BaseRef      string

	// SchemaFiles are the architecture docs found (.schema/*.md), for phase 0.
	SchemaFiles []string

	// Ledger figures, for coding sessions.
	Total       int
	Passing     int
	NextFeature string // description of the first failing feature
	NextIndex   int    // its 0-based index in the ledger

	// Note carries what went wrong last time (a failed initializer, a ledger
	// edit that was rejected, a feature that keeps failing), so the next fresh
	// context does not repeat it.
	Note string

	// WebApp is true when the Playwright MCP tools are available.
	WebApp bool
}

// Paths are exposed to templates as .Files.X so that overrides need not
// hard-code them.
type files struct{ Spec, Ledger, Progress, Init, SchemaResult, SchemaIndex string }

type view struct {
	Data
	Files files
}

// Names returns the template names, for listing and validation.
func Names() []string { return []string{SchemaValidation, Initializer, Coding} }

// Render renders template name with data. projectRoot, when not empty, is
// searched for an override in .autonomous/prompts/<name>.md.
func Render(name, projectRoot string, data Data) (string, error) {
	text, source, err := load(name, projectRoot)
	if err != nil {
		return "", err
	}
	tmpl, err := template.New(name).Option("missingkey=error").Parse(text)
	if err != nil {
		return "", fmt.Errorf("prompt %s (%s): %w", name, source, err)
	}
	var buf bytes.Buffer
	v := view{Data: data, Files: files{SpecFile, LedgerFile, ProgressFile, InitScript, SchemaResultFile, SchemaIndex}}
	if err := tmpl.Execute(&buf, v); err != nil {
		return "", fmt.Errorf("prompt %s (%s): %w", name, source, err)
	}
	return buf.String(), nil
}

// Source says where template name comes from: the override's path or "built-in".
func Source(name, projectRoot string) string {
	_, source, _ := load(name, projectRoot)
	return source
}

func load(name, projectRoot string) (text, source string, err error) {
	if !known(name) {
		return "", "", fmt.Errorf("unknown prompt %q (known: %v)", name, Names())
	}
	if projectRoot != "" {
		path := filepath.Join(projectRoot, ".autonomous", "prompts", name+".md")
		b, err := os.ReadFile(path)
		if err == nil {
			return string(b), path, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", "", fmt.Errorf("read prompt override: %w", err)
		}
	}
	b, err := embedded.ReadFile("templates/" + name + ".md")
	if err != nil {
		return "", "", fmt.Errorf("built-in prompt %s: %w", name, err)
	}
	return string(b), "built-in", nil
}

func known(name string) bool {
	for _, n := range Names() {
		if n == name {
			return true
		}
	}
	return false
}
