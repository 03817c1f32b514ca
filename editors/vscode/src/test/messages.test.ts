import assert from 'node:assert/strict';
import { test } from 'node:test';
import { workflowMentioned } from '../messages';
import { workflow } from './fakes';

test('a message is tied to the workflow it names', () => {
  const rows = [workflow('stock-management-1a2b', 'completed', { name: 'Stock management' }), workflow('stock-1', 'running', { name: 'Stock' })];
  const cases: [string, string | undefined][] = [
    ['Workflow Stock management (stock-management-1a2b) completed: 7/7 features pass', 'stock-management-1a2b'],
    ['Stock management is stuck', 'stock-management-1a2b'],
    ['stock-1 hit its budget', 'stock-1'],
    ['The runtime is installed', undefined],
  ];
  for (const [msg, want] of cases) assert.equal(workflowMentioned(msg, rows)?.id, want, msg);
});
