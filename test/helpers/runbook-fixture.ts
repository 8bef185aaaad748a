/**
 * The 2025-11-20 incident's host as a runbook sees it (the layout of test/engine/incident-host.ts,
 * at the paths the incident report names): compose projects srsilo (silo, lapisOpen,
 * unless-stopped, LAPIS_PORT from the environment) and v-pipe-scout (redis, streamlit, worker,
 * no restart policy, a .env holding a password), a k3d cluster "loculus" (server and load balancer
 * nodes), a standalone container, and a scratch container that was forgotten. Secret values are
 * in the snapshot's environment, the .env and a compose default, so that tests can check that
 * none of them reaches the output.
 */
import type { Snapshot } from '../../src/core/recovery/desired-state.js';
import { desiredOf } from '../core/recovery/fixtures.js';

/** Values that must never appear in a runbook. */
export const SECRETS = ['hunter2-redis-secret', 's3cr3t-env-value', 'default-token-0xBEEF', 'env-file-lapis-9999'];

export const SRSILO_DIR = '/opt/srsilo/tools';
export const VPIPE_DIR = '/opt/v-pipe-scout';

/** Compose files and .env by path. */
export const INCIDENT_FILES: Record<string, string> = {
  [`${SRSILO_DIR}/docker-compose.yml`]: `services:
  silo:
    image: ghcr.io/genspectrum/lapis-silo:latest
    restart: unless-stopped
    volumes:
      - ./data:/data
  lapisOpen:
    image: ghcr.io/genspectrum/lapis:latest
    restart: unless-stopped
    ports:
      - "\${LAPIS_PORT}:8080"
    depends_on:
      silo:
        condition: service_healthy
`,
  [`${VPIPE_DIR}/docker-compose.yml`]: `services:
  redis:
    image: redis:7
    command: ["redis-server", "--requirepass", "\${REDIS_PASSWORD:?set it in .env}"]
  streamlit:
    image: ghcr.io/cbg-ethz/v-pipe-scout:latest
    ports:
      - "\${STREAMLIT_PORT:-8501}:8501"
    environment:
      # $$ is a literal dollar, not a variable
      - PRICE=$$5
      - API_TOKEN=\${API_TOKEN:-default-token-0xBEEF}
  worker:
    image: ghcr.io/cbg-ethz/v-pipe-scout-worker:latest
    environment:
      - REDIS_URL=redis://:$REDIS_PASSWORD@localhost:6379
`,
  [`${VPIPE_DIR}/.env`]: 'REDIS_PASSWORD=hunter2-redis-secret\nexport UNUSED_NAME=x\n',
};

const TAKEN_AT = '2025-11-20T15:20:00.000Z';
export const INCIDENT_HOST = { id: 'WISEPULSE-ENGINE', name: 'wisepulse' };

export function incidentSnapshot(): Snapshot {
  const env = ['PATH=/usr/bin', 'SECRET_KEY=s3cr3t-env-value'];
  const srsilo = (service: string) => ({ project: 'srsilo', service, workingDir: SRSILO_DIR, files: [`${SRSILO_DIR}/docker-compose.yml`] });
  const vpipe = (service: string) => ({ project: 'v-pipe-scout', service, workingDir: VPIPE_DIR, files: [`${VPIPE_DIR}/docker-compose.yml`] });
  const containers = [
    desiredOf({ name: 'srsilo-silo-1', restart: 'unless-stopped', env, compose: srsilo('silo') }),
    desiredOf({ name: 'srsilo-lapisOpen-1', restart: 'unless-stopped', env, compose: { ...srsilo('lapisOpen'), dependsOn: 'silo:service_healthy:false' } }),
    desiredOf({ name: 'v-pipe-scout-redis-1', restart: 'no', env, compose: vpipe('redis') }),
    desiredOf({ name: 'v-pipe-scout-streamlit-1', restart: 'no', env, compose: vpipe('streamlit') }),
    desiredOf({ name: 'v-pipe-scout-worker-1', restart: 'no', env, compose: vpipe('worker') }),
    desiredOf({ name: 'k3d-loculus-server-0', restart: 'unless-stopped', labels: { 'k3d.cluster': 'loculus', 'k3d.role': 'server' } }),
    desiredOf({ name: 'k3d-loculus-serverlb', restart: 'unless-stopped', labels: { 'k3d.cluster': 'loculus', 'k3d.role': 'loadbalancer' } }),
    desiredOf({ name: 'grafana', restart: 'always', env }),
    desiredOf({ name: 'scratch-debug', restart: 'no' }),
  ];
  return { host: INCIDENT_HOST, takenAt: TAKEN_AT, note: 'before the 2025-11-20 upgrade', containers };
}
