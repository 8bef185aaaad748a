/**
 * Will the upgrade fit? From apt's per-package sizes (what is left to download, each version's
 * Installed-Size), the kernel images' files under /boot, and each filesystem's free space (statfs),
 * what each filesystem the upgrade writes to needs, and the verdict: `ok`, `short` (a blocking
 * risk: apt or dpkg would stop half-way), or `unknown` with why (a size or a free space that could
 * not be read is never "ok"). Pure: adapters/apt/package-sizes.ts and adapters/files/filesystems.ts
 * read the facts.
 *
 * Where the bytes go (docs/preflight.md "Disk space"):
 * - the archives still to download, into apt's archives directory (Dir::Cache::archives);
 * - the installed-size growth (new Installed-Size minus old, summed) plus dpkg's unpack peak (the
 *   largest new package is unpacked beside its old files before they are replaced), on the
 *   filesystem holding /usr (Debian packages install nearly everything there; apt gives one size
 *   per package, not per directory: / and /var, when separate, get only the margin);
 * - each kernel image's files under /boot (from the cached .deb's contents, or estimated from the
 *   installed kernel whose files there are largest) plus an initrd as large as the largest one in
 *   /boot now (estimated), on the filesystem holding /boot.
 * A filesystem is short when its free space is less than what it needs plus the margin. ZFS
 * datasets of one pool count as one filesystem (their needs add up against the least free of
 * them: mounts.ts spaceGroupOf).
 */

import { spaceGroupOf } from './mounts.js';

/** The margin kept on every filesystem: 20 MiB plus 10% of what it needs. */
export const SPACE_MARGIN = { fixedBytes: 20 * 1024 * 1024, fraction: 0.1 } as const;

/** The margin for a need of `bytes`. */
export function spaceMargin(bytes: number): number {
  return SPACE_MARGIN.fixedBytes + Math.ceil(bytes * SPACE_MARGIN.fraction);
}

/** One filesystem as mountinfo and statfs show it. */
export interface FilesystemFacts {
  /** `major:minor` (mountinfo): paths with the same one share the free space. */
  device: string;
  mountPoint: string;
  fsType: string;
  /** The mount source (mountinfo): for ZFS `pool/dataset`, whose pool the datasets share (mounts.ts spaceGroupOf). */
  source?: string;
  /** Free for unprivileged writers (statfs f_bavail * f_bsize): blocks reserved for root count as margin. Null: not read. */
  freeBytes: number | null;
  totalBytes: number | null;
  /** Why the free space could not be read (with freeBytes null). */
  problem?: string;
}

/** The filesystem a path is on, or why it could not be found. */
export type PathFilesystem = FilesystemFacts | { problem: string };

/** One planned package's sizes, in bytes (apt-cache's Size; Installed-Size is in KiB, converted). */
export interface PackageSize {
  name: string;
  /** Bytes still to download: 0 when its archive is already in the archives directory; null: not known. */
  downloadBytes: number | null;
  /** The new version's installed size; null for a removal. */
  newInstalledBytes: number | null;
  /** The installed version's; null when it is not installed. */
  oldInstalledBytes: number | null;
  /** Why its sizes are not known (then the numbers above are not used). */
  unknown?: string;
}

/** A kernel image package of the plan and its own files under /boot. */
export interface KernelBoot {
  package: string;
  /** Its files under /boot from the cached .deb's contents (`dpkg-deb -c`); null: no cached .deb. */
  debBootBytes: number | null;
}

/** What `assessSpace` reads: the facts adapters gather. */
export interface SpaceFacts {
  /** apt's archives directory, or why it could not be read. */
  archivesDir: string | { problem: string };
  /** Per planned package; or why the sizes could not be read at all. */
  packages: PackageSize[] | { problem: string };
  kernels: KernelBoot[];
  /** The files in /boot now: per installed kernel release, its vmlinuz + System.map + config bytes; the initrds. Or why not read. */
  boot: { kernels: Array<{ release: string; bytes: number }>; initrds: Array<{ name: string; bytes: number }> } | { problem: string };
  /** The filesystem of each path checked: the archives directory, /, /usr, /var, /boot. */
  filesystems: ReadonlyMap<string, PathFilesystem>;
  /** True when apt-cache's and dpkg-query's answers came from the cache (SizeSources below). */
  sizesCached?: boolean;
}

/** One thing a filesystem must hold. */
export interface SpaceNeed {
  what: string;
  /** Null: not known (the filesystem's verdict is then unknown). */
  bytes: number | null;
  /** True when the number is an estimate (not read from apt or a .deb). */
  estimate: boolean;
  /** Why `bytes` is not known (with bytes null). */
  unknown?: string;
}

export type SpaceVerdict = 'ok' | 'short' | 'unknown';

/** One filesystem's answer. */
export interface FilesystemSpace {
  mountPoint: string | null;
  device: string | null;
  fsType: string | null;
  /** The checked paths on it ("/var/cache/apt/archives", "/usr", "/boot"...). */
  paths: string[];
  needs: SpaceNeed[];
  /** The sum of `needs` (null: one is not known). */
  neededBytes: number | null;
  /** SPACE_MARGIN applied to neededBytes (null with it). */
  marginBytes: number | null;
  freeBytes: number | null;
  totalBytes: number | null;
  verdict: SpaceVerdict;
  /** One sentence for people: the numbers, or why not known. */
  why: string;
  /** What to do when short (empty otherwise). */
  advice: string[];
}

/** The space check of `upkeep preflight` (the `space` field of its JSON). */
export interface SpaceCheck {
  /** Worst of the filesystems': short, else unknown, else ok. */
  verdict: SpaceVerdict;
  /** Where the sizes come from. */
  sizes: string;
  /** The margin, in words. */
  margin: string;
  /** Short ones first, then unknown, then ok; by mount point within each. */
  filesystems: FilesystemSpace[];
}

export const SIZES_SOURCE =
  "per package: apt-cache show (Size, Installed-Size) of each new version, dpkg-query's Installed-Size of the installed one, the archives directory's cached .debs";
export const MARGIN_WORDS = `${SPACE_MARGIN.fixedBytes / 1024 / 1024} MiB + ${SPACE_MARGIN.fraction * 100}% of what is needed, on each filesystem`;

/** Bytes for people: 1.5 GiB, 230 MiB, 12 KiB, 512 B. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  let v = bytes;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v >= 100 ? Math.round(v) : v.toFixed(1).replace(/\.0$/, '')} ${units[i]}`;
}

const PATHS = { root: '/', usr: '/usr', var: '/var', boot: '/boot' } as const;

interface Group {
  fs: FilesystemFacts | null;
  problem: string | null;
  paths: string[];
  needs: SpaceNeed[];
}

/** Of two filesystems of one pool, the one to compare with: a free space not read wins (unknown), else the smaller. */
function leastFree(a: FilesystemFacts, b: FilesystemFacts): FilesystemFacts {
  if (a.freeBytes === null) return a;
  if (b.freeBytes === null) return b;
  return a.freeBytes < b.freeBytes ? a : b;
}

/** The answer for each filesystem the upgrade writes to (see the file comment). */
export function assessSpace(facts: SpaceFacts): SpaceCheck {
  const groups = new Map<string, Group>();
  const groupOf = (path: string): Group => {
    const f = facts.filesystems.get(path);
    const key = f === undefined ? `?${path}` : 'device' in f ? spaceGroupOf({ device: f.device, fsType: f.fsType, source: f.source ?? '' }) : `?${path}`;
    let g = groups.get(key);
    // Another dataset of the same pool: the needs add up, against the least free of them (a quota).
    if (g !== undefined && f !== undefined && 'device' in f && g.fs !== null && g.fs.device !== f.device && leastFree(f, g.fs) === f) g.fs = f;
    if (g === undefined) {
      g = {
        fs: f !== undefined && 'device' in f ? f : null,
        problem: f === undefined ? `the filesystem of ${path} was not read` : 'device' in f ? null : `the filesystem of ${path}: ${f.problem}`,
        paths: [],
        needs: [],
      };
      groups.set(key, g);
    }
    if (!g.paths.includes(path)) g.paths.push(path);
    return g;
  };
  // Every filesystem packages write to is checked, needs or not.
  const rootG = groupOf(PATHS.root);
  const usrG = groupOf(PATHS.usr);
  groupOf(PATHS.var);
  const packages = 'problem' in facts.packages ? null : facts.packages;
  const sizesProblem = 'problem' in facts.packages ? facts.packages.problem : null;

  // Downloads, into the archives directory.
  const archivesDir = typeof facts.archivesDir === 'string' ? facts.archivesDir : null;
  const toDownload = packages?.filter((p) => p.newInstalledBytes !== null || p.downloadBytes !== null) ?? [];
  const downloadUnknown = packages === null ? sizesProblem : unknownOf(packages, (p) => p.newInstalledBytes !== null && p.downloadBytes === null);
  const downloadBytes = downloadUnknown === null ? sum(toDownload.map((p) => p.downloadBytes ?? 0)) : null;
  const cached = toDownload.filter((p) => p.downloadBytes === 0).length;
  const fetched = toDownload.filter((p) => (p.downloadBytes ?? 0) > 0).length;
  const downloadNeed: SpaceNeed =
    downloadUnknown !== null
      ? { what: 'archives to download', bytes: null, estimate: false, unknown: downloadUnknown }
      : {
          what: `${fetched} archive(s) to download${archivesDir === null ? '' : ` into ${archivesDir}`} (${cached} already there)`,
          bytes: downloadBytes,
          estimate: false,
        };
  if (archivesDir !== null) groupOf(archivesDir).needs.push(downloadNeed);
  else {
    const problem = typeof facts.archivesDir === 'string' ? '' : facts.archivesDir.problem;
    rootG.needs.push({ what: 'archives to download', bytes: null, estimate: false, unknown: `apt's archives directory not known: ${problem}` });
  }

  // The installed-size growth and dpkg's unpack peak, on /usr's filesystem.
  const growthUnknown = packages === null ? sizesProblem : unknownOf(packages, () => false);
  if (growthUnknown !== null || packages === null) {
    usrG.needs.push({ what: 'installed size growth', bytes: null, estimate: false, unknown: growthUnknown ?? 'sizes not read' });
  } else {
    // Only what grows: dpkg's order is not known, so a package that shrinks or is removed may free
    // its space only after the others have taken theirs.
    const growth = sum(packages.map((p) => Math.max(0, (p.newInstalledBytes ?? 0) - (p.oldInstalledBytes ?? 0))));
    usrG.needs.push({
      what: 'installed size growth (new minus old Installed-Size of the packages that grow; what shrinks or is removed is not counted as freed)',
      bytes: growth,
      estimate: false,
    });
    const largest = packages.reduce<PackageSize | null>(
      (a, p) => (p.newInstalledBytes !== null && p.oldInstalledBytes !== null && (a === null || p.newInstalledBytes > a.newInstalledBytes!) ? p : a),
      null,
    );
    if (largest !== null)
      usrG.needs.push({
        what: `dpkg unpacks ${largest.name} beside its old files (the largest upgraded package)`,
        bytes: largest.newInstalledBytes,
        estimate: false,
      });
  }

  // Kernel images: their files under /boot and a new initrd.
  if (facts.kernels.length > 0) {
    const bootG = groupOf(PATHS.boot);
    const sameAsUsr = bootG === usrG;
    const boot = 'problem' in facts.boot ? null : facts.boot;
    for (const k of facts.kernels) {
      if (k.debBootBytes !== null) {
        // On /usr's filesystem the package's Installed-Size already counts its /boot files.
        if (!sameAsUsr) bootG.needs.push({ what: `${k.package}'s files under /boot (its cached .deb)`, bytes: k.debBootBytes, estimate: false });
      } else if (!sameAsUsr) {
        const largest = boot === null ? null : maxBy(boot.kernels, (x) => x.bytes);
        bootG.needs.push(
          largest === null
            ? {
                what: `${k.package}'s files under /boot`,
                bytes: null,
                estimate: true,
                unknown: `no cached .deb, and ${boot === null ? `/boot not read: ${(facts.boot as { problem: string }).problem}` : 'no installed kernel in /boot to estimate from'}`,
              }
            : {
                what: `${k.package}'s files under /boot (estimate: as large as kernel ${largest.release}'s vmlinuz, System.map and config there)`,
                bytes: largest.bytes,
                estimate: true,
              },
        );
      }
      if (boot === null)
        bootG.needs.push({
          what: `a new initrd for ${k.package}`,
          bytes: null,
          estimate: true,
          unknown: `/boot not read: ${(facts.boot as { problem: string }).problem}`,
        });
      else {
        const initrd = maxBy(boot.initrds, (x) => x.bytes);
        bootG.needs.push({
          what:
            initrd === null
              ? `a new initrd for ${k.package} (estimate: none, there is no initrd in /boot now)`
              : `a new initrd for ${k.package} (estimate: as large as ${initrd.name}, the largest in /boot)`,
          bytes: initrd?.bytes ?? 0,
          estimate: true,
        });
      }
    }
  }

  // No new kernel, but a package whose upgrade runs update-initramfs (its trigger): the newest
  // initrd is rebuilt as initrd.img-X.new beside the old one, on /boot's filesystem.
  const triggers = facts.kernels.length > 0 || packages === null ? [] : packages.filter((p) => p.newInstalledBytes !== null && rebuildsInitrd(p.name));
  if (triggers.length > 0) {
    const names = triggers.map((p) => p.name).join(', ');
    if ('problem' in facts.boot)
      groupOf(PATHS.boot).needs.push({ what: `a rebuilt initrd (${names})`, bytes: null, estimate: true, unknown: `/boot not read: ${facts.boot.problem}` });
    else {
      // No initrd now (a host that boots without one): nothing to rebuild.
      const initrd = maxBy(facts.boot.initrds, (x) => x.bytes);
      if (initrd !== null)
        groupOf(PATHS.boot).needs.push({
          what: `update-initramfs writes a new initrd beside the old one (${names} trigger it; estimate: as large as ${initrd.name}, the largest in /boot)`,
          bytes: initrd.bytes,
          estimate: true,
        });
    }
  }

  const filesystems = [...groups.values()]
    .map((g) => verdictOf(g, packages !== null && packages.length === 0))
    .sort((a, b) => RANK[a.verdict] - RANK[b.verdict] || (a.mountPoint ?? '').localeCompare(b.mountPoint ?? ''));
  const verdict: SpaceVerdict = filesystems.some((f) => f.verdict === 'short') ? 'short' : filesystems.some((f) => f.verdict === 'unknown') ? 'unknown' : 'ok';
  return {
    verdict,
    sizes:
      facts.sizesCached === true
        ? `${SIZES_SOURCE} (apt-cache's and dpkg-query's answers from upkeep's cache: apt's lists and dpkg's status unchanged since)`
        : SIZES_SOURCE,
    margin: MARGIN_WORDS,
    filesystems,
  };
}

const RANK: Record<SpaceVerdict, number> = { short: 0, unknown: 1, ok: 2 };

/** `nothingChanges`: an empty plan writes nothing, so no margin is asked for (a full disk is not this upgrade's risk). */
function verdictOf(g: Group, nothingChanges: boolean): FilesystemSpace {
  const known = g.needs.every((n) => n.bytes !== null);
  const neededBytes = known ? sum(g.needs.map((n) => n.bytes!)) : null;
  const marginBytes = neededBytes === null ? null : nothingChanges ? 0 : spaceMargin(neededBytes);
  const freeBytes = g.fs?.freeBytes ?? null;
  const base = {
    mountPoint: g.fs?.mountPoint ?? null,
    device: g.fs?.device ?? null,
    fsType: g.fs?.fsType ?? null,
    paths: [...g.paths].sort(),
    needs: g.needs,
    neededBytes,
    marginBytes,
    freeBytes,
    totalBytes: g.fs?.totalBytes ?? null,
  };
  const where = g.fs?.mountPoint ?? g.paths.join(', ');
  if (g.problem !== null || g.fs === null) return { ...base, verdict: 'unknown', why: `not known: ${g.problem ?? 'filesystem not read'}`, advice: [] };
  if (freeBytes === null)
    return { ...base, verdict: 'unknown', why: `not known: free space on ${where} not read${g.fs.problem ? ` (${g.fs.problem})` : ''}`, advice: [] };
  if (neededBytes === null || marginBytes === null) {
    // One reason often stands for several needs (apt-cache not answering: downloads and growth).
    const byReason = new Map<string, string[]>();
    for (const n of g.needs) if (n.bytes === null) byReason.set(n.unknown ?? 'not read', [...(byReason.get(n.unknown ?? 'not read') ?? []), n.what]);
    return { ...base, verdict: 'unknown', why: `not known: ${[...byReason].map(([r, whats]) => `${whats.join(' and ')}: ${r}`).join('; ')}`, advice: [] };
  }
  const estimated = g.needs.some((n) => n.bytes !== null && n.bytes > 0 && n.estimate) ? ' (partly estimated)' : '';
  const numbers = `needs ${formatBytes(neededBytes)}${estimated} + ${formatBytes(marginBytes)} margin, ${formatBytes(freeBytes)} free`;
  if (freeBytes >= neededBytes + marginBytes) return { ...base, verdict: 'ok', why: numbers, advice: [] };
  const advice: string[] = [];
  if (g.paths.some((p) => p !== '/' && p !== '/usr' && p !== '/var' && p !== '/boot') || g.paths.includes('/var'))
    advice.push('apt-get clean (empties the archives directory of cached .debs)');
  if (g.paths.includes('/boot')) advice.push('apt autoremove --purge (removes old kernels and their files in /boot; the running one is kept)');
  else if (g.paths.some((p) => p === '/' || p === '/usr' || p === '/var')) advice.push('apt autoremove --purge (removes packages nothing needs any more)');
  if (g.paths.includes('/var')) advice.push('journalctl --vacuum-size=100M (old journal files)');
  advice.push(`then see what else takes space: du -xh --max-depth=2 ${where} | sort -h | tail`);
  return { ...base, verdict: 'short', why: `SHORT by ${formatBytes(neededBytes + marginBytes - freeBytes)}: ${numbers}`, advice };
}

/** The first reason a package's sizes are not known (or `missing(p)` says so), or null. */
function unknownOf(packages: readonly PackageSize[], missing: (p: PackageSize) => boolean): string | null {
  const bad = packages.filter((p) => p.unknown !== undefined || missing(p));
  if (bad.length === 0) return null;
  const first = bad[0]!;
  return `${first.name}: ${first.unknown ?? 'size not read'}${bad.length > 1 ? ` (and ${bad.length - 1} more)` : ''}`;
}

function sum(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

function maxBy<T>(xs: readonly T[], f: (x: T) => number): T | null {
  return xs.reduce<T | null>((a, x) => (a === null || f(x) > f(a) ? x : a), null);
}

/**
 * Packages whose upgrade rebuilds the initrd (update-initramfs, through the initramfs-tools
 * trigger or their own postinst): Debian's and Ubuntu's initramfs hooks, microcode, firmware and
 * the storage stack the initrd carries. A list of names (docs/preflight.md): a package outside it
 * that also triggers a rebuild is not seen.
 */
export function rebuildsInitrd(name: string): boolean {
  return /^(initramfs-tools(-core|-bin)?|dracut(-core)?|intel-microcode|amd64-microcode|firmware-.+|linux-firmware|cryptsetup(-initramfs|-bin)?|lvm2|mdadm|dmsetup|udev|systemd-udev|busybox|klibc-utils|kmod|zfs-initramfs|btrfs-progs|plymouth(-.+)?|open-iscsi|multipath-tools(-boot)?)$/.test(
    name,
  );
}

/** One `apt-cache show` stanza's fields that matter here. */
export interface AptStanza {
  package: string;
  version: string;
  architecture: string;
  /** Bytes of the .deb; null when the field is missing or not a number. */
  size: number | null;
  /** KiB installed; null when missing or not a number. */
  installedSizeKiB: number | null;
}

/** A non-negative decimal integer of at most 15 digits (else null: a value not understood). */
export function parseSizeField(text: string | undefined): number | null {
  if (text === undefined) return null;
  const t = text.trim();
  return /^\d{1,15}$/.test(t) ? Number(t) : null;
}

/** Reads `apt-cache show` output: one entry per stanza with Package and Version. */
export function parseAptCacheShow(text: string): AptStanza[] {
  const out: AptStanza[] = [];
  for (const block of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    for (const line of block.split('\n')) {
      const m = /^([A-Za-z0-9-]+):\s?(.*)$/.exec(line);
      if (m !== null) fields.set(m[1]!.toLowerCase(), m[2]!);
    }
    const pkg = fields.get('package');
    const version = fields.get('version');
    if (pkg === undefined || version === undefined) continue;
    out.push({
      package: pkg.trim(),
      version: version.trim(),
      architecture: (fields.get('architecture') ?? '').trim(),
      size: parseSizeField(fields.get('size')),
      installedSizeKiB: parseSizeField(fields.get('installed-size')),
    });
  }
  return out;
}

/** The name apt gives a downloaded archive in its archives directory: NAME_VERSION_ARCH.deb, ':' written %3a. */
export function archiveFileName(s: Pick<AptStanza, 'package' | 'version' | 'architecture'>): string {
  const q = (x: string) => x.replaceAll(':', '%3a');
  return `${q(s.package)}_${q(s.version)}_${q(s.architecture)}.deb`;
}

/**
 * Reads `dpkg-deb -c` output (tar's long listing): the bytes of the regular files under ./boot/.
 * Null when a line under ./boot/ cannot be read.
 */
export function bootBytesOfDebListing(text: string): number | null {
  let total = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const m = /^(\S)\S*\s+\S+\s+(\d+)\s+\S+\s+\S+\s+(.*)$/.exec(line);
    if (m === null) {
      if (line.includes('./boot/')) return null;
      continue;
    }
    const path = m[3]!.replace(/ -> .*$/, '').replace(/ link to .*$/, '');
    if (m[1] === '-' && path.startsWith('./boot/')) total += Number(m[2]);
  }
  return total;
}

/**
 * What the sizes are read from, kept between runs (`package-sizes.json` in the state directory)
 * while apt's simulation key holds: the planned versions' `apt-cache show` stanzas come from
 * apt's lists and the installed sizes from dpkg's status, both part of that key. What changes
 * without apt or dpkg (the archives directory's .debs, free space, /boot) is read every run.
 */
export interface SizeSources {
  /** The `name[:arch]=version` specs asked of apt-cache (the entry holds only for the same plan). */
  specs: string[];
  stanzas: AptStanza[];
  /** dpkg-query's lines: name (with :arch when dpkg gives it), version, Installed-Size as printed. */
  installed: Array<{ name: string; version: string; kib: string }>;
}

/** Bumped whenever SizeSources' shape changes: older files are ignored. */
export const SIZE_SOURCES_FORMAT = 1;

export function sizeSourcesEntry(key: string, sources: SizeSources): { format: number; key: string; sources: SizeSources } {
  return { format: SIZE_SOURCES_FORMAT, key, sources };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isSize = (v: unknown) => v === null || (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0);

/** The cached sources for `key` and exactly `specs`, from the cache file's text; otherwise why not. */
export function readSizeSourcesCache(json: string, key: string, specs: readonly string[]): { ok: true; sources: SizeSources } | { ok: false; why: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return { ok: false, why: 'not JSON (cut short?)' };
  }
  if (!isRecord(parsed) || parsed.format !== SIZE_SOURCES_FORMAT) return { ok: false, why: 'another format' };
  if (parsed.key !== key) return { ok: false, why: 'stale (dpkg, apt or upkeep changed since)' };
  const s = parsed.sources;
  if (!isRecord(s) || !Array.isArray(s.specs) || !Array.isArray(s.stanzas) || !Array.isArray(s.installed)) return { ok: false, why: 'not an entry' };
  if (s.specs.length !== specs.length || s.specs.some((x, i) => x !== specs[i])) return { ok: false, why: 'another plan' };
  const stanzasOk = s.stanzas.every(
    (x) =>
      isRecord(x) &&
      typeof x.package === 'string' &&
      typeof x.version === 'string' &&
      typeof x.architecture === 'string' &&
      isSize(x.size) &&
      isSize(x.installedSizeKiB),
  );
  const installedOk = s.installed.every((x) => isRecord(x) && typeof x.name === 'string' && typeof x.version === 'string' && typeof x.kib === 'string');
  if (!stanzasOk || !installedOk) return { ok: false, why: 'malformed entries' };
  return { ok: true, sources: s as unknown as SizeSources };
}
