/**
 * node:http <-> the fetch API for the status page's hono app: the request becomes a `Request`
 * (body read up to 64 KiB: only the login form has one), the `Response` is written back, streamed
 * (the event stream) at the pace the client reads ('drain'), and cancelled when the client goes
 * away (also when it went away before the response was ready).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { PeerBindings } from './app.js';

const MAX_BODY = 64 * 1024;

export type FetchApp = { fetch: (request: Request, env: PeerBindings) => Response | Promise<Response> };

export async function serveNode(app: FetchApp, req: IncomingMessage, res: ServerResponse, stopping: AbortSignal): Promise<void> {
  const method = req.method ?? 'GET';
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) {
    if (typeof v === 'string') headers.set(k, v);
    else if (Array.isArray(v)) for (const x of v) headers.append(k, x);
  }
  let body: Buffer | undefined;
  if (method !== 'GET' && method !== 'HEAD') {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_BODY) {
        res.writeHead(413, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end(`request body over ${MAX_BODY} bytes\n`);
        return;
      }
      chunks.push(chunk);
    }
    body = Buffer.concat(chunks);
  }
  const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'agent'}`);
  const request = new Request(url, { method, headers, ...(body !== undefined ? { body } : {}) });
  const response = await app.fetch(request, { peer: req.socket.remoteAddress, stopping });
  const out: Record<string, string | string[]> = {};
  response.headers.forEach((v, k) => {
    if (k !== 'set-cookie') out[k] = v;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) out['set-cookie'] = cookies;
  res.writeHead(response.status, out);
  if (response.body === null || method === 'HEAD' || gone(res)) {
    if (response.body !== null) void response.body.cancel().catch(() => undefined);
    res.end();
    return;
  }
  const reader = response.body.getReader();
  let closed = false;
  let wake: () => void = () => undefined;
  const onClose = () => {
    closed = true;
    wake();
    void reader.cancel().catch(() => undefined);
  };
  res.on('close', onClose);
  try {
    while (!closed) {
      const { done, value } = await reader.read();
      if (done || closed) break;
      if (!res.write(value)) {
        // Wait until the client has read what is buffered (or has gone).
        await new Promise<void>((resolve) => {
          if (closed) return resolve();
          wake = resolve;
          res.once('drain', resolve);
        });
        res.off('drain', wake);
      }
    }
  } catch {
    /* the client went away */
  } finally {
    res.off('close', onClose);
    void reader.cancel().catch(() => undefined); // a no-op once the body ended; else the stream lets go of what it holds
    res.end();
  }
}

/** The client went away before the response was ready (no 'close' will come any more). */
function gone(res: ServerResponse): boolean {
  return res.destroyed || res.socket?.destroyed === true;
}
