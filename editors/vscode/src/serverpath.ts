// Finding the `autonomous` binary: the setting autonomous.serverPath, else
// PATH. Pure, with the file system check passed in, so that the order is
// tested without touching the machine.
import * as path from 'node:path';

export interface Lookup {
  /** The setting, as the user wrote it ("" when unset). */
  setting: string;
  /** The PATH variable. */
  pathEnv: string | undefined;
  /** The user's home folder, for a setting that starts with ~/. */
  home: string;
  /** The first workspace folder, for ${workspaceFolder} in the setting. */
  workspaceFolder?: string;
  platform: NodeJS.Platform;
  isExecutable(file: string): boolean;
}

export type Found = { path: string; source: 'setting' | 'PATH' } | { problem: string };

/** Where the server binary is, or why it cannot be found. */
export function findServer(l: Lookup): Found {
  const exe = l.platform === 'win32' ? 'autonomous.exe' : 'autonomous';
  const setting = l.setting.trim();
  if (setting !== '') {
    let p = setting;
    if (p === '~' || p.startsWith('~/')) p = path.join(l.home, p.slice(1));
    if (l.workspaceFolder) p = p.replace(/\$\{workspaceFolder\}/g, l.workspaceFolder);
    if (!path.isAbsolute(p) && l.workspaceFolder) p = path.join(l.workspaceFolder, p);
    if (l.isExecutable(p)) return { path: p, source: 'setting' };
    return { problem: `The setting autonomous.serverPath is "${setting}", but ${p} is not an executable file.` };
  }
  for (const dir of (l.pathEnv ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const p = path.join(dir, exe);
    if (l.isExecutable(p)) return { path: p, source: 'PATH' };
  }
  return { problem: `The autonomous binary is not on PATH, and the setting autonomous.serverPath is empty.` };
}
