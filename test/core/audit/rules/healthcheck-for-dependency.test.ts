import { runRuleTests } from '../../../helpers/rule-tester.js';
import { healthcheckForDependencyRule } from '../../../../src/core/audit/rules/healthcheck-for-dependency.js';
import { liveContainer } from '../live-container.js';

runRuleTests(healthcheckForDependencyRule, {
  valid: [
    'services:\n  db:\n    image: pg\n    healthcheck:\n      test: [CMD, pg_isready]\n  api:\n    depends_on:\n      db:\n        condition: service_healthy\n',
    'services:\n  db:\n    image: pg\n    healthcheck: {test: pg_isready}\n  api:\n    depends_on: [db]\n',
    { name: 'nobody depends on it', code: 'services:\n  db:\n    image: pg\n' },
    { name: 'the dependency is defined in another file', code: 'services:\n  api:\n    depends_on: [db]\n' },
    {
      name: 'the image defines a HEALTHCHECK (its live container has a health status)',
      code: 'services:\n  db:\n    image: pg\n  api:\n    depends_on:\n      db:\n        condition: service_healthy\n',
      live: [liveContainer('db', { health: { status: 'healthy', failingStreak: 0 } })],
    },
    {
      name: 'the healthcheck comes from a merged anchor',
      code: 'x-hc: &hc\n  healthcheck: {test: [CMD, true]}\nservices:\n  db:\n    <<: *hc\n  api:\n    depends_on: [db]\n',
    },
  ],
  invalid: [
    {
      name: 'condition: service_healthy without a healthcheck',
      code: 'services:\n  db:\n    image: pg\n  api:\n    depends_on:\n      db:\n        condition: service_healthy\n',
      errors: [
        {
          line: 2,
          column: 3,
          severity: 'error',
          message:
            'service "db" has no healthcheck, but "api" waits for it with condition: service_healthy: docker compose cannot start it unless the image defines a HEALTHCHECK; add a healthcheck',
        },
      ],
      output: null,
    },
    {
      name: 'list form: a warning naming every dependent',
      code: 'services:\n  cache:\n    image: redis\n  api:\n    depends_on: [cache]\n  web:\n    depends_on:\n      - cache\n',
      errors: [{ line: 2, column: 3, severity: 'warning', message: /^service "cache" has no healthcheck, but "api", "web" depend on it:/ }],
      output: null,
    },
    {
      name: 'a disabled healthcheck counts as none',
      code: 'services:\n  db:\n    healthcheck:\n      disable: true\n  api:\n    depends_on:\n      db: {condition: service_started}\n',
      errors: [{ line: 2, column: 3, severity: 'warning', message: /has its healthcheck disabled/ }],
      output: null,
    },
    {
      name: 'test: ["NONE"] disables it too',
      code: 'services:\n  db:\n    healthcheck:\n      test: ["NONE"]\n  api:\n    depends_on:\n      db:\n        condition: service_healthy\n',
      errors: [{ line: 2, column: 3, severity: 'error', message: /has its healthcheck disabled/ }],
      output: null,
    },
  ],
});
