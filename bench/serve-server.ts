/**
 * The server side of bench/serve.bench.ts, run in a process of its own (pinned to one core by
 * the bench when `taskset` is there) so the load generators never share its core.
 *
 * `engine <nodes> <lateness>`: a ServeEngine over a mesh of `<nodes>` nodes with the default
 * metrics, ticking every second of telemetry time with `<lateness>` seconds of lateness, behind
 * createHandler and listen() on Node: the service as `x0tta6bl4 serve` runs it. `baseline`: the
 * same listen() answering 204 once it has read the body, the transport's ceiling. `raw`: Node's
 * own http server answering 204 once it has read the body, without listen()'s fetch-style
 * adapter: the latency baseline. Prints `{"port": <port>}`
 * once listening; stops on SIGTERM. Every mode answers `GET /__cpu` with the CPU time its process
 * has used, in microseconds (`{"cpu": <us>}`): on a machine others share, the CPU seconds a run
 * cost the server say what the wall-clock rates cannot.
 */
import { createServer } from 'node:http';
import { parseEngineConfig } from '../src/serve/config.ts';
import { ServeEngine } from '../src/serve/engine.ts';
import { createHandler } from '../src/serve/handler.ts';
import { listen } from '../src/serve/listen.ts';
import type { FetchHandler } from '../src/serve/peer.ts';
import { parseTopology } from '../src/serve/topology.ts';
import { benchTopology, engineSettings } from './serve-workloads.ts';

const [mode, nodesArgument, latenessArgument] = process.argv.slice(2);

/** Where the bench reads the server's CPU time. */
const CPU_PATH = '/__cpu';

/** The CPU time this process has used, microseconds, as the answer's JSON. */
function cpuJson(): string {
  const { user, system } = process.cpuUsage();
  return JSON.stringify({ cpu: user + system });
}

async function handlerFor(): Promise<{ handler: FetchHandler; close(): Promise<void> }> {
  if (mode === 'baseline') {
    return {
      handler: async (request) => {
        await request.arrayBuffer();
        return new Response(null, { status: 204 });
      },
      close: async () => undefined,
    };
  }
  if (mode !== 'engine') throw new Error(`mode must be 'engine', 'baseline' or 'raw', got ${String(mode)}`);
  const engine = await ServeEngine.start({
    topology: parseTopology(benchTopology(Number(nodesArgument))),
    config: parseEngineConfig(engineSettings(Number(latenessArgument))),
  });
  return { handler: createHandler(engine), close: () => engine.close() };
}

/** Node's http server reading each body and answering 204. */
async function rawServer(): Promise<{ port: number; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    if (req.url === CPU_PATH) {
      res.end(cpuJson());
      return;
    }
    req.on('data', () => undefined);
    req.once('end', () => {
      res.statusCode = 204;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

async function serve(): Promise<{ port: number; close(): Promise<void> }> {
  if (mode === 'raw') return rawServer();
  const { handler, close } = await handlerFor();
  const server = await listen(
    (request, peer) =>
      new URL(request.url).pathname === CPU_PATH
        ? Promise.resolve(new Response(cpuJson()))
        : handler(request, peer),
    { port: 0, hostname: '127.0.0.1' },
  );
  return {
    port: server.port,
    close: async () => {
      await server.close();
      await close();
    },
  };
}

const server = await serve();
console.log(JSON.stringify({ port: server.port }));
process.once('SIGTERM', async () => {
  await server.close();
  process.exit(0);
});
