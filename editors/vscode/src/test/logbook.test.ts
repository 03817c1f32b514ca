import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LogBook } from '../logbook';
import type { LogEntry } from '../protocol';

const e = (sec: number, text: string): LogEntry => ({ time: `2026-01-01T10:00:${String(sec).padStart(2, '0')}Z`, session: 1, kind: 'text', text });

test('live entries wait for the history, and are not written twice', () => {
  const b = new LogBook();
  assert.equal(b.open('w'), true, 'the first open asks for the history');
  assert.equal(b.open('w'), false, 'later opens do not');
  assert.deepEqual(b.live('w', [e(3, 'c'), e(4, 'd')]), [], 'nothing is written before the history');
  const lines = b.history('w', [e(1, 'a'), e(2, 'b'), e(3, 'c')]);
  assert.deepEqual(
    lines.map((l) => l.slice(-1)),
    ['a', 'b', 'c', 'd'],
  );
  assert.deepEqual(b.live('w', [e(5, 'e')]).map((l) => l.slice(-1)), ['e']);
  assert.deepEqual(b.history('w', [e(1, 'a')]), [], 'a second history answer is ignored');
});

test('a failed history still releases the waiting entries; unknown workflows write nothing', () => {
  const b = new LogBook();
  b.open('w');
  b.live('w', [e(1, 'a')]);
  assert.deepEqual(b.history('w', []).map((l) => l.slice(-1)), ['a']);
  assert.deepEqual(b.live('other', [e(1, 'x')]), []);
  b.close('w');
  assert.equal(b.has('w'), false);
  assert.equal(b.open('w'), true, 'a closed book opens anew');
});
