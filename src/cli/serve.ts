/**
 * `x0tta6bl4 serve`: the engine as a long-running service over the operator's own telemetry. It
 * reads the topology and engine config (a bad file is every problem at its JSON path, exit 2),
 * opens the store, keys and signed audit log as `run --store` does (RunSession), starts the
 * engine (ServeEngine), its handler and the runtime's server (listen.ts), scrapes the config's
 * targets, and prints the URL it listens on.
 *
 * With `--nats` it runs as one engine of a cluster instead (serve-nats.ts), and with `--publish`
 * as the cluster's HTTP gateway, publishing what it takes to NATS (serve-publish.ts).
 *
 * SIGTERM or SIGINT stops it cleanly: the server stops accepting and finishes the requests in
 * flight, the engine processes every sample it accepted (`close`), the store is flushed and the
 * audit log sealed; then it prints its final figures as one JSON line and exits 0. A second signal
 * exits at once (128 + the signal's number): the log's unsealed tail is sealed by the next start.
 */
import process from 'node:process';
import { X0ttaError } from '../errors.ts';
import { IdSource } from '../knowledge/ids.ts';
import type { RagDocument } from '../rag/document.ts';
import { loadRunbookFolder } from '../rag/folder.ts';
import { runtimeName } from '../runtime/detect.ts';
import type { RestoredLearning } from '../run/learning.ts';
import { KeyRing, type PublicKeysJson } from '../security/keys.ts';
import { ServeEngine } from '../serve/engine.ts';
import { createHandler } from '../serve/handler.ts';
import {
  type Listener,
  ListenError,
  MutualTlsUnsupportedError,
  mutualTlsSupported,
  listen,
  type TlsOptions,
} from '../serve/listen.ts';
import type { SealedIntakeOptions } from '../serve/sealed-intake.ts';
import {
  type OptionValues,
  UsageError,
  asUsageError,
  checkOutputFile,
  consoleIo,
  defineCommand,
  runCommandSpec,
} from './args.ts';
import { readInput, readJsonInput } from './input.ts';
import { readEngineFiles } from './recording.ts';
import { RUN_SESSION_OPTIONS, RunSession, sessionOptionsFrom } from './run-session.ts';
import { startScraper } from './scraping.ts';
import {
  auditedShadow,
  SHADOW_DETAILS,
  SHADOW_OPTIONS,
  SHADOW_USAGE,
  type ShadowSettings,
  shadowSettings,
} from './shadow-option.ts';
import { parseWorkers, WORKERS_OPTION } from './workers-option.ts';

/** The command's declaration. */
export const SERVE_COMMAND = defineCommand({
  name: 'serve',
  summary: 'run the engine as a service over your telemetry: HTTP(S) in, /metrics and actions out',
  usage: [
    '--topology topology.json [--config engine.json] [--port 9470] [--host 127.0.0.1]',
    '    [--store memory|<dir>|postgres://...] [--audit audit.json] [--keys <keyfile> [--passphrase-env VAR]]',
    '    [--tls-cert cert.pem --tls-key key.pem [--client-ca ca.pem]] [--runbooks <dir>]',
    '    [--trust public-keys.json [--collectors a,b]] [--workers auto]',
    `    ${SHADOW_USAGE}`,
    '--publish nats://127.0.0.1:4222 [--topology topology.json] [--config engine.json] [--regions 6]',
    '    [--port 9470] [--host 127.0.0.1] [--tls-cert cert.pem --tls-key key.pem [--client-ca ca.pem]]',
    '--nats nats://127.0.0.1:4222 [--config engine.json] [--engine-id ID] [--store ...] [--keys ...]',
  ],
  details: [
    'Ways in: POST /v1/samples (NDJSON {"ts","node","metric","value"} or a JSON array), /v1/batches',
    '(columnar), /api/v1/write (Prometheus remote write), /v1/metrics (OTLP/HTTP JSON), /v1/sessions',
    "and /v1/sealed; and the config's scrape targets. Ways out: GET /metrics, /healthz, /readyz,",
    '/v1/incidents, /v1/events (server-sent events). A partly bad body is accepted line by line and',
    'answered with the bad lines; 400 unreadable, 413 too large, 408 too slow, 429 queue full.',
    '',
    'Prints the URL it listens on (--port 0 picks a free port). With --tls-cert and --tls-key it',
    'serves HTTPS (TLS 1.3; Deno.serve also allows 1.2); --client-ca requires client certificates',
    "from that CA and takes each sender's identity from its SPIFFE ID (spiffe://<domain>/node/<id>",
    'or .../collector/<id>) or CN: a node may only send its own samples, a collector any. Mutual',
    "TLS needs Node: Deno's and Bun's servers cannot show client certificates to the handler.",
    '',
    'Sealed telemetry (/v1/sessions, /v1/sealed) needs --keys (the engine answers handshakes with',
    "them) and --trust, the public keys of the nodes that may send (each key's owner is its node,",
    'as `x0tta6bl4 keys export-public` writes them; one export or a JSON array of them); a key',
    'owner named in --collectors may report any node.',
    '',
    '--store <dir> keeps knowledge and the signed audit log in one PGlite database there (or on a',
    'PostgreSQL server: postgres://...), and what the engine learns: it starts from the models the',
    'last run registered and registers what it learnt when it stops. With --store memory the log',
    'goes to the --audit file. SIGTERM or SIGINT: stop accepting, finish the requests in flight,',
    'process every accepted sample, seal the log, print the final figures as one JSON line',
    '({"stopped", "stats", "audit"}) and exit 0.',
    '',
    '--nats <url> runs the engine as one of many over NATS JetStream instead (topology regions',
    'claimed through leases; `x0tta6bl4 sim --publish <url>` feeds them). With --store the engines',
    "keep knowledge on one store (postgres://...), each signing its own audit chain; regions'",
    'learnt models stay in their NATS checkpoints.',
    '',
    '--publish <url> is the HTTP gateway of such a cluster: it takes telemetry as serve does (every',
    "way in, the same refusals, /metrics and /healthz) and the config's scrape targets, and instead",
    "of running a loop publishes each admitted sample to its topology region's JetStream subject",
    "for the engines; it answers their actions with the config's executor (webhook, command or",
    'plan-only). A submission is answered 202 once JetStream stored every tick its samples landed in',
    '(up to tickSeconds + latenessSeconds after their time), or 503 when it did not in time. It',
    "writes the cluster's layout (--topology in --regions regions, default 6) if there is none, or",
    "checks the one there matches --topology. Without --config it uses the engines' defaults",
    '(1-second ticks); give gateway and engines the same config. /metrics counts the samples',
    'published, superseded (a newer value in the same tick), failed and refused.',
    '',
    '--workers auto (the default) scores the detectors in worker threads once the topology has',
    'enough series (nodes x metrics) for that to pay, one per core at most; 0 keeps them on the',
    'main thread. Scores are the same for any count; a worker that dies is replaced from its',
    "detectors' last checkpoint.",
    '',
    ...SHADOW_DETAILS,
    'The final figures (stats.shadow) give the incidents scored, wins, losses, promotions and rollbacks.',
  ].join('\n'),
  options: {
    topology: {
      type: 'input',
      standardInput: false,
      help: 'the topology file (schema/topology.schema.json)',
    },
    config: { type: 'input', standardInput: false, help: 'the engine config (schema/config.schema.json)' },
    port: { type: 'integer', min: 0, max: 65535, default: 9470, help: 'the port (0: any free one)' },
    host: { type: 'string', value: 'ADDRESS', default: '127.0.0.1', help: 'the address to listen on' },
    ...RUN_SESSION_OPTIONS,
    'tls-cert': { type: 'input', standardInput: false, help: "the server's certificate chain (PEM)" },
    'tls-key': { type: 'input', standardInput: false, help: "the server's private key (PEM)" },
    'client-ca': {
      type: 'input',
      standardInput: false,
      help: 'require client certificates from this CA (PEM): mutual TLS, Node only',
    },
    runbooks: {
      type: 'string',
      value: 'DIR',
      help: 'also cite your runbooks in DIR (any Markdown or text, sub-folders too)',
    },
    trust: {
      type: 'input',
      standardInput: false,
      help: 'public keys of the nodes that may send sealed telemetry (needs --keys)',
    },
    collectors: {
      type: 'string',
      value: 'OWNERS',
      help: 'comma-separated key owners that may send sealed telemetry for any node',
    },
    workers: WORKERS_OPTION,
    ...SHADOW_OPTIONS,
    nats: {
      type: 'string',
      value: 'URL',
      help: 'run as one of many engines over NATS JetStream instead (see serve-nats.ts; takes --config, --engine-id, --store, --keys)',
    },
    'engine-id': {
      type: 'string',
      value: 'ID',
      help: "with --nats: this engine's id (default <host>-<pid>)",
    },
    publish: {
      type: 'string',
      value: 'URL',
      help: 'be the HTTP gateway of engines over NATS JetStream: publish what comes in, answer their actions',
    },
    regions: {
      type: 'integer',
      min: 1,
      max: 1000,
      help: "with --publish: regions of a new cluster layout (default 6; an existing layout's otherwise)",
    },
  },
  exitCodes:
    '0 stopped by SIGTERM or SIGINT after draining, 1 an unexpected error or the port cannot be bound, 2 usage error (a bad topology or config file among them)',
});

type ServeValues = OptionValues<typeof SERVE_COMMAND.options>;

/** Runs `x0tta6bl4 serve` with `argv` (the arguments after `serve`); resolves to the exit code once it is stopped. */
export function runServeCommand(argv: string[]): Promise<number> {
  return runCommandSpec(SERVE_COMMAND, argv, consoleIo, async ({ values }) => {
    if (values.publish !== undefined) return servePublish(values, values.publish);
    if (values.regions !== undefined) throw new UsageError('--regions', 'needs --publish');
    if (values.nats !== undefined) {
      if (values.store === 'memory' && values.keys !== undefined)
        throw new UsageError(
          '--keys',
          'with --nats needs --store (a postgres:// server or a store directory)',
        );
      return (await import('./serve-nats.ts')).serveOverNats({
        url: values.nats,
        session: sessionOptionsFrom(values),
        ...(values.config !== undefined ? { configFile: values.config } : {}),
        ...(values['engine-id'] !== undefined ? { engine: values['engine-id'] } : {}),
      });
    }
    if (values['engine-id'] !== undefined) throw new UsageError('--engine-id', 'needs --nats');
    if (values.topology === undefined) throw new UsageError('--topology', 'missing (the topology file)');
    checkTlsOptions(values);
    if (values.trust !== undefined && values.keys === undefined)
      throw new UsageError(
        '--trust',
        "needs --keys: nodes check the engine's handshake against its public key",
      );
    if (values.collectors !== undefined && values.trust === undefined)
      throw new UsageError(
        '--collectors',
        'needs --trust (collectors are key owners among the trusted nodes)',
      );
    if (values.store === 'memory') checkOutputFile('--audit', values.audit);
    const shadow = shadowSettings(values);
    const workers = parseWorkers(values.workers!, (line) => console.error(`serve: ${line}`));
    return serve(values, values.topology, workers, shadow);
  });
}

/** Checks --tls-cert, --tls-key and --client-ca go together, and mutual TLS runs here. */
function checkTlsOptions(values: ServeValues): void {
  if ((values['tls-cert'] === undefined) !== (values['tls-key'] === undefined))
    throw new UsageError(
      values['tls-cert'] === undefined ? '--tls-key' : '--tls-cert',
      'needs --tls-cert and --tls-key together',
    );
  if (values['client-ca'] !== undefined) {
    if (values['tls-cert'] === undefined)
      throw new UsageError('--client-ca', 'needs --tls-cert and --tls-key (mutual TLS is TLS)');
    const runtime = runtimeName();
    if (!mutualTlsSupported(runtime))
      throw asUsageError(new MutualTlsUnsupportedError(runtime, '--client-ca'));
  }
}

/** `serve --publish <url>`: the cluster's HTTP gateway (serve-publish.ts) until SIGTERM or SIGINT. */
async function servePublish(values: ServeValues, url: string): Promise<number> {
  if (values.nats !== undefined)
    throw new UsageError('--publish', 'is the gateway and --nats an engine: run them as two processes');
  // What only a loop of its own uses: the gateway keeps no knowledge and signs no log.
  const loopOnly: Array<[string, boolean]> = [
    ['--engine-id', values['engine-id'] !== undefined],
    ['--store', values.store !== 'memory'],
    ['--keys', values.keys !== undefined],
    ['--trust', values.trust !== undefined],
    ['--collectors', values.collectors !== undefined],
    ['--runbooks', values.runbooks !== undefined],
    ['--shadow', shadowSettings(values) !== undefined],
  ];
  for (const [flag, given] of loopOnly)
    if (given) throw new UsageError(flag, 'not with --publish (the engines run the loop; give it to them)');
  checkTlsOptions(values);
  const tls = await readTls(values);
  const signal = nextSignal();
  try {
    return await (await import('./serve-publish.ts')).servePublishing({
      url,
      port: values.port,
      host: values.host,
      stopped: signal.received,
      ...(values.topology !== undefined ? { topologyFile: values.topology } : {}),
      ...(values.config !== undefined ? { configFile: values.config } : {}),
      ...(values.regions !== undefined ? { regions: values.regions } : {}),
      ...(tls ? { tls } : {}),
    });
  } finally {
    signal.dispose();
  }
}

async function serve(
  values: ServeValues,
  topologyFile: string,
  workers: number | 'auto',
  shadow: ShadowSettings | undefined,
): Promise<number> {
  // Caught from the start: a signal during start-up stops the service cleanly once it is up.
  const signal = nextSignal();
  try {
    return await serveUntil(signal.received, values, topologyFile, workers, shadow);
  } finally {
    signal.dispose();
  }
}

async function serveUntil(
  signal: Promise<NodeJS.Signals>,
  values: ServeValues,
  topologyFile: string,
  workers: number | 'auto',
  shadow: ShadowSettings | undefined,
): Promise<number> {
  const notice = (line: string): void => console.error(`serve: ${line}`);
  const { topology, config } = await readEngineFiles(topologyFile, values.config);
  const tls = await readTls(values);
  let runbooks: RagDocument[] | undefined;
  if (values.runbooks !== undefined) {
    try {
      runbooks = await loadRunbookFolder(values.runbooks);
    } catch (error) {
      if (!(error instanceof X0ttaError)) throw error;
      throw new UsageError('--runbooks', error.message);
    }
  }

  let session: RunSession;
  try {
    session = await RunSession.open({
      ...sessionOptionsFrom(values),
      notice,
    });
  } catch (error) {
    if (!(error instanceof X0ttaError)) throw error;
    notice(error.message);
    return 2;
  }

  let engine: ServeEngine | undefined;
  let listener: Listener;
  let learning: RestoredLearning | undefined;
  try {
    const sealed =
      values.trust === undefined ? undefined : await sealedOptions(values, values.trust, session);
    learning = await session.restoreLearning(notice);
    engine = await ServeEngine.start({
      topology,
      config,
      store: session.knowledge,
      audit: session.sink,
      // Incident and action ids under this process's run id: a store's history accumulates.
      ids: new IdSource(session.runId),
      runbooks,
      learning,
      detectorWorkers: workers,
      ...(shadow ? { shadow: auditedShadow(shadow, session.modelAudit, `serve:${session.runId}`) } : {}),
    });
    listener = await listen(createHandler(engine, { requireIdentity: tls?.clientCa !== undefined, sealed }), {
      port: values.port,
      hostname: values.host,
      tls,
      requestTimeoutMs: config.limits.requestTimeoutMs,
      headersTimeoutMs: Math.min(10_000, config.limits.requestTimeoutMs),
      // A request in flight has at most its body timeout to arrive; the answer is quick after it.
      closeTimeoutMs: config.limits.requestTimeoutMs + 5000,
    });
  } catch (error) {
    await engine?.close().catch(() => undefined);
    await session.finish('failed').catch(() => undefined);
    if (error instanceof ListenError) {
      notice(error.message);
      return 1;
    }
    if (error instanceof X0ttaError) {
      notice(error.message);
      return 2;
    }
    throw error;
  }
  const running = engine;

  const scraper = startScraper(config, running, notice);

  console.log(`listening on ${listener.url}`);
  notice(
    `run ${session.runId}: ${topology.nodes.length} nodes, store ${values.store}, audit log signed by ${session.signer}${scraper ? `, scraping ${config.scrape!.targets.length} targets` : ''}`,
  );
  const stopped = await signal;
  notice(
    `${stopped}: draining (stop accepting, finish requests, process every accepted sample, seal the log)`,
  );
  scraper?.stop();
  await listener.close(true);
  await running.drain();
  if (learning) {
    // Taken before close, which stops the detector that holds the state.
    const learnt = await running.learnt();
    const stats = running.stats();
    const versions = await session.saveLearning(learnt, learning, {
      metrics: {
        samplesAccepted: stats.samplesAccepted,
        ticks: stats.ticks,
        incidentsOpened: running.loop.stats().incidentsOpened,
      },
    });
    notice(`learning registered: ${versions.map((v) => `${v.name}@${v.version}`).join(', ')}`);
  }
  await running.close();
  const audit = await session.finish('finished');
  console.log(JSON.stringify({ stopped, stats: running.stats(), audit }));
  return 0;
}

/** The server's certificate and key, and the client CA, read from their files. */
async function readTls(values: ServeValues): Promise<TlsOptions | undefined> {
  const certFile = values['tls-cert'];
  const keyFile = values['tls-key'];
  if (certFile === undefined || keyFile === undefined) return undefined;
  const [cert, key, clientCa] = await Promise.all([
    readPem('--tls-cert', certFile),
    readPem('--tls-key', keyFile),
    values['client-ca'] === undefined ? undefined : readPem('--client-ca', values['client-ca']),
  ]);
  return clientCa === undefined ? { cert, key } : { cert, key, clientCa };
}

async function readPem(option: string, path: string): Promise<string> {
  const text = await readInput(option, path);
  if (!text.includes('-----BEGIN ')) throw new UsageError(option, `${path} is not PEM (no -----BEGIN line)`);
  return text;
}

/** Waits for SIGTERM or SIGINT; a second one exits at once with 128 + its number. */
function nextSignal(): { received: Promise<NodeJS.Signals>; dispose(): void } {
  const codes: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143 };
  let first: NodeJS.Signals | undefined;
  let resolve: (signal: NodeJS.Signals) => void = () => {};
  const received = new Promise<NodeJS.Signals>((done) => (resolve = done));
  const onSignal = (signal: NodeJS.Signals) => {
    if (first !== undefined) {
      process.stderr.write(`serve: ${signal} again: stopping at once\n`);
      process.exit(codes[signal]);
    }
    first = signal;
    resolve(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    received,
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

/** The sealed intake's keys and trust: the engine's own keys, the nodes' public keys from `--trust`. */
async function sealedOptions(
  values: ServeValues,
  trustFile: string,
  session: RunSession,
): Promise<SealedIntakeOptions> {
  const json = await readJsonInput<PublicKeysJson | PublicKeysJson[]>(
    '--trust',
    trustFile,
    'public key file',
  );
  const trust = new KeyRing();
  try {
    for (const exported of Array.isArray(json) ? json : [json]) trust.addAll(KeyRing.fromJSON(exported));
  } catch (error) {
    throw new UsageError('--trust', `${trustFile} holds no public keys: ${(error as Error).message}`);
  }
  const collectors =
    values.collectors
      ?.split(',')
      .map((owner) => owner.trim())
      .filter(Boolean) ?? [];
  return { keys: session.keys, trust, collectors };
}
