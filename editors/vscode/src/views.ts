// The vscode side of the Workflows view and the status bar item: thin
// adapters over tree.ts and format.ts.
import * as vscode from 'vscode';
import { CLIENT_COMMANDS, wrapperId } from './commands';
import { statusBarText } from './format';
import type { Feature } from './protocol';
import { chooseActive, type WorkflowStore } from './store';
import { childNodes, rootNodes, type TreeNode } from './tree';

export class WorkflowTree implements vscode.TreeDataProvider<TreeNode> {
  private readonly changed = new vscode.EventEmitter<TreeNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;

  constructor(
    private readonly store: WorkflowStore,
    private readonly features: (id: string) => Feature[] | undefined,
  ) {}

  refresh(): void {
    this.changed.fire(undefined);
  }

  getChildren(node?: TreeNode): TreeNode[] {
    return node ? childNodes(node, this.store, this.features) : rootNodes(this.store);
  }

  getTreeItem(n: TreeNode): vscode.TreeItem {
    const item = new vscode.TreeItem(n.label, n.collapsible ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
    item.id = n.key;
    item.description = n.description;
    item.tooltip = n.tooltip;
    item.contextValue = n.contextValue;
    item.iconPath = new vscode.ThemeIcon(n.icon, n.iconColor ? new vscode.ThemeColor(n.iconColor) : undefined);
    if (n.kind === 'workflow') {
      // A click shows the log: what a user wants most of a running workflow.
      item.command = { command: wrapperId('autonomous.log.tail'), title: 'Show Log', arguments: [n] };
    }
    return item;
  }
}

/** The status bar item: the followed workflow's progress and state; a click picks another. */
export class StatusItem implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('autonomous.status', vscode.StatusBarAlignment.Left, 50);
  picked: string | undefined;

  constructor(private readonly store: WorkflowStore) {
    this.item.name = 'Autonomous workflow';
    this.item.command = CLIENT_COMMANDS.selectActive;
    this.update();
    this.item.show();
  }

  update(): void {
    const all = this.store.all();
    const t = statusBarText(chooseActive(all, this.picked), all.length);
    this.item.text = t.text;
    this.item.tooltip = t.tooltip;
  }

  dispose(): void {
    this.item.dispose();
  }
}
