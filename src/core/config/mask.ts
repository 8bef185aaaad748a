/**
 * Secrets never leave upkeep through `config check`, logs or errors: this masks a loaded config
 * (same shape, secret strings replaced by "***") and finds secrets written literally in a file.
 * Masked: webhook secret and header values, ntfy token, http token, email password, a URL's
 * userinfo password and credential-named query parameters (url-secrets.ts), a Slack webhook URL's path (the URL is the credential), and every string that took a
 * value from `${ENV}` interpolation.
 */
import { SECRET_KEYS } from './schema.js';
import { MASK, maskUrlSecrets } from './url-secrets.js';
import type { ChannelConfig, UpkeepConfig } from './types.js';

export { MASK };

/** `sensitive`: interpolated strings and values (interpolateTree); a string containing one is masked. */
export function maskConfig(config: UpkeepConfig, sensitive: ReadonlySet<string> = new Set()): UpkeepConfig {
  const m = (s: string): string => (isInterpolated(s, sensitive) ? MASK : maskUrlCredentials(s));
  const ms = (s: string | null): string | null => (s === null ? null : MASK);
  return {
    ...config,
    stateDir: config.stateDir === null ? null : m(config.stateDir),
    listen: { ...config.listen, host: m(config.listen.host) },
    heal: { ...config.heal },
    recovery: { ...config.recovery },
    services: config.services.map((s) => ({
      ...s,
      checks: s.checks.map((c) =>
        c.type === 'http'
          ? { ...c, url: m(c.url), bodyContains: c.bodyContains === null ? null : m(c.bodyContains) }
          : c.type === 'tcp'
            ? { ...c, host: m(c.host) }
            : { ...c },
      ),
    })),
    alerts: { ...config.alerts, channels: config.alerts.channels.map((c) => maskChannel(c, m, ms)) },
    heartbeat: config.heartbeat === null ? null : { ...config.heartbeat, url: m(config.heartbeat.url) },
    preflight: { ...config.preflight },
    http: { token: ms(config.http.token) },
    timeline: { ...config.timeline },
  };
}

function maskChannel(c: ChannelConfig, m: (s: string) => string, ms: (s: string | null) => string | null): ChannelConfig {
  switch (c.type) {
    case 'webhook':
      return { ...c, url: m(c.url), secret: ms(c.secret), headers: Object.fromEntries(Object.keys(c.headers).map((k) => [k, MASK])) };
    case 'slack':
      return { ...c, url: maskUrlPath(m(c.url)) };
    case 'ntfy':
      return { ...c, url: m(c.url), token: ms(c.token) };
    case 'email':
      return { ...c, host: m(c.host), user: c.user === null ? null : m(c.user), password: ms(c.password), from: m(c.from), to: c.to.map(m) };
    case 'alertmanager':
      return {
        ...c,
        url: m(c.url),
        auth: c.auth === null ? null : 'bearer' in c.auth ? { bearer: MASK } : { user: m(c.auth.user), password: MASK },
        externalUrl: c.externalUrl === null ? null : m(c.externalUrl),
      };
  }
}

function isInterpolated(s: string, sensitive: ReadonlySet<string>): boolean {
  if (sensitive.has(s)) return true;
  for (const v of sensitive) if (v.length >= 3 && s.includes(v)) return true;
  return false;
}

/**
 * `https://user:pw@host/x?token=t` -> `https://user:***@host/x?token=***`: the secrets in a URL
 * (url-secrets.ts); other strings unchanged.
 */
export function maskUrlCredentials(s: string): string {
  return maskUrlSecrets(s);
}

/** `https://hooks.slack.com/services/T/B/X` -> `https://hooks.slack.com/***`. */
function maskUrlPath(s: string): string {
  if (s === MASK) return s;
  try {
    return `${new URL(s).origin}/${MASK}`;
  } catch {
    return MASK;
  }
}

/**
 * Whether the parsed file (before interpolation) holds a secret literally: a secret/password/token
 * or header value, or a URL with a password, not written as `${VAR}`.
 */
export function hasLiteralSecret(raw: unknown, key = ''): boolean {
  if (typeof raw === 'string') {
    if (raw.includes('${')) return false;
    if (SECRET_KEYS.has(key)) return raw !== '';
    return maskUrlCredentials(raw) !== raw || (key === 'url' && /hooks\.slack\.com\/services\//.test(raw));
  }
  if (Array.isArray(raw)) return raw.some((v) => hasLiteralSecret(v, key));
  if (raw !== null && typeof raw === 'object') {
    return Object.entries(raw).some(([k, v]) => (key === 'headers' ? hasLiteralSecret(v, 'headers') : hasLiteralSecret(v, k)));
  }
  return false;
}
