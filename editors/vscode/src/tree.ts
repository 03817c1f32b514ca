// The Workflows view as data: workflow → categories → features. The
// categories and their figures come live from autonomous/progress; the
// features themselves from the workflow's ledger (.autonomous/feature_list.json
// in its worktree), which the extension re-reads when progress changes.
// Pure: treeview.ts turns these nodes into vscode.TreeItems.
import { percent, statusIcon, workflowDescription } from './format';
import type { Feature, WorkflowSummary } from './protocol';
import type { WorkflowStore } from './store';

export type NodeKind = 'workflow' | 'category' | 'feature';

export interface TreeNode {
  /** Stable across refreshes, so that VS Code keeps expansion and selection. */
  readonly key: string;
  readonly kind: NodeKind;
  readonly workflowId: string;
  readonly label: string;
  readonly description: string;
  readonly tooltip: string;
  /** A codicon id. */
  readonly icon: string;
  /** A theme color id for the icon, if any. */
  readonly iconColor?: string;
  /** For menus: "workflow.<status>", "category", "feature.passing" or "feature.failing". */
  readonly contextValue: string;
  readonly collapsible: boolean;
  /** For categories: their name. */
  readonly category?: string;
}

/** Where the ledger is, relative to a workflow's worktree. */
export const LEDGER_FILE = '.autonomous/feature_list.json';

/**
 * Parses a ledger. It returns undefined for anything that is not a JSON
 * array of entries: the server reports a broken ledger as a diagnostic, and
 * the tree then shows the categories without their features.
 */
export function parseLedger(text: string): Feature[] | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!Array.isArray(v)) return undefined;
  const out: Feature[] = [];
  for (const e of v) {
    if (typeof e !== 'object' || e === null) return undefined;
    const f = e as Record<string, unknown>;
    if (typeof f.description !== 'string') return undefined;
    out.push({
      category: typeof f.category === 'string' && f.category !== '' ? f.category : 'uncategorized',
      description: f.description,
      passes: f.passes === true,
      steps: Array.isArray(f.steps) ? f.steps.filter((s): s is string => typeof s === 'string') : [],
      id: typeof f.id === 'string' ? f.id : undefined,
    });
  }
  return out;
}

export function workflowNode(w: WorkflowSummary): TreeNode {
  const tip = [`${w.name} (${w.id})`, `${w.status}${w.phase ? `, ${w.phase}` : ''}${w.reason ? `: ${w.reason}` : ''}`, `branch ${w.branch}`, `model ${w.model}, ${w.sessions} sessions`];
  if (w.progress.currentFeature) tip.push(`next: ${w.progress.currentFeature}`);
  return {
    key: `wf:${w.id}`,
    kind: 'workflow',
    workflowId: w.id,
    label: w.name,
    description: workflowDescription(w),
    tooltip: tip.join('\n'),
    icon: statusIcon(w.status),
    iconColor: w.status === 'failed' ? 'errorForeground' : w.status === 'completed' ? 'testing.iconPassed' : undefined,
    contextValue: `workflow.${w.status}`,
    collapsible: (w.progress.categories ?? []).length > 0,
  };
}

/** The top level: one node per workflow, most recent first. */
export function rootNodes(store: WorkflowStore): TreeNode[] {
  return store.all().map(workflowNode);
}

/**
 * The children of a node. features(id) gives a workflow's ledger when it has
 * been read, undefined otherwise.
 */
export function childNodes(node: TreeNode, store: WorkflowStore, features: (id: string) => Feature[] | undefined): TreeNode[] {
  const w = store.get(node.workflowId);
  if (!w) return [];
  const ledger = features(w.id);
  if (node.kind === 'workflow') {
    return (w.progress.categories ?? []).map((c) => {
      const pct = c.total === 0 ? 0 : (100 * c.passing) / c.total;
      const done = c.total > 0 && c.passing === c.total;
      return {
        key: `cat:${w.id}:${c.name}`,
        kind: 'category' as const,
        workflowId: w.id,
        category: c.name,
        label: c.name,
        description: `${c.passing}/${c.total} · ${percent(pct)}`,
        tooltip: `${c.name}: ${c.passing} of ${c.total} features pass`,
        icon: done ? 'pass' : 'circle-large-outline',
        iconColor: done ? 'testing.iconPassed' : undefined,
        contextValue: 'category',
        collapsible: ledger !== undefined && ledger.some((f) => f.category === c.name),
      };
    });
  }
  if (node.kind === 'category' && ledger) {
    const out: TreeNode[] = [];
    ledger.forEach((f, i) => {
      if (f.category !== node.category) return;
      const current = !f.passes && w.progress.currentFeature === f.description;
      out.push({
        key: `feat:${w.id}:${i}`,
        kind: 'feature',
        workflowId: w.id,
        label: f.description,
        description: f.passes ? 'passing' : current ? 'next' : 'failing',
        tooltip: [`#${i + 1} ${f.description}`, ...(f.steps ?? []).map((s, j) => `${j + 1}. ${s}`)].join('\n'),
        icon: f.passes ? 'pass' : 'circle-large-outline',
        iconColor: f.passes ? 'testing.iconPassed' : current ? 'testing.iconQueued' : undefined,
        contextValue: f.passes ? 'feature.passing' : 'feature.failing',
        collapsible: false,
      });
    });
    return out;
  }
  return [];
}
