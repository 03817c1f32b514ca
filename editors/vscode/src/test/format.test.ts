import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clock, doctorReport, logLine, percent, progressText, statusBarText } from '../format';
import { progress, workflow } from './fakes';

test('percent shows one decimal, none when whole', () => {
  const cases: [number, string][] = [
    [0, '0%'],
    [42.857, '42.9%'],
    [42.9, '42.9%'],
    [99.96, '100%'],
    [100, '100%'],
    [12.5, '12.5%'],
  ];
  for (const [p, want] of cases) assert.equal(percent(p), want, String(p));
});

test('progress text', () => {
  assert.equal(progressText(progress(0, 0)), 'no features yet');
  assert.equal(progressText(progress(3, 7)), '3/7 (42.9%)');
  assert.equal(progressText(progress(7, 7)), '7/7 (100%)');
});

test('the status bar shows the followed workflow’s passing/total (percent) and state', () => {
  const cases: [string, ReturnType<typeof workflow> | undefined, number, RegExp][] = [
    ['no workflow', undefined, 0, /^\$\(robot\) Autonomous$/],
    ['running', workflow('a', 'running', { phase: 'coding', progress: progress(3, 7) }), 1, /^\$\(sync~spin\) 3\/7 \(42\.9%\) running · coding$/],
    ['completed', workflow('a', 'completed', { phase: 'coding', progress: progress(7, 7) }), 1, /^\$\(pass-filled\) 7\/7 \(100%\) completed$/],
    ['before the ledger', workflow('a', 'stopped', { name: 'Long task' }), 1, /^\$\(debug-stop\) Long task: stopped$/],
    ['a long name', workflow('a', 'running', { name: 'x'.repeat(40), phase: 'schema_validation' }), 1, /^\$\(sync~spin\) x{29}…: running · schema_validation$/],
  ];
  for (const [name, w, n, want] of cases) assert.match(statusBarText(w, n).text, want, name);
  const tip = statusBarText(workflow('a', 'stuck', { reason: 'feature 3 failed 3 sessions in a row', progress: { ...progress(2, 7), currentFeature: 'search' } }), 1).tooltip;
  assert.match(tip, /stuck: feature 3 failed 3 sessions in a row/);
  assert.match(tip, /Next: search/);
  assert.match(statusBarText(undefined, 0).tooltip, /create one/);
});

test('log lines carry the time, the session and the kind', () => {
  assert.equal(clock('2026-01-01T12:04:05.123456+02:00'), '12:04:05');
  assert.equal(clock('garbage'), 'garbage');
  assert.equal(logLine({ time: '2026-01-01T12:04:05Z', session: 3, kind: 'tool', text: 'Bash: npm test' }), '12:04:05 [s3] tool    Bash: npm test');
  assert.equal(logLine({ time: '2026-01-01T12:04:05Z', session: 0, kind: 'info', text: 'started' }), '12:04:05 info    started');
  assert.equal(logLine({ time: '2026-01-01T12:04:05Z', session: 1, kind: 'text', text: 'a\nb' }), '12:04:05 [s1] text    a\n         b');
});

test('the doctor report shows each check and the fix of each failure', () => {
  const text = doctorReport({
    passed: false,
    checks: [
      { name: 'git', status: 'ok', required: true, detail: 'git 2.39', fix: 'never shown' },
      { name: 'agent CLI', status: 'fail', required: true, detail: 'not installed', fix: 'autonomous runtime install' },
      { name: 'chromium', status: 'warn', required: false, detail: 'not found' },
    ],
  });
  assert.equal(
    text,
    ['Doctor: some required checks failed.', '✓ git: git 2.39', '✗ agent CLI: not installed', '    fix: autonomous runtime install', '! chromium (optional): not found'].join('\n'),
  );
});
