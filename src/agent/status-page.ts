/**
 * The status page, composed for the agent's listener: what the agent holds live (its last engine
 * read, verdicts, alert states, host facts, the checks' recent results) and the store, behind
 * app/status-page.ts, served by adapters/http/status-page/. Everything is imported on the first
 * page request (dynamic imports): an agent nobody looks at loads none of it (hono included).
 */
import type { PageHandler } from '../adapters/http/agent-http.js';
import type { StatusPageDeps, LiveAgentState } from '../app/status-page.js';
import type { CheckHistory } from '../core/status-page/check-history.js';
import type { Clock } from '../ports/clock.js';

export interface StatusPageParts {
  store: StatusPageDeps['store'];
  live: () => LiveAgentState;
  checks: CheckHistory;
  token: string | null;
  version: string;
  /** The listener's configured host (a loopback client may name it in its Host header). */
  listenHost: string;
  clock: Clock;
  /** Asks for a recovery pass (the page's action; offered only with a token). */
  requestRecovery: () => void;
  /** Acknowledges a firing alert (the page's action; offered only with a token). */
  acknowledgeAlert: NonNullable<StatusPageDeps['acknowledgeAlert']>;
}

/** The loader AgentHttpServer's `page` option takes. */
export function statusPageLoader(parts: StatusPageParts): () => Promise<PageHandler> {
  return async () => {
    const [{ StatusPage }, { createStatusApp }, { serveNode }] = await Promise.all([
      import('../app/status-page.js'),
      import('../adapters/http/status-page/app.js'),
      import('../adapters/http/status-page/node-bridge.js'),
    ]);
    const app = createStatusApp({
      source: new StatusPage({
        store: parts.store,
        live: parts.live,
        checks: parts.checks,
        // Actions exist only with a token (docs/status-page.md).
        ...(parts.token !== null ? { requestRecovery: parts.requestRecovery, acknowledgeAlert: parts.acknowledgeAlert } : {}),
      }),
      token: parts.token,
      version: parts.version,
      listenHost: parts.listenHost,
      now: () => parts.clock.now(),
    });
    return (req, res, stopping) => serveNode(app, req, res, stopping);
  };
}
