/**
 * The 2025-11-20 incident as upkeep's timeline would hold it (the host of runbook-fixture.ts): a
 * preflight, the apt hook's window, docker-ce's postinst restarting docker.service (a graceful
 * daemon restart), the v-pipe-scout services (restart policy "no") down until upkeep's recovery
 * pass brought two back and the operator the third, srsilo and the k3d nodes (unless-stopped) and
 * grafana (always) started again by Docker (no entry of their own, as the agent writes nothing for
 * a container it finds running).
 */
import type { NewTimelineEntry } from '../../src/ports/timeline.js';
import type { ReportEntry, ReportInput, ReportWindow } from '../../src/core/report/report.js';
import { incidentSnapshot } from './runbook-fixture.js';

export const HOST = 'wisepulse';
const D = '2025-11-20T';
const VPIPE = ['v-pipe-scout-redis-1', 'v-pipe-scout-streamlit-1', 'v-pipe-scout-worker-1'];

/** The packages of the apt run (the incident's 44, the notable ones first). */
export const UPGRADES = [
  { name: 'containerd.io', from: '1.7.27-1', to: '2.1.5-1' },
  { name: 'docker-ce', from: '5:28.3.2-1~ubuntu.24.04~noble', to: '5:29.0.2-1~ubuntu.24.04~noble' },
  { name: 'docker-ce-cli', from: '5:28.3.2-1~ubuntu.24.04~noble', to: '5:29.0.2-1~ubuntu.24.04~noble' },
  { name: 'openssh-server', from: '1:9.6p1-3ubuntu13.13', to: '1:9.6p1-3ubuntu13.14' },
  { name: 'linux-image-generic', from: '6.8.0-87.88', to: '6.8.0-88.89' },
  ...Array.from({ length: 39 }, (_, i) => ({ name: `lib-filler-${i + 1}`, from: '1.0-1', to: '1.0-2' })),
];

/** The window the apt hook opened (store id 1). */
export const WINDOW: ReportWindow = {
  id: 1,
  source: 'apt',
  reason: null,
  startedAt: `${D}15:23:00.000Z`,
  endsAt: `${D}16:23:00.000Z`,
  endedAt: `${D}15:26:10.000Z`,
};

/** The entries, as the writers append them. */
export function incidentEntries(): Array<NewTimelineEntry & { at: string }> {
  const died = (name: string) => ({
    at: `${D}15:25:31.000Z`,
    kind: 'container-died',
    subject: name,
    message: `${name} stopped (exited 137 = signal 9)`,
    data: { exitCode: 137, oomKilled: null, finishedAt: `${D}15:25:31.000Z` },
  });
  return [
    { at: `${D}15:20:00.000Z`, kind: 'snapshot', subject: HOST, message: 'snapshot 1: 8 desired containers', data: { id: 1, note: 'before the upgrade' } },
    {
      at: `${D}15:22:40.000Z`,
      kind: 'preflight',
      subject: HOST,
      message: 'preflight: 44 package(s); docker.service restarts; 3 container(s) would not be running afterwards: at risk',
      data: { verdict: 'at-risk', packages: 44, upgrades: UPGRADES, notBack: VPIPE, dockerRestarts: true, reboot: true },
    },
    { at: WINDOW.startedAt, kind: 'maintenance-start', subject: 'apt', message: 'maintenance window opened', data: { ...WINDOW, endedAt: null } },
    { at: WINDOW.startedAt, kind: 'apt-started', subject: HOST, message: 'apt started running dpkg', data: { window: 1 } },
    { at: `${D}15:25:30.000Z`, kind: 'engine-down', subject: HOST, message: 'the Docker engine stopped answering (event stream ended)' },
    ...VPIPE.map(died),
    { at: `${D}15:25:58.000Z`, kind: 'engine-up', subject: HOST, message: 'the Docker engine answers again: recovery pass' },
    {
      at: `${D}15:25:59.000Z`,
      kind: 'engine-version-changed',
      subject: HOST,
      message: 'the Docker engine was 28.3.2 and is now 29.0.2',
      data: { from: '28.3.2', to: '29.0.2', apiVersion: '1.52' },
    },
    { at: `${D}15:26:00.000Z`, kind: 'recovery-started', subject: HOST, message: 'recovery pass', data: { trigger: 'daemon_restart', desired: 8 } },
    {
      at: `${D}15:26:03.000Z`,
      kind: 'recovery',
      subject: HOST,
      message: 'after the Docker engine came back: 3 of 8 desired containers were down; 1 still not running',
      data: {
        trigger: 'daemon_restart',
        down: 3,
        remaining: ['v-pipe-scout-worker-1'],
        seconds: 2.9,
        outcomes: [
          { container: 'v-pipe-scout-redis-1', outcome: 'started', seconds: 0.6, attempts: 1, error: null },
          { container: 'v-pipe-scout-streamlit-1', outcome: 'started', seconds: 0.8, attempts: 1, error: null },
          {
            container: 'v-pipe-scout-worker-1',
            outcome: 'failed',
            seconds: 1.5,
            attempts: 3,
            error: 'bind source path does not exist: /data/worker | mounted later',
          },
        ],
      },
    },
    { at: WINDOW.endedAt!, kind: 'apt-ended', subject: HOST, message: 'apt finished running dpkg', data: {} },
    { at: WINDOW.endedAt!, kind: 'maintenance-stop', subject: 'apt', message: 'maintenance window closed', data: WINDOW },
    {
      at: `${D}15:41:10.000Z`,
      kind: 'container-started',
      subject: 'v-pipe-scout-worker-1',
      message: 'v-pipe-scout-worker-1 started by the operator',
      data: { startedAt: `${D}15:41:10.000Z`, by: 'operator' },
    },
    // After the incident: not part of the report (its outages have all ended by then).
    { at: `${D}17:00:00.000Z`, kind: 'container-died', subject: 'grafana', message: 'grafana stopped', data: { exitCode: 1, finishedAt: `${D}17:00:00.000Z` } },
  ];
}

/** An appended entry as the store reads it back. */
export function asRead(e: NewTimelineEntry & { at: string }): ReportEntry {
  return { at: e.at, kind: e.kind, subject: e.subject ?? null, detail: { message: e.message, ...(e.data as object | undefined) } };
}

/** The desired set: the snapshot without the forgotten scratch container. */
export function incidentDesired(): NonNullable<ReportInput['desired']> {
  const s = incidentSnapshot();
  return { snapshotId: 1, takenAt: s.takenAt, containers: s.containers.filter((c) => c.name !== 'scratch-debug') };
}

/** The whole input of the incident's report, made the next morning. */
export function incidentInput(): ReportInput {
  const entries = incidentEntries().map(asRead);
  return {
    now: Date.parse('2025-11-21T09:00:00.000Z'),
    host: HOST,
    scope: { kind: 'maintenance', window: WINDOW },
    entries,
    desired: incidentDesired(),
    preflight: entries.find((e) => e.kind === 'preflight') ?? null,
  };
}
