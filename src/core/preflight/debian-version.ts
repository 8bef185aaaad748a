/**
 * Debian version numbers, ordered exactly as dpkg orders them (Debian Policy 5.6.12, dpkg's
 * `verrevcmp`): `[epoch:]upstream[-revision]`; the epoch compared as a number; upstream and revision
 * compared in alternating runs of non-digits (character by character: `~` before the end of the
 * string, the end before letters, letters before everything else) and digits (numerically, of any
 * length: never through Number, so 000000000000000000001 equals 1 and 10^30 is still exact).
 *
 * Checked against dpkg itself by test/adapters/apt/debian-version-oracle.test.ts: ~10,800 pairs, each
 * judged by Dpkg::Version (libdpkg-perl), and by `dpkg --compare-versions` where the two oracles are
 * known to differ, where ours disputes one, and on a sample where both must agree.
 */

/** A version split into its three parts, as dpkg splits it. */
export interface DebianVersion {
  /** 0 when the version has no epoch. */
  epoch: number;
  upstream: string;
  /** '' when the version has no `-revision` (dpkg then compares it as equal to "0"). */
  revision: string;
}

/** What dpkg would say about a version string that it still accepts (it prints a warning). */
export type DebianVersionWarning = 'upstream does not start with a digit' | 'invalid character in upstream version' | 'invalid character in revision';

export type ParsedDebianVersion = { ok: true; version: DebianVersion; warnings: DebianVersionWarning[] } | { ok: false; error: string };

/** dpkg rejects epochs above INT_MAX. */
const MAX_EPOCH = 2147483647;

/**
 * Splits a version the way dpkg's `parseversion` does: the epoch ends at the first `:`, the revision
 * starts after the last `-`. Errors are what dpkg refuses; warnings are what dpkg accepts with a
 * warning (and still compares).
 */
export function parseDebianVersion(text: string): ParsedDebianVersion {
  const s = text.trim();
  if (s === '') return { ok: false, error: 'version string is empty' };
  if (/\s/.test(s)) return { ok: false, error: 'version string has embedded spaces' };

  let epoch = 0;
  let rest = s;
  const colon = s.indexOf(':');
  if (colon !== -1) {
    // dpkg reads the epoch with strtol: an optional sign, then digits up to the colon.
    const [, sign, epochDigits, junk] = /^([+-]?)(\d*)(.*)$/.exec(s.slice(0, colon))!;
    if (epochDigits === '') return { ok: false, error: 'epoch in version is empty' };
    if (junk !== '') return { ok: false, error: 'epoch in version is not number' };
    const digits = epochDigits!.replace(/^0+(?=\d)/, '');
    if (sign === '-' && digits !== '0') return { ok: false, error: 'epoch in version is negative' };
    if (digits.length > 10 || Number(digits) > MAX_EPOCH) return { ok: false, error: 'epoch in version is too big' };
    epoch = Number(digits);
    rest = s.slice(colon + 1);
    if (rest === '') return { ok: false, error: 'nothing after colon in version number' };
  }

  let upstream = rest;
  let revision = '';
  const hyphen = rest.lastIndexOf('-');
  if (hyphen !== -1) {
    upstream = rest.slice(0, hyphen);
    revision = rest.slice(hyphen + 1);
    if (revision === '') return { ok: false, error: 'revision number is empty' };
  }
  if (upstream === '') return { ok: false, error: 'version number is empty' };

  const warnings: DebianVersionWarning[] = [];
  if (!isDigit(upstream.charCodeAt(0))) warnings.push('upstream does not start with a digit');
  else if (!/^[0-9A-Za-z.+~:-]*$/.test(upstream)) warnings.push('invalid character in upstream version');
  if (!/^[0-9A-Za-z.+~]*$/.test(revision)) warnings.push('invalid character in revision');
  return { ok: true, version: { epoch, upstream, revision }, warnings };
}

/**
 * Compares two version strings as `dpkg --compare-versions` does: negative when a < b, 0 when
 * equal, positive when a > b.
 * @throws RangeError for a string dpkg itself refuses (empty, bad epoch, empty revision).
 */
export function compareDebianVersions(a: string, b: string): number {
  return compareParsedVersions(mustParse(a), mustParse(b));
}

/** Same order as {@link compareDebianVersions}, on versions already parsed. */
export function compareParsedVersions(a: DebianVersion, b: DebianVersion): number {
  if (a.epoch !== b.epoch) return a.epoch < b.epoch ? -1 : 1;
  return verrevcmp(a.upstream, b.upstream) || verrevcmp(a.revision, b.revision);
}

/** How far the upstream part moved between two versions of one package. */
export type UpstreamChange = 'major' | 'minor' | 'patch' | 'other' | 'none';

/**
 * Classifies an upgrade by the upstream version after the epoch: its first three dot-separated
 * numbers are major, minor and patch (`28.3.2`, `9.2p1` = 9, 2). An epoch change counts as major.
 * `other`: the versions differ, but not in those three numbers (a fourth number, a suffix such as
 * `+dfsg`, or only the Debian revision, e.g. a kernel ABI bump `6.8.0-87.88` -> `6.8.0-88.89`).
 * `none`: dpkg considers them equal.
 * @throws RangeError for a version dpkg refuses.
 */
export function upstreamChange(oldVersion: string, newVersion: string): UpstreamChange {
  const a = mustParse(oldVersion);
  const b = mustParse(newVersion);
  if (compareParsedVersions(a, b) === 0) return 'none';
  if (a.epoch !== b.epoch) return 'major';
  const na = leadingNumbers(a.upstream);
  const nb = leadingNumbers(b.upstream);
  const levels = ['major', 'minor', 'patch'] as const;
  for (let i = 0; i < levels.length; i++) {
    const x = na[i];
    const y = nb[i];
    if (x === undefined && y === undefined) break;
    if (x === undefined || y === undefined || compareDigitRuns(x, y) !== 0) return levels[i]!;
  }
  return 'other';
}

function mustParse(text: string): DebianVersion {
  const parsed = parseDebianVersion(text);
  if (!parsed.ok) throw new RangeError(`invalid Debian version "${text}": ${parsed.error}`);
  return parsed.version;
}

/** The leading `N[.N[.N]]` numbers of an upstream version, as digit strings. */
function leadingNumbers(upstream: string): string[] {
  const m = /^(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(upstream);
  if (m === null) return [];
  return m.slice(1).filter((x): x is string => x !== undefined);
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

function isLetter(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
}

/** dpkg's `order()`: `~` < end of string (and digits) < letters < everything else. */
function order(code: number): number {
  if (Number.isNaN(code) || isDigit(code)) return 0;
  if (isLetter(code)) return code;
  if (code === 126) return -1; // '~'
  return code + 256;
}

/** Compares two digit strings of any length numerically. */
function compareDigitRuns(x: string, y: string): number {
  const a = x.replace(/^0+/, '');
  const b = y.replace(/^0+/, '');
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** dpkg's `verrevcmp`, on one upstream or revision part. */
function verrevcmp(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while ((i < a.length && !isDigit(a.charCodeAt(i))) || (j < b.length && !isDigit(b.charCodeAt(j)))) {
      const ac = order(a.charCodeAt(i));
      const bc = order(b.charCodeAt(j));
      if (ac !== bc) return ac < bc ? -1 : 1;
      i++;
      j++;
    }
    const si = i;
    const sj = j;
    while (i < a.length && isDigit(a.charCodeAt(i))) i++;
    while (j < b.length && isDigit(b.charCodeAt(j))) j++;
    const d = compareDigitRuns(a.slice(si, i), b.slice(sj, j));
    if (d !== 0) return d;
  }
  return 0;
}
