/**
 * The agent's systemd unit, as `upkeep install` writes it to /etc/systemd/system/upkeep.service.
 * Every choice is commented in the unit text itself, so an administrator reading the installed
 * file sees why it is so (docs/install.md says the same at more length).
 */

/**
 * The agent's Node options in the unit (NODE_OPTIONS; the runtime reads them before it starts V8):
 * a small young generation (an idle agent needs little), and `--jitless`: V8 allocates no
 * executable memory at runtime, so JavaScript and regular expressions are interpreted (the agent
 * runs its JavaScript in the interpreter anyway: src/cli/commands/agent.ts) and WebAssembly is
 * absent (the agent uses none: its HTTP client and server are node:http, not fetch). About 3 MiB
 * less idle memory, and no writable-and-executable memory in a process that runs as root
 * (docs/benchmarks.md). Processes the agent starts inherit them: its config child (node, about
 * 4 ms slower), docker compose (not node: no effect).
 */
export const AGENT_NODE_OPTIONS = '--max-semi-space-size=1 --jitless';

/** Where the unit lives on the target system, and its name. */
export const UNIT_NAME = 'upkeep.service';
export const UNIT_PATH = `/etc/systemd/system/${UNIT_NAME}`;

export interface UnitFileOptions {
  /** The upkeep executable (absolute). */
  bin: string;
  /** The config file the agent reads. */
  configPath: string;
  /** A URI for Documentation= (http(s)://, file:// or man:), or null: no Documentation= line. */
  docs: string | null;
  /**
   * Who writes the unit: `upkeep install` (the default) to /etc/systemd/system, or the Debian
   * package to /lib/systemd/system. The package's unit also starts the agent only when the config
   * file exists (ConditionPathExists=): the package installs no config, and an agent without one
   * is not configured yet (docs/install.md, "The Debian package").
   */
  by?: 'install' | 'package';
}

/** The unit file's text. */
export function renderUnitFile(o: UnitFileOptions): string {
  const packaged = o.by === 'package';
  const origin = packaged
    ? '# Installed by the Debian package upkeep; removing the package removes it.'
    : '# Written by `upkeep install`; `upkeep uninstall` removes it unless you edited it.';
  const condition = packaged
    ? `# Start only once the agent is configured (the package installs no config file).
ConditionPathExists=${o.configPath}
`
    : '';
  return `# upkeep agent: keeps this host's Docker services running through upgrades, reboots and crashes.
${origin}
# Prefer a drop-in (systemctl edit upkeep.service) to editing this file.
[Unit]
Description=upkeep agent: heals and reports Docker services after upgrades, reboots and crashes
${o.docs === null ? '' : `Documentation=${o.docs}\n`}# Start after Docker and the network, and pull Docker in; but only Wants=, never Requires= or
# BindsTo=: the agent must keep running (and alerting) while docker.service is down or restarting.
After=docker.service network-online.target
Wants=docker.service
Wants=network-online.target
# Never give up restarting (Restart=always below): no start rate limit.
StartLimitIntervalSec=0
${condition}
[Service]
# A plain long-running process (no sd_notify).
Type=simple
ExecStart=${o.bin} agent --config ${o.configPath}
# Node: a smaller young generation (an idle agent needs little), and no executable memory allocated
# at runtime (interpreted JavaScript and regular expressions, no WebAssembly): less resident memory,
# and nothing writable and executable (docs/benchmarks.md). Quoted: systemd splits at spaces.
Environment="NODE_OPTIONS=${AGENT_NODE_OPTIONS}"
Restart=always
RestartSec=5s
# Hardening that still lets the agent use /var/run/docker.sock, read
# /var/lib/docker/containers/*/config.v2.json, run docker compose and write /var/lib/upkeep:
# no privilege gain through setuid binaries or file capabilities.
NoNewPrivileges=yes
# /usr, /boot and /etc read-only; /var (state, Docker's files) and /run (the socket) stay writable.
# Not "strict": docker compose and its plugins may write elsewhere under /var.
ProtectSystem=full
# Compose projects and ~/.docker (registry credentials for pulls) may live under /home or /root:
# readable, never written.
ProtectHome=read-only
# A private /tmp (compose temporary files included).
PrivateTmp=yes
# No writes to /proc/sys or /sys, no kernel module loading, cgroups read-only: the Docker daemon,
# not the agent, does all of that.
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectControlGroups=yes
# No setuid/setgid files created, no execution-domain changes.
RestrictSUIDSGID=yes
LockPersonality=yes
# /var/lib/upkeep (the state database) is created and kept 0700 by systemd.
StateDirectory=upkeep
StateDirectoryMode=0700

[Install]
WantedBy=multi-user.target
`;
}
