import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import {
  analyseMaintainerScript,
  effectsOfUpgrade,
  guardHolds,
  hasUnresolvedUpgradeEffects,
  type ScriptAnalysis,
  type ScriptKind,
  type ServiceEffect,
} from '../../../src/core/preflight/maintainer-scripts.js';

const SCRIPTS = new URL('../../fixtures/apt/scripts/', import.meta.url);
const read = (path: string): string => readFileSync(new URL(path.replaceAll('%', '%25'), SCRIPTS), 'utf8');
const analyse = (kind: ScriptKind, path: string): ScriptAnalysis => analyseMaintainerScript(kind, read(path));

/** One line per effect: "WHEN ACTION UNIT @LINE by", plus " if $2 REL VER" and " when CHECK". */
function summary(effects: ServiceEffect[]): string[] {
  return effects.map((e) =>
    [
      `${e.when} ${e.action} ${e.unit} @${e.evidence.line} ${e.generatedBy ?? 'hand-written'}`,
      ...e.versionGuards.map((g) => ` if $2 ${g.relation} ${g.version}`),
      ...e.runtimeConditions.map((c) => ` when ${c}`),
    ].join(''),
  );
}

/** Fills a debhelper template as dh_installsystemd / dh_installinit do, inside its marker comments. */
function template(name: string, replace: Record<string, string>): string {
  let body = read(`debhelper-13.11.4/${name}`);
  for (const [k, v] of Object.entries(replace)) body = body.replaceAll(`#${k}#`, v);
  return `#!/bin/sh\nset -e\n# Automatically added by dh_installsystemd/13.11.4\n${body}# End automatically added section\n`;
}

test('debhelper 13 systemd templates: restart, try-restart, start-only, stop-before-upgrade', () => {
  const units = { UNITFILES: "'foo.service' 'foo.socket'" };
  const restart = analyseMaintainerScript('postinst', template('postinst-systemd-restart', { ...units, RESTART_ACTION: 'restart' }));
  assert.deepEqual(summary(restart.effects), [
    'upgrade restart foo.service @12 dh_installsystemd/13.11.4',
    'upgrade restart foo.socket @12 dh_installsystemd/13.11.4',
    'install start foo.service @12 dh_installsystemd/13.11.4',
    'install start foo.socket @12 dh_installsystemd/13.11.4',
  ]);
  assert.deepEqual(restart.debhelperBlocks, [{ generatedBy: 'dh_installsystemd/13.11.4', startLine: 3, endLine: 15 }]);
  assert.equal(restart.effects[0]!.verb, 'restart');

  const tryRestart = analyseMaintainerScript(
    'postinst',
    template('postinst-systemd-restartnostart', { UNITFILES: "'foo.service'", RESTART_ACTION: 'try-restart' }),
  );
  assert.deepEqual(summary(tryRestart.effects), ['upgrade try-restart foo.service @8 dh_installsystemd/13.11.4']);

  const startOnly = analyseMaintainerScript('postinst', template('postinst-systemd-start', units));
  assert.deepEqual(summary(startOnly.effects), [
    'always start foo.service @7 dh_installsystemd/13.11.4',
    'always start foo.socket @7 dh_installsystemd/13.11.4',
  ]);

  const preinstStop = analyseMaintainerScript('preinst', template('preinst-systemd-stop', units));
  assert.deepEqual(summary(preinstStop.effects), [
    'upgrade stop foo.service @5 dh_installsystemd/13.11.4',
    'upgrade stop foo.socket @5 dh_installsystemd/13.11.4',
  ]);

  const prermOnRemove = analyseMaintainerScript('prerm', template('prerm-systemd-restart', { UNITFILES: "'foo.service'" }));
  assert.deepEqual(summary(prermOnRemove.effects), ['remove stop foo.service @5 dh_installsystemd/13.11.4']);
  const prermAlways = analyseMaintainerScript('prerm', template('prerm-systemd', { UNITFILES: "'foo.service'" }));
  assert.deepEqual(summary(prermAlways.effects), ['always stop foo.service @5 dh_installsystemd/13.11.4']);
});

test('debhelper 13 init-script templates: invoke-rc.d, and --skip-systemd-native doing nothing', () => {
  const init = { SCRIPT: 'foo', INITPARMS: 'defaults', ERROR_HANDLER: 'exit 1' };
  const restart = analyseMaintainerScript('postinst', template('postinst-init-restart', { ...init, INVOKE_RCD_PARAMS: '' }));
  assert.deepEqual(summary(restart.effects), [
    'upgrade restart foo.service @12 dh_installsystemd/13.11.4',
    'install start foo.service @12 dh_installsystemd/13.11.4',
  ]);
  const start = analyseMaintainerScript('postinst', template('postinst-init', { ...init, INVOKE_RCD_PARAMS: '' }));
  assert.deepEqual(summary(start.effects), ['always start foo.service @7 dh_installsystemd/13.11.4']);
  const stopOnRemove = analyseMaintainerScript('prerm', template('prerm-init-norestart', { ...init, INVOKE_RCD_PARAMS: '' }));
  assert.deepEqual(summary(stopOnRemove.effects), ['remove stop foo.service @5 dh_installsystemd/13.11.4']);
  const stopAlways = analyseMaintainerScript('prerm', template('prerm-init', { ...init, INVOKE_RCD_PARAMS: '' }));
  assert.deepEqual(summary(stopAlways.effects), ['always stop foo.service @5 dh_installsystemd/13.11.4']);

  const skipped = analyseMaintainerScript('postinst', template('postinst-init-restart', { ...init, INVOKE_RCD_PARAMS: '--skip-systemd-native ' }));
  assert.deepEqual(skipped.effects, []);
  assert.deepEqual(
    skipped.notes.map((n) => [n.line, n.reason]),
    [[12, 'invoke-rc.d --skip-systemd-native does nothing for a service with a native systemd unit']],
  );
});

test('installed on this machine: containerd restarts on upgrade, docker.io only starts', () => {
  const containerd = analyse('postinst', 'installed/containerd_1.6.20~ds1-1+deb12u3.postinst');
  assert.deepEqual(summary(containerd.effects), [
    'upgrade restart containerd.service @29 dh_installsystemd/13.11.4',
    'install start containerd.service @29 dh_installsystemd/13.11.4',
  ]);
  assert.deepEqual(summary(analyse('prerm', 'installed/containerd_1.6.20~ds1-1+deb12u3.prerm').effects), [
    'remove stop containerd.service @5 dh_installsystemd/13.11.4',
  ]);

  const docker = analyse('postinst', 'installed/docker.io_20.10.24+dfsg1-1+deb12u1+b6.postinst');
  assert.deepEqual(summary(docker.effects), [
    'always start docker.service @104 dh_installsystemd/13.11.4',
    'always start docker.socket @104 dh_installsystemd/13.11.4',
  ]);
  assert.deepEqual(
    docker.notes.map((n) => n.line),
    [62],
  );
  assert.deepEqual(
    docker.debhelperBlocks.map((b) => b.generatedBy),
    [
      'dh_apparmor/3.0.8-3',
      'dh_installdeb/13.11.4',
      'dh_installinit/13.11.4',
      'dh_installsystemd/13.11.4',
      'dh_installsystemd/13.11.4',
      'dh_installsystemd/13.11.4',
    ],
  );
  const dockerPrerm = analyse('prerm', 'installed/docker.io_20.10.24+dfsg1-1+deb12u1+b6.prerm');
  assert.deepEqual(summary(dockerPrerm.effects), [
    'remove stop docker.service @25 dh_installsystemd/13.11.4',
    'remove stop docker.socket @25 dh_installsystemd/13.11.4',
  ]);
  assert.deepEqual(docker.problems, []);
});

test('installed on this machine: dbus, systemd-timesyncd, libc6, polkitd', () => {
  assert.deepEqual(summary(analyse('postinst', 'installed/dbus_1.14.10-1~deb12u1.postinst').effects), [
    'always start dbus.service @76 dh_installsystemd/13.11.4',
  ]);
  assert.deepEqual(summary(analyse('prerm', 'installed/dbus_1.14.10-1~deb12u1.prerm').effects), [
    'remove stop dbus.socket @9 hand-written',
    'remove stop dbus.service @9 hand-written',
    'remove stop dbus.service @14 dh_installsystemd/13.11.4',
  ]);
  assert.deepEqual(summary(analyse('postinst', 'installed/systemd-timesyncd_252.38-1~deb12u1.postinst').effects), [
    'upgrade restart systemd-timesyncd.service @57 dh_installsystemd/13.11.4',
    'install start systemd-timesyncd.service @57 dh_installsystemd/13.11.4',
  ]);

  // libc6 re-executes systemd on every configure; its NSS restarts go through a computed list.
  const libc6 = analyse('postinst', 'installed/libc6_2.36-9+deb12u14.postinst');
  assert.deepEqual(summary(libc6.effects), ['always reexec init.scope @228 hand-written when ! ischroot when systemd --help']);
  assert.deepEqual(
    libc6.notes.map((n) => [n.line, n.text]),
    [
      [156, 'if invoke-rc.d ${service} reload > /dev/null 2>&1; then'],
      [165, 'if invoke-rc.d ${service} restart > /dev/null 2>&1; then'],
    ],
  );

  // polkitd: a stop through a shell function (only when upgrading from before 122-3~ with the old
  // home directory), a dbus reload when its user changed, and try-restart on upgrade; the stop
  // behind `if ! [ -d /run/systemd/system ]` never runs on a systemd host.
  assert.deepEqual(summary(analyse('postinst', 'installed/polkitd_122-3.postinst').effects), [
    'always stop polkit.service @37 hand-written if $2 lt 122-3~ when [ "$(getent passwd polkitd | cut -d: -f6)" = /var/lib/polkit-1 ]',
    'always reload dbus.service @92 hand-written when [ -n "$user_changed" ]',
    'upgrade try-restart polkit.service @139 dh_installsystemd/13.11.4',
  ]);
});

test('systemd: hand-written daemon-reexec and try-restarts through a wrapper function', () => {
  const expected = [
    'triggered try-restart systemd-binfmt.service @22 hand-written when $trigger matches /usr/lib/binfmt.d when ! _systemctl -q is-active binfmt-support.service',
    'upgrade reexec init.scope @96 hand-written',
    'upgrade stop systemd-networkd.socket @101 hand-written if $2 lt-nl 246.2-2~',
    'upgrade try-restart systemd-networkd.service @103 hand-written',
    'upgrade try-restart systemd-journald.service @104 hand-written',
  ];
  assert.deepEqual(summary(analyse('postinst', 'candidate/systemd_252.39-1~deb12u2.postinst').effects), expected);
  assert.deepEqual(summary(analyse('postinst', 'installed/systemd_252.38-1~deb12u1.postinst').effects), expected);
  const reexec = analyse('postinst', 'candidate/systemd_252.39-1~deb12u2.postinst').effects[1]!;
  assert.deepEqual(reexec.evidence, { line: 96, text: '_systemctl daemon-reexec || true' });

  assert.deepEqual(summary(analyse('preinst', 'candidate/systemd_252.39-1~deb12u2.preinst').effects), [
    'upgrade stop systemd-timesyncd.service @23 hand-written if $2 lt-nl 245.4-2~ when _systemctl -q is-active systemd-timesyncd.service',
  ]);
  assert.deepEqual(analyse('prerm', 'candidate/systemd_252.39-1~deb12u2.prerm').effects, []);
});

test('candidates fetched with apt-get download: openssh-server and cron restart on upgrade', () => {
  const ssh = analyse('postinst', 'candidate/openssh-server_1%3a9.2p1-2+deb12u10.postinst');
  assert.deepEqual(summary(ssh.effects), [
    'upgrade restart rescue-ssh.target @189 dh_installsystemd/13.11.4',
    'upgrade restart ssh.service @189 dh_installsystemd/13.11.4',
    'install start rescue-ssh.target @189 dh_installsystemd/13.11.4',
    'install start ssh.service @189 dh_installsystemd/13.11.4',
    'upgrade restart ssh.socket @219 dh_installsystemd/13.11.4',
    'install start ssh.socket @219 dh_installsystemd/13.11.4',
  ]);
  assert.deepEqual(
    ssh.notes.map((n) => n.line),
    [159],
  );
  assert.deepEqual(summary(analyse('prerm', 'candidate/openssh-server_1%3a9.2p1-2+deb12u10.prerm').effects), [
    'remove stop ssh.socket @5 dh_installsystemd/13.11.4',
    'remove stop rescue-ssh.target @10 dh_installsystemd/13.11.4',
    'remove stop ssh.service @10 dh_installsystemd/13.11.4',
  ]);
  // cron's postinst starts with `[ "$action" != configure ] && exit 0` (action="$1").
  assert.deepEqual(summary(analyse('postinst', 'candidate/cron_3.0pl1-162.postinst').effects), [
    'upgrade restart cron.service @55 dh_installsystemd/13.11.4',
    'install start cron.service @55 dh_installsystemd/13.11.4',
  ]);
  assert.deepEqual(summary(analyse('prerm', 'candidate/cron_3.0pl1-162.prerm').effects), ['remove stop cron.service @5 dh_installsystemd/13.11.4']);
});

test('hand-written commands: systemctl, service, invoke-rc.d, case "$1", aliases, and what is not an effect', () => {
  const script = [
    '#!/bin/sh', // 1
    'set -e', // 2
    'mode="$1"', // 3
    'old=$2', // 4
    'case "$mode" in', // 5
    '  configure)', // 6
    '    systemctl restart web', // 7
    '    [ -z "$old" ] || service worker restart', // 8
    '    systemctl --now enable \\', // 9
    '      timer.timer', // 10
    '    systemctl daemon-reload', // 11
    '    systemctl --user restart pipewire.service', // 12
    '    for u in a.service b.service; do systemctl try-restart "$u"; done', // 13
    '    for u in $(list_units); do systemctl restart "$u"; done', // 14
    '    systemctl reload-or-restart proxy.service', // 15
    '    cat <<EOF', // 16
    'systemctl restart not-a-command', // 17
    'EOF', // 18
    '    # systemctl restart commented-out', // 19
    '    if ! [ -d /run/systemd/system ]; then systemctl restart never; fi', // 20
    '    ;;', // 21
    '  abort-upgrade) systemctl restart on-error-path ;;', // 22
    '  *) ;;', // 23
    'esac', // 24
    'if [ "$1" = configure ] && dpkg --compare-versions "$2" lt 2.0; then invoke-rc.d --quiet legacy force-reload; fi', // 25
  ].join('\n');
  const a = analyseMaintainerScript('postinst', script);
  assert.deepEqual(a.problems, []);
  assert.deepEqual(summary(a.effects), [
    'always restart web.service @7 hand-written',
    'upgrade restart worker.service @8 hand-written',
    'always start timer.timer @9 hand-written', // a continued command is evidenced by its first line
    'always try-restart a.service @13 hand-written',
    'always try-restart b.service @13 hand-written',
    'always reload proxy.service @15 hand-written',
    'always reload legacy.service @25 hand-written if $2 lt 2.0',
  ]);
  assert.equal(a.effects.find((e) => e.unit === 'proxy.service')!.verb, 'reload-or-restart');
  assert.equal(a.effects.find((e) => e.unit === 'legacy.service')!.verb, 'force-reload');
  assert.deepEqual(
    a.notes.map((n) => [n.line, n.reason.split(' (')[0]]),
    [
      [12, 'acts on user units, not system services'],
      [14, 'the unit comes from a value computed at run time, so it cannot be named'],
    ],
  );
  // The computed unit is kept as an action without a unit, for the shipped units to name.
  assert.deepEqual(
    a.unresolved.map((u) => `${u.when} ${u.action} @${u.evidence.line}`),
    ['always restart @14'],
  );
});

test('effectsOfUpgrade names a computed unit from the units the package ships, and only for what runs on upgrade', () => {
  const postinst = analyseMaintainerScript(
    'postinst',
    [
      '#!/bin/sh', // 1
      'set -e', // 2
      'if [ "$1" = configure ] && [ -n "$2" ]; then', // 3
      '  for unit in $(dpkg-query -L fakeloop | sed -n "s|^/lib/systemd/system/||p"); do', // 4
      '    deb-systemd-invoke restart "$unit"', // 5
      '  done', // 6
      'fi', // 7
      'if [ "$1" = configure ] && [ -z "$2" ]; then for u in $(ls /lib/systemd/system/fakeloop*); do deb-systemd-invoke start "$u"; done; fi', // 8
    ].join('\n'),
  );
  assert.deepEqual(postinst.effects, []);
  assert.deepEqual(
    postinst.unresolved.map((u) => `${u.when} ${u.action} @${u.evidence.line}`),
    ['upgrade restart @4', 'install start @8'],
    'evidenced by the line the unit comes from',
  );
  const scripts = { oldPrerm: null, newPreinst: null, oldPostrm: null, newPostinst: postinst };
  assert.equal(hasUnresolvedUpgradeEffects(scripts, '1.0', '2.0'), true);
  assert.deepEqual(effectsOfUpgrade(scripts, '1.0', '2.0'), [], 'without the shipped units nothing can be named');
  const named = effectsOfUpgrade(scripts, '1.0', '2.0', { shippedUnits: ['fakeloop.service', 'fakeloop.timer'] });
  assert.deepEqual(
    named.map((e) => `${e.when} ${e.action} ${e.unit} ${e.unitFrom} @${e.evidence.line}`),
    ['upgrade restart fakeloop.service shipped-units @4', 'upgrade restart fakeloop.timer shipped-units @4'],
  );
  // A unit the script names itself is not doubled.
  const both = analyseMaintainerScript('postinst', 'systemctl restart fakeloop.service\nfor u in $(x); do systemctl restart "$u"; done\n');
  const one = effectsOfUpgrade({ oldPrerm: null, newPreinst: null, oldPostrm: null, newPostinst: both }, '1.0', '2.0', { shippedUnits: ['fakeloop.service'] });
  assert.deepEqual(
    one.map((e) => `${e.unit} ${e.unitFrom ?? 'script'}`),
    ['fakeloop.service script'],
  );
});

test('prerm and postrm: $1 decides between upgrade and remove; odd shell is reported, not thrown', () => {
  const prerm = analyseMaintainerScript(
    'prerm',
    ['case "$1" in', '  upgrade) systemctl stop a.service ;;', '  remove|deconfigure) systemctl stop b.service ;;', 'esac', 'systemctl stop c.service'].join(
      '\n',
    ),
  );
  assert.deepEqual(summary(prerm.effects), [
    'upgrade stop a.service @2 hand-written',
    'remove stop b.service @3 hand-written',
    'always stop c.service @5 hand-written',
  ]);

  const postrm = analyseMaintainerScript('postrm', 'if [ "$1" = purge ]; then systemctl stop gone.service; fi\n');
  assert.deepEqual(summary(postrm.effects), ['remove stop gone.service @1 hand-written']);

  const broken = analyseMaintainerScript('postinst', 'if [ -n "$2" ]; then\n  systemctl restart x.service\n"unterminated\n');
  assert.ok(broken.problems.length > 0);
  assert.deepEqual(summary(broken.effects), ['upgrade restart x.service @2 hand-written']);
  assert.deepEqual(analyseMaintainerScript('postinst', ''), { kind: 'postinst', effects: [], unresolved: [], notes: [], debhelperBlocks: [], problems: [] });
});

test('guardHolds follows dpkg --compare-versions, including an empty $2', () => {
  const table: Array<[string, Parameters<typeof guardHolds>[0]['relation'], string, boolean]> = [
    ['', 'lt', '1.0', true], // no version is the oldest...
    ['', 'lt-nl', '1.0', false], // ...or, with -nl, the newest
    ['', 'gt', '1.0', false],
    ['', 'ge-nl', '1.0', true],
    ['246.1-1', 'lt-nl', '246.2-2~', true],
    ['252.38-1~deb12u1', 'lt-nl', '246.2-2~', false],
    ['1.0', 'eq', '1.0-0', true],
    ['1.0', 'ne', '1.0', false],
    ['2.0~rc1', 'le', '2.0', true],
    ['2.0', 'ge', '2.0~rc1', true],
    ['not a version', 'lt', '1.0', false],
  ];
  for (const [value, relation, version, want] of table) assert.equal(guardHolds({ relation, version }, value), want, `${value} ${relation} ${version}`);
});

test('effectsOfUpgrade: what a real upgrade runs, with version guards evaluated', () => {
  const systemd = {
    oldPrerm: null,
    newPreinst: analyse('preinst', 'candidate/systemd_252.39-1~deb12u2.preinst'),
    oldPostrm: null,
    newPostinst: analyse('postinst', 'candidate/systemd_252.39-1~deb12u2.postinst'),
  };
  const units = (effects: ServiceEffect[]): string[] => effects.map((e) => `${e.action} ${e.unit}`);
  assert.deepEqual(units(effectsOfUpgrade(systemd, '252.38-1~deb12u1', '252.39-1~deb12u2')), [
    'reexec init.scope',
    'try-restart systemd-networkd.service',
    'try-restart systemd-journald.service',
  ]);
  assert.deepEqual(units(effectsOfUpgrade(systemd, '245.4-1', '252.39-1~deb12u2')), [
    'stop systemd-timesyncd.service',
    'reexec init.scope',
    'stop systemd-networkd.socket',
    'try-restart systemd-networkd.service',
    'try-restart systemd-journald.service',
  ]);

  const docker = {
    oldPrerm: analyse('prerm', 'installed/docker.io_20.10.24+dfsg1-1+deb12u1+b6.prerm'),
    newPreinst: null,
    oldPostrm: null,
    newPostinst: analyse('postinst', 'installed/docker.io_20.10.24+dfsg1-1+deb12u1+b6.postinst'),
  };
  assert.deepEqual(units(effectsOfUpgrade(docker, '20.10.24+dfsg1-1+deb12u1', '20.10.24+dfsg1-1+deb12u1+b6')), ['start docker.service', 'start docker.socket']);
});
