/** The incident's saved plan, through the evidence the command would gather without download, to the report. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parseAptSimulation } from '../../../src/core/preflight/apt-plan.js';
import { lookupKnowledge } from '../../../src/core/preflight/knowledge-base.js';
import { buildPreflightReport, type PackageEvidence } from '../../../src/core/preflight/preflight-report.js';
import { container, daemon } from '../../helpers/facts.js';

const plan = parseAptSimulation(readFileSync(new URL('../../fixtures/apt/incident-plan.txt', import.meta.url), 'utf8'));
const evidence: PackageEvidence[] = plan.packages.map((pkg) => {
  const kb = lookupKnowledge(pkg.name);
  return { pkg, effects: kb?.effects ?? [], source: kb ? `knowledge base: ${kb.source}` : 'none', rebootNeeded: kb?.rebootNeeded ?? false, notes: [] };
});
const us = { name: 'unless-stopped', maximumRetryCount: 0 } as const;
const no = { name: 'no', maximumRetryCount: 0 } as const;
const always = { name: 'always', maximumRetryCount: 0 } as const;
const containers = [
  container({ name: 'covid-lapis', restartPolicy: us }),
  container({ name: 'covid-silo', restartPolicy: us }),
  container({ name: 'v-pipe-redis-1', restartPolicy: no }),
  container({ name: 'v-pipe-streamlit-1', restartPolicy: no }),
  container({ name: 'v-pipe-worker-1', restartPolicy: no }),
  container({ name: 'k3d-loculus-server-0', restartPolicy: always }),
  container({ name: 'stopped-by-hand', restartPolicy: us, state: 'exited', exitCode: 137, manuallyStopped: true }),
];

test('the incident plan: docker restarts, a reboot is needed, the no-policy stack stays down', () => {
  const r = buildPreflightReport({ evidence, runningKernel: '6.8.0-87-generic', installedKernels: ['6.8.0-87-generic'], rebootRequiredFlag: false, host: { daemon: daemon(), containers } });
  const line = (name: string) => r.packages.find((p) => p.name === name)!;
  assert.equal(line('containerd.io').change, 'major');
  assert.equal(line('containerd.io').risk, 'high');
  assert.equal(line('docker-ce').change, 'major');
  assert.ok(line('docker-ce').effects.includes('every container stops'));
  assert.equal(r.docker.restarts, true);
  assert.equal(r.reboot.needed, true);
  assert.match(r.reboot.why.join(' '), /linux-image-6\.8\.0-88-generic/);
  assert.equal(r.summary.packages, 46);
  assert.deepEqual(
    r.containers!.map((c) => [c.name, c.runningAtEnd]),
    [
      ['covid-lapis', 'yes'],
      ['covid-silo', 'yes'],
      ['v-pipe-redis-1', 'no'],
      ['v-pipe-streamlit-1', 'no'],
      ['v-pipe-worker-1', 'no'],
      ['k3d-loculus-server-0', 'yes'],
    ],
  );
  assert.match(r.containers![2]!.afterReboot!.reason, /still down from the upgrade: restart policy "no"/);
  assert.equal(r.exitCode, 3);
  assert.match(r.advice[0]!, /upkeep snapshot/);
});

test('live-restore covers a patch upgrade of docker, not a major one', () => {
  const patch = evidence.map((e) => (e.pkg.name === 'docker-ce' ? { ...e, pkg: { ...e.pkg, newVersion: '5:28.3.3-1~ubuntu.24.04~noble' } } : e)).filter((e) => !e.pkg.name.startsWith('linux-image'));
  const lr = daemon({ liveRestore: true });
  const r = buildPreflightReport({ evidence: patch, runningKernel: 'x', installedKernels: [], rebootRequiredFlag: false, host: { daemon: lr, containers } });
  assert.equal(r.docker.liveRestoreCovers, true);
  assert.equal(r.summary.containersStop, 0);
  assert.equal(r.exitCode, 0);
  const major = buildPreflightReport({ evidence: evidence.filter((e) => !e.pkg.name.startsWith('linux-image')), runningKernel: 'x', installedKernels: [], rebootRequiredFlag: false, host: { daemon: lr, containers } });
  assert.equal(major.docker.liveRestoreCovers, false);
  assert.equal(major.exitCode, 3);
});

test('nothing restarts docker and no reboot: exit 0; containers not assessed: still a package report', () => {
  const libs = evidence.filter((e) => e.pkg.name.startsWith('lib') && e.effects.length === 0);
  const r = buildPreflightReport({ evidence: libs, runningKernel: 'x', installedKernels: [], rebootRequiredFlag: false, host: null });
  assert.equal(r.containers, null);
  assert.equal(r.exitCode, 0);
  assert.ok(r.packages.length > 10);
});
