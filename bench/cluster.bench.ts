/**
 * Many engines over NATS JetStream (issue 16, section 5), on this machine, with a real nats-server
 * (temporary store, random port) and real engine processes (`x0tta6bl4 serve --nats`):
 * - direct ingest, the baseline: the same six region loops over the same 300-node mesh fed in this
 *   process, no NATS (samples/s);
 * - aggregate samples/s through NATS with 1, 2 and 3 engines: once the engines hold every region,
 *   the mesh published free-running (the lead large enough never to wait) and the run timed until
 *   every region's every tick is acknowledged (checkpoints included); each against the direct
 *   baseline;
 * - the per-sample cost through NATS: one engine's wall time per sample over direct ingest's
 *   (a ratio), and the JetStream publish capacity of one server (region messages/s, samples/s);
 * - a projection from those measured costs of the engines and NATS servers a 100,000-node mesh
 *   at 8 metrics a second needs (printed, and as rows).
 * Fault-free, so every run does the same work. The machine's two cores are shared: more engines
 * than cores cannot scale, and the figures say what this machine gives, not a cluster's.
 * Run alone with `npx tsx bench/cluster.bench.ts`, or through `npm run bench -- cluster`.
 */
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { layoutOf, regionView } from '../src/cluster/layout.ts';
import { frameMessages } from '../src/cluster/publisher.ts';
import { localIndex, regionBatch, regionRoutes } from '../src/cluster/region-worker.ts';
import { encode } from '../src/cluster/subjects.ts';
import { SimulatorExecutor } from '../src/run/sim-executor.ts';
import { METRIC_NAMES, MeshSimulator } from '../src/sim/index.ts';
import { parseEngineConfig } from '../src/serve/config.ts';
import { createOperatorLoop } from '../src/serve/operator-loop.ts';
import { clusterRun } from '../test/cluster-process.ts';
import { startNats } from '../test/servers/nats.ts';
import { runIfMain } from './report.ts';
import type { BenchResult } from './types.ts';

const NODES = 300;
const REGIONS = 6;
/** Ticks per run: half a simulated hour. */
const TICKS = 1800;
/** The projection's mesh. */
const TARGET_NODES = 100_000;
const TARGET_METRICS_PER_SECOND = 8;
/** Messages in the JetStream publish measurement. */
const PUBLISH_MESSAGES = 3000;

/** The six region loops fed in this process: samples per second. */
async function directIngest(): Promise<number> {
  // The mesh and regions SimPublisher draws, without NATS.
  const sim = new MeshSimulator({ seed: 1, topology: { kind: 'geometric', nodes: NODES } });
  const t = sim.topology;
  const layout = layoutOf(
    {
      nodes: t.nodeIds.map((id) => ({ id })),
      links: Array.from(
        t.linkFrom,
        (from, l) => [t.nodeIds[from], t.nodeIds[t.linkTo[l]]] as [string, string],
      ),
      calls: [],
      gateways: t.nodeIds.filter((_, i) => t.isGateway[i]),
    },
    REGIONS,
  );
  const executor = new SimulatorExecutor(sim);
  const config = parseEngineConfig({ tickSeconds: 1 });
  const regions = await Promise.all(
    Array.from({ length: REGIONS }, async (_, r) => {
      const view = regionView(layout, r);
      return {
        view,
        local: localIndex(view),
        operator: await createOperatorLoop({ topology: view.topology, config, executor }),
      };
    }),
  );
  let samples = 0;
  let version = -1;
  const started = performance.now();
  for (let tick = 0; tick < TICKS; tick++) {
    const frame = sim.tick();
    executor.settle();
    const routes = sim.routes.version !== version ? Array.from(sim.routes.nextHop) : undefined;
    version = sim.routes.version;
    for (const message of frameMessages(layout, frame, routes)) {
      const { view, local, operator } = regions[message.region];
      if (message.routes) operator.loop.updateRoutes(regionRoutes(view, local, message.routes));
      await operator.loop.tick(message.tick, regionBatch(view, local, message));
      samples += message.nodes.length * Object.keys(message.metrics).length;
    }
  }
  const seconds = (performance.now() - started) / 1000;
  for (const { operator } of regions) await operator.close();
  return samples / seconds;
}

/** JetStream publish capacity of one server: region-sized messages per second, acknowledged. */
async function publishCapacity(
  url: string,
): Promise<{ messagesPerSecond: number; samplesPerMessage: number; bytes: number }> {
  const connection = await connect({ servers: url });
  try {
    const jsm = await jetstreamManager(connection);
    await jsm.streams.add({ name: 'BENCH', subjects: ['bench.>'] });
    const nodes = NODES / REGIONS;
    const message = encode({
      region: 0,
      tick: 0,
      nodes: Array.from({ length: nodes }, (_, i) => i),
      metrics: Object.fromEntries(
        METRIC_NAMES.map((m) => [m, Array.from({ length: nodes }, (_, i) => 12.345678 + i / 7)]),
      ),
    });
    const js = jetstream(connection);
    const started = performance.now();
    const window = 64;
    for (let sent = 0; sent < PUBLISH_MESSAGES; sent += window)
      await Promise.all(
        Array.from({ length: window }, (_, k) => js.publish(`bench.${(sent + k) % REGIONS}`, message)),
      );
    const seconds = (performance.now() - started) / 1000;
    await jsm.streams.delete('BENCH');
    return {
      messagesPerSecond: PUBLISH_MESSAGES / seconds,
      samplesPerMessage: nodes * 8,
      bytes: message.length,
    };
  } finally {
    await connection.close();
  }
}

/** Samples per second through NATS with `engines` engines, until every tick is acknowledged. */
async function throughNats(url: string, engines: number): Promise<number> {
  const { result } = await clusterRun({
    url,
    engines: Array.from({ length: engines }, (_, i) => `bench-${engines}-${i}`),
    hours: TICKS / 3600,
    regions: REGIONS,
    faultsPerKind: 0,
    lead: TICKS,
    settled: true,
  });
  if (result.unacknowledged.length > 0)
    throw new Error(`${result.unacknowledged.length} region ticks unacknowledged`);
  return result.samplesPublished / result.wallSeconds;
}

/** The cluster figures (see the module's comment). */
export async function runClusterBench(): Promise<BenchResult[]> {
  const direct = await directIngest();
  const nats = await startNats();
  const through: number[] = [];
  let capacity: Awaited<ReturnType<typeof publishCapacity>>;
  try {
    for (const engines of [1, 2, 3]) through.push(await throughNats(nats.url, engines));
    capacity = await publishCapacity(nats.url);
  } finally {
    await nats.destroy();
  }
  const target = TARGET_NODES * TARGET_METRICS_PER_SECOND;
  const perEngine = through[0];
  const serverSamples = capacity.messagesPerSecond * capacity.samplesPerMessage;
  const engines = Math.ceil(target / perEngine);
  const servers = Math.ceil(target / serverSamples);
  console.log(
    [
      `projection for ${TARGET_NODES.toLocaleString('en')} nodes x ${TARGET_METRICS_PER_SECOND} metrics/s = ${target.toLocaleString('en')} samples/s:`,
      `  engines: ${engines} (one engine took ${Math.round(perEngine).toLocaleString('en')} samples/s through NATS on one core here;`,
      `    regions of ${NODES / REGIONS} nodes, so ${Math.ceil(TARGET_NODES / (NODES / REGIONS)).toLocaleString('en')} regions, ~${Math.ceil(TARGET_NODES / (NODES / REGIONS) / engines)} per engine)`,
      `  NATS servers: ${servers} (one server stored ${Math.round(capacity.messagesPerSecond).toLocaleString('en')} region messages/s of ${capacity.bytes} bytes,`,
      `    ${Math.round(serverSamples).toLocaleString('en')} samples/s, file storage, acknowledged publishes; R3 replication would triple the servers' writes)`,
    ].join('\n'),
  );
  const rows: BenchResult[] = [
    { name: `direct ingest, ${NODES} nodes in ${REGIONS} regions`, value: direct, unit: 'samples/s' },
  ];
  through.forEach((value, i) =>
    rows.push({
      name: `through NATS, ${i + 1} engine${i === 0 ? '' : 's'}`,
      value,
      unit: 'samples/s',
      baseline: 'direct ingest',
      ratio: value / direct,
    }),
  );
  rows.push(
    {
      name: 'per-sample cost through NATS (1 engine) over direct',
      value: direct / perEngine,
      unit: 'x',
      baseline: 'direct ingest',
      ratio: direct / perEngine,
    },
    {
      name: 'scaling 3 engines over 1',
      value: through[2] / through[0],
      unit: 'x',
      baseline: '1 engine',
      ratio: through[2] / through[0],
    },
    { name: 'JetStream publish, one server', value: serverSamples, unit: 'samples/s' },
    { name: `projected engines for ${TARGET_NODES} nodes x 8 metrics/s`, value: engines, unit: 'engines' },
    {
      name: `projected NATS servers for ${TARGET_NODES} nodes x 8 metrics/s`,
      value: servers,
      unit: 'servers',
    },
  );
  return rows;
}

await runIfMain(import.meta.url, runClusterBench);
