package protocol

import "encoding/json"

// Arguments of the commands. A client sends one JSON object as
// arguments[0]; the server decodes it strictly: an unknown field, a field of
// the wrong type or a missing required one (tagged required:"true", or
// required:"present" where null is a value) is refused with InvalidParams
// naming the field.
//
// Folder, where a command takes it, picks the workspace folder (a path or a
// file:// URI). Without it, a command on a workflow uses the folder holding
// that workflow, and other commands the only folder open.

// FolderArgs are the arguments of commands that act on a whole folder
// (workflow.list, models.list, config.get, doctor).
type FolderArgs struct {
	Folder string `json:"folder,omitempty"`
}

// CreateArgs are the arguments of autonomous.workflow.create. The spec is
// given as text or as a Markdown or text file inside the workspace, not both.
type CreateArgs struct {
	Name     string `json:"name" required:"true"`
	Spec     string `json:"spec,omitempty"`
	SpecPath string `json:"specPath,omitempty"`
	BaseRef  string `json:"baseRef,omitempty"` // default HEAD
	Model    string `json:"model,omitempty"`   // default from config
	Folder   string `json:"folder,omitempty"`
}

// WorkflowArgs name one workflow (workflow.get, pause, resume, stop, spec.get).
type WorkflowArgs struct {
	ID     string `json:"id" required:"true"`
	Folder string `json:"folder,omitempty"`
}

// StartArgs are the arguments of autonomous.workflow.start.
type StartArgs struct {
	ID     string `json:"id" required:"true"`
	Model  string `json:"model,omitempty"` // run with another configured model from now on
	Folder string `json:"folder,omitempty"`
}

// DeleteArgs are the arguments of autonomous.workflow.delete.
type DeleteArgs struct {
	ID string `json:"id" required:"true"`
	// DeleteBranch also deletes the branch autonomous/<id>, when it is
	// merged into its base; an unmerged branch is always kept.
	DeleteBranch bool   `json:"deleteBranch,omitempty"`
	Folder       string `json:"folder,omitempty"`
}

// ValidateArgs are the arguments of autonomous.schema.validate. With an id, a
// schema-validation session runs for that workflow; without, the latest
// results of the folder's workflows are published again as diagnostics.
type ValidateArgs struct {
	ID     string `json:"id,omitempty"`
	Folder string `json:"folder,omitempty"`
}

// SpecSaveArgs are the arguments of autonomous.spec.save.
type SpecSaveArgs struct {
	ID     string `json:"id" required:"true"`
	Text   string `json:"text" required:"true"`
	Folder string `json:"folder,omitempty"`
}

// SpecImportArgs are the arguments of autonomous.spec.import. Path is
// relative to the folder, absolute, or a file:// URI, and must be inside the
// workspace folder.
type SpecImportArgs struct {
	ID     string `json:"id" required:"true"`
	Path   string `json:"path" required:"true"`
	Folder string `json:"folder,omitempty"`
}

// LogTailArgs are the arguments of autonomous.log.tail.
type LogTailArgs struct {
	ID     string `json:"id" required:"true"`
	Limit  int    `json:"limit,omitempty"` // default DefaultLogTail, at most MaxLogTail
	Folder string `json:"folder,omitempty"`
}

// Bounds of autonomous.log.tail.
const (
	DefaultLogTail = 200
	MaxLogTail     = 2000
)

// RuntimeInstallArgs are the arguments of autonomous.runtime.install.
type RuntimeInstallArgs struct {
	Version string `json:"version,omitempty"` // default: the configured runtimeVersion
	Folder  string `json:"folder,omitempty"`
}

// ConfigUpdateArgs are the arguments of autonomous.config.update. Value is
// any JSON value; null removes the key, so that the layer below applies.
type ConfigUpdateArgs struct {
	Key   string          `json:"key" required:"true"`
	Value json.RawMessage `json:"value" required:"present"`
	// Scope is "project" (the folder's .autonomous/config.yaml, the default)
	// or "global" (config.yaml in the user's autonomous home).
	Scope  string `json:"scope,omitempty"`
	Folder string `json:"folder,omitempty"`
}

// Config scopes.
const (
	ScopeProject = "project"
	ScopeGlobal  = "global"
)
