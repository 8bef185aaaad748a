import { runRuleTests } from '../../../helpers/rule-tester.js';
import { restartPolicyRule } from '../../../../src/core/audit/rules/restart-policy.js';
import { liveContainer } from '../live-container.js';

const UNLESS_STOPPED = /uses unless-stopped: it does not come back after a daemon crash/;

runRuleTests(restartPolicyRule, {
  valid: [
    {
      name: 'a service another waits to complete (service_completed_successfully) is a job',
      code: 'services:\n  migrate:\n    image: app\n  web:\n    image: app\n    restart: always\n    depends_on:\n      migrate:\n        condition: service_completed_successfully\n',
    },
    { name: 'a job-like name is a job', code: 'services:\n  db-migrate:\n    image: app\n' },
    {
      name: 'a service a script runs with docker compose run is a job',
      code: 'services:\n  worker:\n    image: app\n',
      options: { jobRuns: new Map([['worker', '`scripts/run.sh:3` runs it with `docker compose run --rm worker`']]) },
    },
    { name: 'a job-like command is a job', code: 'services:\n  tool:\n    image: app\n    command: ["python", "manage.py", "migrate"]\n' },
    'services:\n  web:\n    image: nginx\n    restart: always\n',
    'services:\n  web: {image: nginx, ports: [80], restart: always}\n',
    {
      name: 'a job labelled in map form needs no policy',
      code: 'services:\n  backup:\n    image: restic\n    ports: [80]\n    labels:\n      upkeep.role: job\n',
    },
    {
      name: 'a job labelled in list form may say "no"',
      code: 'services:\n  backup:\n    image: restic\n    restart: "no"\n    labels:\n      - upkeep.role=job\n',
    },
    { name: 'a job declared by x-upkeep', code: 'services:\n  backup:\n    image: restic\n    x-upkeep: {role: job}\n' },
    {
      name: 'a container that exited 0 by itself is a job',
      code: 'services:\n  seed:\n    image: example/seed\n',
      live: [liveContainer('seed', { state: 'exited', exitCode: 0, finishedAt: '2024-05-01T10:01:00Z' })],
    },
    {
      name: 'target unless-stopped accepts unless-stopped',
      code: 'services:\n  web:\n    image: nginx\n    restart: unless-stopped\n',
      options: { targetPolicy: { name: 'unless-stopped', maximumRetryCount: 0 } },
    },
    {
      name: 'target on-failure accepts on-failure with another limit',
      code: 'services:\n  web:\n    image: nginx\n    restart: on-failure:5\n',
      options: { targetPolicy: { name: 'on-failure', maximumRetryCount: 3 } },
    },
    { name: 'not a compose file', code: '- hosts: all\n  roles: [docker]\n  vars:\n    restart: "no"\n' },
    { name: 'services with no value', code: 'services:\n' },
    { name: 'disable-next-line for this rule', code: 'services:\n  # upkeep-disable-next-line restart-policy\n  web:\n    image: nginx\n    ports: [80]\n' },
    {
      name: 'disable-line with a list of rules',
      code: 'services:\n  web:\n    image: nginx\n    restart: unless-stopped # upkeep-disable-line compose-drift, restart-policy\n',
    },
    {
      name: 'disable-next-line as a Jinja comment',
      filename: 'docker-compose.yml.j2',
      code: 'services:\n{# upkeep-disable-next-line #}\n  web:\n    image: "{{ image }}"\n    ports: [80]\n',
    },
    {
      name: 'extends a service of this file that has a policy',
      code: 'services:\n  base:\n    image: x\n    restart: always\n  child:\n    extends: base\n    ports: [80]\n  grandchild:\n    extends: {service: child}\n',
    },
    {
      name: 'deploy.restart_policy any together with restart',
      code: 'services:\n  web:\n    image: x\n    restart: always\n    deploy:\n      restart_policy:\n        condition: any\n',
    },
    {
      name: 'template branches that both say always',
      filename: 'compose.yaml.j2',
      code: 'services:\n  web:\n    image: x\n{% if a %}\n    restart: always\n{% else %}\n    restart: always\n{% endif %}\n',
    },
  ],
  invalid: [
    {
      name: 'long-running evidence beats a script that runs the service (docker compose run --rm web manage.py ...)',
      code: 'services:\n  web:\n    image: app\n    ports: [80]\n',
      options: { jobRuns: new Map([['web', '`x.sh:1` runs it with `docker compose run --rm web`']]) },
      errors: [{ line: 2, column: 3, severity: 'error', message: /has no restart policy.*it publishes ports/ }],
      output: 'services:\n  web:\n    restart: always\n    image: app\n    ports: [80]\n',
    },
    {
      name: 'a job run by a script with restart: always: the message names the script',
      code: 'services:\n  worker:\n    image: app\n    restart: always\n',
      options: { jobRuns: new Map([['worker', '`scripts/nightly.sh:12` runs it with `docker compose run --rm worker`']]) },
      errors: [
        {
          line: 4,
          column: 14,
          severity: 'warning',
          message:
            'service "worker" is a one-off job (`scripts/nightly.sh:12` runs it with `docker compose run --rm worker`), but restart: always starts it again every time it finishes: use "no" or on-failure',
        },
      ],
      output: null,
    },
    {
      name: 'the v-pipe-scout incident file: redis (healthcheck) and streamlit (ports) are fixed, the worker is a warning that says how to answer',
      code: 'services:\n  redis:\n    image: redis:7\n    healthcheck:\n      test: ["CMD", "redis-cli", "ping"]\n  streamlit:\n    image: vpipe/scout\n    ports: ["8501:8501"]\n  worker:\n    image: vpipe/scout\n    command: python worker.py\n',
      errors: [
        { line: 2, column: 3, severity: 'error', message: /has no restart policy, .*; it has a healthcheck \(fix: add restart: always\)/ },
        { line: 6, column: 3, severity: 'error', message: /; it publishes ports \(fix: add restart: always\)/ },
        {
          line: 9,
          column: 3,
          severity: 'warning',
          message:
            /nothing says whether it is a long-running service or a one-off job .*label it upkeep\.role=job; if it is a service, label it upkeep\.role=service and --fix adds restart: always/,
        },
      ],
      output:
        'services:\n  redis:\n    restart: always\n    image: redis:7\n    healthcheck:\n      test: ["CMD", "redis-cli", "ping"]\n  streamlit:\n    restart: always\n    image: vpipe/scout\n    ports: ["8501:8501"]\n  worker:\n    image: vpipe/scout\n    command: python worker.py\n',
    },
    {
      name: 'upkeep.role=service answers the question: --fix adds the policy',
      code: 'services:\n  worker:\n    image: vpipe/scout\n    labels: [upkeep.role=service]\n',
      errors: [{ line: 2, column: 3, severity: 'error', message: /label upkeep\.role is service/ }],
      output: 'services:\n  worker:\n    restart: always\n    image: vpipe/scout\n    labels: [upkeep.role=service]\n',
    },
    {
      name: 'a job never gets always: waited for with service_completed_successfully, with restart: always it is a warning naming the evidence',
      code: 'services:\n  init:\n    image: app\n    restart: always\n  web:\n    image: app\n    ports: [80]\n    restart: always\n    depends_on:\n      init: {condition: service_completed_successfully}\n',
      errors: [
        {
          line: 4,
          column: 14,
          severity: 'warning',
          message: /one-off job \(service "web" waits for it to complete \(depends_on condition: service_completed_successfully\)\)/,
        },
      ],
      output: null,
    },
    {
      name: 'missing policy on a service that publishes ports: one line inserted after the key line',
      code: 'services:\n  web:\n    image: nginx\n    ports: ["80:80"]\n',
      errors: [
        {
          line: 2,
          column: 3,
          severity: 'error',
          message:
            'service "web" has no restart policy, so Docker never starts it again after a daemon restart, a crash or a reboot; it publishes ports (fix: add restart: always)',
        },
      ],
      output: 'services:\n  web:\n    restart: always\n    image: nginx\n    ports: ["80:80"]\n',
    },
    {
      name: "missing policy without evidence: a warning that says how to answer, no fix (the issue's siloPreprocessing case)",
      code: 'services:\n  siloPreprocessing:\n    image: ghcr.io/genspectrum/lapis-silo\n    command: preprocessing\n',
      errors: [
        {
          line: 2,
          column: 3,
          severity: 'warning',
          message:
            'service "siloPreprocessing" has no restart policy, and nothing says whether it is a long-running service or a one-off job (no upkeep.role label, no running or finished container, no ports, no healthcheck, no service waiting for it to complete, no job-like name or command): if it is a job, label it upkeep.role=job; if it is a service, label it upkeep.role=service and --fix adds restart: always (or set it yourself)',
        },
      ],
      output: null,
    },
    {
      name: 'a running container is evidence of a long-running service',
      code: 'services:\n  worker:\n    image: example/worker\n',
      live: [liveContainer('worker')],
      errors: [{ line: 2, column: 3, severity: 'error', message: /its container stack-worker-1 is running/ }],
      output: 'services:\n  worker:\n    restart: always\n    image: example/worker\n',
    },
    {
      name: "unless-stopped: error, fixed in place (the issue's lapisOpen case)",
      code: 'services:\n  lapisOpen:\n    image: lapis\n    restart: unless-stopped\n',
      errors: [
        {
          line: 4,
          column: 14,
          severity: 'error',
          message:
            'service "lapisOpen" uses unless-stopped: it does not come back after a daemon crash, nor after a docker stop followed by a daemon restart (fix: always)',
        },
      ],
      output: 'services:\n  lapisOpen:\n    image: lapis\n    restart: always\n',
    },
    {
      name: 'the target policy is an option',
      code: 'services:\n  web:\n    image: x\n    restart: unless-stopped\n',
      options: { targetPolicy: { name: 'on-failure', maximumRetryCount: 3 } },
      errors: [{ line: 4, column: 14, message: /\(fix: on-failure:3\)$/ }],
      output: 'services:\n  web:\n    image: x\n    restart: on-failure:3\n',
    },
    {
      name: 'target unless-stopped still fixes "no"',
      code: 'services:\n  web:\n    image: x\n    ports: [80]\n    restart: no\n',
      options: { targetPolicy: { name: 'unless-stopped', maximumRetryCount: 0 } },
      errors: [{ line: 5, column: 14, severity: 'error' }],
      output: 'services:\n  web:\n    image: x\n    ports: [80]\n    restart: unless-stopped\n',
    },
    {
      name: 'on-failure: a warning, not fixed',
      code: 'services:\n  web:\n    image: x\n    restart: on-failure\n',
      errors: [
        {
          line: 4,
          column: 14,
          severity: 'warning',
          message: /comes back only if its process exits non-zero.*not fixed automatically: on-failure may be deliberate/,
        },
      ],
      output: null,
    },
    {
      name: 'quoting style is kept: double',
      code: 'services:\n  db:\n    image: pg\n    healthcheck: {test: [CMD, pg_isready]}\n    restart: "no"\n',
      errors: [{ line: 5, column: 14, message: /has restart: no: .*it has a healthcheck \(fix: always\)/ }],
      output: 'services:\n  db:\n    image: pg\n    healthcheck: {test: [CMD, pg_isready]}\n    restart: "always"\n',
    },
    {
      name: 'quoting style is kept: single, with a trailing comment',
      code: "services:\n  db:\n    ports: [5432]\n    restart: 'no'   # why not\n",
      errors: [{ line: 4, column: 14 }],
      output: "services:\n  db:\n    ports: [5432]\n    restart: 'always'   # why not\n",
    },
    {
      name: 'a bare no without evidence: a warning, with a note on YAML 1.1 readers',
      code: 'services:\n  tool:\n    image: x\n    restart: no\n',
      errors: [{ line: 4, column: 14, severity: 'warning', message: /read a bare no as false/ }],
      output: null,
    },
    {
      name: 'a value Docker does not accept',
      code: 'services:\n  web:\n    image: x\n    restart: sometimes\n',
      errors: [{ line: 4, column: 14, severity: 'error', message: /"sometimes", which is not a restart policy Docker accepts/ }],
      output: null,
    },
    {
      name: 'an empty value',
      code: 'services:\n  web:\n    image: x\n    restart:\n',
      errors: [{ line: 4, column: 13, severity: 'error', message: /restart of service "web" is empty/ }],
      output: null,
    },
    {
      name: 'a job with restart: always',
      code: 'services:\n  backup:\n    image: restic\n    restart: always\n    labels: {upkeep.role: job}\n',
      errors: [{ line: 4, column: 14, severity: 'warning', message: /one-off job \(label upkeep.role is job\), but restart: always starts it again/ }],
      output: null,
    },
    {
      name: 'a value produced by Jinja: reported, not fixed',
      filename: 'roles/x/templates/docker-compose.yml.j2',
      code: 'services:\n  web:\n    image: x\n    restart: {{ web_restart }}\n',
      errors: [{ line: 4, column: 14, severity: 'warning', message: /produced by Jinja \(\{\{ web_restart \}\}\).*not fixed automatically/ }],
      output: null,
    },
    {
      name: 'a value in one branch of a template: reported, not fixed',
      filename: 'docker-compose.yml.j2',
      code: 'services:\n  web:\n    image: x\n{% if prod %}\n    restart: always\n{% else %}\n    restart: unless-stopped\n{% endif %}\n',
      errors: [{ line: 7, column: 14, severity: 'error', message: /not fixed automatically: it is inside the \{% if %\} at line 4/ }],
      output: null,
    },
    {
      name: 'a whole service inside {% if %}: its own value holds whenever it exists, so it is fixed',
      filename: 'docker-compose.yml.j2',
      code: 'services:\n{% if with_cache %}\n  cache:\n    image: redis\n    restart: unless-stopped\n{% endif %}\n',
      errors: [{ line: 5, column: 14, message: UNLESS_STOPPED }],
      output: 'services:\n{% if with_cache %}\n  cache:\n    image: redis\n    restart: always\n{% endif %}\n',
    },
    {
      name: 'services made by a {% for %} loop get the key inserted once in the loop body',
      filename: 'docker-compose.yml.j2',
      code: 'services:\n{% for s in services %}\n  {{ s.name }}:\n    image: "{{ s.image }}"\n    ports: ["{{ s.port }}:80"]\n{% endfor %}\n',
      errors: [{ line: 3, column: 3, message: /^service "\{\{ s.name \}\}" has no restart policy/ }],
      output:
        'services:\n{% for s in services %}\n  {{ s.name }}:\n    restart: always\n    image: "{{ s.image }}"\n    ports: ["{{ s.port }}:80"]\n{% endfor %}\n',
    },
    {
      name: 'a new key is not put inside a {% if %} that opens on the service key line',
      filename: 'docker-compose.yml.j2',
      code: 'services:\n  web:   {% if tls %}\n    ports: [443]\n  {% endif %}\n',
      errors: [{ line: 2, column: 3, message: /not fixed automatically: the place for a new key is inside a Jinja \{% if %\} or \{% for %\} block/ }],
      output: null,
    },
    {
      name: 'an anchor shared by long-running services is fixed once, at the anchor',
      code: 'x-defaults: &defaults\n  restart: unless-stopped\nservices:\n  api:\n    <<: *defaults\n    ports: [80]\n  worker:\n    <<: *defaults\n    image: w\n',
      errors: [
        { line: 2, column: 12, message: /^service "api" uses unless-stopped \(from the anchor &defaults\)/ },
        { line: 2, column: 12, message: /^service "worker" uses unless-stopped \(from the anchor &defaults\)/ },
      ],
      output: 'x-defaults: &defaults\n  restart: always\nservices:\n  api:\n    <<: *defaults\n    ports: [80]\n  worker:\n    <<: *defaults\n    image: w\n',
    },
    {
      name: 'an anchor shared with a job is not fixed',
      code: 'x-defaults: &defaults\n  restart: unless-stopped\nservices:\n  api:\n    <<: *defaults\n    ports: [80]\n  seed:\n    <<: *defaults\n    labels: [upkeep.role=job]\n',
      errors: [
        {
          line: 2,
          column: 12,
          severity: 'error',
          message: /not fixed automatically: it comes from the anchor &defaults, which the one-off job "seed" uses too/,
        },
        { line: 2, column: 12, severity: 'warning', message: /"seed" is a one-off job/ },
      ],
      output: null,
    },
    {
      name: 'a service that overrides the merged value is fixed in its own map',
      code: 'x-defaults: &defaults\n  restart: always\nservices:\n  api:\n    <<: *defaults\n    restart: unless-stopped\n',
      errors: [{ line: 6, column: 14, message: UNLESS_STOPPED }],
      output: 'x-defaults: &defaults\n  restart: always\nservices:\n  api:\n    <<: *defaults\n    restart: always\n',
    },
    {
      name: 'a merge without restart: the key is inserted in the service, ahead of the merge',
      code: 'x-defaults: &defaults\n  image: x\nservices:\n  api:\n    <<: *defaults\n    ports: [80]\n',
      errors: [{ line: 4, column: 3, severity: 'error' }],
      output: 'x-defaults: &defaults\n  image: x\nservices:\n  api:\n    restart: always\n    <<: *defaults\n    ports: [80]\n',
    },
    {
      name: 'a scalar alias is fixed at its anchor',
      code: 'x-policy: &policy unless-stopped\nservices:\n  api:\n    ports: [80]\n    restart: *policy\n',
      errors: [{ line: 1, column: 19, message: /\(from the anchor &policy\)/ }],
      output: 'x-policy: &policy always\nservices:\n  api:\n    ports: [80]\n    restart: *policy\n',
    },
    {
      name: 'a service that is an alias of another is not fixed',
      code: 'services:\n  web: &web\n    image: x\n    ports: [80]\n  web2: *web\n',
      errors: [
        { line: 2, column: 3, message: /not fixed automatically: its map is shared through the anchor &web/ },
        { line: 5, column: 3, message: /not fixed automatically: the service is an alias of &web/ },
      ],
      output: null,
    },
    {
      name: 'flow map: `, restart: always` after the last entry',
      code: 'services:\n  lapis: {image: x, ports: [8080]}\n',
      errors: [{ line: 2, column: 3 }],
      output: 'services:\n  lapis: {image: x, ports: [8080], restart: always}\n',
    },
    {
      name: 'flow map: the value is replaced in place',
      code: 'services:\n  lapis: {image: x, restart: no, ports: [8080]}\n',
      errors: [{ line: 2, column: 30 }],
      output: 'services:\n  lapis: {image: x, restart: always, ports: [8080]}\n',
    },
    {
      name: 'empty flow map of a running service',
      code: 'services:\n  idle: {}\n',
      live: [liveContainer('idle')],
      errors: [{ line: 2, column: 3, severity: 'error' }],
      output: 'services:\n  idle: {restart: always}\n',
    },
    {
      name: 'CRLF: the inserted line ends in CRLF',
      code: 'services:\r\n  web:\r\n    image: x\r\n    ports: [80]\r\n',
      errors: [{ line: 2, column: 3 }],
      output: 'services:\r\n  web:\r\n    restart: always\r\n    image: x\r\n    ports: [80]\r\n',
    },
    {
      name: "the key line's comment and anchor stay; the new line aligns with the service's keys (4 spaces)",
      code: 'services:\n    web:   # the front end\n        image: x\n        ports: [80]\n',
      errors: [{ line: 2, column: 5 }],
      output: 'services:\n    web:   # the front end\n        restart: always\n        image: x\n        ports: [80]\n',
    },
    {
      name: 'a tag is kept',
      code: 'services:\n  web:\n    ports: [80]\n    restart: !!str unless-stopped\n',
      errors: [{ line: 4, column: 20 }],
      output: 'services:\n  web:\n    ports: [80]\n    restart: !!str always\n',
    },
    {
      name: 'a block scalar is not rewritten',
      code: 'services:\n  web:\n    ports: [80]\n    restart: |-\n      unless-stopped\n',
      errors: [{ line: 4, column: 14, message: /not fixed automatically: it is written as a block scalar/ }],
      output: null,
    },
    {
      name: 'multiple documents: the fix lands in the right one',
      code: 'kind: Note\nrestart: "no"\n---\nservices:\n  web:\n    ports: [80]\n    restart: "no"\n',
      errors: [{ line: 7, column: 14 }],
      output: 'kind: Note\nrestart: "no"\n---\nservices:\n  web:\n    ports: [80]\n    restart: "always"\n',
    },
    {
      name: 'deploy.restart_policy that overrides restart with none',
      code: 'services:\n  web:\n    image: x\n    restart: always\n    deploy:\n      restart_policy:\n        condition: none\n',
      errors: [{ line: 7, column: 20, severity: 'error', message: /\(condition: none\) overrides restart under docker compose v2.*set condition: any/ }],
      output: null,
    },
    {
      name: 'deploy.restart_policy without a condition',
      code: 'services:\n  web:\n    image: x\n    restart: always\n    deploy:\n      restart_policy:\n        delay: 5s\n',
      errors: [{ line: 6, column: 7, severity: 'info', message: /has no condition/ }],
      output: null,
    },
    {
      name: 'deploy.restart_policy any, no restart key: docker-compose 1.x ignores deploy',
      code: 'services:\n  web:\n    image: x\n    deploy:\n      restart_policy:\n        condition: any\n',
      errors: [{ line: 2, column: 3, severity: 'warning', message: /docker-compose 1.x ignores it without --compatibility \(fix: add restart: always\)/ }],
      output: 'services:\n  web:\n    restart: always\n    image: x\n    deploy:\n      restart_policy:\n        condition: any\n',
    },
    {
      name: 'extends a service of another file',
      code: 'services:\n  web:\n    extends:\n      file: common.yml\n      service: webapp\n',
      errors: [{ line: 2, column: 3, severity: 'info', message: /extends "webapp" from common.yml, which may set one/ }],
      output: null,
    },
    {
      name: 'extends a base of this file that has no policy either: both are reported',
      code: 'services:\n  base:\n    image: x\n    ports: [80]\n  child:\n    extends: base\n    ports: [81]\n',
      errors: [
        { line: 2, column: 3, severity: 'error' },
        { line: 5, column: 3, severity: 'error' },
      ],
      output: 'services:\n  base:\n    restart: always\n    image: x\n    ports: [80]\n  child:\n    restart: always\n    extends: base\n    ports: [81]\n',
    },
    {
      name: 'profiles change nothing: a profiled service with ports is long-running',
      code: 'services:\n  metrics:\n    image: node-exporter\n    profiles: [monitoring]\n    ports: [9100]\n',
      errors: [{ line: 2, column: 3, severity: 'error' }],
      output: 'services:\n  metrics:\n    restart: always\n    image: node-exporter\n    profiles: [monitoring]\n    ports: [9100]\n',
    },
    {
      name: 'disable-next-line for another rule does not silence this one',
      code: 'services:\n  # upkeep-disable-next-line compose-drift\n  web:\n    ports: [80]\n',
      errors: [{ line: 3, column: 3 }],
      output: 'services:\n  # upkeep-disable-next-line compose-drift\n  web:\n    restart: always\n    ports: [80]\n',
    },
  ],
});
