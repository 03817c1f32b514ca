import assert from 'node:assert/strict';
import { test } from 'node:test';
import { commandSpec } from '../commands';
import { askConfigUpdate, askNewWorkflow, confirmDelete, parseValue, pickModel, pickValidateTarget, pickWorkflow, type SpecSources } from '../pickers';
import { FakeWindow, progress, workflow } from './fakes';

const rows = [
  workflow('run', 'running', { name: 'Running one', progress: progress(3, 7) }),
  workflow('held', 'paused', { name: 'Paused one' }),
  workflow('new', 'pending', { name: 'Fresh one' }),
];

test('the workflow picker offers only what the command accepts, with status and progress', async () => {
  const win = new FakeWindow([{ pick: 'Paused one' }]);
  const w = await pickWorkflow(win, commandSpec('autonomous.workflow.resume')!, rows);
  assert.equal(w?.id, 'held');
  assert.deepEqual(win.calls[0]!.labels, ['$(debug-pause) Paused one']);
  assert.equal(win.calls[0]!.title, 'Autonomous: Resume');

  const all = new FakeWindow([{ pick: 'run ·' }]);
  assert.equal((await pickWorkflow(all, commandSpec('autonomous.log.tail')!, rows))?.id, 'run', 'found by id and description');
  assert.equal(all.calls[0]!.labels!.length, 3);
});

test('the workflow picker explains an empty choice and returns nothing; cancel returns nothing', async () => {
  const none = new FakeWindow([]);
  assert.equal(await pickWorkflow(none, commandSpec('autonomous.workflow.pause')!, [rows[1]!]), undefined);
  assert.deepEqual(none.calls.map((c) => c.kind), ['info']);
  assert.match(none.calls[0]!.message!, /Pause: none is running, waiting/);

  const empty = new FakeWindow([]);
  await pickWorkflow(empty, commandSpec('autonomous.workflow.start')!, []);
  assert.match(empty.calls[0]!.message!, /no workflow yet/);

  const cancel = new FakeWindow(['cancel']);
  assert.equal(await pickWorkflow(cancel, commandSpec('autonomous.workflow.stop')!, rows), undefined);
});

test('New Workflow asks a name, then a spec from the editor, a file or typed in', async () => {
  const sources = (file?: string): SpecSources => ({ activeEditor: { label: 'docs/spec.md', text: '# Spec' }, chooseFile: async () => file });
  const cases: [string, ConstructorParameters<typeof FakeWindow>[0], SpecSources, unknown][] = [
    ['editor', [{ input: ' Stock ' }, { pick: 'active editor' }], sources(), { name: 'Stock', spec: '# Spec' }],
    ['file', [{ input: 'Stock' }, { pick: 'file…' }], sources('/repo/spec.md'), { name: 'Stock', specPath: '/repo/spec.md' }],
    ['file dialog cancelled', [{ input: 'Stock' }, { pick: 'file…' }], sources(undefined), undefined],
    ['typed', [{ input: 'Stock' }, { pick: 'Type' }, { input: 'Add search' }], sources(), { name: 'Stock', spec: 'Add search' }],
    ['name cancelled', ['cancel'], sources(), undefined],
    ['source cancelled', [{ input: 'Stock' }, 'cancel'], sources(), undefined],
    ['spec cancelled', [{ input: 'Stock' }, { pick: 'Type' }, 'cancel'], sources(), undefined],
  ];
  for (const [name, answers, src, want] of cases) {
    assert.deepEqual(await askNewWorkflow(new FakeWindow(answers), src), want, name);
  }
});

test('New Workflow does not offer an empty editor, and refuses an empty name', async () => {
  const win = new FakeWindow([{ input: 'x' }, 'cancel']);
  await askNewWorkflow(win, { activeEditor: { label: 'empty.md', text: '  \n' }, chooseFile: async () => undefined });
  assert.ok(!win.calls[1]!.labels!.some((l) => l.includes('active editor')));
  assert.equal(win.calls[0]!.validate!('  '), 'The name cannot be empty');
  assert.equal(win.calls[0]!.validate!('ok'), undefined);
});

test('the model picker lists the default first and returns its id', async () => {
  const models = {
    default: 'claude-opus-4-5',
    models: [
      { id: 'claude-sonnet-4-5', label: 'Sonnet 4.5', prices: { input: 3, output: 15, cacheWrite: 3.75, cacheRead: 0.3 } },
      { id: 'claude-opus-4-5', label: 'Opus 4.5', prices: { input: 5, output: 25, cacheWrite: 6.25, cacheRead: 0.5 } },
    ],
  };
  const win = new FakeWindow([{ pick: 'Sonnet' }]);
  assert.equal(await pickModel(win, models), 'claude-sonnet-4-5');
  assert.deepEqual(win.calls[0]!.labels, ['Opus 4.5', 'Sonnet 4.5']);
  const none = new FakeWindow([]);
  assert.equal(await pickModel(none, { default: '', models: [] }), undefined);
  assert.equal(none.calls[0]!.kind, 'info');
});

test('delete confirms and says whether the branch goes', async () => {
  assert.deepEqual(await confirmDelete(new FakeWindow([{ warning: 'keep' }]), rows[0]!), { deleteBranch: false });
  assert.deepEqual(await confirmDelete(new FakeWindow([{ warning: 'with the branch' }]), rows[0]!), { deleteBranch: true });
  assert.equal(await confirmDelete(new FakeWindow(['cancel']), rows[0]!), undefined);
});

test('validate runs for a workflow, or republishes the latest results', async () => {
  const spec = commandSpec('autonomous.schema.validate')!;
  assert.deepEqual(await pickValidateTarget(new FakeWindow([{ pick: 'latest results' }]), spec, rows), {});
  assert.deepEqual(await pickValidateTarget(new FakeWindow([{ pick: 'Fresh one' }]), spec, rows), { id: 'new' });
  assert.equal(await pickValidateTarget(new FakeWindow(['cancel']), spec, rows), undefined);
});

test('config update takes a key, a JSON value and a scope', async () => {
  assert.deepEqual(await askConfigUpdate(new FakeWindow([{ pick: 'defaults.maxSessions' }, { input: '20' }, { pick: 'This folder' }])), {
    key: 'defaults.maxSessions',
    value: 20,
    scope: 'project',
  });
  assert.deepEqual(await askConfigUpdate(new FakeWindow([{ pick: 'Another key' }, { input: 'mcp.playwright.enabled' }, { input: 'false' }, { pick: 'Every project' }])), {
    key: 'mcp.playwright.enabled',
    value: false,
    scope: 'global',
  });
  assert.equal(await askConfigUpdate(new FakeWindow([{ pick: 'defaults.model' }, 'cancel'])), undefined);
  const values: [string, unknown][] = [
    ['claude-opus-4-5', 'claude-opus-4-5'],
    ['"quoted"', 'quoted'],
    ['null', null],
    ['[1,2]', [1, 2]],
    [' 3s ', '3s'],
  ];
  for (const [raw, want] of values) assert.deepEqual(parseValue(raw), want, raw);
});
