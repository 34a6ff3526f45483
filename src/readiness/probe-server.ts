/**
 * The probes over HTTP (node:http; Deno and Bun provide it too): GET /healthz and /readyz answer
 * 200 with the probe's JSON when it is ok and 503 when it is not; anything else is 404.
 */
import type { LoopProbes } from './probes.ts';

/** A listening probe server. */
export interface ProbeServer {
  /** Base URL, e.g. http://127.0.0.1:40123 */
  readonly url: string;
  /** Stops listening; resolves once the server is closed. */
  close(): Promise<void>;
}

/** Serves `probes` on `host:port` (port 0 picks a free one). */
export async function serveProbes(
  probes: LoopProbes,
  options: { host?: string; port?: number } = {},
): Promise<ProbeServer> {
  const http = await import('node:http');
  const server = http.createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://probe').pathname;
    const probe =
      request.method === 'GET' && path === '/healthz'
        ? probes.health()
        : request.method === 'GET' && path === '/readyz'
          ? probes.readiness()
          : null;
    if (!probe) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    response
      .writeHead(probe.ok ? 200 : 503, { 'content-type': 'application/json' })
      .end(JSON.stringify(probe));
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, resolve);
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}
