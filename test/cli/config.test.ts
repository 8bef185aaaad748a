/** `upkeep config check` and `upkeep config show-default`, run as a user would (bin/upkeep, dist/). */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { FULL_ENV, FULL_PATH, FULL_SECRETS } from '../core/config/fixtures.js';
import { defaultConfig } from '../../src/core/config/types.js';
import { upkeep } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'upk-config-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string, mode = 0o600): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  chmodSync(p, mode);
  return p;
}

function assertNoSecrets(out: string): void {
  for (const s of FULL_SECRETS) assert.ok(!out.includes(s), `output contains secret ${s}`);
}

test('config check: ok, a summary with channels and services, secrets masked', async () => {
  const r = await upkeep(['config', 'check', '--config', FULL_PATH], FULL_ENV);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`^${FULL_PATH}: ok\n`));
  assert.match(r.stdout, /listen 127\.0\.0\.1:9465/);
  assert.match(r.stdout, /lapis: heal always/);
  assert.match(r.stdout, /http http:\/\/127\.0\.0\.1:8080\/health/);
  assert.match(r.stdout, /webhook "webhook": https:\/\/hooks\.example\/upkeep \(signed\)/);
  assert.match(r.stdout, /email "email": smtp\.example:587/);
  assertNoSecrets(r.stdout + r.stderr);
});

test('config check --json: the normalised config, secrets masked', async () => {
  const r = await upkeep(['config', 'check', '--config', FULL_PATH, '--json'], FULL_ENV);
  assert.equal(r.code, 0, r.stderr);
  assertNoSecrets(r.stdout + r.stderr);
  const out = JSON.parse(r.stdout) as { ok: boolean; warnings: string[]; config: { alerts: { channels: Record<string, unknown>[] }; resyncMs: number } };
  assert.equal(out.ok, true);
  assert.deepEqual(out.warnings, []);
  assert.equal(out.config.resyncMs, 60_000);
  assert.deepEqual(
    out.config.alerts.channels.map((c) => [c.name, c.secret ?? c.token ?? c.password ?? null]),
    [
      ['webhook', '***'],
      ['slack', null],
      ['ntfy', '***'],
      ['email', '***'],
    ],
  );
});

test('config check on an invalid file: exit 2, every issue on its own line as FILE:LINE:COL', async () => {
  const p = write('bad.yml', 'heal:\n  default: sometimes\nrecovery: { grace: soon }\nalerts:\n  chanels: []\n');
  const r = await upkeep(['config', 'check', '--config', p]);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, new RegExp(`^upkeep: error: invalid config ${p} \\(3 problems\\):\n`));
  assert.ok(r.stderr.includes(`\n${p}:2:12: heal.default: expected desired, always or never, found "sometimes"\n`), r.stderr);
  assert.ok(r.stderr.includes(`\n${p}:3:20: recovery.grace: expected a duration like`), r.stderr);
  assert.ok(r.stderr.includes(`\n${p}:5:3: alerts.chanels: unknown key "chanels" (did you mean "channels"?)\n`), r.stderr);
  assert.match(r.stderr, /\nhint: /);
});

test('config check --json on an invalid file: the issues, exit 2', async () => {
  const p = write('bad2.yml', 'resync: [\n');
  const r = await upkeep(['config', 'check', '--config', p, '--json']);
  assert.equal(r.code, 2);
  const out = JSON.parse(r.stdout) as { ok: boolean; issues: string[] };
  assert.equal(out.ok, false);
  assert.match(out.issues[0] ?? '', new RegExp(`^${p}:\\d+:\\d+: YAML: `));
});

test('secrets never appear, also when the file is invalid or world-readable', async () => {
  const env = { ...FULL_ENV, UPKEEP_WEBHOOK_SECRET: 'whsec-7f3a9c' };
  const p = write(
    'leaky.yml',
    'alerts:\n  channels:\n    - { type: webhook, url: "https://u:smtp-pw-8842@h.example", secret: tk_ntfy_51e2 }\n    - { type: ntfy, url: "${UPKEEP_WEBHOOK_SECRET}" }\n',
    0o644,
  );
  const bad = await upkeep(['config', 'check', '--config', p], env);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /channels\[1\]\.url: expected an http:\/\/ or https:\/\/ URL, found a string \(hidden\)/);
  assertNoSecrets(bad.stdout + bad.stderr);
  const good = await upkeep(['config', 'check', '--config', p], { ...env, UPKEEP_WEBHOOK_SECRET: 'https://ntfy.sh/whsec-7f3a9c' });
  assert.equal(good.code, 0, good.stderr);
  assert.match(good.stdout, /warning: .*readable by group or others/);
  assert.match(good.stdout, /https:\/\/u:\*\*\*@h\.example/);
  assertNoSecrets(good.stdout + good.stderr);
});

test('config check with a missing explicit file: exit 2', async () => {
  const r = await upkeep(['config', 'check', '--config', join(dir, 'nope.yml')]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /nope\.yml: no such file/);
});

test('config show-default prints the commented default, which checks ok', async () => {
  const r = await upkeep(['config', 'show-default']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^# upkeep agent configuration/);
  const p = write('default.yml', r.stdout);
  const check = await upkeep(['config', 'check', '--config', p, '--json']);
  assert.equal(check.code, 0, check.stderr);
  assert.equal((JSON.parse(check.stdout) as { ok: boolean }).ok, true);
});

test('config check on an alias bomb, a FIFO, an oversized or non-UTF-8 file: exit 2, FILE errors, no stack', async () => {
  const bomb = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i < 9; i++)
    bomb.push(
      `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9)
        .fill(`*${String.fromCharCode(96 + i)}`)
        .join(',')}]`,
    );
  const cases: [string, RegExp][] = [[write('bomb.yml', `${bomb.join('\n')}\n`), /bomb\.yml:2:8: YAML: too many alias expansions/]];
  const fifo = join(dir, 'fifo.yml');
  if (spawnSync('mkfifo', [fifo]).status === 0) cases.push([fifo, /fifo\.yml: not a regular file \(a FIFO\)/]);
  cases.push([write('big.yml', `#${'x'.repeat(1 << 20)}\n`), /big\.yml: too large/]);
  const latin1 = join(dir, 'latin1.yml');
  writeFileSync(latin1, Buffer.from([0x23, 0x20, 0xe9, 0x0a]));
  cases.push([latin1, /latin1\.yml:1:3: not UTF-8 \(byte 0xe9\)/]);
  for (const [p, expected] of cases) {
    const r = await upkeep(['config', 'check', '--config', p]);
    assert.equal(r.code, 2, `${p}: ${r.stderr}`);
    assert.match(r.stderr, expected);
    assert.doesNotMatch(r.stderr, /internal error|\n\s+at /);
    const j = await upkeep(['config', 'check', '--config', p, '--json']);
    assert.equal(j.code, 2, p);
    assert.match((JSON.parse(j.stdout) as { issues: string[] }).issues[0] ?? '', expected);
  }
});

test('config check warns about a listener other hosts can reach; the http token is masked', async () => {
  const p = write('open-listen.yml', 'listen: 0.0.0.0:9465\n');
  const r = await upkeep(['config', 'check', '--config', p]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.stdout.includes(`warning: ${p}:1:9: listen: not a loopback address`), r.stdout);
  assert.match(r.stdout, /http: no token/);
  const j = await upkeep(['config', 'check', '--config', p, '--json']);
  assert.match((JSON.parse(j.stdout) as { warnings: string[] }).warnings[0] ?? '', /:1:9: listen: not a loopback address/);
  const t = write('token.yml', 'listen: "[::]:9465"\nhttp: { token: "${TOK}" }\ntimeline: { retention: 30d }\n');
  const withToken = await upkeep(['config', 'check', '--config', t], { TOK: 'tok-5e6f7a8b9c0d1e2f' });
  assert.equal(withToken.code, 0, withToken.stderr);
  assert.match(withToken.stdout, /http: token set .*; timeline kept 30d/);
  assert.ok(!withToken.stdout.includes('tok-5e6f7a8b9c0d1e2f'));
});

test('config check masks a webhook URL token and userinfo, in text and --json', async () => {
  const secrets = ['tok-q-1b2c3d', 'sig-q-4e5f', 'pw-u-6a7b', 'ghp-u-8c9d'];
  const p = write(
    'url-secrets.yml',
    [
      'alerts:',
      '  channels:',
      '    - { type: webhook, url: "https://hooks.example/upkeep?token=tok-q-1b2c3d&sig=sig-q-4e5f&team=ops" }',
      '    - { type: ntfy, url: "https://alice:pw-u-6a7b@ntfy.example/t" }',
      'heartbeat: { url: "https://ghp-u-8c9d@hc.example/ping" }',
      '',
    ].join('\n'),
  );
  for (const args of [[], ['--json']]) {
    const r = await upkeep(['config', 'check', '--config', p, ...args]);
    assert.equal(r.code, 0, r.stderr);
    for (const s of secrets) assert.ok(!(r.stdout + r.stderr).includes(s), `${args.join(' ')} shows ${s}:\n${r.stdout}`);
    assert.ok(r.stdout.includes('https://hooks.example/upkeep?token=***&sig=***&team=ops'), r.stdout);
    assert.ok(r.stdout.includes('https://alice:***@ntfy.example/t'), r.stdout);
  }
  const w = (await upkeep(['config', 'check', '--config', p])).stdout;
  assert.doesNotMatch(w, /readable by group/, 'mode 0600: no warning');
  chmodSync(p, 0o644);
  assert.match((await upkeep(['config', 'check', '--config', p])).stdout, /readable by group or others/, 'a URL token is a literal secret');
});

test('config show-default --json: the defaults as data (every command takes --json), and the commented file', async () => {
  const r = await upkeep(['config', 'show-default', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { file: string; config: unknown; text: string };
  assert.equal(out.file, '/etc/upkeep/upkeep.yml');
  assert.deepEqual(out.config, defaultConfig());
  assert.equal(out.text, (await upkeep(['config', 'show-default'])).stdout);
});
