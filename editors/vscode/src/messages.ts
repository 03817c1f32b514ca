// The server's window/showMessage carries no workflow id, only text that
// names the workflow. workflowMentioned finds which one, so that the toast
// can offer a "Show Log" button for it.
import type { WorkflowSummary } from './protocol';

/** The workflow a message is about: its id in the text, else its name; the longest match wins. */
export function workflowMentioned(message: string, workflows: readonly WorkflowSummary[]): WorkflowSummary | undefined {
  let best: WorkflowSummary | undefined;
  let bestLen = 0;
  for (const w of workflows) {
    for (const needle of [w.id, w.name]) {
      if (needle && needle.length > bestLen && message.includes(needle)) {
        best = w;
        bestLen = needle.length;
      }
    }
  }
  return best;
}
