/**
 * The real `promtool` (Debian package `prometheus`) for tests. When it is missing the test is
 * skipped with a loud message; with UPKEEP_REQUIRE_ENGINE=1 (set by .ci/run, which installs the
 * package) it fails instead, the same convention as test/engine/private-engine.ts.
 *
 * UPKEEP_PROMTOOL=/path overrides where it is looked for (an empty or missing path: not there).
 *
 * Only promtool's offline subcommands are used (check metrics, check rules, test rules): no
 * Prometheus server is started or needed, and one left running by the package's postinst is
 * never talked to.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { TestContext } from 'node:test';

export interface PromtoolResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

let found: string | null | undefined;

function findPromtool(): string | null {
  if (found !== undefined) return found;
  const override = process.env.UPKEEP_PROMTOOL;
  if (override !== undefined) return (found = override !== '' && existsSync(override) ? override : null);
  const onPath = spawnSync('sh', ['-c', 'command -v promtool'], { encoding: 'utf8' });
  const path = onPath.status === 0 ? onPath.stdout.trim() : existsSync('/usr/bin/promtool') ? '/usr/bin/promtool' : '';
  found = path !== '' ? path : null;
  return found;
}

/** promtool's path, or null after skipping `t` (or throws with UPKEEP_REQUIRE_ENGINE=1). */
export function promtoolOrSkip(t: TestContext): string | null {
  const path = findPromtool();
  if (path !== null) return path;
  const message = 'PROMTOOL NOT AVAILABLE, test skipped: apt-get install --no-install-recommends prometheus';
  if (process.env.UPKEEP_REQUIRE_ENGINE === '1') throw new Error(`${message} (UPKEEP_REQUIRE_ENGINE=1)`);
  process.stderr.write(`\n!!! ${message}\n\n`);
  t.skip(message);
  return null;
}

/** Runs promtool with `args`, feeding `stdin` when given. */
export function runPromtool(path: string, args: string[], stdin?: string, cwd?: string): Promise<PromtoolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(path, args, { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin ?? '');
  });
}

/** `promtool --version`'s first line, for messages. */
export function promtoolVersion(path: string): string {
  return spawnSync(path, ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0] ?? '';
}
