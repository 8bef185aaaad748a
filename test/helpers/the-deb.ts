/**
 * build/upkeep_*.deb for the tests that install the Debian package (test/scripts/deb-install.test.ts,
 * test/ansible/agent-role.test.ts): built with `npm run deb -- --fast` unless build/ holds one newer
 * than everything it is made of.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);
const ROOT = new URL('../../', import.meta.url).pathname;

function newestMtime(paths: string[]): number {
  let newest = 0;
  const visit = (p: string): void => {
    const st = statSync(p);
    if (st.isDirectory()) for (const n of readdirSync(p)) visit(join(p, n));
    else newest = Math.max(newest, st.mtimeMs);
  };
  for (const p of paths) visit(join(ROOT, p));
  return newest;
}

/** The path of a fresh build/upkeep_*.deb, building it first when there is none. */
export async function theDeb(): Promise<string> {
  const existing = existsSync(join(ROOT, 'build'))
    ? readdirSync(join(ROOT, 'build'))
        .filter((f) => /^upkeep_.*\.deb$/.test(f))
        .map((f) => join(ROOT, 'build', f))
    : [];
  const inputs = ['deploy/debian', 'scripts/build-deb.mjs', 'scripts/bundle.mjs', 'scripts/deb', 'src', 'package.json'];
  const fresh = existing.find((f) => statSync(f).mtimeMs > newestMtime(inputs));
  if (fresh) return fresh;
  // --fast: gzip -1 instead of xz -6 (2 s instead of about 65 s); the files inside are the same.
  // `npm run deb` builds dist/ first (tsc, about 12 s); when dist/ is newer than src/ (npm test built
  // it a moment ago) the package script alone runs: nothing rewrites dist/ while other tests run it.
  const distFresh = existsSync(join(ROOT, 'dist')) && newestMtime(['dist']) >= newestMtime(['src']);
  const [cmd, args]: [string, string[]] = distFresh
    ? [process.execPath, ['scripts/build-deb.mjs', '--fast']]
    : ['npm', ['run', 'deb', '--silent', '--', '--fast']];
  let stdout: string;
  try {
    ({ stdout } = await execFileP(cmd, args, {
      cwd: ROOT,
      env: { ...process.env, PATH: `${ROOT}node_modules/.bin:${process.env.PATH}` },
      maxBuffer: 256 << 20,
    }));
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${distFresh ? 'node scripts/build-deb.mjs --fast' : 'npm run deb -- --fast'} failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
  const name = /^(build\/upkeep_\S+\.deb)/m.exec(stdout)?.[1];
  if (name === undefined) throw new Error(`the .deb build did not name the package:\n${stdout}`);
  return join(ROOT, name);
}
