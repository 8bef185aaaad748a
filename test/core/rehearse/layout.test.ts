import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseMountinfo, planLayers } from '../../../src/core/rehearse/layout.js';

const line = (id: number, root: string, target: string, fstype: string, source: string) =>
  `${id} 1 8:1 ${root} ${target} rw,relatime shared:1 - ${fstype} ${source} rw`;

describe('planLayers', () => {
  it('overlays the root only on a one-filesystem host, leaving pseudo filesystems out', () => {
    const p = planLayers(
      parseMountinfo([line(1, '/', '/', 'ext4', '/dev/vda'), line(2, '/', '/proc', 'proc', 'proc'), line(3, '/', '/run', 'tmpfs', 'tmpfs')].join('\n')),
    );
    assert.deepEqual(p, { rootType: 'ext4', overlays: [], notCopied: [], refusal: null });
  });

  it('overlays separate /boot, /boot/efi and /var, parents first; leaves the engine data and pseudo filesystems out', () => {
    const p = planLayers(
      parseMountinfo(
        [
          line(1, '/', '/', 'btrfs', '/dev/sda2'),
          line(2, '/', '/boot/efi', 'vfat', '/dev/sda1'),
          line(3, '/', '/var', 'xfs', '/dev/sdb1'),
          line(4, '/', '/boot', 'ext4', '/dev/sda3'),
          line(5, '/', '/var/lib/docker', 'ext4', '/dev/sdc1'),
          line(6, '/', '/var/lib/docker/overlay2/x/merged', 'overlay', 'overlay'),
          line(7, '/', '/var/lib/nfs/rpc_pipefs', 'rpc_pipefs', 'sunrpc'),
        ].join('\n'),
      ),
    );
    assert.equal(p.refusal, null);
    assert.deepEqual(
      p.overlays.map((o) => o.target),
      ['/var', '/boot', '/boot/efi'],
    );
    assert.deepEqual(
      p.notCopied.map((n) => n.target),
      ['/var/lib/docker', '/var/lib/nfs/rpc_pipefs'],
    );
  });

  it('refuses, saying why, a network /usr, a bind mount under /etc and an unknown root', () => {
    const p = planLayers(
      parseMountinfo(
        [
          line(1, '/', '/', 'ext4', '/dev/vda'),
          line(2, '/', '/usr', 'nfs4', 'server:/usr'),
          line(3, '/srv/resolv.conf', '/etc/resolv.conf', 'ext4', '/dev/vdb'),
        ].join('\n'),
      ),
    );
    assert.match(p.refusal ?? '', /\/usr is nfs4 \(server:\/usr\), not a local filesystem/);
    assert.match(p.refusal ?? '', /\/etc\/resolv\.conf is a bind mount/);
    assert.match(planLayers(parseMountinfo(line(1, '/', '/', 'fuse.sshfs', 'x'))).refusal ?? '', /root filesystem is fuse\.sshfs/);
    assert.match(planLayers([]).refusal ?? '', /no root filesystem/);
  });

  it('decodes mountinfo escapes and takes the last mount of a path', () => {
    const p = parseMountinfo(
      [line(1, '/', '/mnt/a\\040b', 'ext4', '/dev/x'), 'garbage', line(2, '/', '/', 'ext4', 'a'), line(3, '/', '/', 'overlay', 'b')].join('\n'),
    );
    assert.equal(p[0]!.target, '/mnt/a b');
    assert.equal(p.length, 3);
    assert.equal(planLayers(p).rootType, 'overlay');
  });
});
