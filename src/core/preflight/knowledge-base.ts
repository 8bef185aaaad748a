/**
 * What upgrading a package does to the host, for the packages that matter to a Docker host and may
 * not be installed (or downloadable) where preflight runs. The last source in preflight's order of
 * trust: the candidate's own maintainer scripts, then the installed ones, win over this table.
 * Every entry says where its facts come from.
 */
import type { EffectWhen, ServiceAction } from './maintainer-scripts.js';

/** A service effect the table knows about. */
export interface KnownEffect {
  unit: string;
  action: ServiceAction;
  when: EffectWhen;
}

/** What upgrading one package (or a family: `linux-image-*`) does. */
export interface KnowledgeEntry {
  /** Package name, or a glob with `*`. */
  package: string;
  effects: KnownEffect[];
  /** True when the new version only takes effect after a reboot. */
  rebootNeeded: boolean;
  /** Facts a person should read along with the effects. */
  notes: string[];
  /** Where the facts come from. */
  source: string;
}

/** The table, most specific patterns first. */
export const KNOWLEDGE_BASE: readonly KnowledgeEntry[] = [
  {
    package: 'docker-ce',
    effects: [{ unit: 'docker.service', action: 'restart', when: 'upgrade' }],
    rebootNeeded: false,
    notes: [
      'restarting docker.service stops every container; only restart policies (or live-restore, documented as safe only across patch upgrades) bring them back',
    ],
    source:
      'docs/preflight.md (packaging facts), docs/restart-semantics.md: docker-ce postinst restarts docker.service on every upgrade (docker/docker-ce-packaging deb/common/rules: plain dh, dh_installsystemd defaults)',
  },
  {
    package: 'docker.io',
    effects: [
      { unit: 'docker.service', action: 'start', when: 'always' },
      { unit: 'docker.socket', action: 'start', when: 'always' },
    ],
    rebootNeeded: false,
    notes: ['start only: an upgrade leaves the old dockerd running until it is restarted by hand or by a reboot'],
    source:
      'docs/preflight.md (packaging facts); Debian bookworm docker.io 20.10.24+dfsg1-1+deb12u1+b6 postinst line 104 (dh_installsystemd start-only block), test/fixtures/apt/scripts',
  },
  {
    package: 'containerd.io',
    effects: [{ unit: 'containerd.service', action: 'restart', when: 'upgrade' }],
    rebootNeeded: false,
    notes: [
      'containerd.service has KillMode=process: running containers (their shims) survive a containerd restart',
      'containerd 1.7 -> 2.x changes the shim API (v3)',
    ],
    source: 'docs/preflight.md (packaging facts): containerd.io restarts containerd.service; containerd.service KillMode=process; 1.7 -> 2.x shim API change',
  },
  {
    package: 'containerd',
    effects: [{ unit: 'containerd.service', action: 'restart', when: 'upgrade' }],
    rebootNeeded: false,
    notes: ['containerd.service has KillMode=process: running containers (their shims) survive a containerd restart'],
    source: 'Debian bookworm containerd 1.6.20~ds1-1+deb12u3 postinst line 29 (dh_installsystemd restart block), test/fixtures/apt/scripts',
  },
  {
    package: 'runc',
    effects: [],
    rebootNeeded: false,
    notes: ['no service: running containers keep the runc they were started with; new containers use the new one'],
    source: 'Debian bookworm runc 1.1.5+ds1-1+deb12u1 ships no maintainer scripts (dpkg-deb -e: control and md5sums only)',
  },
  {
    package: 'docker-compose-plugin',
    effects: [],
    rebootNeeded: false,
    notes: ['a docker CLI plugin only (/usr/libexec/docker/cli-plugins/docker-compose): no service restarts'],
    source: 'docker/docker-ce-packaging deb/common/rules: the package installs only the CLI plugin binary',
  },
  {
    package: 'openssh-server',
    effects: [
      { unit: 'ssh.service', action: 'restart', when: 'upgrade' },
      { unit: 'rescue-ssh.target', action: 'restart', when: 'upgrade' },
      { unit: 'ssh.socket', action: 'restart', when: 'upgrade' },
    ],
    rebootNeeded: false,
    notes: [
      'open SSH sessions survive the restart of the listening sshd',
      '/etc/ssh/sshd_config is managed by ucf, not as a dpkg conffile: a local change makes ucf ask during the upgrade',
    ],
    source:
      'Debian bookworm openssh-server 1:9.2p1-2+deb12u10 postinst lines 104-107 (ucf) and 189, 219 (dh_installsystemd restart blocks), test/fixtures/apt/scripts',
  },
  {
    package: 'systemd',
    effects: [
      { unit: 'init.scope', action: 'reexec', when: 'upgrade' },
      { unit: 'systemd-networkd.service', action: 'try-restart', when: 'upgrade' },
      { unit: 'systemd-journald.service', action: 'try-restart', when: 'upgrade' },
    ],
    rebootNeeded: false,
    notes: ['daemon-reexec keeps every unit running; logind is deliberately not restarted'],
    source:
      'docs/preflight.md (packaging facts); Debian bookworm systemd 252.39-1~deb12u2 postinst lines 95-105 (hand-written, in `if [ -n "$2" ]`), test/fixtures/apt/scripts',
  },
  {
    package: 'dbus',
    effects: [{ unit: 'dbus.service', action: 'start', when: 'always' }],
    rebootNeeded: true,
    notes: [
      'the running system bus is not restarted (upstream does not support it); the postinst asks for a reboot and touches /run/reboot-required when a dbus-daemon runs',
    ],
    source: 'Debian bookworm dbus 1.14.10-1~deb12u1 postinst lines 32-62 and 76, test/fixtures/apt/scripts',
  },
  {
    package: 'libc6',
    effects: [{ unit: 'init.scope', action: 'reexec', when: 'always' }],
    rebootNeeded: false,
    notes: ['services keep the old C library mapped until they restart; upgrades from before 2.36 also restart NSS-using services from a computed list'],
    source: 'Debian bookworm libc6 2.36-9+deb12u14 postinst lines 44-236 (hand-written), test/fixtures/apt/scripts',
  },
  {
    package: 'linux-image-*',
    effects: [],
    rebootNeeded: true,
    notes: ['a new kernel runs only after a reboot: compare `uname -r` with the newest installed kernel'],
    source: 'docs/preflight.md (packaging facts): kernel packages run /etc/kernel/postinst.d/*; compare uname -r with the newest installed kernel',
  },
];

/** The entry for a package name, or null. Exact names win over patterns. */
export function lookupKnowledge(packageName: string): KnowledgeEntry | null {
  const exact = KNOWLEDGE_BASE.find((e) => e.package === packageName);
  if (exact !== undefined) return exact;
  return KNOWLEDGE_BASE.find((e) => e.package.includes('*') && globMatches(e.package, packageName)) ?? null;
}

function globMatches(pattern: string, name: string): boolean {
  const body = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`).test(name);
}
