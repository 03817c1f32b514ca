// LogBook decides what goes into a workflow's log channel, joining the two
// sources of entries: autonomous.log.tail (the history, asked for once when
// the channel opens) and autonomous/log notifications (live). Entries that
// arrive while the history is on its way wait, and those the history already
// holds are not written twice. Pure: outputs.ts writes the lines.
import { logLine } from './format';
import type { LogEntry } from './protocol';

type Phase = 'filling' | 'ready';

interface Book {
  phase: Phase;
  waiting: LogEntry[];
}

const key = (e: LogEntry) => `${e.time}\u0000${e.session}\u0000${e.kind}\u0000${e.text}`;

export class LogBook {
  private readonly books = new Map<string, Book>();

  /** Whether the workflow's channel exists (history asked for). */
  has(id: string): boolean {
    return this.books.has(id);
  }

  /**
   * Opens a workflow's book. It returns true the first time: the caller then
   * asks the server for the history and passes it to history().
   */
  open(id: string): boolean {
    if (this.books.has(id)) return false;
    this.books.set(id, { phase: 'filling', waiting: [] });
    return true;
  }

  /** Live entries: the lines to write now (none while the history is awaited). */
  live(id: string, entries: readonly LogEntry[]): string[] {
    const b = this.books.get(id);
    if (!b) return [];
    if (b.phase === 'filling') {
      b.waiting.push(...entries);
      return [];
    }
    return entries.map(logLine);
  }

  /**
   * The history arrived (or failed: pass []). It returns the lines to write:
   * the history, then the live entries that came meanwhile and are not in it.
   */
  history(id: string, tail: readonly LogEntry[]): string[] {
    const b = this.books.get(id);
    if (!b || b.phase === 'ready') return [];
    const seen = new Set(tail.map(key));
    const lines = tail.map(logLine);
    for (const e of b.waiting) {
      if (!seen.has(key(e))) lines.push(logLine(e));
    }
    b.phase = 'ready';
    b.waiting = [];
    return lines;
  }

  /** Forgets a workflow (deleted). */
  close(id: string): void {
    this.books.delete(id);
  }
}
