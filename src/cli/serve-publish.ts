/**
 * `x0tta6bl4 serve --publish <url>`: the gateway of a real mesh over NATS. It takes telemetry over
 * HTTP(S) with the service's own handler (every way in of `serve`, its refusals, /metrics and
 * /healthz) and the config's scrape targets, publishes each admitted sample to its topology
 * region's JetStream subject for the engines (`serve --nats`), and answers their action requests
 * with the executor the config names (src/cluster/gateway.ts). It prints the URL it listens on.
 *
 * SIGTERM or SIGINT: stop accepting, finish the requests in flight, publish every accepted sample,
 * then print the final figures as one JSON line ({"stopped", "stats"}) and exit 0.
 */
import { NatsGateway } from '../cluster/gateway.ts';
import { X0ttaError } from '../errors.ts';
import { type EngineConfig, parseEngineConfig } from '../serve/config.ts';
import { buildExecutor } from '../serve/engine.ts';
import { createHandler } from '../serve/handler.ts';
import { type Listener, ListenError, listen, type TlsOptions } from '../serve/listen.ts';
import { parseTopology, type Topology } from '../serve/topology.ts';
import { readJsonInput } from './input.ts';
import { connectNats } from './nats-connect.ts';
import { asUsage } from './recording.ts';
import { startScraper } from './scraping.ts';

/** Options of {@link servePublishing}. */
export interface ServePublishingOptions {
  /** The NATS server URL. */
  url: string;
  /** The topology file (--topology): written as the cluster's layout, or checked against it; without it, the layout's. */
  topologyFile?: string;
  /** The engine config file (--config); the engines' should be the same. */
  configFile?: string;
  /** Regions of a new layout (--regions). */
  regions?: number;
  /** The port (0: any free one). */
  port: number;
  /** The address to listen on. */
  host: string;
  /** HTTPS, and mutual TLS with a client CA. */
  tls?: TlsOptions;
  /** Resolves with the signal that stops the gateway. */
  stopped: Promise<NodeJS.Signals>;
}

/** The config file's engine config, or the engines' defaults (1-second ticks, the simulator's metrics). */
async function readConfig(file: string | undefined): Promise<EngineConfig> {
  if (file === undefined) return parseEngineConfig({ tickSeconds: 1 });
  const value = await readJsonInput<unknown>('--config', file, 'config file');
  return asUsage('--config', () => parseEngineConfig(value, file));
}

async function readTopology(file: string | undefined): Promise<Topology | undefined> {
  if (file === undefined) return undefined;
  const value = await readJsonInput<unknown>('--topology', file, 'topology file');
  return asUsage('--topology', () => parseTopology(value, file));
}

/** Runs the gateway until `options.stopped`; resolves to the exit code. */
export async function servePublishing(options: ServePublishingOptions): Promise<number> {
  const notice = (line: string) => console.error(`serve: ${line}`);
  const config = await readConfig(options.configFile);
  const topology = await readTopology(options.topologyFile);
  const connection = await connectNats(options.url, notice);
  if (!connection) return 1;
  try {
    // The plan-only executor checks targets against the mesh, known once the layout is.
    const nodes = new Set<string>();
    let gateway: NatsGateway;
    let listener: Listener;
    try {
      gateway = await NatsGateway.open({
        connection,
        config,
        executor: await buildExecutor(config.executor, nodes),
        ...(topology ? { topology } : {}),
        ...(options.regions !== undefined ? { regions: options.regions } : {}),
        notice,
      });
      for (const node of gateway.nodes) nodes.add(node);
    } catch (error) {
      notice((error as Error).message);
      return error instanceof X0ttaError ? 2 : 1;
    }
    const running = gateway;
    try {
      listener = await listen(
        createHandler(running, {
          exposition: () => running.exposition(),
          requireIdentity: options.tls?.clientCa !== undefined,
        }),
        {
          port: options.port,
          hostname: options.host,
          tls: options.tls,
          requestTimeoutMs: config.limits.requestTimeoutMs,
          headersTimeoutMs: Math.min(10_000, config.limits.requestTimeoutMs),
          // A request in flight waits for its body, then for its ticks to be published.
          closeTimeoutMs:
            2 * config.limits.requestTimeoutMs + (config.tickSeconds + config.latenessSeconds) * 1000 + 5000,
        },
      );
    } catch (error) {
      await running.close();
      if (error instanceof ListenError) {
        notice(error.message);
        return 1;
      }
      throw error;
    }
    const scraper = startScraper(config, running, notice);

    console.log(`listening on ${listener.url}`);
    notice(
      `publishing to ${options.url}: ${running.nodes.length} nodes in ${running.layout.regions} regions, actions carried out by the ${config.executor.kind} executor${scraper ? `, scraping ${config.scrape!.targets.length} targets` : ''}`,
    );
    const stopped = await options.stopped;
    notice(`${stopped}: draining (stop accepting, finish requests, publish every accepted sample)`);
    scraper?.stop();
    await listener.close(true);
    await running.close();
    console.log(JSON.stringify({ stopped, stats: running.stats() }));
    return 0;
  } finally {
    await connection.close();
  }
}
