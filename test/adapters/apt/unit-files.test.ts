import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readUnitSource } from '../../../src/adapters/apt/unit-files.js';
import { propagateRestarts, resolveUnit } from '../../../src/core/preflight/systemd-units.js';

test('readUnitSource finds the real docker.service, containerd.service and docker.socket', async () => {
  const units = new Map();
  for (const name of ['docker.service', 'containerd.service', 'docker.socket']) {
    const source = await readUnitSource(name);
    assert.ok(source?.main !== null && source !== null, `${name} not found`);
    assert.equal(source.main!.text, await readFile(source.main!.file, 'utf8'));
    units.set(name, resolveUnit(source));
  }
  assert.deepEqual(units.get('docker.service').wants.includes('containerd.service'), true);
  assert.deepEqual(
    propagateRestarts([{ unit: 'containerd.service', action: 'restart' }], units).map((c) => c.unit),
    ['containerd.service'],
    'on this machine a containerd restart reaches no other unit',
  );
  assert.equal(await readUnitSource('no-such-unit-upkeep.service'), null);
});

test('readUnitSource: /etc wins over /lib, drop-ins from all directories in file-name order, /etc hiding /lib', async () => {
  const root = await mkdtemp(join(tmpdir(), 'upkeep-units-'));
  try {
    const etc = join(root, 'etc');
    const lib = join(root, 'lib');
    for (const d of [join(etc, 'app.service.d'), join(lib, 'app.service.d')]) await mkdir(d, { recursive: true });
    await writeFile(join(lib, 'app.service'), '[Unit]\nWants=db.service\n');
    await writeFile(join(etc, 'app.service'), '[Unit]\nRequires=db.service\n');
    await writeFile(join(lib, 'app.service.d', '10-a.conf'), '[Unit]\nPartOf=lib.target\n');
    await writeFile(join(lib, 'app.service.d', '20-b.conf'), '[Unit]\nPartOf=hidden.target\n');
    await writeFile(join(etc, 'app.service.d', '20-b.conf'), '[Unit]\nBindsTo=db.service\n');
    await writeFile(join(etc, 'app.service.d', 'notes.txt'), '[Unit]\nPartOf=ignored.target\n');
    const source = await readUnitSource('app.service', [etc, lib]);
    assert.equal(source?.main?.file, join(etc, 'app.service'));
    assert.deepEqual(source?.dropIns.map((d) => d.file), [join(lib, 'app.service.d', '10-a.conf'), join(etc, 'app.service.d', '20-b.conf')]);
    const app = resolveUnit(source!);
    assert.deepEqual([app.wants, app.requires, app.partOf, app.bindsTo], [[], ['db.service'], ['lib.target'], ['db.service']]);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
