/**
 * The smallest Engine API `upkeep check` needs, on a unix socket: ping, version, info and an empty
 * container list (other paths: 404). For tests and benchmarks of the parts of check that are not
 * the engine (apt's simulation); never the machine's engine.
 */
import { createServer, type Server } from 'node:http';

/** Listens on `socket`; `rootDir` is the DockerRootDir /info reports. Close the server when done. */
export function stubEngine(socket: string, rootDir: string): Promise<Server> {
  const s = createServer((req, res) => {
    const path = (req.url ?? '').replace(/^\/v[\d.]+/, '').split('?')[0];
    const json = (body: unknown) => {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Api-Version': '1.43' });
      res.end(JSON.stringify(body));
    };
    if (path === '/_ping') {
      res.writeHead(200, { 'Api-Version': '1.43' });
      res.end('OK');
    } else if (path === '/version') json({ ApiVersion: '1.43', MinAPIVersion: '1.12', Version: '24.0.0' });
    else if (path === '/info') json({ ID: 'stub', Name: 'stub-host', ServerVersion: '24.0.0', DockerRootDir: rootDir, LiveRestoreEnabled: false });
    else if (path === '/containers/json') json([]);
    else {
      res.writeHead(404, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ message: `stub engine: no ${path}` }));
    }
  });
  return new Promise((resolve) => s.listen(socket, () => resolve(s)));
}
