import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findServer, type Lookup } from '../serverpath';

const base = (over: Partial<Lookup>, executables: string[]): Lookup => ({
  setting: '',
  pathEnv: '/usr/bin:/opt/bin',
  home: '/home/u',
  workspaceFolder: '/repo',
  platform: 'linux',
  isExecutable: (f) => executables.includes(f),
  ...over,
});

test('the server is found from the setting first, then PATH', () => {
  const cases: [string, Partial<Lookup>, string[], string][] = [
    ['PATH, first match', {}, ['/opt/bin/autonomous', '/usr/bin/autonomous'], '/usr/bin/autonomous'],
    ['setting wins over PATH', { setting: '/x/autonomous' }, ['/x/autonomous', '/usr/bin/autonomous'], '/x/autonomous'],
    ['~ expands', { setting: '~/go/bin/autonomous' }, ['/home/u/go/bin/autonomous'], '/home/u/go/bin/autonomous'],
    ['${workspaceFolder} expands', { setting: '${workspaceFolder}/bin/autonomous' }, ['/repo/bin/autonomous'], '/repo/bin/autonomous'],
    ['relative to the workspace', { setting: 'bin/autonomous' }, ['/repo/bin/autonomous'], '/repo/bin/autonomous'],
    ['PATH wins over go install', {}, ['/home/u/go/bin/autonomous', '/opt/bin/autonomous'], '/opt/bin/autonomous'],
    ['~/go/bin when not on PATH', {}, ['/home/u/go/bin/autonomous'], '/home/u/go/bin/autonomous'],
    ['GOBIN', { gobin: '/gb' }, ['/gb/autonomous', '/home/u/go/bin/autonomous'], '/gb/autonomous'],
    ['each GOPATH entry', { gopath: '/g1:/g2' }, ['/g2/bin/autonomous', '/home/u/go/bin/autonomous'], '/g2/bin/autonomous'],
  ];
  for (const [name, over, exes, want] of cases) {
    const got = findServer(base(over, exes));
    assert.ok('path' in got, `${name}: ${JSON.stringify(got)}`);
    assert.equal(got.path, want, name);
  }
});

test('a missing server says where it looked', () => {
  const bad = findServer(base({ setting: '/nope/autonomous' }, ['/usr/bin/autonomous']));
  assert.ok('problem' in bad);
  assert.match(bad.problem, /autonomous\.serverPath is "\/nope\/autonomous", but \/nope\/autonomous is not an executable file/);
  const none = findServer(base({ pathEnv: undefined }, []));
  assert.ok('problem' in none);
  assert.match(none.problem, /not on PATH nor in \/home\/u\/go\/bin, and the setting autonomous\.serverPath is empty/);
  const sources = findServer(base({}, ['/home/u/go/bin/autonomous']));
  assert.ok('source' in sources);
  assert.equal(sources.source, 'go install');
});
