/** Builders of core model values for unit tests. */
import type { ContainerFacts, DaemonFacts } from '../../src/core/model.js';

export function container(over: Partial<ContainerFacts> = {}): ContainerFacts {
  return {
    id: 'a'.repeat(64),
    name: 'web',
    image: 'busybox',
    imageId: 'sha256:' + 'b'.repeat(64),
    state: 'running',
    exitCode: null,
    restartPolicy: { name: 'no', maximumRetryCount: 0 },
    restartCount: 0,
    manuallyStopped: false,
    startedBefore: true,
    stopSignal: null,
    startedAt: '2025-11-20T15:00:00Z',
    finishedAt: null,
    health: null,
    compose: null,
    labels: {},
    autoRemove: false,
    ...over,
  };
}

export function daemon(over: Partial<DaemonFacts> = {}): DaemonFacts {
  return { liveRestore: false, serverVersion: '20.10.24', apiVersion: '1.41', rootDir: '/var/lib/docker', ...over };
}
