import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { CLIENT_COMMANDS, COMMANDS, accepts, serverIdOf, wrapperId } from '../commands';

interface Manifest {
  activationEvents: string[];
  contributes: {
    commands: { command: string; title: string; category: string }[];
    menus: Record<string, { command: string; when?: string }[]>;
    views: Record<string, { id: string }[]>;
    configuration: { properties: Record<string, unknown> };
  };
}

// out/test/commands.test.js -> editors/vscode/package.json
const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as Manifest;
const contributed = new Map(manifest.contributes.commands.map((c) => [c.command, c]));

test('every server command is contributed under its title, hidden from the palette', () => {
  const hidden = new Set(manifest.contributes.menus.commandPalette!.filter((m) => m.when === 'false').map((m) => m.command));
  for (const spec of COMMANDS) {
    const c = contributed.get(spec.id);
    assert.ok(c, `${spec.id} is not in package.json contributes.commands`);
    assert.equal(c.title, spec.title, `title of ${spec.id}`);
    assert.equal(c.category, 'Autonomous', `category of ${spec.id}`);
    assert.ok(hidden.has(spec.id), `${spec.id} must be hidden from the palette: without arguments it would fail`);
  }
});

test('every server command has one palette wrapper with the same title, and nothing else is contributed', () => {
  const expected = new Set<string>([...COMMANDS.map((c) => c.id), ...COMMANDS.map((c) => wrapperId(c.id)), ...Object.values(CLIENT_COMMANDS)]);
  for (const spec of COMMANDS) {
    const w = contributed.get(wrapperId(spec.id));
    assert.ok(w, `the wrapper ${wrapperId(spec.id)} of ${spec.id} is missing`);
    assert.equal(w.title, spec.title);
    assert.equal(w.category, 'Autonomous');
  }
  const extra = [...contributed.keys()].filter((id) => !expected.has(id));
  assert.deepEqual(extra, [], 'package.json contributes commands the extension does not implement');
  assert.equal(contributed.size, manifest.contributes.commands.length, 'a command is contributed twice');
});

test('menus only name contributed commands, and the tree view exists', () => {
  for (const [menu, items] of Object.entries(manifest.contributes.menus)) {
    for (const m of items) assert.ok(contributed.has(m.command), `menu ${menu} names ${m.command}, which is not contributed`);
  }
  const views = Object.values(manifest.contributes.views).flat().map((v) => v.id);
  assert.ok(views.includes('autonomous.workflows'));
  assert.ok('autonomous.serverPath' in manifest.contributes.configuration.properties);
});

test('wrapper ids map back to their server command', () => {
  for (const spec of COMMANDS) assert.equal(serverIdOf(wrapperId(spec.id)), spec.id);
  assert.equal(serverIdOf('autonomous.workflow.start'), undefined);
  assert.throws(() => wrapperId('other.command'), /not in the autonomous\. namespace/);
});

test('pickers offer only the workflows a command can act on', () => {
  const byId = new Map(COMMANDS.map((c) => [c.id, c]));
  const cases: [string, string, boolean][] = [
    ['autonomous.workflow.start', 'pending', true],
    ['autonomous.workflow.start', 'running', false],
    ['autonomous.workflow.start', 'completed', false],
    ['autonomous.workflow.pause', 'running', true],
    ['autonomous.workflow.pause', 'paused', false],
    ['autonomous.workflow.resume', 'paused', true],
    ['autonomous.workflow.resume', 'pending', false],
    ['autonomous.workflow.stop', 'running', true],
    ['autonomous.workflow.stop', 'completed', false],
    ['autonomous.log.tail', 'completed', true],
  ];
  for (const [id, status, want] of cases) {
    assert.equal(accepts(byId.get(id)!, { status: status as never }), want, `${id} on a ${status} workflow`);
  }
});
