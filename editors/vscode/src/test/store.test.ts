import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WorkflowStore, chooseActive } from '../store';
import { progress, workflow } from './fakes';

test('notifications update the listed workflows, and deleted ones go', () => {
  const s = new WorkflowStore();
  const changes: (string | undefined)[] = [];
  s.onChange((id) => changes.push(id));
  s.replaceFolder('/repo', [workflow('a', 'pending'), workflow('b', 'paused')]);
  s.applyState({ workflowId: 'a', folder: '/repo', status: 'running', phase: 'coding', session: 3, model: 'm', costUsd: 0.25 });
  s.applyProgress({ workflowId: 'a', folder: '/repo', ...progress(3, 7, [{ name: 'functional', total: 4, passing: 2 }]), currentFeature: 'search' });
  s.applyState({ workflowId: 'b', folder: '/repo', status: 'deleted', phase: '', model: '', costUsd: 0 });

  const a = s.get('a')!;
  assert.equal(a.status, 'running');
  assert.equal(a.phase, 'coding');
  assert.equal(a.sessions, 3);
  assert.equal(a.costUsd, 0.25);
  assert.equal(a.progress.passing, 3);
  assert.equal(a.progress.currentFeature, 'search');
  assert.equal(s.get('b'), undefined);
  assert.deepEqual(changes, [undefined, 'a', 'a', 'b']);
});

test('a notification before the list adds the workflow; the list then replaces it', () => {
  const s = new WorkflowStore();
  s.applyState({ workflowId: 'new', name: 'New one', folder: '/repo', status: 'pending', phase: '', model: 'm', costUsd: 0 });
  assert.equal(s.get('new')?.name, 'New one');
  s.replaceFolder('/repo', [workflow('new', 'running', { name: 'New one', worktree: '/wt' })]);
  assert.equal(s.get('new')?.worktree, '/wt');
  s.replaceFolder('/other', []);
  assert.ok(s.get('new'), 'replacing another folder keeps this one');
  s.replaceFolder('/repo', []);
  assert.equal(s.all().length, 0);
});

test('the session count never goes back', () => {
  const s = new WorkflowStore();
  s.replaceFolder('/repo', [workflow('a', 'running', { sessions: 4 })]);
  s.applySession({ workflowId: 'a', session: 3, phase: 'coding', outcome: 'success', durationMs: 1, costUsd: 0, tokens: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 }, newlyPassing: 0 });
  assert.equal(s.get('a')!.sessions, 4);
  s.applySession({ workflowId: 'a', session: 5, phase: 'coding', outcome: 'success', durationMs: 1, costUsd: 0, tokens: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 }, newlyPassing: 1 });
  assert.equal(s.get('a')!.sessions, 5);
});

test('all() lists the newest workflow first', () => {
  const s = new WorkflowStore();
  s.replaceFolder('/repo', [workflow('old', 'completed', { createdAt: '2026-01-01T10:00:00Z' }), workflow('new', 'pending', { createdAt: '2026-01-02T10:00:00+02:00' })]);
  assert.deepEqual(s.all().map((w) => w.id), ['new', 'old']);
});

test('the status bar follows the picked workflow, else the running one updated last, else the newest', () => {
  const rows = [
    workflow('done', 'completed', { updatedAt: '2026-01-03T00:00:00Z' }),
    workflow('run1', 'running', { updatedAt: '2026-01-01T00:00:00Z' }),
    workflow('run2', 'waiting', { updatedAt: '2026-01-02T00:00:00Z' }),
  ];
  const cases: [string | undefined, string | undefined][] = [
    ['done', 'done'],
    [undefined, 'run2'],
    ['gone', 'run2'],
  ];
  for (const [picked, want] of cases) assert.equal(chooseActive(rows, picked)?.id, want, `picked ${picked}`);
  assert.equal(chooseActive([rows[0]!], undefined)?.id, 'done');
  assert.equal(chooseActive([], 'x'), undefined);
});
