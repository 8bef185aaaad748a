/**
 * Which filesystems a rehearsal must copy (overlay) so that the upgrade sees the whole system, read
 * from /proc/self/mountinfo: the root, and every other filesystem mounted where packages write
 * (/boot, /usr, /var, /etc, /opt and the like). An overlay shows one filesystem only (never the
 * mounts below it), so each of these gets its own. What cannot be copied safely is refused with the
 * reason; the engine's own data (/var/lib/docker, /var/lib/containerd) and pseudo filesystems are
 * left out and said so. Pure.
 */

/** One line of /proc/self/mountinfo. */
export interface MountEntry {
  /** Where it is mounted (octal escapes decoded). */
  target: string;
  /** The path inside its filesystem that is mounted there (`/` unless a bind mount). */
  root: string;
  fstype: string;
  source: string;
}

/** Decodes mountinfo's octal escapes (`\040` for a space). */
function unescape(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** The lines of /proc/self/mountinfo (a malformed line is skipped). */
export function parseMountinfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const dash = line.indexOf(' - ');
    if (dash < 0) continue;
    const left = line.slice(0, dash).split(' ');
    const right = line.slice(dash + 3).split(' ');
    if (left.length < 5 || right.length < 2) continue;
    out.push({ root: unescape(left[3]!), target: unescape(left[4]!), fstype: right[0]!, source: unescape(right[1]!) });
  }
  return out;
}

/** The top directories packages write to: a filesystem mounted at or below one of them is copied. */
export const WRITTEN_TREES: readonly string[] = ['/boot', '/usr', '/var', '/etc', '/opt', '/srv', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];

/** Filesystems that an overlay can use as its lower layer and that are local (disk, memory). */
const COPYABLE = new Set(['ext2', 'ext3', 'ext4', 'xfs', 'btrfs', 'vfat', 'f2fs', 'zfs', 'tmpfs', 'jfs', 'reiserfs', 'squashfs', 'erofs', 'overlay']);

/** Mounted below these: the engine's and orchestrators' own data, not written by packages. */
const ENGINE_DATA = ['/var/lib/docker', '/var/lib/containerd', '/var/lib/kubelet', '/var/lib/rancher', '/run'];

/** Pseudo filesystems the view replaces with its own (or leaves out). */
const PSEUDO = new Set([
  'proc',
  'sysfs',
  'devtmpfs',
  'devpts',
  'cgroup',
  'cgroup2',
  'securityfs',
  'debugfs',
  'tracefs',
  'pstore',
  'bpf',
  'mqueue',
  'hugetlbfs',
  'configfs',
  'fusectl',
  'binfmt_misc',
  'efivarfs',
  'nsfs',
  'autofs',
  'rpc_pipefs',
]);

const under = (path: string, tree: string) => path === tree || path.startsWith(`${tree}/`);

export interface LayerPlan {
  /** The root filesystem's type (`ext4`, `overlay`, ...). */
  rootType: string;
  /** Every filesystem besides the root that gets its own overlay, parents before children. */
  overlays: Array<{ target: string; fstype: string }>;
  /** Mounts under the written trees that are not copied, and why (the view shows what lies under them). */
  notCopied: Array<{ target: string; why: string }>;
  /** Why the rehearsal cannot run safely on this layout (null: it can). */
  refusal: string | null;
}

/**
 * The plan for the mounts of `entries` (mountinfo order: when a path is mounted twice, the last one
 * is what is seen).
 */
export function planLayers(entries: readonly MountEntry[]): LayerPlan {
  const seen = new Map<string, MountEntry>();
  for (const e of entries) seen.set(e.target, e);
  const root = seen.get('/');
  if (root === undefined) return { rootType: 'unknown', overlays: [], notCopied: [], refusal: 'no root filesystem in /proc/self/mountinfo' };
  const problems: string[] = [];
  if (!COPYABLE.has(root.fstype)) problems.push(`the root filesystem is ${root.fstype} (${root.source}): an overlay cannot copy it safely`);
  const overlays: LayerPlan['overlays'] = [];
  const notCopied: LayerPlan['notCopied'] = [];
  const targets = [...seen.values()]
    .filter((e) => e.target !== '/' && WRITTEN_TREES.some((t) => under(e.target, t)))
    .sort((a, b) => a.target.length - b.target.length);
  for (const e of targets) {
    // A mount inside one already left out is left out with it.
    if (notCopied.some((n) => under(e.target, n.target))) continue;
    if (ENGINE_DATA.some((d) => under(e.target, d))) {
      notCopied.push({ target: e.target, why: `${e.fstype}: the engine's own data, not written by packages` });
      continue;
    }
    if (PSEUDO.has(e.fstype)) {
      notCopied.push({ target: e.target, why: `${e.fstype}: a pseudo filesystem (the view shows the directory under it)` });
      continue;
    }
    if (e.root !== '/') {
      problems.push(`${e.target} is a bind mount (of ${e.root} on ${e.source}): an overlay cannot copy it; unmount it or rehearse elsewhere`);
      continue;
    }
    if (!COPYABLE.has(e.fstype)) {
      problems.push(`${e.target} is ${e.fstype} (${e.source}), not a local filesystem an overlay can copy safely`);
      continue;
    }
    overlays.push({ target: e.target, fstype: e.fstype });
  }
  return { rootType: root.fstype, overlays, notCopied, refusal: problems.length === 0 ? null : problems.join('; ') };
}
