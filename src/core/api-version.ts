/**
 * Engine API version negotiation, as the docker CLI does it: use the server's version when this
 * client supports it, else the newest this client supports, provided the server accepts it.
 */

/** Oldest API this client speaks (Debian bookworm's docker.io 20.10 is 1.41). */
export const CLIENT_MIN_API = '1.41';
/** Newest API this client has been written against (Docker 29 requires clients of at least 1.44). */
export const CLIENT_MAX_API = '1.52';

/** Compares "1.41" and "1.44" numerically; negative when a < b. */
export function compareApiVersions(a: string, b: string): number {
  const pa = a.split('.').map((n) => Number.parseInt(n, 10));
  const pb = b.split('.').map((n) => Number.parseInt(n, 10));
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

export function isApiVersion(v: string): boolean {
  return /^\d+\.\d+$/.test(v);
}

export type Negotiation = { ok: true; version: string } | { ok: false; reason: string };

/**
 * @param serverMax the server's API version (the `Api-Version` header of /_ping, or /version's ApiVersion)
 * @param serverMin the server's MinAPIVersion, when known
 */
export function negotiateApiVersion(serverMax: string, serverMin: string | null): Negotiation {
  if (!isApiVersion(serverMax)) return { ok: false, reason: `the engine reported an unreadable API version "${serverMax}"` };
  const chosen = compareApiVersions(serverMax, CLIENT_MAX_API) > 0 ? CLIENT_MAX_API : serverMax;
  if (compareApiVersions(chosen, CLIENT_MIN_API) < 0) {
    return {
      ok: false,
      reason: `the engine speaks API ${serverMax}, older than ${CLIENT_MIN_API} (Docker 20.10), the oldest upkeep supports: upgrade Docker`,
    };
  }
  if (serverMin !== null && isApiVersion(serverMin) && compareApiVersions(chosen, serverMin) < 0) {
    return {
      ok: false,
      reason: `the engine requires API ${serverMin} or newer, and upkeep speaks at most ${CLIENT_MAX_API}: upgrade upkeep`,
    };
  }
  return { ok: true, version: chosen };
}
