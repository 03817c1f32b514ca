// A second LSP client for `autonomous lsp`, written against
// vscode-languageserver-protocol 3.18.5 — the library VS Code's own client is
// built on — rather than by the people who wrote the server. The Go test
// TestNodeClient runs it with:
//   AUTONOMOUS_BIN       the built autonomous binary
//   AUTONOMOUS_HOME      an empty per-user folder
//   AUTONOMOUS_REPO      a git repository to open as the workspace folder
//   AUTONOMOUS_COMMANDS  the command ids the server must advertise (JSON)
'use strict';

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const { pathToFileURL } = require('node:url');
const {
  createProtocolConnection, StreamMessageReader, StreamMessageWriter,
  InitializeRequest, InitializedNotification, ExecuteCommandRequest,
  ShutdownRequest, ExitNotification, WorkDoneProgressCreateRequest, ResponseError,
} = require('vscode-languageserver-protocol/node');

const bin = process.env.AUTONOMOUS_BIN;
const repo = process.env.AUTONOMOUS_REPO;
const expectedCommands = JSON.parse(process.env.AUTONOMOUS_COMMANDS || '[]');

function startServer() {
  const child = spawn(bin, ['lsp', '--stdio'], {
    cwd: repo,
    env: { ...process.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  const conn = createProtocolConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
  const notifications = [];
  const waiters = [];
  conn.onNotification((method, params) => {
    notifications.push({ method, params });
    for (const w of [...waiters]) {
      if (w.method === method && w.match(params)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(params);
      }
    }
  });
  conn.onRequest(WorkDoneProgressCreateRequest.type, () => null);
  conn.listen();
  const waitFor = (method, match, ms = 20000) => {
    const seen = notifications.find((n) => n.method === method && match(n.params));
    if (seen) return Promise.resolve(seen.params);
    return new Promise((resolve, reject) => {
      const w = { method, match, resolve };
      waiters.push(w);
      setTimeout(() => reject(new Error(`no ${method} within ${ms} ms; got: ${JSON.stringify(notifications.map((n) => n.method))}; server stderr:\n${stderr}`)), ms).unref();
    });
  };
  return { child, conn, exited, waitFor, stderr: () => stderr };
}

test('autonomous lsp, seen by vscode-languageserver-protocol', async (t) => {
  assert.ok(bin && repo, 'AUTONOMOUS_BIN and AUTONOMOUS_REPO must be set');
  const { conn, exited, waitFor, stderr } = startServer();
  const folder = pathToFileURL(repo).href;

  const init = await conn.sendRequest(InitializeRequest.type, {
    processId: process.pid,
    clientInfo: { name: 'node-protocol-test' },
    rootUri: folder,
    workspaceFolders: [{ uri: folder, name: 'repo' }],
    capabilities: { window: { workDoneProgress: true }, workspace: { workspaceFolders: true } },
  });
  await conn.sendNotification(InitializedNotification.type, {});

  await t.test('initialize advertises every command', () => {
    const cmds = init.capabilities.executeCommandProvider.commands;
    assert.deepEqual(cmds, expectedCommands);
    for (const c of cmds) assert.match(c, /^autonomous\./);
    assert.equal(init.serverInfo.name, 'autonomous');
    assert.ok(init.capabilities.codeLensProvider);
  });

  await t.test('autonomous.models.list round trip', async () => {
    const res = await conn.sendRequest(ExecuteCommandRequest.type, { command: 'autonomous.models.list', arguments: [{}] });
    assert.equal(res.default, 'claude-sonnet-4-5');
    const sonnet = res.models.find((m) => m.id === 'claude-sonnet-4-5');
    assert.ok(sonnet && sonnet.label && sonnet.prices.input > 0 && sonnet.prices.output > 0, JSON.stringify(res));
  });

  await t.test('a bad argument is an InvalidParams error naming the id', async () => {
    await assert.rejects(
      conn.sendRequest(ExecuteCommandRequest.type, { command: 'autonomous.workflow.get', arguments: [{ id: 'no-such-abc123' }] }),
      (err) => err instanceof ResponseError && err.code === -32602 && err.message.includes('no-such-abc123'),
    );
  });

  await t.test('creating a workflow is announced as autonomous/state', async () => {
    const wf = await conn.sendRequest(ExecuteCommandRequest.type, {
      command: 'autonomous.workflow.create',
      arguments: [{ name: 'From node', spec: 'Add a health check endpoint.' }],
    });
    assert.equal(wf.status, 'pending');
    const state = await waitFor('autonomous/state', (p) => p.workflowId === wf.id);
    assert.equal(state.status, 'pending');
    assert.equal(state.name, 'From node');
    const list = await conn.sendRequest(ExecuteCommandRequest.type, { command: 'autonomous.workflow.list' });
    assert.deepEqual(list.map((w) => w.id), [wf.id]);
    assert.equal(list[0].progress.percent, 0);
  });

  await conn.sendRequest(ShutdownRequest.type);
  await conn.sendNotification(ExitNotification.type);
  const code = await exited;
  assert.equal(code, 0, `exit code ${code}; stderr:\n${stderr()}`);
  conn.dispose();
});
