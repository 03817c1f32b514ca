import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Feature } from '../protocol';
import { WorkflowStore } from '../store';
import { childNodes, parseLedger, rootNodes } from '../tree';
import { progress, workflow } from './fakes';

const ledgerText = JSON.stringify([
  { category: 'functional', description: 'DELETE removes an item', steps: ['DELETE /api/items/1'], passes: true },
  { category: 'regression', description: 'GET still works', steps: [], passes: true },
  { category: 'functional', description: 'search by name', steps: ['GET ?q=lamp'], passes: false, id: 'F3' },
  { description: 'no category', passes: false },
]);

test('the tree follows the notifications: workflow → categories → features', () => {
  const store = new WorkflowStore();
  store.replaceFolder('/repo', [workflow('stock', 'pending', { name: 'Stock management' })]);
  const ledger = parseLedger(ledgerText);
  assert.ok(ledger);
  const features = (id: string): Feature[] | undefined => (id === 'stock' ? ledger : undefined);

  let [wf] = rootNodes(store);
  assert.equal(wf!.label, 'Stock management');
  assert.equal(wf!.contextValue, 'workflow.pending');
  assert.equal(wf!.collapsible, false, 'no categories before the initializer');
  assert.deepEqual(childNodes(wf!, store, features), []);

  store.applyState({ workflowId: 'stock', folder: '/repo', status: 'running', phase: 'coding', model: 'm', costUsd: 1.5 });
  store.applyProgress({
    workflowId: 'stock',
    folder: '/repo',
    ...progress(2, 4, [
      { name: 'functional', total: 2, passing: 1 },
      { name: 'regression', total: 1, passing: 1 },
      { name: 'uncategorized', total: 1, passing: 0 },
    ]),
    currentFeature: 'search by name',
  });
  [wf] = rootNodes(store);
  assert.equal(wf!.contextValue, 'workflow.running');
  assert.equal(wf!.icon, 'sync~spin');
  assert.equal(wf!.description, 'running · 2/4 (50%) · $1.50');
  assert.ok(wf!.collapsible);

  const cats = childNodes(wf!, store, features);
  assert.deepEqual(
    cats.map((c) => [c.label, c.description, c.icon]),
    [
      ['functional', '1/2 · 50%', 'circle-large-outline'],
      ['regression', '1/1 · 100%', 'pass'],
      ['uncategorized', '0/1 · 0%', 'circle-large-outline'],
    ],
  );
  const feats = childNodes(cats[0]!, store, features);
  assert.deepEqual(
    feats.map((f) => [f.label, f.description, f.icon, f.contextValue]),
    [
      ['DELETE removes an item', 'passing', 'pass', 'feature.passing'],
      ['search by name', 'next', 'circle-large-outline', 'feature.failing'],
    ],
  );
  assert.match(feats[1]!.tooltip, /#3 search by name\n1\. GET \?q=lamp/);
  assert.equal(new Set([...cats, ...feats, wf!].map((n) => n.key)).size, 6, 'node keys are unique');

  // Without the ledger read, categories stay leaves.
  assert.ok(childNodes(wf!, store, () => undefined).every((c) => !c.collapsible));
});

test('parseLedger refuses what is not a ledger', () => {
  const cases: [string, string][] = [
    ['not JSON', '{"category":'],
    ['an object', '{"features": []}'],
    ['an entry without description', '[{"category":"x","passes":true}]'],
    ['a string entry', '["x"]'],
  ];
  for (const [name, text] of cases) assert.equal(parseLedger(text), undefined, name);
  assert.deepEqual(parseLedger('[]'), []);
  assert.equal(parseLedger(ledgerText)![3]!.category, 'uncategorized');
});
