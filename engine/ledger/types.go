// Package ledger reads the feature ledger (.autonomous/feature_list.json),
// computes progress from it, and guards it against edits that break the rule
// "entries are never removed, reordered or reworded; only passes changes".
//
// The file is a JSON array; array order is priority. Each entry is
//
//	{"category": "...", "description": "...", "steps": ["..."], "passes": false}
//
// and may carry extra fields (such as "id"), which are kept and written back
// after the known ones, sorted by name.
package ledger

import "encoding/json"

// File is where the ledger lives, relative to a worktree's root.
const File = ".autonomous/feature_list.json"

// Feature is one end-to-end test in the ledger. Array order is priority.
// Fields the engine does not know (such as "id") are kept in Extra, each as
// compact JSON, and written back unchanged.
type Feature struct {
	Category    string                     `json:"category"`
	Description string                     `json:"description"`
	Steps       []string                   `json:"steps"`
	Passes      bool                       `json:"passes"`
	Extra       map[string]json.RawMessage `json:"-"`
}

// CategoryProgress is the figure for one category, in order of first appearance.
type CategoryProgress struct {
	Name    string `json:"name" yaml:"name"`
	Total   int    `json:"total" yaml:"total"`
	Passing int    `json:"passing" yaml:"passing"`
}

// Progress is what the editor and the CLI show: totals, per-category figures
// and the feature the next coding session will take.
type Progress struct {
	Total      int                `json:"total" yaml:"total"`
	Passing    int                `json:"passing" yaml:"passing"`
	Percent    float64            `json:"percent" yaml:"percent"`
	Categories []CategoryProgress `json:"categories" yaml:"categories"`
	// CurrentFeature is the description of the first failing feature, empty when all pass.
	CurrentFeature string `json:"currentFeature,omitempty" yaml:"currentFeature,omitempty"`
	// CurrentIndex is the 0-based index of that feature, -1 when all pass.
	CurrentIndex int `json:"currentIndex" yaml:"currentIndex"`
}
