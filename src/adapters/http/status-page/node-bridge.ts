/**
 * node:http <-> the fetch API for the status page's hono app: the request becomes a `Request`
 * (body read up to 64 KiB: only the login form has one), the `Response` is written back, streamed
 * (the event stream), and cancelled when the client goes away.
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
  if (response.body === null || method === 'HEAD') {
    res.end();
    return;
  }
  const reader = response.body.getReader();
  const onClose = () => void reader.cancel().catch(() => undefined);
  res.on('close', onClose);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      res.write(value);
    }
  } catch {
    /* the client went away */
  } finally {
    res.off('close', onClose);
    res.end();
  }
}
