/**
 * The Kubernetes reader over `kubectl get ... -o json`. kubectl rather than a client library:
 * `@kubernetes/client-node` is not a dependency (its 2.x majors need Node 22 and pull in a large
 * tree), and kubectl understands every kubeconfig k3d or an operator writes (client certificates,
 * tokens, exec plugins, proxies) exactly as the operator's own `kubectl get pods -A` does, which is
 * the check the incident's quick reference names. It is run without a shell, with a bounded time
 * (`--request-timeout` and a kill after the deadline) and a bounded output.
 */
import { execFile } from 'node:child_process';
import type { ClusterAccess, KubernetesReader } from '../../ports/kubernetes.js';

const MAX_OUTPUT = 64 * 1024 * 1024;

export class KubectlReader implements KubernetesReader {
  /** `kubectl`: the binary (default: `UPKEEP_KUBECTL`, else `kubectl` on PATH). */
  constructor(
    private readonly kubectl: string,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  async readClusterState(access: ClusterAccess, timeoutMs: number): Promise<{ nodes: unknown; pods: unknown }> {
    const deadline = Date.now() + timeoutMs;
    const nodes = await this.getJson(access, ['get', 'nodes', '-o', 'json'], deadline);
    const pods = await this.getJson(access, ['get', 'pods', '--all-namespaces', '-o', 'json'], deadline);
    return { nodes, pods };
  }

  private getJson(access: ClusterAccess, args: string[], deadline: number): Promise<unknown> {
    const left = Math.max(1000, deadline - Date.now());
    const full = [
      ...(access.kubeconfig !== null ? [`--kubeconfig=${access.kubeconfig}`] : []),
      `--context=${access.context}`,
      `--request-timeout=${Math.ceil(left / 1000)}s`,
      ...args,
    ];
    return new Promise((resolve, reject) => {
      execFile(this.kubectl, full, { env: this.env, timeout: left + 1000, maxBuffer: MAX_OUTPUT, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
        if (err) {
          const e = err as NodeJS.ErrnoException & { killed?: boolean };
          if (e.code === 'ENOENT') {
            reject(new Error(`${this.kubectl} not found: install kubectl (Debian: kubernetes-client) or set UPKEEP_KUBECTL to its path`));
          } else if (e.killed) {
            reject(new Error(`kubectl ${args.slice(0, 2).join(' ')} did not answer within ${Math.ceil(left / 1000)} s`));
          } else {
            const first = String(stderr).trim().split('\n').slice(-1)[0]?.slice(0, 300) ?? '';
            reject(new Error(`kubectl ${args.slice(0, 2).join(' ')} (context ${access.context}) failed: ${first || e.message}`));
          }
          return;
        }
        try {
          resolve(JSON.parse(String(stdout)) as unknown);
        } catch {
          reject(new Error(`kubectl ${args.slice(0, 2).join(' ')} printed no JSON`));
        }
      });
    });
  }
}
