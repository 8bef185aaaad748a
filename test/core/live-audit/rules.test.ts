import assert from 'node:assert/strict';
import { test } from 'node:test';
import { auditLive } from '../../../src/core/live-audit/rules.js';
import type { LiveContext } from '../../../src/core/live-audit/live-finding.js';
import { container, daemon } from '../../helpers/facts.js';

const ALWAYS = { name: 'always', maximumRetryCount: 0 } as const;
const compose = (project: string, service: string, dependsOn: string[] = []) => ({
  project,
  service,
  containerNumber: 1,
  workingDir: null,
  configFiles: [],
  dependsOn,
  oneOff: false,
});

function ctx(over: Partial<LiveContext>): LiveContext {
  return { daemon: daemon(), containers: [], desired: null, dockerEnabledAtBoot: true, targetPolicy: ALWAYS, ...over };
}

test('valid: always, jobs, stopped containers with no desired state', () => {
  const findings = auditLive(
    ctx({
      containers: [
        container({ name: 'ok', restartPolicy: ALWAYS }),
        container({ name: 'job', labels: { 'upkeep.role': 'job' } }),
        container({ name: 'old', state: 'exited', exitCode: 0, manuallyStopped: true }),
      ],
    }),
  );
  assert.deepEqual(findings, []);
});

test('invalid: the incident host', () => {
  const findings = auditLive(
    ctx({
      containers: [
        container({ name: 'covid-lapis', restartPolicy: { name: 'unless-stopped', maximumRetryCount: 0 }, compose: compose('covid', 'lapisOpen', ['silo']) }),
        container({ name: 'covid-silo', restartPolicy: ALWAYS, compose: compose('covid', 'silo') }),
        container({ name: 'v-pipe-redis-1', restartPolicy: { name: 'no', maximumRetryCount: 0 } }),
        container({ name: 'flaky', state: 'exited', exitCode: 1, restartCount: 3, restartPolicy: { name: 'on-failure', maximumRetryCount: 3 } }),
        container({ name: 'stopped-desired', state: 'exited', exitCode: 137, manuallyStopped: true, restartPolicy: ALWAYS }),
      ],
      desired: new Set(['stopped-desired', 'covid-lapis']),
      dockerEnabledAtBoot: null,
    }),
  );
  assert.deepEqual(
    findings.map((f) => [f.ruleId, f.severity, f.subject, f.applicable]),
    [
      ['live-restart-policy', 'error', 'covid-lapis', true],
      ['on-failure-exhausted', 'error', 'flaky', true],
      ['live-restart-policy', 'error', 'v-pipe-redis-1', true],
      ['live-dependency-healthcheck', 'warning', 'covid-silo', false],
      ['desired-manually-stopped', 'warning', 'stopped-desired', false],
      ['daemon-settings', 'info', 'daemon', false],
    ],
  );
  assert.match(findings[0]!.message, /does not come back after a daemon crash .*fix: always/);
  assert.match(findings[2]!.message, /after a reboot or a daemon crash/);
});

test('docker.service disabled at boot is an error', () => {
  const f = auditLive(ctx({ dockerEnabledAtBoot: false }));
  assert.equal(f.length, 1);
  assert.equal(f[0]!.severity, 'error');
  assert.match(f[0]!.message, /systemctl enable docker/);
});

test('live-restore: said once as info; it keeps an unless-stopped container through a daemon crash', () => {
  const f = auditLive(
    ctx({ daemon: daemon({ liveRestore: true }), containers: [container({ name: 'lapis', restartPolicy: { name: 'unless-stopped', maximumRetryCount: 0 } })] }),
  );
  assert.deepEqual(
    f.map((x) => x.ruleId),
    ['daemon-settings'],
  );
  assert.match(f[0]!.message, /not a major upgrade/);
});
