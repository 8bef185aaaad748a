import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { firstInvalidUtf8, loadConfig, parseConfigText } from '../../../src/adapters/config/load-config.js';
import { ConfigError } from '../../../src/core/config/issues.js';
import { DEFAULT_CONFIG_PATH, defaultConfig } from '../../../src/core/config/types.js';
import { FULL_ENV, FULL_EXPECTED, FULL_PATH, FULL_SECRETS } from '../../core/config/fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'upk-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string, mode = 0o600): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  chmodSync(p, mode);
  return p;
}

/** The issue lines of a ConfigError thrown by parseConfigText. */
function lines(text: string, env: Record<string, string> = {}): string[] {
  try {
    parseConfigText(text, 'f.yml', env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    assert.equal(err.exitCode, 2);
    assert.ok(err.hint);
    return err.lines;
  }
  assert.fail('expected a ConfigError');
}

test('the full example loads, masked copy hides every secret', async () => {
  const r = await loadConfig({ path: FULL_PATH }, FULL_ENV);
  assert.deepEqual(r.config, FULL_EXPECTED);
  assert.equal(r.fromFile, true);
  const masked = JSON.stringify(r.masked);
  for (const s of FULL_SECRETS) assert.ok(!masked.includes(s), s);
});

test('no file at the default path = the defaults; a missing explicit file is an error', async (t) => {
  if (existsSync(DEFAULT_CONFIG_PATH)) t.skip(`${DEFAULT_CONFIG_PATH} exists on this host`);
  else
    assert.deepEqual(await loadConfig({}, {}), { config: defaultConfig(), masked: defaultConfig(), path: DEFAULT_CONFIG_PATH, fromFile: false, warnings: [] });
  const missing = join(dir, 'missing.yml');
  await assert.rejects(
    loadConfig({ path: missing }, {}),
    (err: unknown) => err instanceof ConfigError && err.message.includes(`${missing}: no such file`) && err.exitCode === 2,
  );
});

test('an empty file is the default config', async () => {
  assert.deepEqual((await loadConfig({ path: write('empty.yml', '') }, {})).config, defaultConfig());
  assert.deepEqual((await loadConfig({ path: write('comments.yml', '# nothing\n') }, {})).config, defaultConfig());
});

test('wrong enum value: FILE:LINE:COL at the value', () => {
  assert.deepEqual(lines('heal:\n  default: sometimes\n'), ['f.yml:2:12: heal.default: expected desired, always or never, found "sometimes"']);
});

test('bad duration: at the value, inside a flow mapping too', () => {
  assert.deepEqual(lines('recovery: { grace: 10 parsecs }\n'), [
    'f.yml:1:20: recovery.grace: expected a duration like 500ms, 10s, 2m or 1h (a bare number is seconds), found "10 parsecs"',
  ]);
});

test('unknown key: at the key, with a suggestion', () => {
  assert.deepEqual(lines('services:\n  web:\n    checks:\n      - docker: true\n        intervall: 5s\n'), [
    'f.yml:5:9: services.web.checks[0].intervall: unknown key "intervall" (did you mean "interval"?)',
  ]);
});

test('wrong type, and a missing key points at the parent mapping', () => {
  assert.deepEqual(lines('preflight:\n  block: 3\nheartbeat:\n  interval: 15s\n'), [
    'f.yml:2:10: preflight.block: expected true or false, found 3',
    'f.yml:4:3: heartbeat.url: missing required key "url" (expected a string)',
  ]);
});

test('an empty value points at its key', () => {
  assert.deepEqual(lines('alerts:\n  channels:\n    - type: slack\n      url:\n'), [
    'f.yml:4:7: alerts.channels[0].url: expected a string, found an empty value',
  ]);
});

test('YAML syntax errors: every one, at its position', () => {
  assert.deepEqual(lines('listen: [1\nresync: 5s\n'), ['f.yml:2:1: YAML: Flow sequence in block collection must be sufficiently indented and end with a ]']);
  assert.deepEqual(lines('heal:\n  default: always\n  default: never\n'), ['f.yml:3:3: YAML: Map keys must be unique']);
});

test('unset env var: at the value, naming the variable; the value is never printed', () => {
  assert.deepEqual(lines('alerts:\n  channels:\n    - { type: ntfy, url: "https://ntfy.sh/t", token: "${NTFY_TOKEN}" }\n'), [
    'f.yml:3:54: alerts.channels[0].token: environment variable NTFY_TOKEN is not set (set it, or write ${NTFY_TOKEN:-default})',
  ]);
  const out = lines('heartbeat: { url: "${HB}" }\n', { HB: 'ftp://user:topsecret@x' });
  assert.deepEqual(out, ['f.yml:1:19: heartbeat.url: expected an http:// or https:// URL, found a string (hidden)']);
});

test('all issues are listed, in file order', () => {
  const out = lines('zzz: 1\nlog_format: xml\nresync: -1\n');
  assert.equal(out.length, 3);
  assert.deepEqual(
    out.map((l) => l.split(': ')[0]),
    ['f.yml:1:1', 'f.yml:2:13', 'f.yml:3:9'],
  );
});

test('interpolation with default and escape', () => {
  const r = parseConfigText('listen: "${HOST:-0.0.0.0}:9000"\nstate_dir: "/srv/$${literal}"\n', 'f.yml', {});
  assert.deepEqual(r.config.listen, { host: '0.0.0.0', port: 9000 });
  assert.equal(r.config.stateDir, '/srv/${literal}');
});

test('a group/world-readable file holding a literal secret gets a warning, not an error', async () => {
  const text = 'alerts:\n  channels:\n    - { type: webhook, url: "https://h.example", secret: s3cr3t }\n';
  const open = await loadConfig({ path: write('open.yml', text, 0o644) }, {});
  assert.equal(open.warnings.length, 1);
  assert.match(open.warnings[0] ?? '', /readable by group or others \(mode 0644\).*chmod 600/);
  assert.doesNotMatch(open.warnings[0] ?? '', /s3cr3t/);
  assert.deepEqual((await loadConfig({ path: write('closed.yml', text, 0o600) }, {})).warnings, []);
  const fromEnv = 'alerts:\n  channels:\n    - { type: webhook, url: "https://h.example", secret: "${S}" }\n';
  assert.deepEqual((await loadConfig({ path: write('env.yml', fromEnv, 0o644) }, { S: 'x' })).warnings, []);
});

test('a duration out of range: FILE:LINE:COL at the value, naming the range', () => {
  assert.deepEqual(lines('resync: 720h\nheartbeat:\n  url: https://hc.example/p\n  interval: 9999999h\nalerts: { repeat: 1ms }\n'), [
    'f.yml:1:9: resync: expected a duration from 1s to 24h, found "720h"',
    'f.yml:4:13: heartbeat.interval: expected a duration from 10s to 24h, found "9999999h"',
    'f.yml:5:19: alerts.repeat: expected 0 (no reminders) or a duration from 1m to 24d, found "1ms"',
  ]);
});

test('heal.backoff.initial > max: at the offending key', () => {
  assert.deepEqual(lines('heal:\n  backoff:\n    initial: 2m\n    max: 1m\n'), [
    'f.yml:3:14: heal.backoff.initial: expected at most heal.backoff.max (1m), found "2m"',
  ]);
  assert.deepEqual(lines('heal:\n  backoff:\n    max: 500ms\n'), ['f.yml:3:10: heal.backoff.max: expected at least heal.backoff.initial (1s), found "500ms"']);
});

/** The ConfigError loadConfig rejects with (within 5 s: nothing may hang). */
async function loadError(path: string): Promise<ConfigError> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`loadConfig(${path}) did not finish within 5 s`)), 5_000);
  });
  try {
    await Promise.race([loadConfig({ path }, {}), timeout]);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String((err as Error)?.stack ?? err));
    assert.equal(err.exitCode, 2);
    return err;
  } finally {
    clearTimeout(timer);
  }
  assert.fail(`expected a ConfigError for ${path}`);
}

test('a YAML alias bomb ("billion laughs") is a FILE:LINE:COL error, not an internal error', () => {
  const bomb = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i < 9; i++) {
    const [prev, cur] = [String.fromCharCode(96 + i), String.fromCharCode(97 + i)];
    bomb.push(`${cur}: &${cur} [${Array(9).fill(`*${prev}`).join(',')}]`);
  }
  const out = lines(`${bomb.join('\n')}\n`);
  assert.equal(out.length, 1, out.join('\n'));
  assert.match(out[0] ?? '', /^f\.yml:2:8: YAML: too many alias expansions/);
});

test('a few aliases are fine', () => {
  const r = parseConfigText('services:\n  a: &s { heal: always, checks: [ { docker: true } ] }\n  b: *s\n', 'f.yml', {});
  assert.deepEqual(
    r.config.services.map((s) => [s.name, s.heal, s.checks.length]),
    [
      ['a', 'always', 1],
      ['b', 'always', 1],
    ],
  );
});

test('a FIFO is refused at once (no hang), /dev/zero too (no endless read)', async (t) => {
  const fifo = join(dir, 'fifo.yml');
  const made = spawnSync('mkfifo', [fifo]);
  if (made.status !== 0) t.skip('mkfifo not available');
  else {
    const err = await loadError(fifo);
    assert.deepEqual(err.lines, [`${fifo}: not a regular file (a FIFO)`]);
  }
  if (existsSync('/dev/zero')) {
    const err = await loadError('/dev/zero');
    assert.deepEqual(err.lines, ['/dev/zero: not a regular file (a character device)']);
  }
  assert.deepEqual((await loadError(dir)).lines, [`${dir}: not a regular file (a directory)`]);
});

test('a file over 1 MiB is refused', async () => {
  const big = write('big.yml', `# ${'x'.repeat(1024 * 1024)}\n`);
  const err = await loadError(big);
  assert.equal(err.lines.length, 1);
  assert.match(err.lines[0] ?? '', new RegExp(`^${big}: too large \\(1048579 bytes; the limit is 1 MiB\\)$`));
});

test('a file that is not UTF-8 is refused, with where', async () => {
  const p = join(dir, 'latin1.yml');
  writeFileSync(p, Buffer.concat([Buffer.from('log_format: json\n# caf'), Buffer.from([0xe9]), Buffer.from('\n')]));
  const err = await loadError(p);
  assert.deepEqual(err.lines, [`${p}:2:6: not UTF-8 (byte 0xe9); save the file as UTF-8`]);
  const utf16 = join(dir, 'utf16.yml');
  writeFileSync(utf16, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('resync: 5s\n', 'utf16le')]));
  assert.match((await loadError(utf16)).lines[0] ?? '', /:1:1: not UTF-8 \(byte 0xff\)/);
  const bom = write('bom.yml', '\ufeffresync: 5s\n');
  assert.equal((await loadConfig({ path: bom }, {})).config.resyncMs, 5_000, 'a UTF-8 BOM is fine');
});

test('firstInvalidUtf8: valid multi-byte text, truncated sequences, overlongs and surrogates', () => {
  assert.equal(firstInvalidUtf8(Buffer.from('héllo → 🐳')), -1);
  assert.equal(firstInvalidUtf8(Buffer.from([0x61, 0xe2, 0x82])), 1, 'truncated at the end');
  assert.equal(firstInvalidUtf8(Buffer.from([0xc0, 0xaf])), 0, 'overlong');
  assert.equal(firstInvalidUtf8(Buffer.from([0xed, 0xa0, 0x80])), 0, 'surrogate');
  assert.equal(firstInvalidUtf8(Buffer.from([0x61, 0x80])), 1, 'lone continuation byte');
});

test('listen on a non-loopback address: a FILE:LINE:COL warning, not an error', () => {
  const r = parseConfigText('log_format: json\nlisten: 0.0.0.0:9465\n', 'f.yml', {});
  assert.equal(r.warnings.length, 1);
  assert.match(r.warnings[0] ?? '', /^f\.yml:2:9: listen: not a loopback address: other hosts can connect, and \/metrics and \/status name your containers/);
  assert.deepEqual(parseConfigText('listen: 127.0.0.1:9000\n', 'f.yml', {}).warnings, []);
  const masked = parseConfigText('listen: "[::]:1"\nhttp: { token: "${T}" }\n', 'f.yml', { T: 'abcdefghijklmnopqrstuvwxyz' });
  assert.equal(masked.config.http.token, 'abcdefghijklmnopqrstuvwxyz');
  assert.equal(masked.masked.http.token, '***');
});
