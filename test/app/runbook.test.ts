/**
 * makeRunbook on a real SQLite store: the incident host's runbook (committed as
 * docs/examples/SERVER_MAINTENANCE.md, regenerated with UPKEEP_WRITE_EXAMPLES=1), and hostile
 * files read through the real adapter (a FIFO, a huge file, non-UTF-8, /etc/shadow, a symlink out).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { projectFileReader } from '../../src/adapters/files/project-files.js';
import { openStore } from '../../src/adapters/store/sqlite-store.js';
import { makeRunbook } from '../../src/app/runbook.js';
import { renderRunbookMarkdown } from '../../src/core/runbook/render-markdown.js';
import type { ProjectFileReader } from '../../src/ports/files.js';
import { desiredOf } from '../core/recovery/fixtures.js';
import { tableProblems } from '../helpers/markdown-tables.js';
import { INCIDENT_FILES, SECRETS, incidentSnapshot } from '../helpers/runbook-fixture.js';

const root = mkdtempSync(join(tmpdir(), 'upkeep-runbook-app-'));
after(() => rmSync(root, { recursive: true, force: true }));
const EXAMPLE = new URL('../../docs/examples/SERVER_MAINTENANCE.md', import.meta.url).pathname;

/** The files of INCIDENT_FILES, as if on the host. */
const incidentFiles: ProjectFileReader = {
  realpath: async (p) => ({ ok: true, real: p }),
  read: async (p) =>
    INCIDENT_FILES[p] === undefined ? { ok: false, why: 'it does not exist (or is a broken symbolic link)' } : { ok: true, text: INCIDENT_FILES[p] },
  absent: async (p) => INCIDENT_FILES[p] === undefined,
};

describe('makeRunbook', () => {
  it("the incident host's runbook is docs/examples/SERVER_MAINTENANCE.md", async () => {
    const store = openStore({ stateDir: join(root, 'incident') });
    try {
      store.saveSnapshot(incidentSnapshot());
      store.forget(['scratch-debug']);
      const rb = await makeRunbook({
        store,
        live: null,
        engineProblem: 'no Docker socket at /var/run/docker.sock: is docker running?',
        files: incidentFiles,
        stateDir: '/var/lib/upkeep',
        now: new Date('2025-11-21T09:00:00.000Z'),
      });
      // forget() stamps its own time: keep the example stable.
      rb.notDesired = rb.notDesired.map((n) => ({ ...n, why: n.why.replace(/at \S+$/, 'at 2025-11-20T15:45:00.000Z') }));
      const md = renderRunbookMarkdown(rb);
      assert.deepEqual(tableProblems(md), []);
      for (const s of SECRETS) assert.ok(!md.includes(s));
      if (process.env.UPKEEP_WRITE_EXAMPLES === '1') writeFileSync(EXAMPLE, md);
      assert.equal(md, readFileSync(EXAMPLE, 'utf8'), 'docs/examples/SERVER_MAINTENANCE.md is out of date: run this test with UPKEEP_WRITE_EXAMPLES=1');
    } finally {
      store.close();
    }
  });

  it('no snapshot: the error says to take one', async () => {
    const store = openStore({ stateDir: join(root, 'empty') });
    try {
      await assert.rejects(
        makeRunbook({ store, live: null, engineProblem: 'down', files: incidentFiles, stateDir: '/s', now: new Date() }),
        (err: Error & { hint?: string }) => /no snapshot/.test(err.message) && /upkeep snapshot/.test(err.hint ?? ''),
      );
    } finally {
      store.close();
    }
  });

  it('reads hostile files through the real adapter without hanging, crashing or leaking', { timeout: 20_000 }, async () => {
    const wd = join(root, 'hostile');
    mkdirSync(wd);
    writeFileSync(join(wd, 'good.yml'), 'services:\n  a:\n    image: "x:${TAG}"\n');
    execFileSync('mkfifo', [join(wd, 'fifo.yml')]);
    writeFileSync(join(wd, 'huge.yml'), `services:\n  a:\n    image: x\n# ${'y'.repeat(2 * 1024 * 1024)}\n`);
    writeFileSync(join(wd, 'latin1.yml'), Buffer.from([0x73, 0x65, 0x72, 0x76, 0x69, 0x63, 0x65, 0x73, 0x3a, 0x0a, 0xe9, 0x0a]));
    symlinkSync('/etc/passwd', join(wd, 'link.yml'));
    writeFileSync(join(wd, '.env'), 'TAG=secret-tag-value\n');
    const files = ['good.yml', 'fifo.yml', 'huge.yml', 'latin1.yml', '/etc/shadow', 'link.yml', 'missing.yml'].map((f) =>
      f.startsWith('/') ? f : join(wd, f),
    );
    const store = openStore({ stateDir: join(root, 'hostile-state') });
    try {
      store.saveSnapshot({
        host: { id: 'E', name: 'h' },
        takenAt: '2026-01-01T00:00:00.000Z',
        note: null,
        containers: [desiredOf({ name: 'h-a-1', compose: { project: 'h', service: 'a', workingDir: wd, files } })],
      });
      const rb = await makeRunbook({ store, live: null, engineProblem: 'down', files: projectFileReader(), stateDir: '/s', now: new Date() });
      const p = rb.projects[0]!;
      const why = Object.fromEntries(p.files.map((f) => [f.path.replace(`${wd}/`, ''), f.problem]));
      assert.equal(why['good.yml'], null);
      assert.match(why['fifo.yml']!, /not a regular file/);
      assert.match(why['huge.yml']!, /larger than|too large|limit/i);
      assert.match(why['latin1.yml']!, /UTF-8/);
      assert.match(why['/etc/shadow']!, /outside the project's working directory/);
      assert.match(why['link.yml']!, /leads to \/etc\/passwd, which is outside/);
      assert.match(why['missing.yml']!, /does not exist/);
      assert.equal(p.envFile, 'present');
      assert.deepEqual(p.variables, [{ name: 'TAG', source: 'env-file', required: false }]);
      const md = renderRunbookMarkdown(rb);
      assert.ok(!md.includes('secret-tag-value') && !JSON.stringify(rb).includes('secret-tag-value'));
      assert.doesNotMatch(md, /root:/);
    } finally {
      store.close();
    }
  });
});
