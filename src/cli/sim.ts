/**
 * `x0tta6bl4 sim --publish <nats-url>`: a simulated mesh on NATS JetStream for engines in other
 * processes (`x0tta6bl4 serve --nats <url>`). It publishes each tick's telemetry per topology
 * region, carries out the actions the engines request, and when the run ends writes the healing
 * report scored from the engines' events (--out), the ground truth (--truth) and prints one JSON
 * line of the run's figures: samples published and acknowledged, the ticks no engine
 * acknowledged, and what each engine did.
 */
import process from 'node:process';
import { connect } from '@nats-io/transport-node';
import { SimPublisher } from '../cluster/publisher.ts';
import { DEFAULT_LEASE_SECONDS } from '../cluster/subjects.ts';
import { X0ttaError } from '../errors.ts';
import { truthFile } from '../run/export.ts';
import { MAX_NODES, MIN_NODES, type TopologyKind } from '../sim/index.ts';
import {
  checkOutputFile,
  consoleIo,
  defineCommand,
  type OptionValues,
  runCommandSpec,
  UsageError,
} from './args.ts';
import { writeJsonAtomic } from './atomic-write.ts';

/** The command's declaration. */
export const SIM_COMMAND = defineCommand({
  name: 'sim',
  summary: 'publish a simulated mesh over NATS JetStream for engines in other processes (serve --nats)',
  usage: [
    '--publish nats://127.0.0.1:4222 [--nodes 300] [--hours 1] [--faults N] [--seed 1]',
    '    [--topology geometric] [--regions 6] [--lead 2] [--lease-seconds 4] [--out report.json] [--truth truth.json]',
  ],
  details: [
    'Splits the mesh into --regions topology regions with few crossing links and publishes each',
    "tick's telemetry to the JetStream subject x0tta6bl4.telemetry.<region> (stream",
    "X0TTA6BL4_TELEMETRY); the layout (the mesh and every node's region) goes to the key-value",
    "bucket x0tta6bl4-state, leases live in x0tta6bl4-leases. It replaces a previous run's streams",
    'and buckets: start it before the engines (x0tta6bl4 serve --nats <url>).',
    '',
    'Actions arrive on x0tta6bl4.actions (request-reply) and are answered once the simulator has',
    'carried them out. Simulated time waits for the engines: a tick is published once every region',
    'is processed up to --lead ticks before it. The run ends when every tick of every region is',
    'acknowledged; the report is scored from the events the engines publish on x0tta6bl4.events.*',
    'against the ground truth, as `x0tta6bl4 run` scores its own.',
  ].join('\n'),
  options: {
    publish: { type: 'string', value: 'URL', help: 'the NATS server (nats://host:port)' },
    nodes: { type: 'integer', min: MIN_NODES, max: MAX_NODES, default: 300, help: 'mesh size' },
    hours: { type: 'number', min: 0, aboveMin: true, max: 8760, default: 1, help: 'simulated hours' },
    faults: {
      type: 'integer',
      min: 1,
      max: Number.MAX_SAFE_INTEGER,
      help: 'faults of each kind (default: as many as fit in --hours, at most 20)',
    },
    seed: { type: 'integer', min: 0, max: 2 ** 32 - 1, default: 1, help: 'seed of the mesh and its faults' },
    topology: {
      type: 'string',
      choices: ['geometric', 'scale-free', 'grid'],
      default: 'geometric',
      help: 'how the mesh is generated',
    },
    regions: {
      type: 'integer',
      min: 1,
      max: 1000,
      default: 6,
      help: 'topology regions (subjects, units of ownership)',
    },
    lead: {
      type: 'integer',
      min: 1,
      max: 100_000,
      default: 2,
      help: 'ticks the mesh may run ahead of the slowest region',
    },
    'lease-seconds': {
      type: 'integer',
      min: 1,
      max: 3600,
      default: DEFAULT_LEASE_SECONDS,
      help: 'seconds a lease lives unless refreshed',
    },
    out: { type: 'output', help: 'write the healing report (JSON) here' },
    truth: { type: 'output', help: 'write the ground truth (truth.json) here' },
  },
  exitCodes: '0 the run completed, 1 an unexpected error or NATS unreachable, 2 usage error',
});

type SimValues = OptionValues<typeof SIM_COMMAND.options>;

/** Runs `x0tta6bl4 sim` with `argv` (the arguments after `sim`); resolves to the exit code. */
export function runSimCommand(argv: string[]): Promise<number> {
  return runCommandSpec(SIM_COMMAND, argv, consoleIo, ({ values }) => {
    if (values.publish === undefined) throw new UsageError('--publish', 'missing (the NATS server URL)');
    if (values.regions > values.nodes)
      throw new UsageError('--regions', `at most --nodes (${values.nodes}), got ${values.regions}`);
    if (values.out !== undefined) checkOutputFile('--out', values.out);
    if (values.truth !== undefined) checkOutputFile('--truth', values.truth);
    return publish(values, values.publish);
  });
}

async function publish(values: SimValues, url: string): Promise<number> {
  const notice = (line: string) => console.error(`sim: ${line}`);
  let connection: Awaited<ReturnType<typeof connect>>;
  try {
    connection = await connect({ servers: url, maxReconnectAttempts: -1, reconnectTimeWait: 250 });
  } catch (error) {
    notice(`cannot reach ${url}: ${(error as Error).message}`);
    return 1;
  }
  const abort = new AbortController();
  const stop = () => abort.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    let publisher: SimPublisher;
    try {
      publisher = await SimPublisher.open({
        connection,
        nodes: values.nodes,
        seed: values.seed,
        hours: values.hours,
        ...(values.faults !== undefined ? { faultsPerKind: values.faults } : {}),
        topology: values.topology as TopologyKind,
        regions: values.regions,
        lead: values.lead,
        leaseSeconds: values['lease-seconds'],
        notice,
      });
    } catch (error) {
      if (!(error instanceof X0ttaError)) throw error;
      throw new UsageError('--publish', error.message);
    }
    console.log(
      `publishing ${values.nodes} nodes in ${values.regions} regions (${publisher.ticks} ticks) to ${url}`,
    );
    const result = await publisher.run({ signal: abort.signal });
    await publisher.close();
    if (values.out !== undefined) await writeJsonAtomic(values.out, result.report);
    if (values.truth !== undefined)
      await writeJsonAtomic(
        values.truth,
        truthFile({
          seed: values.seed,
          ticks: result.ticks,
          nodes: values.nodes,
          faults: result.groundTruth,
        }),
      );
    const { report, groundTruth: _truth, ...figures } = result;
    console.log(
      JSON.stringify({
        ...figures,
        // The ticks themselves are few or none; a long list is cut, its length kept.
        unacknowledgedTicks: figures.unacknowledged.length,
        unacknowledged: figures.unacknowledged.slice(0, 20),
        overall: {
          injected: report.overall.injected,
          detectionRate: report.overall.detectionRate,
          healedRate: report.overall.healedRate,
          rootCauseTop1: report.overall.rootCauseTop1,
          falseAlarms: report.overall.falseAlarms,
          actions: report.overall.actions,
        },
      }),
    );
    return 0;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await connection.close();
  }
}
