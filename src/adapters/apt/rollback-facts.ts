/**
 * What apt and dpkg say about the packages an upgrade changes, for the rollback plan
 * (ports/rollback.ts RollbackFactsReader): `apt-cache policy` (with upkeep's apt options and
 * APT_CONFIG, like its other apt runs), the .debs in apt's cache read with `dpkg-deb -f` (their
 * file names are not trusted), and `dpkg-query` with the package's file list.
 */
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { CachedDeb } from '../../core/upgrade/rollback.js';
import type { RollbackFactsReader } from '../../ports/rollback.js';
import { readPackageFiles } from './package-files.js';
import { aptArchivesDir } from './package-sizes.js';
import { runCommand } from './run-command.js';
import { dpkgQuery, installedEntry } from './dpkg-location.js';

export interface RollbackFactsOptions {
  /** Extra `-o Name=value` options for apt-cache (upkeep upgrade's --apt-option). */
  aptOptions?: readonly string[];
  env?: NodeJS.ProcessEnv;
  /** apt's cache of .debs (default: apt's Dir::Cache::archives, with these options and environment). */
  archives?: string;
  infoDir?: string;
}

/** Reads control fields `Package`, `Version`, `Architecture` of a .deb; null when it is not a readable .deb. */
export async function debFields(path: string): Promise<CachedDeb['fields']> {
  const r = await runCommand('dpkg-deb', ['-f', '--', path, 'Package', 'Version', 'Architecture'], { timeoutMs: 30_000 });
  if (r.code !== 0) return null;
  const f = new Map<string, string>();
  for (const line of r.stdout.split('\n')) {
    const m = /^(Package|Version|Architecture): (\S+)$/.exec(line);
    if (m !== null) f.set(m[1]!, m[2]!);
  }
  const [p, v, a] = [f.get('Package'), f.get('Version'), f.get('Architecture')];
  return p && v && a ? { package: p, version: v, architecture: a } : null;
}

/** The facts reader on this machine. */
export function localRollbackFacts(opts: RollbackFactsOptions = {}): RollbackFactsReader {
  const aptOpts = (opts.aptOptions ?? []).flatMap((o) => ['-o', o]);
  const env = opts.env ?? process.env;
  return {
    async aptCachePolicy(names) {
      const r = await runCommand('apt-cache', [...aptOpts, 'policy', '--', ...names], { env, timeoutMs: 60_000 });
      return r.code === 0 ? r.stdout : null;
    },
    async cachedDebs(names) {
      // apt's own directory (a per-host Dir::Cache in APT_CONFIG is followed); unreadable: none known.
      const archives = opts.archives ?? (await aptArchivesDir({ aptOptions: opts.aptOptions ?? [], env }));
      if (typeof archives !== 'string') return [];
      const files = await readdir(archives).catch(() => [] as string[]);
      const out: CachedDeb[] = [];
      for (const f of files) {
        if (!f.endsWith('.deb') || !names.some((n) => f.startsWith(`${n}_`))) continue;
        const path = join(archives, f);
        const st = await lstat(path).catch(() => null);
        if (st === null || !st.isFile()) continue;
        out.push({ path, fields: await debFields(path) });
      }
      return out;
    },
    async installedPackage(name) {
      // dpkg cannot say (its database not known: apt's configuration): null, as the port says.
      const r = await dpkgQuery(['-W', '-f', '${Package}\\t${Version}\\t${Architecture}\\t${Status}\\n', '--', name], { timeoutMs: 30_000 }).catch(() => null);
      if (r === null || r.code !== 0) return null;
      const rows = r.stdout
        .split('\n')
        .map((l) => l.split('\t'))
        .filter((c) => c.length === 4 && c[3] !== 'unknown ok not-installed');
      const row = rows.find((c) => c[3] === 'install ok installed') ?? rows[0];
      if (row === undefined) return null;
      const [, version, architecture, status] = row as [string, string, string, string];
      const list = await readPackageFiles(name, { arch: architecture, ...(opts.infoDir ? { infoDir: opts.infoDir } : {}) }).catch(() => null);
      let bytes = 0;
      const missing: string[] = [];
      for (const p of list?.paths ?? []) {
        const st = await installedEntry(p)
          .then((at) => lstat(at))
          .catch(() => null);
        if (st === null) missing.push(p);
        else if (st.isFile()) bytes += st.size;
      }
      return { name, version, architecture, status, listFile: list?.file ?? null, bytes, missing };
    },
  };
}
