// Test doubles of the only vscode surface the pickers use (WindowLike), and
// builders of protocol values.
import type { InputBoxOptionsLike, PickItem, QuickPickOptionsLike, WindowLike } from '../pickers';
import type { Progress, Status, WorkflowSummary } from '../protocol';

/** One scripted answer: for a QuickPick, which item (by label substring) or cancel; for an input box, the text or cancel. */
export type Answer = { pick: string } | { input: string } | { warning: string } | 'cancel';

export interface Call {
  kind: 'pick' | 'input' | 'info' | 'warning';
  title?: string;
  labels?: string[];
  message?: string;
  validate?: (v: string) => string | undefined | null;
}

/** A WindowLike that plays scripted answers in order and records what it was asked. */
export class FakeWindow implements WindowLike {
  readonly calls: Call[] = [];
  constructor(private readonly answers: Answer[]) {}

  private next(kind: string): Answer {
    const a = this.answers.shift();
    if (a === undefined) throw new Error(`unexpected ${kind}: no scripted answer left`);
    return a;
  }

  async showQuickPick<T extends PickItem>(items: readonly T[], options?: QuickPickOptionsLike): Promise<T | undefined> {
    this.calls.push({ kind: 'pick', title: options?.title, labels: items.map((i) => i.label) });
    const a = this.next('QuickPick');
    if (a === 'cancel') return undefined;
    if (!('pick' in a)) throw new Error(`QuickPick shown, but the script answers ${JSON.stringify(a)}`);
    const found = items.find((i) => i.label.includes(a.pick) || (i.description ?? '').includes(a.pick));
    if (!found) throw new Error(`no item matches ${a.pick}: ${items.map((i) => i.label).join(' | ')}`);
    return found;
  }

  async showInputBox(options?: InputBoxOptionsLike): Promise<string | undefined> {
    this.calls.push({ kind: 'input', title: options?.title, message: options?.prompt, validate: options?.validateInput });
    const a = this.next('input box');
    if (a === 'cancel') return undefined;
    if (!('input' in a)) throw new Error(`input box shown, but the script answers ${JSON.stringify(a)}`);
    return a.input;
  }

  async showInformationMessage(message: string): Promise<unknown> {
    this.calls.push({ kind: 'info', message });
    return undefined;
  }

  async showWarningMessage<T extends string>(message: string, _options: { modal: boolean }, ...items: T[]): Promise<T | undefined> {
    this.calls.push({ kind: 'warning', message, labels: items });
    const a = this.next('warning');
    if (a === 'cancel') return undefined;
    if (!('warning' in a)) throw new Error(`warning shown, but the script answers ${JSON.stringify(a)}`);
    return items.find((i) => i.includes(a.warning));
  }
}

export function progress(passing: number, total: number, categories: Progress['categories'] = []): Progress {
  return { total, passing, percent: total === 0 ? 0 : Math.round((1000 * passing) / total) / 10, categories };
}

export function workflow(id: string, status: Status, over: Partial<WorkflowSummary> = {}): WorkflowSummary {
  return {
    id,
    name: `Workflow ${id}`,
    status,
    phase: '',
    model: 'claude-sonnet-4-5',
    progress: progress(0, 0),
    costUsd: 0,
    sessions: 0,
    branch: `autonomous/${id}`,
    worktree: `/repo/.autonomous/worktrees/${id}`,
    folder: '/repo',
    createdAt: '2026-01-01T10:00:00Z',
    updatedAt: '2026-01-01T10:00:00Z',
    ...over,
  };
}
