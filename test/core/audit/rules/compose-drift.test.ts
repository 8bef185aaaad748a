import { runRuleTests } from '../../../helpers/rule-tester.js';
import { composeDriftRule } from '../../../../src/core/audit/rules/compose-drift.js';
import { liveContainer } from '../live-container.js';

const always = { name: 'always', maximumRetryCount: 0 } as const;

runRuleTests(composeDriftRule, {
  valid: [
    { name: 'no live facts: nothing to compare', code: 'services:\n  redis:\n    image: redis\n    restart: always\n' },
    { name: 'same policy', code: 'services:\n  redis:\n    image: redis\n    restart: always\n', live: [liveContainer('redis', { restartPolicy: always })] },
    { name: 'no key and "no" agree', code: 'services:\n  redis:\n    image: redis\n', live: [liveContainer('redis')] },
    { name: 'a container of another service', code: 'services:\n  redis:\n    restart: always\n', live: [liveContainer('web')] },
    {
      name: 'docker compose run containers are ignored',
      code: 'services:\n  redis:\n    restart: always\n',
      live: [liveContainer('redis', { compose: { ...liveContainer('redis').compose!, oneOff: true } })],
    },
    {
      name: 'a Jinja value cannot be compared',
      filename: 'docker-compose.yml.j2',
      code: 'services:\n  redis:\n    restart: {{ policy }}\n',
      live: [liveContainer('redis')],
    },
    {
      name: 'docker compose v2 applies deploy.restart_policy instead of restart',
      code: 'services:\n  redis:\n    restart: unless-stopped\n    deploy:\n      restart_policy:\n        condition: any\n',
      live: [liveContainer('redis', { restartPolicy: always })],
    },
    {
      name: 'on-failure and on-failure:0 are the same',
      code: 'services:\n  redis:\n    restart: on-failure\n',
      live: [liveContainer('redis', { restartPolicy: { name: 'on-failure', maximumRetryCount: 0 } })],
    },
  ],
  invalid: [
    {
      name: "the file was fixed but the container never recreated (the issue's v-pipe-redis case)",
      code: 'services:\n  redis:\n    image: redis\n    restart: always\n',
      live: [liveContainer('redis', { name: 'v-pipe-redis-1' })],
      errors: [
        {
          line: 4,
          column: 14,
          severity: 'error',
          message: 'file says always, container "v-pipe-redis-1" has "no": recreate it (docker compose up -d redis) or run upkeep audit --fix --apply-live',
        },
      ],
      output: null,
    },
    {
      name: 'no key means "no"; reported at the service key',
      code: 'services:\n  redis:\n    image: redis\n',
      live: [liveContainer('redis', { restartPolicy: { name: 'unless-stopped', maximumRetryCount: 0 } })],
      errors: [{ line: 2, column: 3, message: /^file says no, container "stack-redis-1" has "unless-stopped"/ }],
      output: null,
    },
    {
      name: 'a different retry limit is drift',
      code: 'services:\n  job:\n    restart: on-failure:3\n',
      live: [liveContainer('job', { restartPolicy: { name: 'on-failure', maximumRetryCount: 5 } })],
      errors: [{ line: 3, column: 14, message: /^file says on-failure:3, container "stack-job-1" has "on-failure:5"/ }],
      output: null,
    },
    {
      name: 'each drifting container of a scaled service is reported',
      code: 'services:\n  web:\n    restart: always\n',
      live: [liveContainer('web', { name: 'stack-web-1' }), liveContainer('web', { name: 'stack-web-2' })],
      errors: [
        { line: 3, column: 14, message: /container "stack-web-1"/ },
        { line: 3, column: 14, message: /container "stack-web-2"/ },
      ],
      output: null,
    },
    {
      name: 'with deploy.restart_policy, either policy is accepted and both are named',
      code: 'services:\n  web:\n    restart: unless-stopped\n    deploy:\n      restart_policy:\n        condition: any\n',
      live: [liveContainer('web')],
      errors: [{ line: 3, column: 14, message: /^file says unless-stopped \(or, under docker compose v2, always\), container/ }],
      output: null,
    },
  ],
});
