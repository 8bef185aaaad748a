/**
 * A free loopback TCP port for a server a test starts later (inside a container on the host
 * network, or after a restart). Picked below Linux's ephemeral range (32768-60999 by default):
 * every `listen(0)` and outgoing connection in the suite takes its port from that range, and a
 * port handed out there can be taken by another test while its server is down (a daemon restart
 * stops the containers that hold their ports).
 */
import { createServer } from 'node:net';

const LOW = 20_000;
const HIGH = 32_000;

export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = LOW + Math.floor(Math.random() * (HIGH - LOW));
    if (await canListen(port)) return port;
  }
  throw new Error(`no free port between ${LOW} and ${HIGH} after 50 tries`);
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}
