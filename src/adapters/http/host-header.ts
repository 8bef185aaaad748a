/**
 * Who is asked for by name: the Host header check against DNS rebinding, shared by the agent's
 * listener (/status) and the status page (its pages and /api/v1). A loopback client is served
 * only when its Host header names localhost, 127.0.0.1, [::1], the listen host or the machine's own name: a web site
 * whose name its owner points at 127.0.0.1 cannot have a browser read what the agent says.
 */
import { hostname as osHostname } from 'node:os';

/** 127.0.0.0/8, ::1, and IPv4-mapped loopback (a peer address as node:net reports it). */
export function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return v4.startsWith('127.') || address === '::1';
}

/** The host part of a Host header, lower-cased: `[::1]:9465` -> `[::1]`, `localhost:9465` -> `localhost`. */
export function hostPart(header: string): string {
  const h = header.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  return h.replace(/:\d*$/, '');
}

/**
 * The test a Host header must pass for a loopback client: true when it names localhost,
 * 127.0.0.1, [::1], `listenHost`, or this machine's own name (`hostname`, whole or its first label:
 * Debian's /etc/hosts points it at 127.0.1.1, so `curl http://$(hostname):9465/status` is a local
 * script; a rebinding site cannot make a browser send this machine's name), or when there is no
 * Host header (HTTP/1.0).
 */
export function localHostCheck(listenHost: string | undefined, hostname: string = osHostname()): (header: string | undefined) => boolean {
  const names = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);
  const own = hostname.trim().toLowerCase();
  if (own !== '') {
    names.add(own);
    names.add(own.split('.')[0]!);
  }
  if (listenHost) {
    const h = listenHost.toLowerCase();
    names.add(h);
    if (h.includes(':') && !h.startsWith('[')) names.add(`[${h}]`);
  }
  return (header) => header === undefined || names.has(hostPart(header));
}

/** What a refused loopback client is told. */
export function foreignNameText(header: string | undefined): string {
  return `a loopback client is served under localhost, 127.0.0.1 or [::1] only, not under the name "${hostPart(header ?? '')}" (a site whose name points at this host); open http://127.0.0.1:PORT/ or send the token`;
}
