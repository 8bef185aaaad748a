/**
 * The status page and its JSON API (hono), loaded by the agent's listener on the first request
 * that is not /metrics, /healthz or /status (adapters/http/agent-http.ts), so an agent nobody
 * looks at never loads this code.
 *
 *   GET  /                     overview (HTML)          GET /api/v1/overview
 *   GET  /services/:name       one container            GET /api/v1/services/:name
 *   GET  /timeline?kind=&subject=&since=&until=&limit=   GET /api/v1/timeline?...
 *   GET  /maintenance                                   GET /api/v1/maintenance
 *   GET  /alerts                                        GET /api/v1/alerts
 *   GET  /api/v1/events        Server-Sent Events: `overview` (the overview's JSON) on every change
 *   GET  /login, POST /login   the token form (non-loopback peers only)
 *   POST /actions/recover | maintenance-open | maintenance-close | alert-acknowledge   (with http.token only)
 *   GET  /assets/status.css, /assets/status.js, /assets/icon.svg
 *
 * Access: a loopback peer needs nothing if its Host header names localhost, 127.0.0.1, [::1] or the
 * listen host (else 403 without the token: DNS rebinding). Any other peer needs `http.token` configured (else 403)
 * and either `Authorization: Bearer <token>` or the session cookie the login form sets (HttpOnly,
 * SameSite=Strict; its value is an HMAC of the token, never the token). Compared in constant time.
 * Every response carries a CSP without inline script or style, no framing, nosniff, no referrer.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { parseDuration } from '../../../core/duration.js';
import { UsageError } from '../../../core/errors.js';
import { parseTimelineFilter } from '../../../core/status-page/timeline-filter.js';
import type { StatusPageSource } from '../../../ports/status-page.js';
import { foreignNameText, isLoopback, localHostCheck } from '../host-header.js';
import { ICON_SVG, STATUS_CSS, STATUS_JS } from './assets.js';
import { alertsPage, loginPage, maintenancePage, messagePage, overviewPage, servicePage, timelinePage, type ActionsContext } from './html.js';

export interface StatusAppOptions {
  source: StatusPageSource;
  /** http.token, or null. */
  token: string | null;
  version: string;
  now: () => number;
  /** How often the events stream looks for a change (default 500 ms). */
  eventsPollMs?: number;
  /** At most this many event streams at once (default 16); more get 503. */
  maxStreams?: number;
  /** The listener's configured host (`listen.host`): accepted in the Host header of a loopback peer. */
  listenHost?: string;
}

/** What the node:http side passes with each request. */
export interface PeerBindings {
  /** The peer's address (req.socket.remoteAddress). */
  peer: string | undefined;
  /** Aborted when the listener stops: event streams end. */
  stopping: AbortSignal;
}

export const SESSION_COOKIE = 'upkeep_session';

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  // same-origin, not no-referrer: with no-referrer a browser sends `Origin: null` on the page's own form posts.
  'Referrer-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};

/** The session cookie's value for `token`: an HMAC, so the cookie never holds the token itself. */
export function sessionValue(token: string): string {
  return createHmac('sha256', token).update('upkeep status page session v1').digest('hex');
}

/** The CSRF field of the action forms: an HMAC of the token (unknowable without it), checked with the session. */
export function csrfValue(token: string): string {
  return createHmac('sha256', token).update('upkeep status page csrf v1').digest('hex');
}

/** The longest maintenance window the page opens. */
const MAX_WINDOW_MS = 24 * 3_600_000;

function sameSecret(given: string, want: string): boolean {
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(want, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

function cookieOf(header: string | undefined, name: string): string | null {
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return null;
}

/**
 * A local path to go back to after the login (never another origin): one leading '/', no
 * backslash, control character or whitespace anywhere (a browser drops a tab or newline, so
 * `/\t/evil.example` would read as `//evil.example`), and resolving to this origin.
 */
export function safeNext(next: string | null | undefined): string {
  // eslint-disable-next-line no-control-regex -- control characters are what this refuses
  if (typeof next !== 'string' || !next.startsWith('/') || next.startsWith('//') || /[\x00-\x20\x7f\\]/.test(next)) return '/';
  try {
    return new URL(next, 'http://x').origin === 'http://x' ? next : '/';
  } catch {
    return '/';
  }
}

export function createStatusApp(opts: StatusAppOptions): Hono<{ Bindings: PeerBindings }> {
  const { source, token, version, now } = opts;
  const app = new Hono<{ Bindings: PeerBindings }>();
  let streams = 0;
  // The names a loopback peer may use: a page served from any other name (DNS rebinding: a site
  // whose name now resolves to 127.0.0.1) is refused unless the request proves the token.
  const localHost = localHostCheck(opts.listenHost);

  app.use('*', async (c, next) => {
    await next();
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) c.res.headers.set(k, v);
  });

  // Who may read: loopback, a bearer token or the session cookie.
  /** How the request proved the token: by header, by the login cookie, or not at all. */
  const proof = (c: Context): 'bearer' | 'cookie' | null => {
    if (token === null) return null;
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header('authorization') ?? '')?.[1];
    if (bearer !== undefined && sameSecret(bearer, token)) return 'bearer';
    const cookie = cookieOf(c.req.header('cookie'), SESSION_COOKIE);
    return cookie !== null && sameSecret(cookie, sessionValue(token)) ? 'cookie' : null;
  };
  const actionsOf = (c: Context): ActionsContext => ({
    available: token !== null && source.actions !== undefined,
    acknowledge: token !== null && source.actions?.acknowledgeAlert !== undefined,
    authed: proof(c) !== null,
    csrf: token === null ? '' : csrfValue(token),
  });

  app.use('*', async (c, next) => {
    const path = c.req.path;
    if (path.startsWith('/assets/') || path === '/login' || path.startsWith('/actions/')) return next();
    const api = path.startsWith('/api/');
    if (isLoopback(c.env.peer)) {
      if (localHost(c.req.header('host')) || proof(c) !== null) return next();
      const text = foreignNameText(c.req.header('host'));
      return api ? c.json({ error: text }, 403) : c.html(messagePage('Not served under this name', text, version), 403);
    }
    if (token === null) {
      const text = 'this page is served to loopback only; set http.token in the agent config to allow other hosts with the token';
      return api ? c.json({ error: text }, 403) : c.html(messagePage('Not served to other hosts', text, version), 403);
    }
    if (proof(c) !== null) return next();
    if (api) {
      c.header('WWW-Authenticate', 'Bearer');
      return c.json({ error: 'a valid "Authorization: Bearer <token>" or the session cookie of /login is required' }, 401);
    }
    return c.redirect(`/login?next=${encodeURIComponent(new URL(c.req.url).pathname + new URL(c.req.url).search)}`, 303);
  });

  app.get('/assets/status.css', (c) => c.body(STATUS_CSS, 200, { 'Content-Type': 'text/css; charset=utf-8' }));
  app.get('/assets/status.js', (c) => c.body(STATUS_JS, 200, { 'Content-Type': 'text/javascript; charset=utf-8' }));
  app.get('/assets/icon.svg', (c) => c.body(ICON_SVG, 200, { 'Content-Type': 'image/svg+xml' }));
  app.get('/favicon.ico', (c) => c.redirect('/assets/icon.svg', 301));

  app.get('/login', (c) => {
    // With a token a loopback peer signs in too (to act); without one there is nothing to sign in to.
    if (token === null || (isLoopback(c.env.peer) && source.actions === undefined)) return c.redirect(safeNext(c.req.query('next')), 303);
    return c.html(loginPage(safeNext(c.req.query('next')), c.req.query('failed') === '1', version));
  });
  app.post('/login', async (c) => {
    // SameSite=Strict cookie, form-action 'self', and a same-origin check: a login from another site is refused.
    const origin = c.req.header('origin');
    if (origin !== undefined && origin !== new URL(c.req.url).origin) return c.text('cross-site login refused\n', 403);
    const form = await c.req.parseBody();
    const next = safeNext(typeof form.next === 'string' ? form.next : null);
    if (token === null) return c.html(messagePage('Not served to other hosts', 'set http.token in the agent config to allow other hosts', version), 403);
    if (typeof form.token !== 'string' || !sameSecret(form.token, token)) return c.redirect(`/login?failed=1&next=${encodeURIComponent(next)}`, 303);
    c.header('Set-Cookie', `${SESSION_COOKIE}=${sessionValue(token)}; Path=/; HttpOnly; SameSite=Strict`);
    return c.redirect(next, 303);
  });

  // Actions: only with a token, only for a request that proves it, and from a form only with the
  // CSRF field and from this origin (a bearer header is never sent by a browser on its own).
  app.post('/actions/:action', async (c) => {
    const actions = source.actions;
    if (token === null || actions === undefined) return c.text('the status page is read-only: actions need http.token in the agent config\n', 404);
    const how = proof(c);
    if (how === null) return c.text('sign in at /login (or send Authorization: Bearer <token>) to act\n', 401);
    const form = await c.req.parseBody();
    const field = (n: string) => (typeof form[n] === 'string' ? (form[n] as string) : '');
    if (how === 'cookie') {
      const origin = c.req.header('origin');
      if ((origin !== undefined && origin !== new URL(c.req.url).origin) || !sameSecret(field('csrf'), csrfValue(token)))
        return c.text('refused: the form did not come from this page (CSRF check)\n', 403);
    }
    const peer = c.env.peer ?? 'unknown';
    const at = now();
    switch (c.req.param('action')) {
      case 'recover':
        actions.recoverNow({ peer }, at);
        break;
      case 'maintenance-open': {
        const forMs = parseDuration(field('for') || '1h', 'for');
        if (forMs <= 0 || forMs > MAX_WINDOW_MS) throw new UsageError(`for "${field('for')}" must be longer than 0 and at most 24h`);
        actions.openMaintenance({ reason: field('reason').trim().slice(0, 200) || null, forMs, peer }, at);
        break;
      }
      case 'maintenance-close':
        actions.closeMaintenance({ peer }, at);
        break;
      case 'alert-acknowledge': {
        if (actions.acknowledgeAlert === undefined) return c.text('acknowledging alerts is not offered by this agent\n', 404);
        const key = field('alert').trim();
        if (key === '') throw new UsageError('alert is missing: the key of a firing alert (see /api/v1/alerts), e.g. alert=down:web');
        // The episode the page showed (its form sends it; a script may): refused when it fired again since.
        const since = field('firing-since').trim();
        if (since !== '' && Number.isNaN(Date.parse(since)))
          throw new UsageError(`firing-since "${since.slice(0, 40)}" is not a time: the alert's firingSince from /api/v1/alerts (ISO 8601)`);
        const r = actions.acknowledgeAlert({ key, peer, ...(since !== '' ? { firingSince: since } : {}) }, at);
        if (!r.ok) return how === 'bearer' ? c.json({ ok: false, error: r.reason }, 409) : c.html(messagePage('Not acknowledged', r.reason, version), 409);
        if (how === 'bearer') return c.json({ ok: true, alert: key, acknowledged: r.acknowledged, already: r.already });
        break;
      }
      default:
        return c.text(`no action ${c.req.param('action')}\n`, 404);
    }
    return how === 'bearer' ? c.json({ ok: true }) : c.redirect(safeNext(field('next')), 303);
  });

  const timelineFilter = (c: Context) => parseTimelineFilter((n) => c.req.query(n), now());
  const raw = (c: Context) => ({
    since: c.req.query('since') ?? '24h',
    until: c.req.query('until') ?? '',
    kind: c.req.query('kind') ?? '',
    subject: c.req.query('subject') ?? '',
  });

  // The JSON API (docs/status-page.md).
  app.get('/api/v1/overview', (c) => c.json(source.overview(now())));
  app.get('/api/v1/services/:name', (c) => {
    const v = source.service(c.req.param('name'), now());
    return v === null ? c.json({ error: `no container named ${c.req.param('name')}` }, 404) : c.json(v);
  });
  app.get('/api/v1/timeline', (c) => {
    const f = timelineFilter(c);
    return c.json({ since: f.since, until: f.until, entries: source.timeline(f) });
  });
  app.get('/api/v1/maintenance', (c) => c.json(source.maintenance(now())));
  app.get('/api/v1/alerts', (c) => c.json(source.alerts(now())));
  app.get('/api/v1/events', (c) => {
    // hono answers HEAD with the GET route and drops the body without cancelling it: no stream for HEAD.
    if (c.req.method === 'HEAD') return c.body(null, 200, { 'Content-Type': 'text/event-stream; charset=utf-8' });
    if (streams >= (opts.maxStreams ?? 16)) return c.json({ error: 'too many event streams open; try again later' }, 503);
    streams++;
    const enc = new TextEncoder();
    let timer: NodeJS.Timeout | undefined;
    let closed = false;
    const stopping = c.env.stopping;
    /** Ends the stream once (cancelled by the client, or the listener stops): the slot, the timer and the listener go. */
    const end = (): boolean => {
      if (closed) return false;
      closed = true;
      streams--;
      clearInterval(timer);
      stopping.removeEventListener('abort', finish);
      return true;
    };
    let finish = (): void => undefined;
    const body = new ReadableStream<Uint8Array>(
      {
        start(ctrl) {
          let last = '';
          let quiet = 0;
          finish = () => {
            if (!end()) return;
            try {
              ctrl.close();
            } catch {
              /* cancelled */
            }
          };
          const tick = () => {
            // Nothing while the client does not read (the bridge waits for 'drain'): the next tick sends the latest state.
            if (closed || (ctrl.desiredSize !== null && ctrl.desiredSize <= 0)) return;
            try {
              const o = source.overview(now());
              const key = JSON.stringify({ ...o, generatedAt: '' });
              if (key !== last) {
                last = key;
                quiet = 0;
                ctrl.enqueue(enc.encode(`event: overview\ndata: ${JSON.stringify(o)}\n\n`));
              } else if (++quiet % 30 === 0) ctrl.enqueue(enc.encode(': still here\n\n'));
            } catch (err) {
              ctrl.enqueue(enc.encode(`event: problem\ndata: ${JSON.stringify({ error: (err as Error).message })}\n\n`));
            }
          };
          ctrl.enqueue(enc.encode('retry: 1000\n\n'));
          tick();
          timer = setInterval(tick, opts.eventsPollMs ?? 500);
          if (stopping.aborted) finish();
          else stopping.addEventListener('abort', finish, { once: true });
        },
        cancel() {
          end();
        },
        // A few chunks queued at most: `retry:` and the first overview, then ticks wait for the reader.
      },
      { highWaterMark: 4 },
    );
    return new Response(body, { headers: { 'Content-Type': 'text/event-stream; charset=utf-8', 'X-Accel-Buffering': 'no' } });
  });

  // The pages.
  app.get('/', (c) => c.html(overviewPage(source.overview(now()), version, now(), actionsOf(c))));
  app.get('/services/:name', (c) => {
    const v = source.service(c.req.param('name'), now());
    if (v === null) return c.html(messagePage('No such container', `No container is named ${c.req.param('name')}.`, version), 404);
    return c.html(servicePage(v, version, now()));
  });
  app.get('/timeline', (c) => {
    const f = timelineFilter(c);
    return c.html(timelinePage(source.timeline(f), f, raw(c), source.openMaintenance(now()), new Date(now()).toISOString(), version));
  });
  app.get('/maintenance', (c) => c.html(maintenancePage(source.maintenance(now()), version, now(), actionsOf(c))));
  app.get('/alerts', (c) => c.html(alertsPage(source.alerts(now()), version, actionsOf(c))));

  app.notFound((c) =>
    c.req.path.startsWith('/api/')
      ? c.json({ error: `not found: ${c.req.path}` }, 404)
      : c.html(messagePage('Not found', `Nothing at ${c.req.path}. The pages: /, /timeline, /maintenance, /alerts.`, version), 404),
  );
  app.onError((err, c) => {
    const bad = err instanceof UsageError;
    const text = bad ? `${err.message}${err.hint ? ` (${err.hint})` : ''}` : `error: ${err.message}`;
    if (c.req.path.startsWith('/api/')) return c.json({ error: text }, bad ? 400 : 500);
    return c.html(messagePage(bad ? 'Bad request' : 'Error', text, version), bad ? 400 : 500);
  });
  return app;
}
