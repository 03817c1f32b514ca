package protocol

import "time"

// Results of the commands. autonomous.workflow.create, get, start and resume
// return the workflow's full record, the same JSON as `autonomous workflow
// show --json` (see engine/workflow.Workflow); autonomous.config.get returns
// the configuration in force as `autonomous` reads it from config.yaml, in
// JSON.

// WorkflowSummary is one row of autonomous.workflow.list.
type WorkflowSummary struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Status   string   `json:"status"`
	Phase    string   `json:"phase"`
	Reason   string   `json:"reason,omitempty"`
	Model    string   `json:"model"`
	Progress Progress `json:"progress"`
	CostUSD  float64  `json:"costUsd"`
	// Sessions is how many agent sessions have run.
	Sessions  int       `json:"sessions"`
	Branch    string    `json:"branch"`
	Worktree  string    `json:"worktree"`
	Folder    string    `json:"folder"` // the project root
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// Progress is a workflow's feature ledger in figures.
type Progress struct {
	Total      int                `json:"total"`
	Passing    int                `json:"passing"`
	Percent    float64            `json:"percent"` // 0-100, one decimal
	Categories []CategoryProgress `json:"categories"`
	// CurrentFeature is the first failing feature, which the next coding session takes.
	CurrentFeature string `json:"currentFeature,omitempty"`
}

// CategoryProgress is the figure of one category, in ledger order.
type CategoryProgress struct {
	Name    string `json:"name"`
	Total   int    `json:"total"`
	Passing int    `json:"passing"`
}

// ControlResult answers pause and stop.
type ControlResult struct {
	ID      string `json:"id"`
	Message string `json:"message"` // what happened, such as "stop requested"
}

// DeleteResult answers autonomous.workflow.delete.
type DeleteResult struct {
	ID string `json:"id"`
	// BranchKept is the workflow's branch when it was kept (not asked to
	// delete it, or not merged); "" when it was deleted.
	BranchKept string `json:"branchKept,omitempty"`
	Message    string `json:"message"`
}

// SpecResult answers autonomous.spec.get, save and import.
type SpecResult struct {
	ID   string `json:"id"`
	URI  string `json:"uri"`  // the spec file in the workflow's worktree
	Path string `json:"path"` // the same, as a path
	Text string `json:"text,omitempty"`
}

// ValidateResult answers autonomous.schema.validate.
type ValidateResult struct {
	// Started is the workflow whose validation session was started, "" when
	// only the latest results were published again.
	Started string          `json:"started,omitempty"`
	Results []SchemaSummary `json:"results"`
}

// SchemaSummary counts one workflow's latest discrepancies.
type SchemaSummary struct {
	WorkflowID  string    `json:"workflowId"`
	ValidatedAt time.Time `json:"validatedAt,omitzero"`
	Errors      int       `json:"errors"`
	Warnings    int       `json:"warnings"`
	Infos       int       `json:"infos"`
	Problem     string    `json:"problem,omitempty"` // why the result could not be read
}

// ModelsResult answers autonomous.models.list.
type ModelsResult struct {
	Models  []Model `json:"models"`
	Default string  `json:"default"` // the model new workflows get
}

// Model is a configured model.
type Model struct {
	ID     string `json:"id"`
	Label  string `json:"label"`
	Prices Prices `json:"prices"`
}

// Prices are in USD per million tokens.
type Prices struct {
	Input      float64 `json:"input"`
	Output     float64 `json:"output"`
	CacheWrite float64 `json:"cacheWrite"`
	CacheRead  float64 `json:"cacheRead"`
}

// RuntimeStatus answers autonomous.runtime.status.
type RuntimeStatus struct {
	Installed      bool      `json:"installed"`
	Package        string    `json:"package"`
	Version        string    `json:"version,omitempty"`
	DefaultVersion string    `json:"defaultVersion"`
	Path           string    `json:"path"`
	InstalledAt    time.Time `json:"installedAt,omitzero"`
	Problem        string    `json:"problem,omitempty"`
	// Installing is true while an install started by this server runs.
	Installing bool `json:"installing,omitempty"`
}

// RuntimeInstallResult answers autonomous.runtime.install, which returns as
// soon as the install is accepted: npm's progress follows as $/progress (when
// the client supports it; cancelling it stops the install) and a
// window/showMessage says how it ended.
type RuntimeInstallResult struct {
	Version string `json:"version"`
}

// ConfigUpdateResult answers autonomous.config.update.
type ConfigUpdateResult struct {
	File string `json:"file"` // the config file written
	Key  string `json:"key"`
}

// DoctorResult answers autonomous.doctor.
type DoctorResult struct {
	Passed bool          `json:"passed"` // no required check failed
	Checks []DoctorCheck `json:"checks"`
}

// DoctorCheck is one row of the doctor's report.
type DoctorCheck struct {
	Name     string `json:"name"`
	Status   string `json:"status"` // ok, warn or fail
	Required bool   `json:"required"`
	Detail   string `json:"detail"`
	Fix      string `json:"fix,omitempty"`
}
