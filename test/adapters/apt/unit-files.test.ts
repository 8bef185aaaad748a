import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { SYSTEM_UNIT_DIRS, readActiveUnits, readAllUnits, readEnabledUnits, readUnitSource, readUnitStates } from '../../../src/adapters/apt/unit-files.js';
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
    assert.deepEqual(
      source?.dropIns.map((d) => d.file),
      [join(lib, 'app.service.d', '10-a.conf'), join(etc, 'app.service.d', '20-b.conf')],
    );
    const app = resolveUnit(source!);
    assert.deepEqual([app.wants, app.requires, app.partOf, app.bindsTo], [[], ['db.service'], ['lib.target'], ['db.service']]);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('readAllUnits lists each directory once and reads the same as readUnitSource per unit: /etc over /lib, masked, drop-ins only, templates left out', async () => {
  const root = await mkdtemp(join(tmpdir(), 'upkeep-allunits-'));
  try {
    const etc = join(root, 'etc');
    const run = join(root, 'run');
    const lib = join(root, 'lib');
    for (const d of [join(etc, 'app.service.d'), join(lib, 'app.service.d'), join(run, 'orphan.service.d'), join(lib, 'db.service.d')])
      await mkdir(d, { recursive: true });
    await writeFile(join(lib, 'app.service'), '[Unit]\nWants=db.service\n');
    await writeFile(join(etc, 'app.service'), '[Unit]\nRequires=db.service\n');
    await writeFile(join(lib, 'app.service.d', '10-a.conf'), '[Unit]\nPartOf=lib.target\n');
    await writeFile(join(etc, 'app.service.d', '10-a.conf'), '[Unit]\nPartOf=etc.target\n');
    await writeFile(join(lib, 'db.service'), '[Unit]\nDescription=db\n');
    await writeFile(join(lib, 'db.service.d', 'x.conf'), '[Unit]\nBindsTo=disk.mount\n');
    await writeFile(join(lib, 'gone.service'), '[Unit]\nWants=app.service\n');
    await symlink('/dev/null', join(etc, 'gone.service'));
    await writeFile(join(run, 'orphan.service.d', 'o.conf'), '[Unit]\nPartOf=app.service\n');
    await writeFile(join(lib, 'tpl@.service'), '[Unit]\nWants=app.service\n');
    await writeFile(join(lib, 'README'), 'not a unit\n');
    const dirs = [etc, run, lib, join(root, 'missing')];
    const all = await readAllUnits(dirs);
    assert.deepEqual([...all.keys()], ['app.service', 'db.service', 'gone.service'], 'sorted; no template, no README, no drop-in-only name');
    for (const name of all.keys()) assert.deepEqual(all.get(name), resolveUnit((await readUnitSource(name, dirs))!), name);
    assert.deepEqual(all.get('app.service')!.partOf, ['etc.target']);
    assert.deepEqual(all.get('db.service')!.bindsTo, ['disk.mount']);
    assert.deepEqual(all.get('gone.service')!.wants, [], 'masked in /etc: the /lib file is hidden');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
  // This machine's units: the listed read gives what the one-by-one read gives.
  const real = await readAllUnits();
  assert.ok(real.size > 0);
  for (const name of ['docker.service', 'containerd.service', 'docker.socket'])
    assert.deepEqual(real.get(name), resolveUnit((await readUnitSource(name, SYSTEM_UNIT_DIRS))!), name);
});

test('readEnabledUnits: the links in *.wants/ and *.requires/ directories; readUnitStates on this machine', async () => {
  const root = await mkdtemp(join(tmpdir(), 'upkeep-enabled-'));
  try {
    const etc = join(root, 'etc');
    const run = join(root, 'run');
    for (const d of [join(etc, 'multi-user.target.wants'), join(etc, 'sockets.target.requires'), join(run, 'timers.target.wants'), join(etc, 'app.service.d')])
      await mkdir(d, { recursive: true });
    await symlink('/lib/systemd/system/app.service', join(etc, 'multi-user.target.wants', 'app.service'));
    await symlink('/lib/systemd/system/app.socket', join(etc, 'sockets.target.requires', 'app.socket'));
    await symlink('/lib/systemd/system/app.timer', join(run, 'timers.target.wants', 'app.timer'));
    await writeFile(join(etc, 'app.service.d', 'x.conf'), '[Service]\n');
    assert.deepEqual([...(await readEnabledUnits([etc, run]))].sort(), ['app.service', 'app.socket', 'app.timer']);
    assert.deepEqual([...(await readEnabledUnits([join(root, 'none')]))], []);
    const states = await readUnitStates(['app.service', 'other.service'], { enableDirs: [etc, run] });
    assert.equal(states.get('app.service')!.enabled, true);
    assert.equal(states.get('other.service')!.enabled, false);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
  // This machine: docker.service is enabled (multi-user.target.wants); systemd is not PID 1, so activity is unknown.
  const real = await readUnitStates(['docker.service', 'no-such-unit-upkeep.service']);
  assert.equal(real.get('docker.service')!.enabled, true);
  assert.equal(real.get('no-such-unit-upkeep.service')!.enabled, false);
  if (!existsSync('/run/systemd/system')) assert.equal(await readActiveUnits(['docker.service']), null);
});
