// Text the extension shows: status bar, tree descriptions, picker rows, log
// lines, the doctor's report. Pure functions, tested in test/format.test.ts.
import type { DoctorResult, LogEntry, Model, Progress, Status, WorkflowSummary } from './protocol';

/** "42.9%", "100%": one decimal, none when whole. */
export function percent(p: number): string {
  const r = Math.round(p * 10) / 10;
  return `${Number.isInteger(r) ? r.toFixed(0) : r.toFixed(1)}%`;
}

/** "3/7 (42.9%)", or "no features yet" before the initializer wrote the ledger. */
export function progressText(p: Progress): string {
  if (p.total === 0) return 'no features yet';
  return `${p.passing}/${p.total} (${percent(p.percent)})`;
}

/** The codicon of a status, for the status bar and the tree. */
export function statusIcon(s: Status): string {
  switch (s) {
    case 'running':
      return 'sync~spin';
    case 'waiting':
      return 'watch';
    case 'paused':
      return 'debug-pause';
    case 'completed':
      return 'pass-filled';
    case 'stopped':
      return 'debug-stop';
    case 'stuck':
      return 'warning';
    case 'failed':
      return 'error';
    default:
      return 'circle-large-outline';
  }
}

export interface StatusBarText {
  text: string;
  tooltip: string;
}

/**
 * The status bar item: the active workflow's progress and state. With no
 * workflow it invites the user to create one.
 */
export function statusBarText(w: WorkflowSummary | undefined, count: number): StatusBarText {
  if (!w) {
    return {
      text: '$(robot) Autonomous',
      tooltip: count === 0 ? 'No workflow yet: click to create one' : `${count} workflows: click to pick the one to follow`,
    };
  }
  const phase = w.status === 'running' && w.phase ? ` · ${w.phase}` : '';
  const lines = [
    `${w.name} (${w.id})`,
    `${w.status}${w.phase ? `, ${w.phase}` : ''}${w.reason ? `: ${w.reason}` : ''}`,
    `${progressText(w.progress)} passing · ${w.sessions} sessions · $${w.costUsd.toFixed(2)} · ${w.model}`,
  ];
  if (w.progress.currentFeature) lines.push(`Next: ${w.progress.currentFeature}`);
  lines.push('Click to pick another workflow');
  // Before the initializer wrote the ledger there is no count to show: the
  // name says which workflow the state is of.
  const what = w.progress.total === 0 ? `${shorten(w.name, 30)}:` : progressText(w.progress);
  return {
    text: `$(${statusIcon(w.status)}) ${what} ${w.status}${phase}`,
    tooltip: lines.join('\n'),
  };
}

function shorten(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

/** The one-line description of a workflow in pickers and the tree. */
export function workflowDescription(w: WorkflowSummary): string {
  return `${w.status} · ${progressText(w.progress)} · $${w.costUsd.toFixed(2)}`;
}

/** "12:04:05": the clock part of an RFC 3339 time, which the server writes in the machine's zone. */
export function clock(time: string): string {
  const m = /T(\d{2}:\d{2}:\d{2})/.exec(time);
  return m ? m[1]! : time;
}

/** One log line: "12:04:05 [s3] tool    Bash: npm test". Multi-line texts are indented. */
export function logLine(e: LogEntry): string {
  const session = e.session > 0 ? `[s${e.session}] ` : '';
  const text = e.text.replace(/\r?\n/g, '\n' + ' '.repeat(9));
  return `${clock(e.time)} ${session}${e.kind.padEnd(7)} ${text}`;
}

/** A model in the picker: "Sonnet 4.5 · $3 in / $15 out per Mtok". */
export function modelDetail(m: Model): string {
  return `$${m.prices.input} in / $${m.prices.output} out per million tokens`;
}

/** The doctor's report as text, one check a line, with the fix under each failure. */
export function doctorReport(r: DoctorResult): string {
  const mark = { ok: '✓', warn: '!', fail: '✗' } as const;
  const lines = [r.passed ? 'Doctor: every required check passed.' : 'Doctor: some required checks failed.'];
  for (const c of r.checks) {
    lines.push(`${mark[c.status] ?? '?'} ${c.name}${c.required ? '' : ' (optional)'}: ${c.detail}`);
    if (c.fix && c.status !== 'ok') lines.push(`    fix: ${c.fix}`);
  }
  return lines.join('\n');
}
