import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PackageLine } from '../../../src/core/preflight/preflight-report.js';
import { compareWithPrediction, conffilePrompts, parseCalls, scriptFailures, serviceRequests, triggersRun } from '../../../src/core/rehearse/observations.js';

const pkg = (name: string, effects: string[], actions: PackageLine['actions']): PackageLine => ({
  name,
  from: '1',
  to: '2',
  change: 'patch',
  risk: 'med',
  effects,
  actions,
  source: 'installed scripts',
  confidence: 'medium',
  unknown: [],
});

describe('the observations of a rehearsal', () => {
  const calls = parseCalls(
    [
      'policy-rc.d\tdocker.io\tpostinst\tdocker.service restart',
      'deb-systemd-invoke\tdocker.io\tpostinst\trestart docker.service',
      'policy-rc.d\topenssh-server\tprerm\tssh stop',
      'systemctl\tfoo\tpostinst\t--system daemon-reload',
      'systemctl\tbar\tpostinst\ttry-restart bar.service baz.service',
      'update-grub\tlinux-image-6.1.0-30-amd64\tpostinst\t',
      '',
      'policy-rc.d\t\t\tlonely',
    ].join('\n'),
  );

  it('reads the recorders log and finds the service actions (policy-rc.d asked, systemctl called directly)', () => {
    assert.equal(calls.length, 7);
    assert.deepEqual(calls[5], { tool: 'update-grub', package: 'linux-image-6.1.0-30-amd64', script: 'postinst', args: '' });
    assert.deepEqual(
      serviceRequests(calls).map((s) => `${s.package} ${s.script} ${s.unit} ${s.action} ${s.via}`),
      [
        'docker.io postinst docker.service restart policy-rc.d',
        'openssh-server prerm ssh stop policy-rc.d',
        'bar postinst bar.service try-restart systemctl',
        'bar postinst baz.service try-restart systemctl',
      ],
    );
  });

  it("finds dpkg's failures with the script, the exit status and the lines before", () => {
    const out = [
      'Setting up ok (2) ...',
      'Setting up broken (2.0-1) ...',
      'broken: cannot open /etc/broken.conf',
      'dpkg: error processing package broken (--configure):',
      ' installed broken package post-installation script subprocess returned error exit status 7',
      'dpkg: error processing archive /var/cache/apt/archives/other_1_all.deb (--unpack):',
      ' new other package pre-installation script subprocess returned error exit status 1',
    ];
    const f = scriptFailures(out);
    assert.deepEqual(
      f.map((x) => [x.package, x.script, x.exitCode]),
      [
        ['broken', 'postinst', 7],
        ['other', 'preinst', 1],
      ],
    );
    assert.deepEqual(f[0]!.lastLines, ['Setting up broken (2.0-1) ...', 'broken: cannot open /etc/broken.conf']);
  });

  it('finds the triggers, and the conffile questions with the answer and the diff', () => {
    assert.deepEqual(
      triggersRun([
        'Processing triggers for man-db (2.11.2-2) ...',
        'Processing triggers for man-db (2.11.2-2) ...',
        'Processing triggers for libc-bin (2.36-9) ...',
      ]),
      ['man-db', 'libc-bin'],
    );
    const c = conffilePrompts(
      [
        "Configuration file '/etc/a.conf'",
        ' ==> Modified (by you or by a script) since installation.',
        ' ==> Package distributor has shipped an updated version.',
        ' ==> Keeping old config file as default.',
      ],
      [
        { path: '/etc/a.conf.dpkg-dist', diff: '-x\n+y\n' },
        { path: '/etc/ssh/sshd_config.ucf-dist', diff: '-a\n+b\n' },
      ],
    );
    assert.deepEqual(c, [
      { path: '/etc/a.conf', answer: 'Keeping old config file as default.', diff: '-x\n+y\n' },
      { path: '/etc/ssh/sshd_config', answer: 'the other version was set aside as /etc/ssh/sshd_config.ucf-dist', diff: '-a\n+b\n' },
    ]);
  });

  it("marks preflight's lines confirmed, wrong or missed", () => {
    const packages = [
      pkg('docker.io', ['restarts docker.service', 'every container stops'], [{ unit: 'docker.service', action: 'restart', assumed: false }]),
      pkg('start-only', ['starts x.service'], [{ unit: 'x.service', action: 'start', assumed: false }]),
      pkg('guessed', ['probably restarts g.service'], [{ unit: 'g.service', action: 'restart', assumed: true }]),
      pkg('cond', ['restarts (if running) c.service'], [{ unit: 'c.service', action: 'try-restart', assumed: false }]),
    ];
    const observed = serviceRequests(
      parseCalls(
        [
          'policy-rc.d\tdocker.io\tpostinst\tdocker.service restart',
          'policy-rc.d\tstart-only\tpostinst\tx.service restart',
          'policy-rc.d\tcond\tpostinst\tc.service force-reload',
          'policy-rc.d\topenssh-server\tprerm\tssh stop',
        ].join('\n'),
      ),
    );
    assert.deepEqual(
      compareWithPrediction(packages, observed).map((c) => `${c.mark} ${c.package} ${c.unit} ${c.predicted} ${c.observed}`),
      [
        'confirmed docker.io docker.service restart restart',
        'wrong start-only x.service start restart',
        'wrong guessed g.service restart null',
        'confirmed cond c.service try-restart force-reload',
        'missed openssh-server ssh null stop',
      ],
    );
  });
});
