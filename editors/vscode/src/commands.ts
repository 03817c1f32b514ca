// The command mapping of the extension, in one table.
//
// The server advertises its commands (executeCommandProvider), and
// vscode-languageclient registers a VS Code command for each id, which sends
// workspace/executeCommand with the arguments it is given. Those ids are
// listed in package.json (for their titles) but hidden from the command
// palette: run from the palette they would have no arguments, and most need a
// workflow id. Instead each server command X = "autonomous.<rest>" has one
// palette wrapper "autonomous.ui.<rest>", under the same title, that asks
// for what is missing with a QuickPick, sends X, and shows the result. The
// tree view's context menu runs the same wrappers with the workflow already
// chosen. Other extensions and keybindings can call the server ids directly
// with their argument object.
import type { Status, WorkflowSummary } from './protocol';

/** What a wrapper asks the user for before it calls the server. */
export type Ask =
  | 'nothing'
  | 'workflow' // a workflow, filtered by `accepts`
  | 'workflowOrNone' // a workflow, or "none" (schema.validate: republish the latest results)
  | 'workflowAndFile' // a workflow, then a Markdown or text file of the workspace
  | 'workflowAndDeleteMode'
  | 'model'
  | 'configKeyAndValue'
  | 'activeSpec'; // the workflow whose spec is in the active editor

export interface CommandSpec {
  /** The id the server executes. */
  readonly id: string;
  /** The palette title (category "Autonomous"), the same as the server's. */
  readonly title: string;
  readonly ask: Ask;
  /** Which workflows the picker offers; all when absent. */
  readonly accepts?: readonly Status[];
}

const PREFIX = 'autonomous.';
const WRAPPER_PREFIX = 'autonomous.ui.';

/** The palette command that wraps a server command. */
export function wrapperId(serverId: string): string {
  if (!serverId.startsWith(PREFIX)) {
    throw new Error(`command id ${serverId} is not in the autonomous. namespace`);
  }
  return WRAPPER_PREFIX + serverId.slice(PREFIX.length);
}

/** The server command a palette wrapper calls, or undefined for other ids. */
export function serverIdOf(wrapper: string): string | undefined {
  return wrapper.startsWith(WRAPPER_PREFIX) ? PREFIX + wrapper.slice(WRAPPER_PREFIX.length) : undefined;
}

// Statuses from which a workflow can be set running (the engine's state table).
const runnable: readonly Status[] = ['pending', 'paused', 'waiting', 'stuck', 'stopped', 'failed'];

/**
 * Every command of the server, in its palette order (lsp/protocol.Commands).
 * A test compares it with package.json, and editors_test.go compares
 * package.json with the server.
 */
export const COMMANDS: readonly CommandSpec[] = [
  { id: 'autonomous.workflow.create', title: 'New Workflow', ask: 'nothing' },
  { id: 'autonomous.workflow.list', title: 'List Workflows', ask: 'nothing' },
  { id: 'autonomous.workflow.get', title: 'Show Workflow', ask: 'workflow' },
  { id: 'autonomous.workflow.start', title: 'Start', ask: 'workflow', accepts: runnable },
  { id: 'autonomous.workflow.pause', title: 'Pause', ask: 'workflow', accepts: ['running', 'waiting'] },
  { id: 'autonomous.workflow.resume', title: 'Resume', ask: 'workflow', accepts: runnable.filter((s) => s !== 'pending') },
  { id: 'autonomous.workflow.stop', title: 'Stop', ask: 'workflow', accepts: ['running', 'waiting', 'paused', 'pending'] },
  { id: 'autonomous.workflow.delete', title: 'Delete', ask: 'workflowAndDeleteMode' },
  { id: 'autonomous.schema.validate', title: 'Validate Schema', ask: 'workflowOrNone' },
  { id: 'autonomous.spec.get', title: 'Edit Spec', ask: 'workflow' },
  { id: 'autonomous.spec.save', title: 'Save Spec', ask: 'activeSpec' },
  { id: 'autonomous.spec.import', title: 'Import Spec…', ask: 'workflowAndFile' },
  { id: 'autonomous.log.tail', title: 'Show Log', ask: 'workflow' },
  { id: 'autonomous.models.list', title: 'Select Model', ask: 'model' },
  { id: 'autonomous.runtime.status', title: 'Runtime Status', ask: 'nothing' },
  { id: 'autonomous.runtime.install', title: 'Install Runtime', ask: 'nothing' },
  { id: 'autonomous.config.get', title: 'Get Config', ask: 'nothing' },
  { id: 'autonomous.config.update', title: 'Update Config', ask: 'configKeyAndValue' },
  { id: 'autonomous.doctor', title: 'Doctor', ask: 'nothing' },
];

/** The spec of a server command id. */
export function commandSpec(id: string): CommandSpec | undefined {
  return COMMANDS.find((c) => c.id === id);
}

/** Whether a workflow belongs in the picker of a command. */
export function accepts(spec: CommandSpec, w: Pick<WorkflowSummary, 'status'>): boolean {
  return spec.accepts === undefined || spec.accepts.includes(w.status);
}

/** Extra client-side commands that are not wrappers of a server command. */
export const CLIENT_COMMANDS = {
  /** Pick the workflow the status bar follows. */
  selectActive: 'autonomous.ui.selectActive',
  /** Reload the workflows view from the server. */
  refresh: 'autonomous.ui.refresh',
} as const;
