/** Builds ContainerFacts of a compose service for audit tests: a running container with policy "no" unless told otherwise. */
import type { ContainerFacts } from '../../../src/core/model.js';
import { container } from '../../helpers/facts.js';

export function liveContainer(service: string, overrides: Partial<ContainerFacts> = {}): ContainerFacts {
  return container({
    id: `id-${service}`,
    name: `stack-${service}-1`,
    image: `example/${service}`,
    imageId: 'sha256:0',
    startedAt: '2024-05-01T10:00:00Z',
    compose: {
      project: 'stack',
      service,
      containerNumber: 1,
      workingDir: '/srv/stack',
      configFiles: ['/srv/stack/docker-compose.yml'],
      dependsOn: [],
      oneOff: false,
    },
    labels: { 'com.docker.compose.project': 'stack', 'com.docker.compose.service': service },
    ...overrides,
  });
}
