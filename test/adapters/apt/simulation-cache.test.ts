/**
 * The apt simulation cache on a temp root (fake dpkg status, lists, sources, preferences, apt.conf,
 * apt-get binary): the key changes with each input, a hit returns the cached text without running
 * apt, a miss runs it, a damaged / foreign / stale file is ignored and rewritten, a read-only state
 * directory works without caching. No apt runs here (the simulation is a counter).
 */
import assert from 'node:assert/strict';
import {
  appendFileSync,
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, beforeEach, describe, test } from 'node:test';
import {
  aptSimulationCacheFile,
  currentAptSimulationKey,
  simulateUpgradeCached,
  type AptSimulationCacheOptions,
} from '../../../src/adapters/apt/simulation-cache.js';
import { aptInputPaths, parseAptConfigDump } from '../../../src/core/preflight/apt-simulation-cache.js';

const base = mkdtempSync(join(tmpdir(), 'upkeep-aptcache-'));
after(() => rmSync(base, { recursive: true, force: true }));
let n = 0;

/** A fresh fake machine under a temp root, and the cache options that read it. */
function machine(over: Partial<AptSimulationCacheOptions> = {}) {
  const root = join(base, String(n++));
  const w = (p: string, text: string) => {
    mkdirSync(join(root, p, '..'), { recursive: true });
    writeFileSync(join(root, p), text);
  };
  w('var/lib/dpkg/status', 'Package: libfoo\nStatus: install ok installed\nVersion: 1.0\n\n');
  mkdirSync(join(root, 'var/lib/dpkg/updates'), { recursive: true });
  w('var/lib/dpkg/arch', 'amd64\n');
  w('var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages', 'Package: libfoo\nVersion: 1.1\n\n');
  w('var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_InRelease', 'Origin: Debian\n');
  w('var/lib/apt/lists/lock', '');
  mkdirSync(join(root, 'var/lib/apt/lists/partial'), { recursive: true });
  w('var/lib/apt/extended_states', '');
  w('etc/apt/sources.list', '');
  w('etc/apt/sources.list.d/debian.sources', 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm\nComponents: main\n');
  mkdirSync(join(root, 'etc/apt/preferences.d'), { recursive: true });
  w('etc/apt/apt.conf.d/70debconf', '');
  w('usr/bin/apt-get', '#!/bin/sh\n');
  const stateDir = join(root, 'state');
  mkdirSync(stateDir, { mode: 0o700 });
  const runs = { count: 0 };
  const config = `Dir "${root}/";\nDir::State::status "${root}/var/lib/dpkg/status";\n`;
  const opts: AptSimulationCacheOptions = {
    stateDir,
    upkeepVersion: '0.1.0',
    aptConfig: async () => config,
    aptGet: join(root, 'usr/bin/apt-get'),
    kernel: '6.1.0-28-amd64',
    simulate: async (mode) => {
      runs.count++;
      return `Inst libfoo [1.0] (1.1 Debian:12/stable [amd64])\n# ${mode} run ${runs.count}\n`;
    },
    now: () => new Date('2026-11-30T01:00:00.000Z'),
    ...over,
  };
  return { root, stateDir, opts, runs, path: (p: string) => join(root, p) };
}

describe('the key', () => {
  test('apt-config dump resolves the input paths under Dir, absolute values standing alone', () => {
    const p = aptInputPaths(parseAptConfigDump('Dir "/r/";\nDir::State::status "/s/dpkg/status";\nDir::Etc::sourceparts "/elsewhere/s.d/";\nFoo "x";\n'));
    assert.deepEqual(p, {
      dpkgStatus: '/s/dpkg/status',
      dpkgUpdates: '/s/dpkg/updates',
      dpkgArch: '/s/dpkg/arch',
      lists: '/r/var/lib/apt/lists',
      extendedStates: '/r/var/lib/apt/extended_states',
      sourceList: '/r/etc/apt/sources.list',
      sourceParts: '/elsewhere/s.d',
      preferences: '/r/etc/apt/preferences',
      preferencesParts: '/r/etc/apt/preferences.d',
      confMain: '/r/etc/apt/apt.conf',
      confParts: '/r/etc/apt/apt.conf.d',
    });
    assert.equal(aptInputPaths(new Map()).lists, '/var/lib/apt/lists');
  });

  test('is the same when nothing changed, and differs for each input that changes', async () => {
    const m = machine();
    const key = () => currentAptSimulationKey('dist-upgrade', m.opts);
    const first = await key();
    assert.equal(await key(), first);
    // Each change must give a key never seen before.
    const seen = new Set([first]);
    const changes: [string, () => void | Promise<void>][] = [
      ['upgrade mode', () => undefined],
      [
        'dpkg status replaced (dpkg renames a new one in)',
        () => {
          writeFileSync(m.path('var/lib/dpkg/status-new'), readFileSync(m.path('var/lib/dpkg/status')));
          renameSync(m.path('var/lib/dpkg/status-new'), m.path('var/lib/dpkg/status'));
        },
      ],
      ['dpkg journal entry', () => writeFileSync(m.path('var/lib/dpkg/updates/0001'), 'Package: libfoo\n')],
      ['foreign architecture', () => appendFileSync(m.path('var/lib/dpkg/arch'), 'i386\n')],
      [
        'list replaced, same size and mtime',
        () => {
          const p = m.path('var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages');
          const st = statSync(p);
          writeFileSync(`${p}.new`, readFileSync(p));
          utimesSync(`${p}.new`, st.atime, st.mtime);
          renameSync(`${p}.new`, p);
        },
      ],
      ['list touched', () => utimesSync(m.path('var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_InRelease'), new Date(), new Date(Date.now() + 5000))],
      ['list added', () => writeFileSync(m.path('var/lib/apt/lists/deb.example.org_dists_x_Packages'), 'Package: bar\n')],
      ['extended_states', () => writeFileSync(m.path('var/lib/apt/extended_states'), 'Package: libfoo\nAuto-Installed: 1\n')],
      ['sources.list edited', () => writeFileSync(m.path('etc/apt/sources.list'), 'deb http://deb.debian.org/debian bookworm-backports main\n')],
      ['sources.list.d file renamed', () => renameSync(m.path('etc/apt/sources.list.d/debian.sources'), m.path('etc/apt/sources.list.d/debian.sources.off'))],
      ['preferences created', () => writeFileSync(m.path('etc/apt/preferences'), 'Package: libfoo\nPin: version 1.0\nPin-Priority: 1001\n')],
      ['preferences.d pin', () => writeFileSync(m.path('etc/apt/preferences.d/nodejs'), 'Package: nodejs\nPin: origin x\nPin-Priority: 600\n')],
      ['apt.conf created', () => writeFileSync(m.path('etc/apt/apt.conf'), 'APT::Get::Upgrade-Allow-New "1";\n')],
      ['apt.conf.d edited in place, same size', () => writeFileSync(m.path('etc/apt/apt.conf.d/70debconf'), 'X')],
      ['apt-get binary replaced', () => writeFileSync(m.path('usr/bin/apt-get'), '#!/bin/sh\nexit 0\n')],
    ];
    for (const [what, change] of changes) {
      await change();
      const k = what === 'upgrade mode' ? await currentAptSimulationKey('upgrade', m.opts) : await key();
      assert.ok(!seen.has(k), `the key did not change with: ${what}`);
      seen.add(k);
    }
    const last = await key();
    for (const [what, o] of [
      ['kernel', { kernel: '6.1.0-29-amd64' }],
      ["upkeep's version", { upkeepVersion: '0.2.0' }],
      ['apt config', { aptConfig: async () => `Dir "${m.root}/";\nDir::State::status "${m.path('var/lib/dpkg/status')}";\nAPT::Install-Recommends "0";\n` }],
    ] as const) {
      const k = await currentAptSimulationKey('dist-upgrade', { ...m.opts, ...o });
      assert.notEqual(k, last, `the key did not change with: ${what}`);
    }
    // apt's lock and partial downloads are not inputs.
    writeFileSync(m.path('var/lib/apt/lists/lock'), 'x');
    writeFileSync(m.path('var/lib/apt/lists/partial/foo_Packages'), 'partial');
    assert.equal(await key(), last);
  });

  test('an input that exists but cannot be read gives no key', async () => {
    const m = machine({ aptConfig: async () => Promise.reject(new Error('apt-config: not found')) });
    await assert.rejects(currentAptSimulationKey('dist-upgrade', m.opts), /apt-config/);
  });
});

describe('simulateUpgradeCached', () => {
  let m: ReturnType<typeof machine>;
  beforeEach(() => {
    m = machine();
  });

  test('a miss runs apt and writes the cache (0600); a hit returns the same text without running apt', async () => {
    const first = await simulateUpgradeCached('dist-upgrade', m.opts);
    assert.equal(m.runs.count, 1);
    assert.equal(first.simulation.cached, false);
    assert.equal(first.simulation.note, 'no cache yet');
    assert.match(first.simulation.key ?? '', /^[0-9a-f]{64}$/);
    const file = aptSimulationCacheFile(m.stateDir, 'dist-upgrade');
    assert.equal(statSync(file).mode & 0o777, 0o600);

    const second = await simulateUpgradeCached('dist-upgrade', { ...m.opts, now: () => new Date('2026-11-30T02:00:00.000Z') });
    assert.equal(m.runs.count, 1, 'apt ran again on a hit');
    assert.deepEqual(second, { text: first.text, simulation: { cached: true, computedAt: '2026-11-30T01:00:00.000Z', key: first.simulation.key, note: null } });
  });

  test('the other mode has its own entry', async () => {
    await simulateUpgradeCached('dist-upgrade', m.opts);
    const up = await simulateUpgradeCached('upgrade', m.opts);
    assert.equal(up.simulation.cached, false);
    assert.match(up.text, /# upgrade run 2/);
    assert.equal((await simulateUpgradeCached('upgrade', m.opts)).simulation.cached, true);
    assert.equal((await simulateUpgradeCached('dist-upgrade', m.opts)).simulation.cached, true);
    assert.equal(m.runs.count, 2);
  });

  test('a changed input makes it run apt again and replace the entry', async () => {
    await simulateUpgradeCached('dist-upgrade', m.opts);
    writeFileSync(m.path('var/lib/apt/lists/deb.example.org_dists_x_Packages'), 'Package: bar\n');
    const r = await simulateUpgradeCached('dist-upgrade', m.opts);
    assert.equal(r.simulation.cached, false);
    assert.match(r.simulation.note ?? '', /stale/);
    assert.match(r.text, /run 2/);
    assert.equal((await simulateUpgradeCached('dist-upgrade', m.opts)).text, r.text);
    assert.equal(m.runs.count, 2);
  });

  test('--no-apt-cache (read: false) runs apt even on a valid entry, and refreshes it', async () => {
    await simulateUpgradeCached('dist-upgrade', m.opts);
    const r = await simulateUpgradeCached('dist-upgrade', { ...m.opts, read: false });
    assert.equal(r.simulation.cached, false);
    assert.equal(r.simulation.note, 'cache not read (--no-apt-cache)');
    assert.equal(m.runs.count, 2);
    assert.equal((await simulateUpgradeCached('dist-upgrade', m.opts)).text, r.text);
  });

  for (const [what, damage] of [
    ['cut short', (f: string) => writeFileSync(f, readFileSync(f, 'utf8').slice(0, 80))],
    ['its text altered (checksum)', (f: string) => writeFileSync(f, readFileSync(f, 'utf8').replace('libfoo', 'libbar'))],
    ['empty', (f: string) => writeFileSync(f, '')],
    ['a foreign format', (f: string) => writeFileSync(f, JSON.stringify({ ...JSON.parse(readFileSync(f, 'utf8')), format: 'something-else/9' }))],
    ['writable by others', (f: string) => chmodSync(f, 0o666)],
    [
      'a directory',
      (f: string) => {
        rmSync(f);
        mkdirSync(f);
      },
    ],
    [
      'a symlink to a valid entry',
      (f: string) => {
        renameSync(f, `${f}.elsewhere`);
        symlinkSync(`${f}.elsewhere`, f);
      },
    ],
    ...(process.getuid?.() === 0 ? ([['owned by another user', (f: string) => chownSync(f, 65534, 65534)]] as const) : []),
  ] as const) {
    test(`a cache file ${what} is ignored, apt runs, and the answer is right`, async () => {
      const first = await simulateUpgradeCached('dist-upgrade', m.opts);
      const file = aptSimulationCacheFile(m.stateDir, 'dist-upgrade');
      damage(file);
      const r = await simulateUpgradeCached('dist-upgrade', m.opts);
      assert.equal(r.simulation.cached, false);
      assert.match(r.simulation.note ?? '', /ignored|not readable|not cached/);
      assert.equal(m.runs.count, 2);
      assert.notEqual(r.text, first.text);
      if (what !== 'a directory') {
        // Rewritten whole: the next run is a hit on the new text.
        const again = await simulateUpgradeCached('dist-upgrade', m.opts);
        assert.deepEqual([again.simulation.cached, again.text], [true, r.text]);
      }
    });
  }

  test(
    'a read-only state directory: apt runs every time, the note says why, nothing fails',
    { skip: process.getuid?.() === 0 ? 'root writes anyway' : false },
    async () => {
      mkdirSync(m.stateDir, { recursive: true });
      chmodSync(m.stateDir, 0o500);
      try {
        const r = await simulateUpgradeCached('dist-upgrade', m.opts);
        assert.equal(r.simulation.cached, false);
        assert.match(r.simulation.note ?? '', /^not cached: EACCES/);
        assert.equal((await simulateUpgradeCached('dist-upgrade', m.opts)).simulation.cached, false);
        assert.equal(m.runs.count, 2);
      } finally {
        chmodSync(m.stateDir, 0o700);
      }
    },
  );

  test('no state directory yet: apt runs, nothing is cached, and the directory is not created', async () => {
    rmSync(m.stateDir, { recursive: true });
    const r = await simulateUpgradeCached('dist-upgrade', m.opts);
    assert.equal(r.simulation.cached, false);
    assert.match(r.simulation.note ?? '', /^not cached: no state directory .* yet \(`upkeep snapshot` creates it\)/);
    assert.equal(existsSync(m.stateDir), false, 'check and preflight never create the state directory');
    assert.equal((await simulateUpgradeCached('dist-upgrade', m.opts)).simulation.cached, false);
    assert.equal(m.runs.count, 2);
  });

  test('a state directory that cannot be written (a file where it should be): apt runs, nothing fails', async () => {
    rmSync(m.stateDir, { recursive: true });
    writeFileSync(m.stateDir, 'not a directory');
    const r = await simulateUpgradeCached('dist-upgrade', m.opts);
    assert.equal(r.simulation.cached, false);
    assert.match(r.simulation.note ?? '', /^not cached: no state directory/);
    assert.equal((await simulateUpgradeCached('dist-upgrade', m.opts)).simulation.cached, false);
    assert.equal(m.runs.count, 2);
  });

  test('inputs that change while apt runs: the result is used but not cached', async () => {
    const r = await simulateUpgradeCached('dist-upgrade', {
      ...m.opts,
      simulate: async () => {
        m.runs.count++;
        writeFileSync(m.path('var/lib/apt/lists/deb.example.org_dists_x_Packages'), 'Package: bar\n');
        return 'Inst bar (1 x [all])\n';
      },
    });
    assert.equal(r.simulation.note, "not cached: apt's inputs changed while it ran");
    assert.equal((await simulateUpgradeCached('dist-upgrade', m.opts)).simulation.cached, false);
  });

  test('no key (apt-config fails): apt runs, nothing is cached', async () => {
    const o = { ...m.opts, aptConfig: async () => Promise.reject(new Error('apt-config dump: exit 100')) };
    const r = await simulateUpgradeCached('dist-upgrade', o);
    assert.deepEqual([r.simulation.cached, r.simulation.key, r.simulation.note], [false, null, 'no cache key (apt-config dump: exit 100)']);
    await simulateUpgradeCached('dist-upgrade', o);
    assert.equal(m.runs.count, 2);
  });

  test('apt failing is an error, as without the cache, and caches nothing', async () => {
    const o = { ...m.opts, simulate: async () => Promise.reject(new Error('could not simulate the upgrade: E: broken')) };
    await assert.rejects(simulateUpgradeCached('dist-upgrade', o), /broken/);
    assert.equal((await simulateUpgradeCached('dist-upgrade', m.opts)).simulation.note, 'no cache yet');
  });
});
