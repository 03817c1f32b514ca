// One output channel per workflow, fed by autonomous/log, with the history
// from autonomous.log.tail when it opens (see logbook.ts).
import * as vscode from 'vscode';
import { LogBook } from './logbook';
import type { LogEntry, LogParams } from './protocol';

export class LogChannels implements vscode.Disposable {
  private readonly channels = new Map<string, vscode.OutputChannel>();
  private readonly book = new LogBook();

  constructor(
    /** Asks the server for a workflow's latest entries. */
    private readonly tail: (id: string) => Promise<LogEntry[]>,
    private readonly nameOf: (id: string) => string,
  ) {}

  /** Live entries: they open the workflow's channel if needed. */
  onLog(p: LogParams): void {
    const ch = this.open(p.workflowId);
    for (const line of this.book.live(p.workflowId, p.entries)) ch.appendLine(line);
  }

  /** Show Log: opens the channel (with its history) and reveals it. */
  show(id: string): void {
    this.open(id).show(true);
  }

  /** A deleted workflow's channel goes too. */
  close(id: string): void {
    this.channels.get(id)?.dispose();
    this.channels.delete(id);
    this.book.close(id);
  }

  dispose(): void {
    for (const ch of this.channels.values()) ch.dispose();
    this.channels.clear();
  }

  private open(id: string): vscode.OutputChannel {
    let ch = this.channels.get(id);
    if (ch) return ch;
    ch = vscode.window.createOutputChannel(`Autonomous: ${this.nameOf(id)} (${id})`, 'log');
    this.channels.set(id, ch);
    if (this.book.open(id)) {
      const target = ch;
      this.tail(id).then(
        (entries) => this.book.history(id, entries).forEach((l) => target.appendLine(l)),
        (err: unknown) => {
          target.appendLine(`(the earlier entries could not be read: ${err instanceof Error ? err.message : String(err)})`);
          this.book.history(id, []).forEach((l) => target.appendLine(l));
        },
      );
    }
    return ch;
  }
}
