/** Each live rule as valid / invalid tables, compared by message id and data (live-rule-tester.ts). */
import {
  daemonSettings,
  dependencyWithoutHealthcheck,
  desiredButManuallyStopped,
  k3dNodeRestartPolicy,
  liveRestartPolicy,
  onFailureExhausted,
} from '../../../src/core/live-audit/rules.js';
import { container, daemon } from '../../helpers/facts.js';
import { runLiveRuleTests } from './live-rule-tester.js';

const ALWAYS = { name: 'always', maximumRetryCount: 0 } as const;
const NO = { name: 'no', maximumRetryCount: 0 } as const;
const compose = (service: string, dependsOn: string[] = [], oneOff = false) => ({
  project: 'p',
  service,
  containerNumber: 1,
  workingDir: null,
  configFiles: [],
  dependsOn,
  oneOff,
});

runLiveRuleTests(liveRestartPolicy, {
  valid: [
    { name: 'always', ctx: { containers: [container({ restartPolicy: ALWAYS })] } },
    { name: 'a job by label', ctx: { containers: [container({ labels: { 'upkeep.role': 'job' } })] } },
    {
      name: 'a compose run container',
      ctx: { containers: [container({ compose: compose('migrate', [], true), labels: { 'com.docker.compose.oneoff': 'True' } })] },
    },
    { name: 'not running', ctx: { containers: [container({ state: 'exited', exitCode: 0 })] } },
  ],
  invalid: [
    {
      name: 'policy no: not back after a reboot or a crash',
      ctx: { containers: [container({ name: 'redis', restartPolicy: NO })] },
      errors: [{ messageId: 'notBack', subject: 'redis', severity: 'error', applicable: true }],
    },
    {
      name: 'unless-stopped: not back after a daemon crash',
      ctx: { containers: [container({ name: 'lapis', restartPolicy: { name: 'unless-stopped', maximumRetryCount: 0 } })] },
      errors: [{ messageId: 'notBack', subject: 'lapis' }],
    },
  ],
});

const k3dNode = (name: string, role: string, policy: 'unless-stopped' | 'always' | 'no' = 'unless-stopped') =>
  container({ name, restartPolicy: { name: policy, maximumRetryCount: 0 }, labels: { app: 'k3d', 'k3d.cluster': 'loculus', 'k3d.role': role } });

runLiveRuleTests(k3dNodeRestartPolicy, {
  valid: [
    { name: 'nodes with always', ctx: { containers: [k3dNode('k3d-loculus-server-0', 'server', 'always')] } },
    { name: 'a stopped node', ctx: { containers: [container({ ...k3dNode('k3d-loculus-server-0', 'server'), state: 'exited', exitCode: 137 })] } },
    {
      name: 'not a k3d node (live-restart-policy reports it)',
      ctx: { containers: [container({ name: 'lapis', restartPolicy: { name: 'unless-stopped', maximumRetryCount: 0 } })] },
    },
    { name: "k3d's registry is not a node", ctx: { containers: [k3dNode('k3d-registry', 'registry')] } },
  ],
  invalid: [
    {
      name: "k3d's unless-stopped: each node, applicable with --apply-live",
      ctx: { containers: [k3dNode('k3d-loculus-server-0', 'server'), k3dNode('k3d-loculus-serverlb', 'loadbalancer')] },
      errors: [
        { messageId: 'notBack', subject: 'k3d-loculus-server-0', severity: 'error', applicable: true },
        { messageId: 'notBack', subject: 'k3d-loculus-serverlb', severity: 'error', applicable: true },
      ],
    },
  ],
});

runLiveRuleTests(liveRestartPolicy, {
  valid: [{ name: 'a k3d node (k3d-node-restart-policy reports it)', ctx: { containers: [k3dNode('k3d-loculus-server-0', 'server', 'no')] } }],
  invalid: [],
});

runLiveRuleTests(desiredButManuallyStopped, {
  valid: [
    { name: 'no desired state', ctx: { containers: [container({ name: 'db', state: 'exited', manuallyStopped: true })] } },
    { name: 'not desired', ctx: { desired: new Set(['web']), containers: [container({ name: 'db', state: 'exited', manuallyStopped: true })] } },
    { name: 'desired and running', ctx: { desired: new Set(['db']), containers: [container({ name: 'db', manuallyStopped: true })] } },
  ],
  invalid: [
    {
      name: 'desired, stopped, flagged',
      ctx: { desired: new Set(['db']), containers: [container({ name: 'db', state: 'exited', exitCode: 137, manuallyStopped: true })] },
      errors: [
        {
          messageId: 'manuallyStopped',
          subject: 'db',
          severity: 'warning',
          applicable: false,
          data: { policy: 'no', why: 'restart policy "no": Docker never starts it' },
        },
      ],
    },
    {
      name: 'unless-stopped: the reason names the policy it is about (it said "unless-stopped" for every policy)',
      ctx: {
        desired: new Set(['db']),
        containers: [
          container({ name: 'db', state: 'exited', exitCode: 0, manuallyStopped: true, restartPolicy: { name: 'unless-stopped', maximumRetryCount: 0 } }),
        ],
      },
      errors: [
        {
          messageId: 'manuallyStopped',
          subject: 'db',
          severity: 'warning',
          applicable: false,
          data: { policy: 'unless-stopped', why: 'unless-stopped will never start it again' },
        },
      ],
    },
  ],
});

runLiveRuleTests(onFailureExhausted, {
  valid: [
    { name: 'retries left', ctx: { containers: [container({ restartPolicy: { name: 'on-failure', maximumRetryCount: 3 }, restartCount: 2 })] } },
    { name: 'no limit', ctx: { containers: [container({ restartPolicy: { name: 'on-failure', maximumRetryCount: 0 }, restartCount: 9 })] } },
  ],
  invalid: [
    {
      name: 'used up, exited',
      ctx: {
        containers: [container({ name: 'flaky', state: 'exited', exitCode: 1, restartPolicy: { name: 'on-failure', maximumRetryCount: 3 }, restartCount: 3 })],
      },
      errors: [{ messageId: 'exhausted', subject: 'flaky', severity: 'error', data: { max: 3, count: 3 } }],
    },
  ],
});

runLiveRuleTests(dependencyWithoutHealthcheck, {
  valid: [
    {
      name: 'the dependency has a healthcheck',
      ctx: {
        containers: [
          container({ name: 'web', compose: compose('web', ['db']) }),
          container({ name: 'db', compose: compose('db'), health: { status: 'healthy', failingStreak: 0 } }),
        ],
      },
    },
  ],
  invalid: [
    {
      name: 'reported once, on the dependency',
      ctx: {
        containers: [
          container({ name: 'web', compose: compose('web', ['db']) }),
          container({ name: 'api', compose: compose('api', ['db']) }),
          container({ name: 'db', compose: compose('db') }),
        ],
      },
      errors: [{ messageId: 'noHealthcheck', subject: 'db', data: { dependant: 'web', dependency: 'db' } }],
    },
  ],
});

runLiveRuleTests(daemonSettings, {
  valid: [{ name: 'enabled at boot, no live-restore', ctx: {} }],
  invalid: [
    { name: 'disabled at boot', ctx: { dockerEnabledAtBoot: false }, errors: [{ messageId: 'notEnabledAtBoot', subject: 'daemon', severity: 'error' }] },
    {
      name: 'unknown, with live-restore',
      ctx: { dockerEnabledAtBoot: null, daemon: daemon({ liveRestore: true }) },
      errors: [
        { messageId: 'bootUnknown', subject: 'daemon' },
        { messageId: 'liveRestore', subject: 'daemon' },
      ],
    },
  ],
});
