// The Autonomous extension: it starts `autonomous lsp` and shows what the
// server sends. All the logic of workflows lives in the server; this file
// wires the pieces (commands.ts explains the command mapping):
//
//   store.ts    workflows, from workflow.list and the autonomous/* notifications
//   views.ts    the Workflows tree and the status bar item
//   outputs.ts  one log output channel per workflow
//   pickers.ts  what the palette commands ask before calling the server
//
// Diagnostics (schema discrepancies, ledger problems) and $/progress are
// standard LSP: vscode-languageclient shows them by itself.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  ExecuteCommandRequest,
  LanguageClient,
  MessageType,
  ShowMessageNotification,
  State,
  type LanguageClientOptions,
  type ServerOptions,
  type ShowMessageParams,
} from 'vscode-languageclient/node';
import { CLIENT_COMMANDS, COMMANDS, commandSpec, wrapperId, type CommandSpec } from './commands';
import { doctorReport } from './format';
import { workflowMentioned } from './messages';
import { askConfigUpdate, askNewWorkflow, confirmDelete, pickModel, pickValidateTarget, pickWorkflow, type WindowLike } from './pickers';
import * as proto from './protocol';
import { findServer } from './serverpath';
import { WorkflowStore } from './store';
import { LEDGER_FILE, parseLedger, type TreeNode } from './tree';
import { LogChannels } from './outputs';
import { StatusItem, WorkflowTree } from './views';

const INSTALL_URL = 'https://github.com/autonomous-coding/autonomous#install';
const SPEC_FILE = '.autonomous/app_spec.txt';

let running: Extension | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  running = new Extension(context);
  context.subscriptions.push(running);
  await running.start();
}

export async function deactivate(): Promise<void> {
  // Stopping the client sends shutdown and exit: the server leaves every
  // running workflow paused and resumable.
  await running?.stop();
  running = undefined;
}

class Extension implements vscode.Disposable {
  private readonly output = vscode.window.createOutputChannel('Autonomous', { log: true });
  private readonly store = new WorkflowStore();
  private readonly features = new Map<string, proto.Feature[]>();
  private readonly tree = new WorkflowTree(this.store, (id) => this.features.get(id));
  private readonly status = new StatusItem(this.store);
  private readonly logs = new LogChannels(
    (id) => this.exec<{ entries: proto.LogEntry[] }>('autonomous.log.tail', { id }).then((r) => r.entries),
    (id) => this.store.get(id)?.name ?? id,
  );
  private readonly disposables: vscode.Disposable[] = [];
  private client: LanguageClient | undefined;
  private problem: string | undefined;

  constructor(private readonly context: vscode.ExtensionContext) {
    this.status.picked = context.workspaceState.get<string>('autonomous.activeWorkflow');
    this.disposables.push(
      this.output,
      this.status,
      this.logs,
      vscode.window.createTreeView('autonomous.workflows', { treeDataProvider: this.tree, showCollapseAll: true }),
      this.store.onChange(() => {
        this.tree.refresh();
        this.status.update();
      }),
      vscode.workspace.onDidSaveTextDocument((doc) => this.onSave(doc)),
      vscode.workspace.onDidChangeWorkspaceFolders((e) => {
        for (const f of e.removed) this.store.replaceFolder(f.uri.fsPath, []);
        void this.refresh();
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('autonomous.serverPath')) void this.restart();
      }),
    );
    for (const spec of COMMANDS) {
      this.disposables.push(vscode.commands.registerCommand(wrapperId(spec.id), (arg?: unknown) => this.run(spec, arg)));
    }
    this.disposables.push(
      vscode.commands.registerCommand(CLIENT_COMMANDS.selectActive, () => this.selectActive()),
      vscode.commands.registerCommand(CLIENT_COMMANDS.refresh, () => this.refresh()),
    );
  }

  async start(): Promise<void> {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    const found = findServer({
      setting: vscode.workspace.getConfiguration('autonomous').get<string>('serverPath', ''),
      pathEnv: process.env.PATH,
      gobin: process.env.GOBIN,
      gopath: process.env.GOPATH,
      home: os.homedir(),
      workspaceFolder: folder,
      platform: process.platform,
      isExecutable,
    });
    if ('problem' in found) {
      this.problem = found.problem;
      this.output.appendLine(found.problem);
      void this.explainMissingServer();
      return;
    }
    this.problem = undefined;
    this.output.appendLine(`Starting ${found.path} lsp (found via ${found.source})`);
    const serverOptions: ServerOptions = { command: found.path, args: ['lsp'], options: { cwd: folder } };
    const clientOptions: LanguageClientOptions = {
      // Code lenses on the ledger and on workflow files; diagnostics come for any file.
      documentSelector: [
        { scheme: 'file', pattern: '**/.autonomous/feature_list.json' },
        { scheme: 'file', pattern: '**/.autonomous/workflows/*.yaml' },
      ],
      outputChannel: this.output,
    };
    const client = new LanguageClient('autonomous', 'Autonomous', serverOptions, clientOptions);
    client.onNotification(proto.MethodState, (p: proto.StateParams) => this.onState(p));
    client.onNotification(proto.MethodProgress, (p: proto.ProgressParams) => this.onProgress(p));
    client.onNotification(proto.MethodLog, (p: proto.LogParams) => this.logs.onLog(p));
    client.onNotification(proto.MethodSession, (p: proto.SessionParams) => this.store.applySession(p));
    // Registered before start, this replaces the client's own handler: same
    // toasts, plus a button to the log of the workflow the message is about.
    client.onNotification(ShowMessageNotification.type, (p) => this.onShowMessage(p));
    client.onDidChangeState((e) => {
      if (e.newState === State.Running) void this.refresh();
    });
    this.client = client;
    try {
      await client.start();
    } catch (err) {
      void vscode.window.showErrorMessage(`Autonomous: the server did not start: ${message(err)}`, 'Show Output').then((b) => b && this.output.show());
    }
  }

  async stop(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    if (c && c.state !== State.Stopped) await c.stop();
  }

  private async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }

  private async explainMissingServer(): Promise<void> {
    const install = 'Install Instructions';
    const settings = 'Open Settings';
    const b = await vscode.window.showErrorMessage(`Autonomous: ${this.problem}`, install, settings);
    if (b === install) void vscode.env.openExternal(vscode.Uri.parse(INSTALL_URL));
    if (b === settings) void vscode.commands.executeCommand('workbench.action.openSettings', 'autonomous.serverPath');
  }

  /** Sends one server command with its argument object. */
  private async exec<T>(id: string, args?: object): Promise<T> {
    const c = this.client;
    if (!c || this.problem) throw new Error(this.problem ?? 'the server is not running');
    if (!c.isRunning()) await c.start();
    return (await c.sendRequest(ExecuteCommandRequest.type, { command: id, arguments: args === undefined ? [] : [args] })) as T;
  }

  /** The workspace folder a folder-wide command acts on: asks when there are several. */
  private async folderArg(): Promise<{ folder?: string } | undefined> {
    const folders = vscode.workspace.workspaceFolders ?? [];
    if (folders.length <= 1) return {};
    const f = await vscode.window.showWorkspaceFolderPick({ placeHolder: 'Which folder?' });
    return f ? { folder: f.uri.fsPath } : undefined;
  }

  /** Reloads every folder's workflows. */
  private async refresh(): Promise<void> {
    const folders = vscode.workspace.workspaceFolders ?? [];
    for (const f of folders) {
      try {
        const rows = (await this.exec<proto.WorkflowSummary[] | null>('autonomous.workflow.list', folders.length > 1 ? { folder: f.uri.fsPath } : {})) ?? [];
        // Rows are kept by workspace folder, the key the editor knows them by.
        this.store.replaceFolder(f.uri.fsPath, rows.map((r) => ({ ...r, folder: f.uri.fsPath })));
        for (const w of rows) void this.readLedger(w);
      } catch (err) {
        this.output.appendLine(`List workflows of ${f.uri.fsPath}: ${message(err)}`);
      }
    }
  }

  private async readLedger(w: proto.WorkflowSummary): Promise<void> {
    if (!w.worktree) return;
    try {
      const ledger = parseLedger(await fs.promises.readFile(path.join(w.worktree, LEDGER_FILE), 'utf8'));
      if (ledger) this.features.set(w.id, ledger);
      else this.features.delete(w.id);
    } catch {
      this.features.delete(w.id); // no ledger yet: the initializer writes it
    }
    this.tree.refresh();
  }

  private onState(p: proto.StateParams): void {
    if (p.status === 'deleted') {
      this.logs.close(p.workflowId);
      this.features.delete(p.workflowId);
    }
    const known = this.store.get(p.workflowId) !== undefined;
    this.store.applyState(p);
    // A workflow created elsewhere (the CLI, another editor): fetch its full row.
    if (!known && p.status !== 'deleted') void this.refresh();
  }

  private onProgress(p: proto.ProgressParams): void {
    this.store.applyProgress(p);
    const w = this.store.get(p.workflowId);
    if (w) void this.readLedger(w);
  }

  private async onShowMessage(p: ShowMessageParams): Promise<void> {
    const w = workflowMentioned(p.message, this.store.all());
    const buttons = w ? ['Show Log'] : [];
    const show = p.type === MessageType.Error ? vscode.window.showErrorMessage : p.type === MessageType.Warning ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
    const b = await show(p.message, ...buttons);
    if (b && w) this.logs.show(w.id);
  }

  /** Saving a workflow's spec (opened by Edit Spec or otherwise) sends it to the server, which commits it. */
  private onSave(doc: vscode.TextDocument): void {
    if (doc.uri.scheme !== 'file') return;
    const w = this.store.all().find((x) => x.worktree && samePath(doc.uri.fsPath, path.join(x.worktree, SPEC_FILE)));
    if (!w) return;
    this.exec<proto.SpecResult>('autonomous.spec.save', { id: w.id, text: doc.getText() }).then(
      () => vscode.window.setStatusBarMessage(`$(check) Autonomous: spec of ${w.name} saved and committed on ${w.branch}`, 5000),
      (err: unknown) => void vscode.window.showErrorMessage(`Autonomous: Save Spec of ${w.name}: ${message(err)}`),
    );
  }

  private async selectActive(): Promise<void> {
    const all = this.store.all();
    if (all.length === 0) {
      await vscode.commands.executeCommand(wrapperId('autonomous.workflow.create'));
      return;
    }
    const w = await pickWorkflow(vscode.window, { id: '', title: 'Follow Workflow', ask: 'workflow' }, all);
    if (!w) return;
    this.status.picked = w.id;
    await this.context.workspaceState.update('autonomous.activeWorkflow', w.id);
    this.status.update();
  }

  /** A palette wrapper: ask what is missing, call the server, show the result. */
  private async run(spec: CommandSpec, arg: unknown): Promise<unknown> {
    try {
      return await this.runUnguarded(spec, arg);
    } catch (err) {
      void vscode.window.showErrorMessage(`Autonomous: ${spec.title}: ${message(err)}`);
      return undefined;
    }
  }

  /** The workflow a wrapper acts on: from a tree node or an id argument, else picked. */
  private async workflowArg(spec: CommandSpec, arg: unknown): Promise<proto.WorkflowSummary | undefined> {
    const given = typeof arg === 'string' ? arg : isNode(arg) ? arg.workflowId : isIdArg(arg) ? arg.id : undefined;
    if (given) {
      const w = this.store.get(given);
      if (w) return w;
    }
    await this.refresh(); // pick among fresh rows
    return pickWorkflow(vscode.window, spec, this.store.all());
  }

  private async runUnguarded(spec: CommandSpec, arg: unknown): Promise<unknown> {
    const win: WindowLike = vscode.window;
    switch (spec.id) {
      case 'autonomous.workflow.create': {
        const folder = await this.folderArg();
        if (!folder) return undefined;
        const editor = vscode.window.activeTextEditor;
        const answers = await askNewWorkflow(win, {
          activeEditor: editor ? { label: vscode.workspace.asRelativePath(editor.document.uri), text: editor.document.getText() } : undefined,
          chooseFile: async () => {
            const picked = await vscode.window.showOpenDialog({
              title: 'Autonomous: the spec of the new workflow',
              canSelectMany: false,
              openLabel: 'Use as spec',
              defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
              filters: { 'Markdown or text': ['md', 'markdown', 'txt'] },
            });
            return picked?.[0]?.fsPath;
          },
        });
        if (!answers) return undefined;
        const wf = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Autonomous: creating ${answers.name}…` }, () =>
          this.exec<{ id: string; name: string; branch: string }>(spec.id, { ...answers, ...folder }),
        );
        await this.refresh();
        this.status.picked = wf.id;
        this.status.update();
        const start = 'Start';
        const b = await vscode.window.showInformationMessage(`Autonomous: created ${wf.name} (${wf.id}) on branch ${wf.branch}.`, start, 'Edit Spec');
        if (b === start) return this.run(commandSpec('autonomous.workflow.start')!, wf.id);
        if (b === 'Edit Spec') return this.run(commandSpec('autonomous.spec.get')!, wf.id);
        return wf;
      }
      case 'autonomous.workflow.list': {
        await this.refresh();
        const w = await pickWorkflow(win, { ...spec, title: 'Workflows' }, this.store.all());
        if (w) return this.run(commandSpec('autonomous.workflow.get')!, w.id);
        return undefined;
      }
      case 'autonomous.workflow.get': {
        const w = await this.workflowArg(spec, arg);
        if (!w) return undefined;
        const record = await this.exec<unknown>(spec.id, { id: w.id });
        const doc = await vscode.workspace.openTextDocument({ language: 'json', content: JSON.stringify(record, null, 2) });
        await vscode.window.showTextDocument(doc, { preview: true });
        return record;
      }
      case 'autonomous.workflow.start':
      case 'autonomous.workflow.resume': {
        const w = await this.workflowArg(spec, arg);
        if (!w) return undefined;
        const r = await this.exec<unknown>(spec.id, { id: w.id });
        this.status.picked = w.id;
        this.status.update();
        this.logs.show(w.id);
        return r;
      }
      case 'autonomous.workflow.pause':
      case 'autonomous.workflow.stop': {
        const w = await this.workflowArg(spec, arg);
        if (!w) return undefined;
        const r = await this.exec<proto.ControlResult>(spec.id, { id: w.id });
        vscode.window.setStatusBarMessage(`Autonomous: ${w.name}: ${r.message}`, 5000);
        return r;
      }
      case 'autonomous.workflow.delete': {
        const w = await this.workflowArg(spec, arg);
        if (!w) return undefined;
        const how = await confirmDelete(win, w);
        if (!how) return undefined;
        const r = await this.exec<proto.DeleteResult>(spec.id, { id: w.id, ...how });
        void vscode.window.showInformationMessage(`Autonomous: ${r.message}`);
        return r;
      }
      case 'autonomous.schema.validate': {
        const given = isNode(arg) ? arg.workflowId : typeof arg === 'string' ? arg : undefined;
        await this.refresh();
        const target = given ? { id: given } : await pickValidateTarget(win, spec, this.store.all());
        if (!target) return undefined;
        const folder = target.id ? {} : await this.folderArg();
        if (!folder) return undefined;
        const r = await this.exec<proto.ValidateResult>(spec.id, { ...target, ...folder });
        const counts = (r.results ?? []).map((s) => `${s.workflowId}: ${s.problem ?? `${plural(s.errors, 'error')}, ${plural(s.warnings, 'warning')}`}`);
        void vscode.window.showInformationMessage(
          r.started ? `Autonomous: validating the schema in ${r.started}; discrepancies will show in the Problems panel.` : `Autonomous: latest schema results: ${counts.join('; ') || 'none yet'}.`,
        );
        return r;
      }
      case 'autonomous.spec.get': {
        const w = await this.workflowArg(spec, arg);
        if (!w) return undefined;
        const r = await this.exec<proto.SpecResult>(spec.id, { id: w.id });
        // The spec is a real file in the workflow's worktree: a normal tab,
        // and saving it sends it to the server (onSave).
        const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(r.path));
        await vscode.window.showTextDocument(doc, { preview: false });
        return r;
      }
      case 'autonomous.spec.save': {
        const doc = vscode.window.activeTextEditor?.document;
        const w = doc && this.store.all().find((x) => x.worktree && samePath(doc.uri.fsPath, path.join(x.worktree, SPEC_FILE)));
        if (!doc || !w) {
          void vscode.window.showInformationMessage('Autonomous: Save Spec saves the spec in the active editor: open one with Autonomous: Edit Spec.');
          return undefined;
        }
        return doc.save(); // onSave sends it
      }
      case 'autonomous.spec.import': {
        const w = await this.workflowArg(spec, arg);
        if (!w) return undefined;
        const picked = await vscode.window.showOpenDialog({
          title: `Autonomous: Import Spec into ${w.name}`,
          canSelectMany: false,
          openLabel: 'Import',
          defaultUri: vscode.Uri.file(w.folder),
          filters: { 'Markdown or text': ['md', 'markdown', 'txt'] },
        });
        const file = picked?.[0];
        if (!file) return undefined;
        const r = await this.exec<proto.SpecResult>(spec.id, { id: w.id, path: file.fsPath });
        void vscode.window.showInformationMessage(`Autonomous: the spec of ${w.name} is now ${vscode.workspace.asRelativePath(file)} (committed on ${w.branch}).`);
        return r;
      }
      case 'autonomous.log.tail': {
        const w = await this.workflowArg(spec, arg);
        if (!w) return undefined;
        this.logs.show(w.id);
        return undefined;
      }
      case 'autonomous.models.list': {
        const folder = await this.folderArg();
        if (!folder) return undefined;
        const models = await this.exec<proto.ModelsResult>(spec.id, folder);
        const id = await pickModel(win, models);
        if (!id) return undefined;
        const r = await this.exec<proto.ConfigUpdateResult>('autonomous.config.update', { key: 'defaults.model', value: id, scope: 'project', ...folder });
        void vscode.window.showInformationMessage(`Autonomous: new workflows will use ${id} (written to ${r.file}).`);
        return r;
      }
      case 'autonomous.runtime.status': {
        const r = await this.exec<proto.RuntimeStatus>(spec.id, {});
        const text = r.installed
          ? `${r.package} ${r.version ?? ''} is installed at ${r.path}${r.installing ? ' (an install is running)' : ''}.`
          : `${r.package} is not installed${r.problem ? `: ${r.problem}` : ''}.`;
        const install = 'Install Runtime';
        const b = await vscode.window.showInformationMessage(`Autonomous: ${text}`, ...(r.installed ? [] : [install]));
        if (b === install) return this.run(commandSpec('autonomous.runtime.install')!, undefined);
        return r;
      }
      case 'autonomous.runtime.install': {
        const r = await this.exec<proto.RuntimeInstallResult>(spec.id, {});
        vscode.window.setStatusBarMessage(`Autonomous: installing the Claude Code CLI ${r.version}…`, 10000);
        return r;
      }
      case 'autonomous.config.get': {
        const folder = await this.folderArg();
        if (!folder) return undefined;
        const cfg = await this.exec<unknown>(spec.id, folder);
        const doc = await vscode.workspace.openTextDocument({ language: 'json', content: JSON.stringify(cfg, null, 2) });
        await vscode.window.showTextDocument(doc, { preview: true });
        return cfg;
      }
      case 'autonomous.config.update': {
        const folder = await this.folderArg();
        if (!folder) return undefined;
        const answers = await askConfigUpdate(win);
        if (!answers) return undefined;
        const r = await this.exec<proto.ConfigUpdateResult>(spec.id, { ...answers, ...folder });
        void vscode.window.showInformationMessage(`Autonomous: ${r.key} written to ${r.file}.`);
        return r;
      }
      case 'autonomous.doctor': {
        const folder = await this.folderArg();
        if (!folder) return undefined;
        const r = await this.exec<proto.DoctorResult>(spec.id, folder);
        this.output.appendLine(doctorReport(r));
        this.output.show(true);
        const show = r.passed ? vscode.window.showInformationMessage : vscode.window.showWarningMessage;
        void show(r.passed ? 'Autonomous: Doctor: all required checks pass.' : 'Autonomous: Doctor: some required checks fail; see the output for how to fix them.');
        return r;
      }
    }
    throw new Error(`no handler for ${spec.id}`);
  }
}

function isNode(arg: unknown): arg is TreeNode {
  return typeof arg === 'object' && arg !== null && typeof (arg as TreeNode).workflowId === 'string' && typeof (arg as TreeNode).kind === 'string';
}

function isIdArg(arg: unknown): arg is { id: string } {
  return typeof arg === 'object' && arg !== null && typeof (arg as { id?: unknown }).id === 'string';
}

function isExecutable(file: string): boolean {
  try {
    const st = fs.statSync(file);
    if (!st.isFile()) return false;
    if (process.platform === 'win32') return true;
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function samePath(a: string, b: string): boolean {
  return path.resolve(a) === path.resolve(b);
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
