/**
 * The shell side of a rehearsal (run by sandbox.ts under `unshare --mount --pid --fork`): it builds
 * the throwaway view, runs the command inside it, collects what the upgrade left, and exits; the
 * kernel then ends every process of the PID namespace and frees the mount namespace with its
 * mounts. Nothing is ever mounted in the host's namespace: everything below happens after
 * `mount --make-rprivate /` in a namespace of its own.
 *
 * Arguments: WORK SIZE SCRATCH KEEP SYSTEMD MOUNTS -- COMMAND...
 *   WORK     a fresh directory (results/ made by the caller; out/, view/ and layers/ made here)
 *   SIZE     tmpfs size (the upper layers, and /tmp inside)
 *   SCRATCH  a fresh directory on disk for the upper layers instead of a tmpfs, or `-`
 *   KEEP     a directory to copy the upper layers to at the end, or `-`
 *   SYSTEMD  1: the host runs systemd (the view gets an empty /run/systemd/system, no bus)
 *   MOUNTS   the other filesystems to overlay, colon-separated, parents first, or `-`
 * Standard input is a pipe from the caller: when it closes (the caller died, even by SIGKILL),
 * every process of the rehearsal is killed and the work directory removed.
 *
 * results/ is the view's /run/upkeep-rehearse (the recorders' programs, and calls.log they append
 * to): root processes in the view can write anything there, so what this script writes and reads
 * back is in out/, outside the view (reachable from it only by leaving the chroot): the layer list,
 * the times, apt's exit code and, once every process of the view is gone, what the upgrade left.
 * Nothing here writes into results/ after the upgrade (a link planted there is never followed by a
 * write of this script), and a link at the reboot flag is not followed (it would resolve on the host).
 */
export const SANDBOX_SCRIPT = `set -eu
W=$1 SIZE=$2 SCRATCH=$3 KEEP=$4 SYSD=$5 MOUNTS=$6
shift 7
R=$W/results O=$W/out V=$W/view
mkdir -m 700 "$O"
exec 9<&0
( while read -r _; do :; done; : > "$O/aborted"; kill -KILL -1 2>/dev/null ) <&9 &
exec 9<&- </dev/null
mount --make-rprivate /
if [ "$SCRATCH" = - ]; then L=$W/layers; mkdir -p "$L"; mount -t tmpfs -o "size=$SIZE,mode=700" upkeep-rehearse "$L"; else L=$SCRATCH; fi
mkdir -p "$L/root/upper" "$L/root/work" "$V"
mount -t overlay upkeep-rehearse -o "lowerdir=/,upperdir=$L/root/upper,workdir=$L/root/work" "$V"
echo "/ root" > "$O/layers"
i=0
if [ "$MOUNTS" != - ]; then
  IFS=:; set -f
  for m in $MOUNTS; do
    i=$((i+1)); mkdir -p "$L/m$i/upper" "$L/m$i/work"
    mount -t overlay upkeep-rehearse -o "lowerdir=$m,upperdir=$L/m$i/upper,workdir=$L/m$i/work" "$V$m"
    echo "$m m$i" >> "$O/layers"
  done
  unset IFS; set +f
fi
mount -t proc proc "$V/proc"
# The kernel's settings are the host's: a script's sysctl must not change them (it fails instead).
for p in sys sysrq-trigger; do
  if [ -e "$V/proc/$p" ]; then mount --bind "$V/proc/$p" "$V/proc/$p"; mount -o remount,bind,ro "$V/proc/$p"; fi
done
mount -o bind,ro /sys "$V/sys"
mount -t tmpfs -o mode=755,size=64m upkeep-rehearse-run "$V/run"
mkdir -p "$V/run/lock" "$V/run/upkeep-rehearse"
if [ "$SYSD" = 1 ]; then mkdir -p "$V/run/systemd/system"; fi
mount --bind "$R" "$V/run/upkeep-rehearse"
mount -t tmpfs -o "mode=1777,size=$SIZE" upkeep-rehearse-tmp "$V/tmp"
mount -t tmpfs -o mode=755,size=1m upkeep-rehearse-dev "$V/dev"
for d in null zero full random urandom tty; do : > "$V/dev/$d"; mount --bind "/dev/$d" "$V/dev/$d"; done
mkdir "$V/dev/pts" "$V/dev/shm"
ln -s /proc/self/fd "$V/dev/fd"; ln -s fd/0 "$V/dev/stdin"; ln -s fd/1 "$V/dev/stdout"; ln -s fd/2 "$V/dev/stderr"
if [ -L /etc/resolv.conf ]; then
  t=$(readlink -f /etc/resolv.conf || true)
  case "$t" in /run/*) mkdir -p "$V\${t%/*}"; cp "$t" "$V$t" 2>/dev/null || true ;; esac
fi
# policy-rc.d: every request recorded, every one refused (written in the view only)
cp "$R/bin/policy-rc.d" "$V/usr/sbin/policy-rc.d"
date +%s.%N > "$O/started"
code=0
chroot "$V" /usr/bin/env PATH="/run/upkeep-rehearse/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" "$@" || code=$?
date +%s.%N > "$O/ended"
echo "$code" > "$O/exit"
# every process the upgrade started (daemons included) ends here
kill -KILL -1 2>/dev/null || true
# what the upgrade left: conffiles kept or set aside, /boot, the reboot flag, the space used
mkdir -p "$O/conffiles" "$O/boot"
n=0
while read -r mp name; do
  U=$L/$name/upper
  [ "$mp" = / ] && mp=
  if [ -d "$U" ]; then
    ( cd "$U" && find . -xdev -type f \\( -name '*.dpkg-dist' -o -name '*.dpkg-new' -o -name '*.ucf-dist' -o -name '*.dpkg-old' -o -name '*.ucf-old' \\) 2>/dev/null ) |
    while read -r f; do
      n=$((n+1)); p=$mp\${f#.}
      case "$p" in /etc/*) ;; *) continue ;; esac
      orig=\${p%.*}
      printf '%s\\n' "$p" > "$O/conffiles/$name-$n.path"
      diff -u "$V$orig" "$V$p" 2>&1 | head -c 65536 > "$O/conffiles/$name-$n.diff" || true
    done
  fi
  if [ -z "$mp" ] && [ -d "$U/boot" ]; then ( cd "$U/boot" && find . -xdev -type f ) >> "$O/boot/files" 2>/dev/null || true; fi
  if [ "$mp" = /boot ]; then ( cd "$U" && find . -xdev -type f ) >> "$O/boot/files" 2>/dev/null || true; fi
  du -sxb "$U" 2>/dev/null | cut -f1 >> "$O/upper-bytes" || true
done < "$O/layers"
# The reboot flag and its package list, as test -f sees them, at most 1 MiB and 10 s each (a file
# that is not what it says, e.g. something mounted over it, cannot hold the rehearsal), read from here
# (nothing in the view runs any more; no program of the view is run: the upgrade may have broken
# them). A link is not followed (it would resolve against the host's root here): whether the flag
# was written is then not known, and the caller says so. Not a regular file (a FIFO, a directory):
# no flag, as test -f says.
for f in reboot-required reboot-required.pkgs; do
  p=$V/run/$f
  if [ -L "$p" ]; then printf '%s\\tis a symbolic link (not followed)\\n' "$f" >> "$O/unread"
  elif [ -f "$p" ]; then timeout 10 head -c 1048576 -- "$p" > "$O/$f" || printf '%s\\tcould not be read in 10 s\\n' "$f" >> "$O/unread"
  fi
done
if [ "$KEEP" != - ]; then
  mkdir -p "$KEEP"
  while read -r mp name; do cp -a "$L/$name/upper" "$KEEP/$name" 2>/dev/null || true; done < "$O/layers"
  cp "$O/layers" "$KEEP/layers"
fi
umount -R -l "$V" 2>/dev/null || true
if [ "$SCRATCH" = - ]; then umount -l "$L" 2>/dev/null || true; fi
if [ -f "$O/aborted" ]; then
  [ "$SCRATCH" = - ] || rm -rf --one-file-system "$SCRATCH"
  rm -rf --one-file-system "$W"
fi
exit 0
`;

/** Records one call: tool, the maintainer script's package and name (dpkg's environment), the arguments. */
const RECORD = (tool: string) =>
  `a=$(printf '%s' "$*" | tr '\\n\\t' '  ')\nprintf '%s\\t%s\\t%s\\t%s\\n' '${tool}' "\${DPKG_MAINTSCRIPT_PACKAGE:-}" "\${DPKG_MAINTSCRIPT_NAME:-}" "$a" >> /run/upkeep-rehearse/calls.log`;

/** The recorders placed first in PATH inside the view (name -> script). */
export function wrapperScripts(): Record<string, string> {
  const head = (tool: string) =>
    `#!/bin/sh\n# upkeep rehearse: records this call (and refuses what would touch a service or the boot loader)\n${RECORD(tool)}\n`;
  const passOn = (tool: string, dirs: string[]) => `${head(tool)}for d in ${dirs.join(' ')}; do [ -x "$d/${tool}" ] && exec "$d/${tool}" "$@"; done\nexit 0\n`;
  const scripts: Record<string, string> = {
    // The real policy-rc.d of the view: deb-systemd-invoke and invoke-rc.d ask it, it records and refuses.
    'policy-rc.d': `${head('policy-rc.d')}exit 101\n`,
    // These ask policy-rc.d (recorded there, refused): passed on to the real programs.
    // deb-systemd-invoke stops at the first unit policy-rc.d refuses (`exit 0`): one call per unit,
    // so that every unit of `deb-systemd-invoke restart a.service b.socket` is asked for, as on a
    // host without a policy-rc.d.
    'deb-systemd-invoke':
      `${head('deb-systemd-invoke')}real=; for d in /usr/bin /bin; do [ -x "$d/deb-systemd-invoke" ] && { real=$d/deb-systemd-invoke; break; }; done\n` +
      `[ -n "$real" ] || exit 0\nopts=; while [ $# -gt 0 ]; do case "$1" in --*) opts="$opts $1"; shift ;; *) break ;; esac; done\n` +
      `[ $# -ge 3 ] || exec "$real" $opts "$@"\naction=$1; shift\nfor u in "$@"; do "$real" $opts "$action" "$u"; done\nexit 0\n`,
    'invoke-rc.d': passOn('invoke-rc.d', ['/usr/sbin', '/sbin']),
    // systemctl: a verb that changes a running service is refused (recorded, exit 0: there is no
    // systemd to ask in the view); the others (is-enabled, enable, preset...) run offline.
    systemctl:
      `${head('systemctl')}for a in "$@"; do case "$a" in start|stop|restart|try-restart|reload|reload-or-restart|try-reload-or-restart|condrestart|force-reload|kill|isolate|reboot|poweroff|halt|daemon-reload|daemon-reexec|reset-failed|suspend|hibernate|kexec|switch-root) exit 0 ;; esac; done\n` +
      `for d in /usr/bin /bin; do [ -x "$d/systemctl" ] && exec "$d/systemctl" "$@"; done\nexit 1\n`,
  };
  // Boot loader and firmware steps: recorded, succeed without writing.
  for (const t of ['update-grub', 'update-grub2', 'grub-install', 'grub-mkconfig', 'update-initramfs', 'flash-kernel', 'update-burg', 'zipl'])
    scripts[t] = `${head(t)}exit 0\n`;
  return scripts;
}
