// Package protocol is the wire contract between `autonomous lsp` and the
// editors: the commands the server executes through workspace/executeCommand,
// their arguments and results, and the autonomous/* notifications it sends.
// The editors know nothing but this package's shapes; the server (package
// lsp) fills them from the engine.
//
// Standard LSP messages ($/progress, publishDiagnostics, codeLens, ...) use
// the types of github.com/tliron/glsp/protocol_3_16.
package protocol

// Command is one command of workspace/executeCommand. Commands returns the
// whole list; it is the single source of truth that the server advertises,
// the VS Code extension lists in its package.json, and the Neovim plugin maps
// to :Autonomous subcommands. Tests compare them.
type Command struct {
	// ID is what the client sends as the command, such as "autonomous.workflow.create".
	ID string `json:"id"`
	// Title is the command palette title (VS Code shows it under the
	// category "Autonomous").
	Title string `json:"title"`
	// Subcommand is the Neovim :Autonomous subcommand that runs it; "" when
	// the plugin calls the command on the user's behalf instead (spec.save on
	// :write, config.get, ...).
	Subcommand string `json:"subcommand,omitempty"`
	// NeedsWorkflow means the command takes a workflow id: editors ask for it
	// with a picker when invoked without arguments.
	NeedsWorkflow bool `json:"needsWorkflow,omitempty"`
	// Background means the command returns once the work is accepted; what
	// follows arrives as notifications.
	Background bool `json:"background,omitempty"`
	// Summary says what it does, for help texts.
	Summary string `json:"summary"`
}

// Command ids.
const (
	CmdWorkflowCreate = "autonomous.workflow.create"
	CmdWorkflowList   = "autonomous.workflow.list"
	CmdWorkflowGet    = "autonomous.workflow.get"
	CmdWorkflowStart  = "autonomous.workflow.start"
	CmdWorkflowPause  = "autonomous.workflow.pause"
	CmdWorkflowResume = "autonomous.workflow.resume"
	CmdWorkflowStop   = "autonomous.workflow.stop"
	CmdWorkflowDelete = "autonomous.workflow.delete"
	CmdSchemaValidate = "autonomous.schema.validate"
	CmdSpecGet        = "autonomous.spec.get"
	CmdSpecSave       = "autonomous.spec.save"
	CmdSpecImport     = "autonomous.spec.import"
	CmdLogTail        = "autonomous.log.tail"
	CmdModelsList     = "autonomous.models.list"
	CmdRuntimeStatus  = "autonomous.runtime.status"
	CmdRuntimeInstall = "autonomous.runtime.install"
	CmdConfigGet      = "autonomous.config.get"
	CmdConfigUpdate   = "autonomous.config.update"
	CmdDoctor         = "autonomous.doctor"
)

// Commands returns every command the server executes, in palette order.
func Commands() []Command {
	return []Command{
		{ID: CmdWorkflowCreate, Title: "New Workflow", Subcommand: "new", Summary: "create a workflow (its worktree, branch and spec) from a name and a spec"},
		{ID: CmdWorkflowList, Title: "List Workflows", Subcommand: "list", Summary: "the workflows of the workspace with their status and progress"},
		{ID: CmdWorkflowGet, Title: "Show Workflow", Subcommand: "status", NeedsWorkflow: true, Summary: "one workflow's full record: sessions, totals, progress"},
		{ID: CmdWorkflowStart, Title: "Start", Subcommand: "start", NeedsWorkflow: true, Background: true, Summary: "start running a workflow's sessions (optionally with another model)"},
		{ID: CmdWorkflowPause, Title: "Pause", Subcommand: "pause", NeedsWorkflow: true, Summary: "let the current session finish, then hold"},
		{ID: CmdWorkflowResume, Title: "Resume", Subcommand: "resume", NeedsWorkflow: true, Background: true, Summary: "resume a paused, stopped, stuck or failed workflow"},
		{ID: CmdWorkflowStop, Title: "Stop", Subcommand: "stop", NeedsWorkflow: true, Summary: "interrupt the current session now and hold (resumable)"},
		{ID: CmdWorkflowDelete, Title: "Delete", Subcommand: "delete", NeedsWorkflow: true, Summary: "delete a workflow and its worktree (the branch is kept unless asked and merged)"},
		{ID: CmdSchemaValidate, Title: "Validate Schema", Subcommand: "validate", Background: true, Summary: "check the architecture docs (.schema/*.md) against the code; discrepancies become diagnostics"},
		{ID: CmdSpecGet, Title: "Edit Spec", Subcommand: "spec", NeedsWorkflow: true, Summary: "a workflow's spec, to edit it"},
		{ID: CmdSpecSave, Title: "Save Spec", NeedsWorkflow: true, Summary: "replace a workflow's spec (committed on its branch); the next session reads it"},
		{ID: CmdSpecImport, Title: "Import Spec…", Subcommand: "import", NeedsWorkflow: true, Summary: "replace a workflow's spec with a Markdown or text file of the workspace"},
		{ID: CmdLogTail, Title: "Show Log", Subcommand: "log", NeedsWorkflow: true, Summary: "the latest log entries of a workflow, for a log view that opens late"},
		{ID: CmdModelsList, Title: "Select Model", Subcommand: "model", Summary: "the configured models with labels and prices, for a model picker"},
		{ID: CmdRuntimeStatus, Title: "Runtime Status", Summary: "whether the managed Claude Code CLI is installed, and which version"},
		{ID: CmdRuntimeInstall, Title: "Install Runtime", Background: true, Summary: "install the managed Claude Code CLI with npm; progress is reported as it goes"},
		{ID: CmdConfigGet, Title: "Get Config", Summary: "the configuration in force (global and project files merged)"},
		{ID: CmdConfigUpdate, Title: "Update Config", Summary: "set one key of the project (or global) config file, such as defaults.model"},
		{ID: CmdDoctor, Title: "Doctor", Subcommand: "doctor", Summary: "check git, node, npm, the agent CLI and credentials; each failure says how to fix it"},
	}
}

// CommandIDs returns the ids of Commands, in the same order: what the server
// advertises in executeCommandProvider.commands.
func CommandIDs() []string {
	cmds := Commands()
	ids := make([]string, len(cmds))
	for i, c := range cmds {
		ids[i] = c.ID
	}
	return ids
}

// Lookup returns the command with this id.
func Lookup(id string) (Command, bool) {
	for _, c := range Commands() {
		if c.ID == id {
			return c, true
		}
	}
	return Command{}, false
}
