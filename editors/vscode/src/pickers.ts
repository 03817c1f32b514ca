// The argument pickers: what the palette wrappers ask before they call the
// server. They use nothing of VS Code but the few window functions in
// WindowLike, which vscode.window provides and the tests fake.
import { accepts, type CommandSpec } from './commands';
import { modelDetail, progressText, statusIcon, workflowDescription } from './format';
import type { ModelsResult, WorkflowSummary } from './protocol';

export interface PickItem {
  label: string;
  description?: string;
  detail?: string;
}

export interface QuickPickOptionsLike {
  title?: string;
  placeHolder?: string;
  matchOnDescription?: boolean;
  matchOnDetail?: boolean;
}

export interface InputBoxOptionsLike {
  title?: string;
  prompt?: string;
  placeHolder?: string;
  value?: string;
  validateInput?(value: string): string | undefined | null;
}

export interface OpenDialogOptionsLike {
  title?: string;
  canSelectMany?: boolean;
  openLabel?: string;
  filters?: { [name: string]: string[] };
}

/** The part of vscode.window the pickers use. */
export interface WindowLike {
  showQuickPick<T extends PickItem>(items: readonly T[], options?: QuickPickOptionsLike): PromiseLike<T | undefined>;
  showInputBox(options?: InputBoxOptionsLike): PromiseLike<string | undefined>;
  showInformationMessage(message: string): PromiseLike<unknown>;
  showWarningMessage<T extends string>(message: string, options: { modal: boolean; detail?: string }, ...items: T[]): PromiseLike<T | undefined>;
}

interface WorkflowItem extends PickItem {
  workflow: WorkflowSummary;
}

function workflowItem(w: WorkflowSummary): WorkflowItem {
  return {
    label: `$(${statusIcon(w.status)}) ${w.name}`,
    description: `${w.id} · ${workflowDescription(w)}`,
    detail: w.progress.currentFeature ? `next: ${w.progress.currentFeature}` : undefined,
    workflow: w,
  };
}

/**
 * Asks for the workflow a command acts on, among those it accepts. With
 * none that qualify it says so instead of showing an empty list. It returns
 * undefined when the user cancels.
 */
export async function pickWorkflow(win: WindowLike, spec: CommandSpec, workflows: readonly WorkflowSummary[]): Promise<WorkflowSummary | undefined> {
  const candidates = workflows.filter((w) => accepts(spec, w));
  if (candidates.length === 0) {
    const why = workflows.length === 0 ? 'there is no workflow yet (Autonomous: New Workflow creates one)' : `none is ${(spec.accepts ?? []).join(', ')}`;
    void win.showInformationMessage(`Autonomous: ${spec.title}: ${why}.`);
    return undefined;
  }
  const picked = await win.showQuickPick(candidates.map(workflowItem), {
    title: `Autonomous: ${spec.title}`,
    placeHolder: 'Pick a workflow',
    matchOnDescription: true,
  });
  return picked?.workflow;
}

/** schema.validate: a workflow to run a validation session for, or none to republish the latest results. */
export async function pickValidateTarget(win: WindowLike, spec: CommandSpec, workflows: readonly WorkflowSummary[]): Promise<{ id?: string } | undefined> {
  interface Item extends PickItem {
    id?: string;
  }
  const items: Item[] = [
    { label: '$(refresh) Show the latest results', description: 'publish the last validation of every workflow as diagnostics again' },
    ...workflows.map((w) => ({ ...workflowItem(w), description: `run a validation session in ${w.id}`, id: w.id })),
  ];
  const picked = await win.showQuickPick(items, { title: `Autonomous: ${spec.title}`, placeHolder: 'Validate the architecture docs against the code' });
  if (!picked) return undefined;
  return picked.id === undefined ? {} : { id: picked.id };
}

/** Asks for a model; the configured default is marked and listed first. */
export async function pickModel(win: WindowLike, models: ModelsResult, title = 'Autonomous: Select Model'): Promise<string | undefined> {
  interface Item extends PickItem {
    id: string;
  }
  const items: Item[] = [...models.models]
    .sort((a, b) => Number(b.id === models.default) - Number(a.id === models.default))
    .map((m) => ({
      label: m.label || m.id,
      description: m.id === models.default ? `${m.id} · default` : m.id,
      detail: modelDetail(m),
      id: m.id,
    }));
  if (items.length === 0) {
    void win.showInformationMessage('Autonomous: no model is configured (see config.yaml).');
    return undefined;
  }
  return (await win.showQuickPick(items, { title, placeHolder: 'Model for new workflows of this folder', matchOnDescription: true }))?.id;
}

/** workflow.delete: confirms, and asks whether the branch goes too (only when merged). */
export async function confirmDelete(win: WindowLike, w: WorkflowSummary): Promise<{ deleteBranch: boolean } | undefined> {
  const keep = 'Delete, keep the branch';
  const drop = 'Delete with the branch';
  const answer = await win.showWarningMessage(
    `Delete workflow "${w.name}" (${w.id}) and its worktree?`,
    { modal: true, detail: `${progressText(w.progress)} passing. The branch ${w.branch} is kept unless you ask, and always kept when it is not merged.` },
    keep,
    drop,
  );
  if (answer === undefined) return undefined;
  return { deleteBranch: answer === drop };
}

/** The answers of New Workflow, ready for autonomous.workflow.create. */
export interface CreateAnswers {
  name: string;
  spec?: string;
  specPath?: string;
}

/** Where the spec of a new workflow comes from; the caller provides what needs more of VS Code. */
export interface SpecSources {
  /** The text of the active editor, if there is one worth offering. */
  activeEditor?: { label: string; text: string };
  /** Asks for a Markdown or text file of the workspace; its path, or undefined. */
  chooseFile(): PromiseLike<string | undefined>;
}

/** New Workflow: a name, then a spec from the active editor, a file, or typed in. */
export async function askNewWorkflow(win: WindowLike, sources: SpecSources): Promise<CreateAnswers | undefined> {
  const name = await win.showInputBox({
    title: 'Autonomous: New Workflow (1/2)',
    prompt: 'A name for the workflow, such as "Stock management"',
    validateInput: (v) => (v.trim() === '' ? 'The name cannot be empty' : undefined),
  });
  if (name === undefined || name.trim() === '') return undefined;
  type Source = 'editor' | 'file' | 'type';
  interface Item extends PickItem {
    source: Source;
  }
  const items: Item[] = [];
  if (sources.activeEditor && sources.activeEditor.text.trim() !== '') {
    items.push({ label: '$(file-text) From the active editor', description: sources.activeEditor.label, source: 'editor' });
  }
  items.push({ label: '$(folder-opened) From a Markdown or text file…', source: 'file' });
  items.push({ label: '$(edit) Type a short spec', description: 'edit it at length later with Autonomous: Edit Spec', source: 'type' });
  const picked = await win.showQuickPick(items, { title: 'Autonomous: New Workflow (2/2)', placeHolder: 'Where is the spec: what should be built?' });
  if (!picked) return undefined;
  switch (picked.source) {
    case 'editor':
      return { name: name.trim(), spec: sources.activeEditor!.text };
    case 'file': {
      const path = await sources.chooseFile();
      return path === undefined ? undefined : { name: name.trim(), specPath: path };
    }
    case 'type': {
      const spec = await win.showInputBox({
        title: 'Autonomous: New Workflow (2/2)',
        prompt: 'What should be built?',
        validateInput: (v) => (v.trim() === '' ? 'The spec cannot be empty' : undefined),
      });
      return spec === undefined || spec.trim() === '' ? undefined : { name: name.trim(), spec };
    }
  }
}

/** Update Config: a key (common ones offered) and a JSON value (a bare word is taken as a string). */
export async function askConfigUpdate(win: WindowLike): Promise<{ key: string; value: unknown; scope: 'project' | 'global' } | undefined> {
  interface Item extends PickItem {
    key?: string;
  }
  const common: Item[] = [
    { label: 'defaults.model', description: 'the model new workflows get', key: 'defaults.model' },
    { label: 'defaults.maxSessions', description: 'sessions a workflow may run', key: 'defaults.maxSessions' },
    { label: 'defaults.budgetUsd', description: 'the spending limit of a workflow, in USD', key: 'defaults.budgetUsd' },
    { label: 'defaults.autoContinueDelay', description: 'the pause between sessions, such as "3s"', key: 'defaults.autoContinueDelay' },
    { label: 'Another key…' },
  ];
  const picked = await win.showQuickPick(common, { title: 'Autonomous: Update Config', placeHolder: 'Which setting?' });
  if (!picked) return undefined;
  const key = picked.key ?? (await win.showInputBox({ title: 'Autonomous: Update Config', prompt: 'The dotted key, such as mcp.playwright.enabled' }))?.trim();
  if (!key) return undefined;
  const raw = await win.showInputBox({
    title: `Autonomous: Update Config: ${key}`,
    prompt: 'The value, in JSON (a bare word is taken as a string; null removes the key)',
  });
  if (raw === undefined) return undefined;
  const scope = await win.showQuickPick(
    [
      { label: 'This folder', description: '.autonomous/config.yaml', scope: 'project' as const },
      { label: 'Every project', description: 'config.yaml in your autonomous home', scope: 'global' as const },
    ],
    { title: `Autonomous: Update Config: ${key}`, placeHolder: 'Where to write it' },
  );
  if (!scope) return undefined;
  return { key, value: parseValue(raw), scope: scope.scope };
}

/** A JSON value, or the text itself as a string when it is not JSON. */
export function parseValue(raw: string): unknown {
  const t = raw.trim();
  try {
    return JSON.parse(t);
  } catch {
    return t;
  }
}
