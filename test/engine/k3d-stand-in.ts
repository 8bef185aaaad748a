/**
 * A STAND-IN for a k3d cluster's Kubernetes API server, for tests. No API server can run on these
 * machines (no k3s or kube-apiserver package; kind and k3d need a registry), so this small HTTP
 * server on loopback serves recorded-shape answers (test/fixtures/k3d/*.json) at the paths kubectl
 * asks for: discovery (/version, /api, /apis, /api/v1), /api/v1/nodes and /api/v1/pods, as JSON
 * lists, or as meta.k8s.io/v1 Tables when kubectl asks for one (`kubectl get` without -o). It is not
 * Kubernetes: no watch, no other resources, no authentication. test/engine/k3d-stand-in.test.ts
 * checks it with the real kubectl (Debian's kubernetes-client, scripts/kubectl.sh), so that it
 * speaks what real clients expect.
 *
 * `state` picks the answer: "ready", "pods-stuck" (the recorded fixtures), or "down" (503 on every
 * path, as an API server that is still starting).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';

export type StandInState = 'ready' | 'pods-stuck' | 'down';

const FIXTURES = new URL('../fixtures/k3d/', import.meta.url).pathname;
const REPO = new URL('../..', import.meta.url).pathname;

function recorded(state: Exclude<StandInState, 'down'>): { nodes: Record<string, unknown>; pods: Record<string, unknown> } {
  const file = state === 'ready' ? 'cluster-ready.json' : 'cluster-pods-stuck.json';
  return JSON.parse(readFileSync(join(FIXTURES, file), 'utf8'));
}

/** Where scripts/kubectl.sh unpacks bookworm's kubectl, or null when it has not been run. */
export function realKubectl(): string | null {
  try {
    const dir = execFileSync(join(REPO, 'scripts', 'kubectl.sh'), ['--print-dir'], { encoding: 'utf8' }).trim();
    const bin = join(dir, 'root', 'usr', 'bin', 'kubectl');
    return existsSync(join(dir, '.complete')) && existsSync(bin) ? bin : null;
  } catch {
    return null;
  }
}

type Item = {
  metadata: { name: string; namespace?: string; creationTimestamp?: string; resourceVersion?: string; uid?: string };
  status?: Record<string, unknown>;
};

function age(): string {
  return '10d';
}

/** The server-side table kubectl prints for `get nodes` (columns as kube-apiserver's node printer). */
function nodeTable(list: { items: Item[] }): unknown {
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion: '48230' },
    columnDefinitions: [
      { name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace.', priority: 0 },
      { name: 'Status', type: 'string', format: '', description: 'The status of the node', priority: 0 },
      { name: 'Roles', type: 'string', format: '', description: 'The roles of the node', priority: 0 },
      { name: 'Age', type: 'string', format: '', description: 'CreationTimestamp is a timestamp...', priority: 0 },
      { name: 'Version', type: 'string', format: '', description: 'Kubelet Version reported by the node.', priority: 0 },
    ],
    rows: list.items.map((n) => {
      const ready = ((n.status?.['conditions'] as Array<{ type: string; status: string }>) ?? []).find((c) => c.type === 'Ready');
      const labels = (n.metadata as { labels?: Record<string, string> }).labels ?? {};
      const roles = Object.keys(labels)
        .filter((k) => k.startsWith('node-role.kubernetes.io/'))
        .map((k) => k.slice('node-role.kubernetes.io/'.length))
        .sort();
      const version = ((n.status?.['nodeInfo'] as { kubeletVersion?: string }) ?? {}).kubeletVersion ?? '';
      return {
        cells: [n.metadata.name, ready?.status === 'True' ? 'Ready' : 'NotReady', roles.length ? roles.join(',') : '<none>', age(), version],
        object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: n.metadata },
      };
    }),
  };
}

/** The server-side table for `get pods` (NAME READY STATUS RESTARTS AGE; kubectl adds NAMESPACE for -A). */
function podTable(list: { items: Item[] }): unknown {
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion: '48231' },
    columnDefinitions: [
      { name: 'Name', type: 'string', format: 'name', description: '', priority: 0 },
      { name: 'Ready', type: 'string', format: '', description: 'The aggregate readiness state of this pod for accepting traffic.', priority: 0 },
      { name: 'Status', type: 'string', format: '', description: 'The aggregate status of the containers in this pod.', priority: 0 },
      { name: 'Restarts', type: 'string', format: '', description: 'The number of times the containers in this pod have been restarted.', priority: 0 },
      { name: 'Age', type: 'string', format: '', description: '', priority: 0 },
    ],
    rows: list.items.map((p) => {
      const cs = (p.status?.['containerStatuses'] as Array<{ ready: boolean; restartCount: number; state: Record<string, { reason?: string }> }>) ?? [];
      const waiting = cs.map((c) => c.state['waiting']?.reason ?? c.state['terminated']?.reason).find((r) => r !== undefined);
      const phase = String(p.status?.['phase'] ?? '');
      const status = phase === 'Succeeded' ? 'Completed' : (waiting ?? phase);
      return {
        cells: [p.metadata.name, `${cs.filter((c) => c.ready).length}/${Math.max(cs.length, 1)}`, status, cs.reduce((n, c) => n + c.restartCount, 0), age()],
        object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: p.metadata },
      };
    }),
  };
}

const VERSION = {
  major: '1',
  minor: '31',
  gitVersion: 'v1.31.5+k3s1',
  gitCommit: '56ec5dd4d0b3e8a4e0e2d64f0e6c2b9d3a1f7c21',
  gitTreeState: 'clean',
  buildDate: '2025-01-27T22:40:18Z',
  goVersion: 'go1.22.10',
  compiler: 'gc',
  platform: 'linux/amd64',
};

const API_RESOURCES = {
  kind: 'APIResourceList',
  groupVersion: 'v1',
  resources: [
    {
      name: 'nodes',
      singularName: 'node',
      namespaced: false,
      kind: 'Node',
      verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
      shortNames: ['no'],
    },
    {
      name: 'pods',
      singularName: 'pod',
      namespaced: true,
      kind: 'Pod',
      verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
      shortNames: ['po'],
      categories: ['all'],
    },
  ],
};

export class KubernetesStandIn {
  state: StandInState = 'ready';
  /** Every request: method, path and Accept header. */
  readonly requests: Array<{ method: string; path: string; accept: string }> = [];
  private server: Server | null = null;
  port = 0;

  async start(): Promise<void> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Writes a kubeconfig for it in the shape k3d writes (cluster, user and context k3d-NAME) and returns its path. */
  writeKubeconfig(dir: string, cluster = 'loculus'): string {
    const path = join(dir, 'kubeconfig.yaml');
    const name = `k3d-${cluster}`;
    writeFileSync(
      path,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        `- name: ${name}`,
        '  cluster:',
        `    server: ${this.url}`,
        'contexts:',
        `- name: ${name}`,
        '  context:',
        `    cluster: ${name}`,
        `    user: admin@${name}`,
        `current-context: ${name}`,
        'preferences: {}',
        'users:',
        `- name: admin@${name}`,
        '  user: {}',
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    return path;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const accept = String(req.headers.accept ?? '');
    this.requests.push({ method: req.method ?? '', path: url.pathname, accept });
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-cache, private' });
      res.end(JSON.stringify(body));
    };
    const status = (code: number, reason: string, message: string) =>
      send(code, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });
    if (req.method !== 'GET') return status(405, 'MethodNotAllowed', 'the stand-in only answers GET');
    if (this.state === 'down') return status(503, 'ServiceUnavailable', 'the stand-in is "down" (an API server still starting)');
    const wantsTable = accept.includes('as=Table');
    const data = recorded(this.state);
    switch (url.pathname) {
      case '/version':
        return send(200, VERSION);
      case '/api':
        return send(200, {
          kind: 'APIVersions',
          versions: ['v1'],
          serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '172.19.0.2:6443' }],
        });
      case '/apis':
        return send(200, { kind: 'APIGroupList', apiVersion: 'v1', groups: [] });
      case '/api/v1':
        return send(200, API_RESOURCES);
      case '/api/v1/nodes':
        return send(200, wantsTable ? nodeTable(data.nodes as { items: Item[] }) : data.nodes);
      case '/api/v1/pods':
        return send(200, wantsTable ? podTable(data.pods as { items: Item[] }) : data.pods);
      default:
        return status(404, 'NotFound', `the stand-in does not serve ${url.pathname}`);
    }
  }
}
