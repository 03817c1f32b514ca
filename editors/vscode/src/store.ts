// WorkflowStore holds what the editor knows of the workflows: rows of
// autonomous.workflow.list, kept current by the server's notifications. It is
// pure (no vscode import) so that the tree, the status bar and the pickers
// can be tested without an editor.
import type { ProgressParams, SessionParams, StateParams, WorkflowSummary } from './protocol';

export type Listener = (changedId: string | undefined) => void;

const emptyProgress = () => ({ total: 0, passing: 0, percent: 0, categories: [] });

export class WorkflowStore {
  private readonly rows = new Map<string, WorkflowSummary>();
  private readonly listeners = new Set<Listener>();

  /** Subscribes to changes; the argument is the workflow that changed, or undefined for many. */
  onChange(l: Listener): { dispose(): void } {
    this.listeners.add(l);
    return { dispose: () => this.listeners.delete(l) };
  }

  /**
   * Replaces what is known of one folder's workflows with a fresh list. A
   * notification for a workflow not yet listed adds it, so the order of a
   * list answer and a notification does not matter.
   */
  replaceFolder(folder: string, rows: readonly WorkflowSummary[]): void {
    for (const [id, w] of this.rows) {
      if (w.folder === folder) this.rows.delete(id);
    }
    for (const r of rows) this.rows.set(r.id, { ...r, folder: r.folder || folder });
    this.emit(undefined);
  }

  applyState(p: StateParams): void {
    if (p.status === 'deleted') {
      if (this.rows.delete(p.workflowId)) this.emit(p.workflowId);
      return;
    }
    const w = this.ensure(p.workflowId, p.folder);
    w.status = p.status;
    w.phase = p.phase;
    w.model = p.model || w.model;
    w.costUsd = p.costUsd;
    w.reason = p.reason;
    if (p.name) w.name = p.name;
    if (p.session !== undefined && p.session > w.sessions) w.sessions = p.session;
    w.updatedAt = new Date().toISOString();
    this.emit(p.workflowId);
  }

  applyProgress(p: ProgressParams): void {
    const w = this.ensure(p.workflowId, p.folder);
    w.progress = {
      total: p.total,
      passing: p.passing,
      percent: p.percent,
      categories: p.categories ?? [],
      currentFeature: p.currentFeature,
    };
    w.updatedAt = new Date().toISOString();
    this.emit(p.workflowId);
  }

  applySession(p: SessionParams): void {
    const w = this.rows.get(p.workflowId);
    if (!w) return;
    if (p.session > w.sessions) w.sessions = p.session;
    this.emit(p.workflowId);
  }

  get(id: string): WorkflowSummary | undefined {
    return this.rows.get(id);
  }

  /** The workflows, most recently created first. */
  all(): WorkflowSummary[] {
    return [...this.rows.values()].sort((a, b) => time(b.createdAt) - time(a.createdAt) || a.id.localeCompare(b.id));
  }

  private ensure(id: string, folder: string): WorkflowSummary {
    let w = this.rows.get(id);
    if (!w) {
      w = {
        id,
        name: id,
        status: 'pending',
        phase: '',
        model: '',
        progress: emptyProgress(),
        costUsd: 0,
        sessions: 0,
        branch: `autonomous/${id}`,
        worktree: '',
        folder,
        createdAt: new Date().toISOString(),
        updatedAt: new Date().toISOString(),
      };
      this.rows.set(id, w);
    }
    return w;
  }

  private emit(id: string | undefined): void {
    for (const l of this.listeners) l(id);
  }
}

/**
 * The workflow the status bar follows: the one the user picked while it
 * exists, else the running one updated last, else the newest.
 */
export function chooseActive(all: readonly WorkflowSummary[], picked: string | undefined): WorkflowSummary | undefined {
  if (picked) {
    const w = all.find((x) => x.id === picked);
    if (w) return w;
  }
  const live = all.filter((w) => w.status === 'running' || w.status === 'waiting');
  const pool = live.length > 0 ? live : all;
  return [...pool].sort((a, b) => time(b.updatedAt) - time(a.updatedAt))[0];
}

function time(s: string): number {
  const t = Date.parse(s);
  return Number.isNaN(t) ? 0 : t;
}
