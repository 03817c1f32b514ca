// Finding the `autonomous` binary: the setting autonomous.serverPath, else
// PATH, else where `go install` puts it. Pure, with the file system check
// passed in, so that the order is tested without touching the machine.
import * as path from 'node:path';

export interface Lookup {
  /** The setting, as the user wrote it ("" when unset). */
  setting: string;
  /** The PATH variable. */
  pathEnv: string | undefined;
  /** GOBIN and GOPATH, for a binary installed with `go install`. */
  gobin?: string;
  gopath?: string;
  /** The user's home folder, for a setting that starts with ~/. */
  home: string;
  /** The first workspace folder, for ${workspaceFolder} in the setting. */
  workspaceFolder?: string;
  platform: NodeJS.Platform;
  isExecutable(file: string): boolean;
}

export type Found = { path: string; source: 'setting' | 'PATH' | 'go install' } | { problem: string };

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
  // The README installs with `go install`, whose folder an editor started
  // from a desktop menu (or code-server's login-shell PATH) often lacks.
  for (const dir of goBinDirs(l)) {
    const p = path.join(dir, exe);
    if (l.isExecutable(p)) return { path: p, source: 'go install' };
  }
  return {
    problem: `The autonomous binary is not on PATH nor in ${goBinDirs(l).join(', ')}, and the setting autonomous.serverPath is empty.`,
  };
}

/** Where `go install` writes: GOBIN, else the bin of each GOPATH entry, else ~/go/bin. */
function goBinDirs(l: Lookup): string[] {
  if (l.gobin) return [l.gobin];
  const gopath = (l.gopath ?? '').split(path.delimiter).filter((d) => d !== '');
  return (gopath.length > 0 ? gopath : [path.join(l.home, 'go')]).map((d) => path.join(d, 'bin'));
}
