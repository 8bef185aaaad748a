/** The full example config (test/fixtures/config/full.yml), its environment and what it must load to. */
import type { UpkeepConfig } from '../../../src/core/config/types.js';

export const FULL_PATH = new URL('../../fixtures/config/full.yml', import.meta.url).pathname;

/** Secret values: no output may contain any of them. */
export const FULL_ENV = {
  UPKEEP_WEBHOOK_SECRET: 'whsec-7f3a9c',
  SLACK_URL: 'https://hooks.slack.com/services/T000/B000/slackxyzzy',
  NTFY_TOKEN: 'tk_ntfy_51e2',
  SMTP_PASSWORD: 'smtp-pw-8842',
  UPKEEP_HTTP_TOKEN: 'httptok-0c51d2e9a4b7',
};

export const FULL_SECRETS = ['whsec-7f3a9c', 'slackxyzzy', 'tk_ntfy_51e2', 'smtp-pw-8842', 'httptok-0c51d2e9a4b7'];

export const FULL_EXPECTED: UpkeepConfig = {
  stateDir: '/var/lib/upkeep',
  listen: { host: '127.0.0.1', port: 9465 },
  logFormat: 'json',
  heal: { default: 'desired', crashLoopRestarts: 5, crashLoopWindowMs: 120_000, backoffInitialMs: 1_000, backoffMaxMs: 60_000 },
  recovery: { graceMs: 10_000, readyTimeoutMs: 120_000, runningForMs: 5_000, concurrency: 8, clusterTimeoutMs: 120_000 },
  resyncMs: 60_000,
  services: [
    {
      name: 'lapis',
      heal: 'always',
      onUnhealthy: 'restart',
      checks: [
        { type: 'http', url: 'http://127.0.0.1:8080/health', status: 200, bodyContains: 'ok', intervalMs: 30_000, timeoutMs: 5_000, failures: 3, successes: 1 },
        { type: 'tcp', host: '127.0.0.1', port: 6379, intervalMs: 30_000, timeoutMs: 5_000, failures: 3, successes: 1 },
        { type: 'docker', intervalMs: 30_000, timeoutMs: 5_000, failures: 3, successes: 1 },
      ],
    },
  ],
  alerts: {
    forMs: 0,
    repeatMs: 4 * 3_600_000,
    channels: [
      { type: 'webhook', name: 'webhook', url: 'https://hooks.example/upkeep', secret: 'whsec-7f3a9c', headers: {}, group: true },
      { type: 'slack', name: 'slack', url: 'https://hooks.slack.com/services/T000/B000/slackxyzzy' },
      { type: 'ntfy', name: 'ntfy', url: 'https://ntfy.sh/mytopic', token: 'tk_ntfy_51e2' },
      {
        type: 'email',
        name: 'email',
        host: 'smtp.example',
        port: 587,
        secure: false,
        user: 'alerts',
        password: 'smtp-pw-8842',
        from: 'upkeep@example',
        to: ['ops@example'],
      },
    ],
  },
  heartbeat: { url: 'https://hc.example/ping/abc', intervalMs: 60_000 },
  preflight: { block: false },
  http: { token: 'httptok-0c51d2e9a4b7' },
  timeline: { retentionMs: 90 * 86_400_000 },
  clusters: [{ name: 'loculus', kubeconfig: '/home/ops/.kube/config', context: 'k3d-loculus' }],
};
