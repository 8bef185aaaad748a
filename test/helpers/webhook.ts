/** A webhook receiver on loopback that records every alert it gets, and a polling wait. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AlertMessage } from '../../src/adapters/notify/notifier.js';

export interface Received {
  /** When it arrived (ms since epoch). */
  at: number;
  message: AlertMessage;
}

export interface WebhookReceiver {
  url: string;
  received: Received[];
  server: Server;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1 (a free port, or `port`), answering 204 to every POST. */
export async function webhookReceiver(port = 0): Promise<WebhookReceiver> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      received.push({ at: Date.now(), message: JSON.parse(body) as AlertMessage });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return { url, received, server, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** Polls `fn` every 50 ms until it returns something other than null/false; throws after `ms`. */
export async function until<T>(what: string, fn: () => Promise<T | null | false> | T | null | false, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== null && v !== false) return v as T;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
