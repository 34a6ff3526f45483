/**
 * `x0tta6bl4 serve --nats <url>`: the engine as one of many over NATS JetStream. It connects
 * (reconnecting for ever: a restarted server is waited for), reads the cluster's layout, claims
 * its share of the topology regions through leases and processes them (src/cluster); it prints
 * `engine <id> ready` once it holds its first regions' leases, and a line per claim and hand-over
 * on standard error. SIGTERM or SIGINT hands every region over (checkpoint, acknowledge, release
 * the lease) and prints the final figures as one JSON line; kill -9 leaves its leases to lapse and
 * the other engines take its regions over.
 */
import { hostname } from 'node:os';
import process from 'node:process';
import { connect } from '@nats-io/transport-node';
import { ClusterEngine } from '../cluster/engine.ts';
import { checkEngineId } from '../cluster/subjects.ts';
import { X0ttaError } from '../errors.ts';
import { type EngineConfig, parseEngineConfig } from '../serve/config.ts';
import { UsageError } from './args.ts';
import { readJsonInput } from './input.ts';
import { asUsage } from './recording.ts';

/** Options of {@link serveOverNats}. */
export interface ServeOverNatsOptions {
  /** The NATS server URL. */
  url: string;
  /** The engine config file (--config), if given. */
  configFile?: string;
  /** This engine's id (default `<host>-<pid>`). */
  engine?: string;
}

/** The config file's engine config, or the defaults with 1-second ticks (the simulator's). */
async function readConfig(file: string | undefined): Promise<EngineConfig> {
  if (file === undefined) return parseEngineConfig({ tickSeconds: 1 });
  const value = await readJsonInput<unknown>('--config', file, 'config file');
  return asUsage('--config', () => parseEngineConfig(value, file));
}

/** Runs an engine of the cluster until SIGTERM or SIGINT; resolves to the exit code. */
export async function serveOverNats(options: ServeOverNatsOptions): Promise<number> {
  const notice = (line: string) => console.error(`serve: ${line}`);
  const config = await readConfig(options.configFile);
  const id =
    options.engine ??
    `${hostname()
      .replace(/[^-_a-zA-Z0-9]/g, '_')
      .slice(0, 40)}-${process.pid}`;
  try {
    checkEngineId(id);
  } catch (error) {
    throw new UsageError('--engine-id', (error as Error).message);
  }
  let connection: Awaited<ReturnType<typeof connect>>;
  try {
    connection = await connect({ servers: options.url, maxReconnectAttempts: -1, reconnectTimeWait: 250 });
  } catch (error) {
    notice(`cannot reach ${options.url}: ${(error as Error).message}`);
    return 1;
  }
  let stopped: (signal: NodeJS.Signals) => void = () => {};
  const signal = new Promise<NodeJS.Signals>((resolve) => (stopped = resolve));
  process.once('SIGINT', stopped);
  process.once('SIGTERM', stopped);
  try {
    let engine: ClusterEngine;
    try {
      engine = await ClusterEngine.start({
        connection,
        engine: id,
        config,
        notice,
      });
    } catch (error) {
      notice((error as Error).message);
      return error instanceof X0ttaError ? 2 : 1;
    }
    console.log(`engine ${id} ready: regions ${engine.regions().join(',') || 'none yet'}`);
    const received = await signal;
    notice(`${received}: handing every region over`);
    await engine.close();
    console.log(JSON.stringify({ stopped: received, stats: engine.stats() }));
    return 0;
  } finally {
    process.off('SIGINT', stopped);
    process.off('SIGTERM', stopped);
    await connection.close();
  }
}
