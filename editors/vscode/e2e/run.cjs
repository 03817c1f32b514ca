// The VS Code end to end of e2e_test.go: drives a real VS Code (code-server,
// already serving the demo project with our .vsix installed) in Debian's
// Chromium through playwright-core, as a user would, from the command
// palette. Every wait is on a DOM condition (or a process), with a deadline;
// on failure it saves a screenshot, prints "E2E FAIL: <step>: <why>" and what
// the workbench showed, and exits 1. On success it prints "E2E OK".
//
// Environment: E2E_URL (the workbench, with ?folder=), E2E_PROJECT (that
// folder), E2E_SPEC (the spec file to import), E2E_ARTIFACTS (screenshots),
// E2E_CHROMIUM, E2E_RUN_MS.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { chromium } = require('playwright-core');

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const url = env('E2E_URL');
const project = env('E2E_PROJECT');
const specPath = env('E2E_SPEC');
const artifacts = env('E2E_ARTIFACTS');
const runMs = Number(process.env.E2E_RUN_MS || 360000);

let page;
let currentStep = 'start';
const started = Date.now();

function say(msg) {
  process.stderr.write(`${msg}\n`);
}

function step(name) {
  currentStep = name;
  say(`step: ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
}

class StepError extends Error {}

// Polls fn in the page until it returns something truthy.
async function waitPage(ms, what, fn, arg) {
  try {
    const h = await page.waitForFunction(fn, arg, { timeout: ms, polling: 250 });
    return await h.jsonValue();
  } catch (e) {
    throw new StepError(`${what} did not happen within ${ms / 1000} s (${String(e.message).split('\n')[0]})`);
  }
}

// Polls fn in node until it returns something truthy. On time-out the error
// tells what seen() last returned: what the user had in front of them.
async function waitNode(ms, what, fn, seen) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) {
      const last = seen ? `; last seen:\n    ${String(await seen()).split('\n').join('\n    ')}` : '';
      throw new StepError(`${what} did not happen within ${ms / 1000} s${last}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function shot(name) {
  const file = path.join(artifacts, `${name}.png`);
  await page.screenshot({ path: file });
  say(`  screenshot ${file}`);
}

// The text of every status bar entry, joined by " | ".
function statusBar() {
  return page.evaluate(() =>
    Array.from(document.querySelectorAll('.statusbar-item'))
      .map((e) => (e.getAttribute('aria-label') || e.textContent || '').trim())
      .filter((t) => t !== '')
      .join(' | '),
  );
}

// Opens the command palette, types the command's title and runs it once the
// first row is that command.
async function palette(title) {
  await page.keyboard.press('Escape');
  await page.keyboard.press('Control+Shift+P');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ state: 'visible', timeout: 15000 });
  await input.fill(`>${title}`);
  await waitPage(15000, `the palette to offer "${title}"`, (t) => {
    const row = document.querySelector('.quick-input-widget .quick-input-list .monaco-list-row');
    return row && (row.getAttribute('aria-label') || row.textContent || '').includes(t);
  }, title);
  await page.keyboard.press('Enter');
}

// Waits for a quick input titled title, types text into it and accepts.
// For a QuickPick, text filters the items and the first match is taken.
async function answer(title, text, { pick } = {}) {
  await waitPage(30000, `the prompt "${title}"`, (t) => {
    const w = document.querySelector('.quick-input-widget');
    if (!w || w.style.display === 'none') return false;
    const title = w.querySelector('.quick-input-title');
    return title && title.textContent.includes(t);
  }, title);
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.fill(text);
  if (pick) {
    await waitPage(15000, `the picker "${title}" to offer "${pick}"`, (p) => {
      // The focused row, or the first: the file dialog focuses the typed file.
      const list = document.querySelector('.quick-input-widget .quick-input-list');
      const row = list && (list.querySelector('.monaco-list-row.focused') || list.querySelector('.monaco-list-row'));
      return row && (row.getAttribute('aria-label') || row.textContent || '').includes(p);
    }, pick);
  }
  say(`  ${title}: ${JSON.stringify(text)}`);
  await page.keyboard.press('Enter');
}

async function waitQuickInputClosed() {
  await waitPage(15000, 'the picker to close', () => {
    const w = document.querySelector('.quick-input-widget');
    return !w || w.style.display === 'none' || w.offsetParent === null;
  });
}

// The simple file dialog of VS Code in the browser: its box holds a path;
// typing the file's full path and Enter chooses it.
async function chooseFile(title, file) {
  await answer(title, file, { pick: path.basename(file) });
}

// The filter box of the panel's active view (Output, Problems): each view
// has its own, and only the active one is visible.
function panelFilter() {
  return page.locator('.part.panel .viewpane-filter input:visible');
}

// Quick Open ("Go to File") with the file's full path and a line: VS Code
// opens that very file, not one of the same name elsewhere in the folder.
async function goToFile(file, line) {
  await palette('Go to File');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.fill(`${file}:${line}`);
  await waitPage(15000, `Quick Open to offer ${file}`, (name) => {
    const row = document.querySelector('.quick-input-widget .quick-input-list .monaco-list-row');
    return row && (row.getAttribute('aria-label') || row.textContent || '').includes(name);
  }, path.basename(file));
  say(`  Go to File: ${file}:${line}`);
  await page.keyboard.press('Enter');
}

// The processes running the long session's `sleep 60.417`.
function sleepers() {
  const out = [];
  for (const pid of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes('sleep\0' + '60.417')) out.push(pid);
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

async function newWorkflow(name) {
  await palette('Autonomous: New Workflow');
  await answer('Autonomous: New Workflow (1/2)', name);
  await answer('Autonomous: New Workflow (2/2)', 'Markdown', { pick: 'From a Markdown or text file' });
  await chooseFile('Autonomous: the spec of the new workflow', specPath);
  await waitPage(60000, `the notification that ${name} was created`, (n) => {
    return Array.from(document.querySelectorAll('.notification-toast, .notifications-toasts .notification-list-item')).some((e) =>
      (e.textContent || '').includes(`created ${n}`),
    );
  }, name);
}

async function run() {
  step('open the workbench');
  await page.goto(url);
  await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 60000 });
  await waitPage(60000, 'the extension to show its status bar item', () =>
    Array.from(document.querySelectorAll('.statusbar-item')).some((e) => (e.getAttribute('aria-label') || e.textContent || '').includes('Autonomous')),
  );
  // Wider than the default, so that the Workflows view shows whole feature
  // names: drag the sash between the side bar and the editor, as a user does.
  const bar = await page.locator('.part.sidebar').boundingBox();
  await page.mouse.move(bar.x + bar.width + 1, bar.y + bar.height / 2);
  await page.mouse.down();
  await page.mouse.move(bar.x + bar.width + 180, bar.y + bar.height / 2, { steps: 5 });
  await page.mouse.up();
  await page.mouse.move(bar.x + bar.width + 600, bar.y + 100);
  await waitNode(5000, 'the side bar to widen', async () => (await page.locator('.part.sidebar').boundingBox()).width > bar.width + 100,
    async () => `width ${(await page.locator('.part.sidebar').boundingBox()).width}, was ${bar.width}`);
  await shot('01-workbench');

  step('New Workflow');
  await newWorkflow('Stock management');
  await shot('02-created');

  step('Start');
  await palette('Autonomous: Start');
  await answer('Autonomous: Start', 'Stock management', { pick: 'Stock management' });
  let seenRunning = false;
  const done = await waitNode(runMs, 'the status bar to show 100% and completed', async () => {
    const s = await statusBar();
    if (/\brunning\b/.test(s)) seenRunning = true;
    const m = s.match(/\d+\/\d+ \(100%\) completed/);
    return m && m[0];
  }, statusBar);
  say(`  status bar: ${done}`);
  if (!seenRunning) throw new StepError('the status bar never showed the workflow running');
  await shot('03-completed');

  step('the log output channel');
  // Start reveals the workflow's channel; Show Log from the palette does too.
  await palette('Autonomous: Show Log');
  await answer('Autonomous: Show Log', 'Stock management', { pick: 'Stock management' });
  await waitQuickInputClosed();
  const selected = await waitPage(30000, "the Output panel to show the workflow's channel", () => {
    const sel = document.querySelector('.part.panel select.monaco-select-box, .part.panel .monaco-select-box');
    const t = sel ? sel.title || sel.value || sel.textContent || '' : '';
    return t.includes('Stock management') && t;
  });
  say(`  channel: ${selected.slice(0, 80)}`);
  const tailText = await waitPage(30000, 'the log channel to show timestamped lines', (f) => {
    const v = document.querySelector('.part.panel .monaco-editor .view-lines');
    const t = v ? v.innerText : '';
    return /\d\d:\d\d:\d\d/.test(t) && t;
  });
  say(`  the tail of the log:\n    ${tailText.trim().split('\n').slice(-8).join('\n    ')}`);
  await shot('04-log');
  // The whole run is in the channel: the Output filter finds the agent's
  // test run and its denied command among the lines scrolled away.
  const filter = panelFilter();
  for (const needle of ['npm test', 'denied', 'curl']) {
    await filter.fill(needle);
    const hit = await waitPage(15000, `the log channel to hold "${needle}"`, (n) => {
      const v = document.querySelector('.part.panel .monaco-editor .view-lines');
      // Monaco renders spaces as no-break spaces.
      const t = v ? v.innerText.replace(/\u00a0/g, ' ') : '';
      return t.includes(n) && t;
    }, needle);
    say(`  "${needle}": ${(hit.split('\n').find((l) => l.includes(needle)) || '').slice(0, 160)}`);
  }
  await shot('04b-log-filtered');
  await filter.fill('');

  step('the Problems panel');
  await palette('View: Focus Problems');
  await panelFilter().fill('');
  // Each place of D1 is marked once, in the user's checkout (the workflow's
  // worktree holds copies of the same files, the agent's to change).
  const problems = () =>
    page.evaluate(() =>
      Array.from(document.querySelectorAll('.markers-panel .monaco-list-row')).map((r) => (r.getAttribute('aria-label') || r.textContent || '').replace(/\s+/g, ' ').trim()),
    );
  const rows = await waitNode(30000, "the Problems panel to show D1 on the checkout's .schema/_index.md", async () => {
    const rows = await problems();
    const files = rows.filter((r) => !r.includes('DELETE /api/items/:id'));
    const mine = files.some((r) => r.includes('_index.md') && r.includes('.schema') && !r.includes('worktrees'));
    return mine && rows.some((r) => r.includes('Route DELETE /api/items/:id is documented but not registered')) && rows;
  }, async () => (await problems()).join('\n'));
  say(`  problems:\n    ${rows.join('\n    ').slice(0, 1200)}`);
  const copies = rows.filter((r) => r.includes('worktrees'));
  if (copies.length > 0) throw new StepError(`the Problems panel also lists the worktree's copies: ${copies.join('; ')}`);
  await shot('05-problems');

  step('the overview: the Workflows view, the log, D1 in the editor');
  await palette('Autonomous: Show Log');
  await answer('Autonomous: Show Log', 'Stock management', { pick: 'Stock management' });
  await waitQuickInputClosed();
  await palette('Autonomous: Focus on Workflows View');
  await waitQuickInputClosed();
  const features = await expandWorkflows('Stock management', 7);
  say(`  view rows:\n    ${(await sidebarRows()).map((r) => r.text).join('\n    ')}`);
  const failing = features.filter((r) => !r.text.endsWith('passing'));
  if (features.length !== 7 || failing.length > 0) {
    throw new StepError(`the Workflows view shows ${features.length} features, ${failing.length} not passing; want 7, all passing`);
  }
  // The doc as the user opens it from their checkout: D1 underlined at the
  // line of the DELETE row, its message on hover.
  await goToFile(path.join(project, '.schema', '_index.md'), 23);
  const tab = await waitPage(30000, 'the editor to open .schema/_index.md', () => {
    const t = document.querySelector('.part.editor .tab.active');
    return t && (t.getAttribute('aria-label') || t.textContent || '').includes('_index.md') && t.getAttribute('aria-label');
  });
  say(`  tab: ${tab}`);
  await waitPage(30000, 'the D1 squiggle in the editor', () => document.querySelector('.part.editor .monaco-editor .squiggly-error'));
  // The cursor is on line 23: Show Hover (Ctrl+K Ctrl+I) shows its problem.
  await page.keyboard.press('Control+K');
  await page.keyboard.press('Control+I');
  const hover = await waitPage(30000, 'the hover to show D1', () => {
    const h = document.querySelector('.monaco-hover');
    const t = h ? h.textContent || '' : '';
    return t.includes('documented but not registered') && t;
  });
  say(`  hover: ${hover.slice(0, 200)}`);
  await shot('06-overview');
  await page.keyboard.press('Escape');

  step('Stop a long workflow');
  await newWorkflow('Long task');
  await palette('Autonomous: Start');
  await answer('Autonomous: Start', 'Long task', { pick: 'Long task' });
  await waitNode(90000, 'the long session to run its minute-long command', async () => sleepers().length > 0 && /\bLong task: running\b/.test(await statusBar()),
    async () => `status bar: ${await statusBar()}; sleep processes: ${sleepers().join(' ') || 'none'}`);
  await shot('07-long-running');
  const asked = Date.now();
  await palette('Autonomous: Stop');
  await answer('Autonomous: Stop', 'Long task', { pick: 'Long task' });
  await waitNode(30000, 'the status bar to show the long workflow stopped and its command gone', async () =>
    /\bLong task: stopped\b/.test(await statusBar()) && sleepers().length === 0,
  async () => `status bar: ${await statusBar()}; sleep processes: ${sleepers().join(' ') || 'none'}`);
  say(`  stopped ${((Date.now() - asked) / 1000).toFixed(1)} s after Autonomous: Stop; status bar: ${await statusBar()}`);
  await palette('Autonomous: Focus on Workflows View');
  await waitQuickInputClosed();
  const both = await waitNode(30000, 'the Workflows view to show Long task stopped beside Stock management completed', async () => {
    const t = (await sidebarRows()).map((r) => r.text);
    return t.some((r) => r.startsWith('Long task') && r.includes('stopped')) && t.some((r) => r.startsWith('Stock management') && r.includes('completed')) && t;
  }, async () => (await sidebarRows()).map((r) => r.text).join('\n'));
  say(`  view rows:\n    ${both.join('\n    ')}`);
  await shot('08-stopped');
  say(`E2E OK (${((Date.now() - started) / 1000).toFixed(1)} s)`);
}

// The rows of the side bar's tree: their text, whether they are expanded.
function sidebarRows() {
  return page.evaluate(() =>
    Array.from(document.querySelectorAll('.part.sidebar .monaco-list-row')).map((r) => ({
      text: (r.innerText || '').replace(/\s+/g, ' ').trim(),
      expanded: r.getAttribute('aria-expanded'),
      index: r.getAttribute('data-index'),
    })),
  );
}

// Expands the workflow called name in the Workflows view and each of its
// categories, as a user clicks their twisties open (a refresh of the view may
// fold them again meanwhile), until n features show; returns their rows.
async function expandWorkflows(name, n) {
  return waitNode(30000, `the Workflows view to show the ${n} features of ${name}`, async () => {
    const rows = await sidebarRows();
    const closed = rows.find((r) => r.expanded === 'false');
    if (closed) {
      say(`  expand ${closed.text}`);
      await page.locator(`.part.sidebar .monaco-list-row[data-index="${closed.index}"] .monaco-tl-twistie`).click();
      return false;
    }
    const feats = rows.filter((r) => /(passing|failing|next)$/.test(r.text));
    return feats.length >= n && feats;
  }, async () => (await sidebarRows()).map((r) => r.text).join('\n'));
}

(async () => {
  fs.mkdirSync(artifacts, { recursive: true });
  const browser = await chromium.launch({
    executablePath: process.env.E2E_CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  let code = 0;
  try {
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await run();
  } catch (e) {
    code = 1;
    say(`E2E FAIL: ${currentStep}: ${e instanceof StepError ? e.message : e.stack}`);
    try {
      say(`status bar: ${await statusBar()}`);
      say(`notifications: ${await page.evaluate(() => Array.from(document.querySelectorAll('.notification-list-item')).map((e) => e.textContent).join(' | '))}`);
      await shot('failure');
    } catch (e2) {
      say(`(no screenshot: ${e2.message})`);
    }
  } finally {
    await browser.close();
  }
  process.exit(code);
})();
