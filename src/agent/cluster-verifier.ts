/**
 * After a recovery pass started node containers of k3d clusters, verifies those clusters through
 * their Kubernetes API (app/verify-clusters.ts: nodes Ready, pods Ready or Completed, polled up to
 * the timeout), apart from the reconcile loop: pods take minutes to be ready again and the loop
 * must go on healing meanwhile. Each verification is a `cluster-verified` timeline entry (the
 * report reads it); a cluster not ready is alerted with its pods by namespace/name/reason, and
 * said again when it is ready later.
 */
import { verificationNotices, verifyClusters, type ClusterVerification } from '../app/verify-clusters.js';
import type { ClusterConfig } from '../core/config/types.js';
import { TIMELINE_KINDS } from '../core/timeline.js';
import type { Clock } from '../ports/clock.js';
import type { KubernetesReader } from '../ports/kubernetes.js';
import type { TimelineRepository } from '../ports/timeline.js';
import { sleepUnlessAborted, Wakeup, type Actor } from './actor.js';
import type { AlertManager } from './alerts.js';
import type { AgentLog } from './log.js';

export interface ClusterVerifierOptions {
  reader: KubernetesReader;
  clusters: () => readonly ClusterConfig[];
  store: Pick<TimelineRepository, 'appendTimeline'>;
  alerts: Pick<AlertManager, 'queue'>;
  log: AgentLog;
  clock: Clock;
  /** How long a cluster may take to be ready (default 120 s, as `upkeep recover --cluster-timeout`). */
  timeoutMs?: number;
  pollMs?: number;
  /** Each finished verification (tests, metrics). */
  onVerified?: (v: readonly ClusterVerification[]) => void;
}

export class ClusterVerifier implements Actor {
  readonly name = 'cluster-verifier';
  private readonly pending = new Set<string>();
  private readonly wake: Wakeup;
  private readonly reported = new Set<string>();

  constructor(private readonly opts: ClusterVerifierOptions) {
    this.wake = new Wakeup(opts.clock);
  }

  /** Verify `clusters` (a recovery pass started their nodes). */
  request(clusters: readonly string[]): void {
    for (const c of clusters) this.pending.add(c);
    if (clusters.length > 0) this.wake.wake();
  }

  async run(signal: AbortSignal): Promise<void> {
    const { clock } = this.opts;
    while (!signal.aborted) {
      if (this.pending.size === 0) {
        await this.wake.wait(3_600_000, signal);
        continue;
      }
      const clusters = [...this.pending].sort();
      this.pending.clear();
      this.opts.log.info({ clusters }, `verifying k3d cluster(s) ${clusters.join(', ')} through their Kubernetes API`);
      let verified: ClusterVerification[];
      try {
        verified = await verifyClusters(
          clusters,
          this.opts.clusters(),
          { reader: this.opts.reader, now: () => clock.now(), sleep: (ms) => sleepUnlessAborted(ms, signal, clock) },
          { timeoutMs: this.opts.timeoutMs ?? 120_000, pollMs: this.opts.pollMs ?? 2_000 },
        );
      } catch (err) {
        this.opts.log.warn({ err: (err as Error).message, clusters }, 'k3d cluster verification failed');
        continue;
      }
      if (signal.aborted) break;
      const at = new Date(clock.now()).toISOString();
      for (const v of verified) {
        try {
          this.opts.store.appendTimeline({
            at,
            kind: TIMELINE_KINDS.clusterVerified,
            subject: v.cluster,
            message: `k3d cluster ${v.cluster}: ${v.state === 'ready' ? 'ready' : v.state === 'not-ready' ? 'NOT READY' : 'could not be verified'} after ${v.seconds} s${v.summary ? ` (${v.summary})` : ''}${v.podsNotReady.length ? `; pods not ready: ${v.podsNotReady.join('; ')}` : ''}`,
            data: { ...v },
          });
        } catch (err) {
          this.opts.log.warn({ err: (err as Error).message }, 'timeline: could not record a cluster verification');
        }
        this.opts.log[v.state === 'ready' ? 'info' : 'warn'](
          { cluster: v.cluster, state: v.state, podsNotReady: v.podsNotReady },
          `k3d cluster ${v.cluster}: ${v.state}`,
        );
      }
      for (const n of verificationNotices(verified, this.reported, at)) this.opts.alerts.queue({ ...n, kind: 'summary' });
      this.opts.onVerified?.(verified);
    }
  }
}
