/**
 * `x0tta6bl4 serve --nats <url>`: the engine as one of many over NATS JetStream. It connects
 * (reconnecting for ever: a restarted server is waited for), reads the cluster's layout, claims
 * its share of the topology regions through leases and processes them (src/cluster); it prints
 * `engine <id> ready` once it holds its first regions' leases, and a line per claim and hand-over
 * on standard error. SIGTERM or SIGINT hands every region over (checkpoint, acknowledge, release
 * the lease) and prints the final figures as one JSON line; kill -9 leaves its leases to lapse and
 * the other engines take its regions over, as does a stop while the NATS server is unreachable
 * (exit code 1, `handoverFailed` in the JSON line; the store and audit chain are still closed).
 *
 * With `--store` (a `postgres://` server the engines share, or a store directory) the engine opens a
 * RunSession as `serve` does: its regions' loops keep incidents, actions and success rates there,
 * under ids of its run id, and it signs its own audit chain (named by its run id), sealed and
 * recorded at SIGTERM. Each region's learnt models are also registered in the store's model
 * registry, named for the region (`region-<n>.engine.success-rates`...: src/cluster/region-models.ts),
 * when the engine hands the region over and every half hour of ticks while it holds it, each
 * version audited in the engine's chain and descending from the region's previous one.
 */
import { hostname } from 'node:os';
import process from 'node:process';
import { ClusterEngine } from '../cluster/engine.ts';
import { checkEngineId } from '../cluster/subjects.ts';
import { X0ttaError } from '../errors.ts';
import { IdSource } from '../knowledge/ids.ts';
import { type EngineConfig, parseEngineConfig } from '../serve/config.ts';
import { UsageError } from './args.ts';
import { readJsonInput } from './input.ts';
import { connectNats } from './nats-connect.ts';
import { asUsage } from './recording.ts';
import { RunSession, type RunSessionOptions } from './run-session.ts';

/** Options of {@link serveOverNats}. */
export interface ServeOverNatsOptions {
  /** The NATS server URL. */
  url: string;
  /** The engine config file (--config), if given. */
  configFile?: string;
  /** This engine's id (default `<host>-<pid>`). */
  engine?: string;
  /** Where knowledge and the engine's audit chain live (`--store` and its options); memory keeps none. */
  session?: Pick<RunSessionOptions, 'store' | 'auditFile' | 'keyFile' | 'passphraseEnv'>;
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
  const connection = await connectNats(options.url, notice);
  if (!connection) return 1;
  let stopped: (signal: NodeJS.Signals) => void = () => {};
  const signal = new Promise<NodeJS.Signals>((resolve) => (stopped = resolve));
  process.once('SIGINT', stopped);
  process.once('SIGTERM', stopped);
  let session: RunSession | undefined;
  try {
    let engine: ClusterEngine;
    try {
      if (options.session && options.session.store !== 'memory')
        session = await RunSession.open({ ...options.session, notice });
      engine = await ClusterEngine.start({
        connection,
        engine: id,
        config,
        notice,
        ...(session
          ? {
              store: session.knowledge,
              audit: session.sink,
              ids: new IdSource(session.runId),
              models: { store: session.knowledge, audit: session.modelAudit, tags: [`run:${session.runId}`] },
            }
          : {}),
      });
    } catch (error) {
      notice((error as Error).message);
      await session?.finish('failed').catch(() => undefined);
      return error instanceof X0ttaError ? 2 : 1;
    }
    console.log(`engine ${id} ready: regions ${engine.regions().join(',') || 'none yet'}`);
    if (session) notice(`run ${session.runId}: audit chain signed by ${session.signer}`);
    const received = await signal;
    notice(`${received}: handing every region over`);
    // With the NATS server gone the hand-over cannot finish; the knowledge and the audit chain
    // are still closed properly, and the regions' leases lapse for another engine to take over.
    const handover = await engine.close().then(
      () => undefined,
      (error: Error) => `${error.name}: ${error.message}`,
    );
    if (handover) notice(`regions not handed over (${handover}): their leases lapse instead`);
    const audit = session ? await session.finish('finished') : undefined;
    console.log(
      JSON.stringify({
        stopped: received,
        stats: engine.stats(),
        ...(handover ? { handoverFailed: handover } : {}),
        ...(audit ? { audit } : {}),
      }),
    );
    return handover ? 1 : 0;
  } finally {
    process.off('SIGINT', stopped);
    process.off('SIGTERM', stopped);
    await connection.close();
  }
}
