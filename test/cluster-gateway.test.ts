/**
 * The cluster's HTTP gateway (`x0tta6bl4 serve --publish`, issue 16 section 2: "serve publishes
 * what it ingests"), with a real nats-server and real processes: a gateway takes a simulated
 * 40-node mesh's telemetry over HTTP as NDJSON (a CPU exhaustion injected on one node), one engine
 * (`serve --nats`) consumes it from JetStream. Checked: every sample the gateway accepted is
 * published and acknowledged by the engine (counted), the engine opens an incident on the faulty
 * node, its action reaches the gateway's webhook executor (a receiver this test runs) and is
 * answered; a sample for an unknown node is refused and counted; with NATS away a submission is
 * answered 503 and its samples counted as failed, not lost in silence; and a second gateway with
 * another topology is refused (exit 2) instead of feeding engines partitioned for the first.
 * In-process, the framing: one message per region and tick, a newer value superseding an older one
 * of the same tick (counted), a metric a node did not send carried as null and read by the engine
 * as no value (NaN), and a restarted gateway keeping the layout there.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeliverPolicy, jetstream } from '@nats-io/jetstream';
import { NatsGateway } from '../src/cluster/gateway.ts';
import { localIndex, regionBatch } from '../src/cluster/region-worker.ts';
import { regionView } from '../src/cluster/layout.ts';
import {
  type ClusterEventMessage,
  decode,
  eventsSubject,
  TELEMETRY_STREAM,
  type TelemetryMessage,
} from '../src/cluster/subjects.ts';
import { PlanOnlyExecutor } from '../src/execute/plan-only.ts';
import { DEFAULT_ACTIONS } from '../src/plan/actions.ts';
import { parseEngineConfig } from '../src/serve/config.ts';
import { parseTopology } from '../src/serve/topology.ts';
import { MeshSimulator, METRIC_NAMES } from '../src/sim/index.ts';
import { type EngineProcess, startEngine, stopEngine } from './cluster-process.ts';
import { type ServeProcess, serveFailure, startServe } from './serve-process.ts';
import { startNats, type TestNats } from './servers/nats.ts';

const NODES = 40;
const REGIONS = 2;
/** The tick the CPU exhaustion starts at: the detectors have learnt the mesh by then. */
const FAULT_START = 240;
/** Ticks per POST. */
const CHUNK_TICKS = 30;

let nats: TestNats;
let dir: string;
let receiver: Server;
let receiverUrl: string;
/** What the webhook receiver was asked, in order. */
const webhookCalls: Array<{ id: string; phase: string; action: string; target: { node?: string } }> = [];

beforeAll(async () => {
  nats = await startNats();
  dir = await mkdtemp(join(tmpdir(), 'x0tta6bl4-gateway-'));
  receiver = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      webhookCalls.push(JSON.parse(body));
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/actions`;
}, 60_000);

afterAll(async () => {
  await new Promise((resolve) => receiver?.close(resolve));
  await nats?.destroy();
  await rm(dir, { recursive: true, force: true });
});

/** The gateway's counters from its /metrics text, by family name and labels as written. */
async function metrics(url: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const values = new Map<string, number>();
  for (const line of text.split('\n'))
    if (line && !line.startsWith('#')) {
      const at = line.lastIndexOf(' ');
      values.set(line.slice(0, at), Number(line.slice(at + 1)));
    }
  return values;
}

/** Polls `done` every 200 ms until it holds; fails with `what` after `timeoutMs`. */
async function until(done: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('serve --publish: the HTTP gateway of engines over NATS', () => {
  it('publishes every accepted sample, the engine acknowledges them all, and its action comes back to the gateway', {
    timeout: 300_000,
  }, async () => {
    const sim = new MeshSimulator({ seed: 7, topology: { kind: 'geometric', nodes: NODES } });
    const t = sim.topology;
    const faulty = t.nodeIds.find((_, i) => !t.isGateway[i] && t.neighbors(i).length >= 2)!;
    sim.inject({ kind: 'cpu-exhaustion', target: { node: faulty }, start: FAULT_START, severity: 0.9 });
    const topologyFile = join(dir, 'topology.json');
    await writeFile(
      topologyFile,
      JSON.stringify({
        nodes: t.nodeIds.map((id, i) => ({ id, x: t.x[i], y: t.y[i] })),
        links: Array.from(t.linkFrom, (from, l) => [t.nodeIds[from], t.nodeIds[t.linkTo[l]]]),
        gateways: t.nodeIds.filter((_, i) => t.isGateway[i]),
      }),
    );
    const configFile = join(dir, 'config.json');
    await writeFile(
      configFile,
      JSON.stringify({
        tickSeconds: 1,
        latenessSeconds: 0,
        executor: { kind: 'webhook', url: receiverUrl },
        limits: { requestTimeoutMs: 3000 },
      }),
    );
    /** The next `ticks` ticks of the mesh as NDJSON lines, one per reporting node and metric. */
    const nextTicks = (ticks: number): string[] => {
      const lines: string[] = [];
      for (let k = 0; k < ticks; k++) {
        const frame = sim.tick();
        for (let i = 0; i < NODES; i++)
          if (frame.reporting[i])
            for (const metric of METRIC_NAMES)
              lines.push(
                JSON.stringify({
                  ts: frame.tick,
                  node: t.nodeIds[i],
                  metric,
                  value: frame.metrics[metric][i],
                }),
              );
      }
      return lines;
    };

    let gateway: ServeProcess | undefined;
    let engine: EngineProcess | undefined;
    let watcher: NatsConnection | undefined;
    try {
      gateway = await startServe('node', [
        '--publish',
        nats.url,
        '--topology',
        topologyFile,
        '--config',
        configFile,
        '--regions',
        String(REGIONS),
        '--port',
        '0',
      ]);
      engine = await startEngine(nats.url, 'e1', ['--config', configFile]);

      // The engine's events, as it publishes them.
      watcher = await connect({ servers: nats.url });
      let acked = 0;
      const incidents: Array<{ id: string; nodes: string[] }> = [];
      const results: Array<{ id: string; outcome: string }> = [];
      const subscription = watcher.subscribe(eventsSubject('*'), {
        callback: (error, message) => {
          if (error) return;
          const event = decode<ClusterEventMessage>(message.data, 'events');
          if (event.kind === 'acked') acked += event.samples;
          else if (event.event.type === 'incident-opened')
            incidents.push(event.event.incident as { id: string; nodes: string[] });
          else if (event.event.type === 'action-result')
            results.push(event.event.action as { id: string; outcome: string });
        },
      });
      await watcher.flush();

      const post = (lines: string[]) =>
        fetch(`${gateway!.url}/v1/samples`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-ndjson' },
          body: `${lines.join('\n')}\n`,
        });
      let accepted = 0;
      let ticks = 0;
      const applied = () =>
        webhookCalls.some((call) => call.phase === 'apply' && call.target.node === faulty);
      // A live feed: chunks until the action came back to the gateway's executor, then a minute more
      // for the engine to judge it.
      let after = 0;
      while (after < 60) {
        if (ticks > FAULT_START + 600)
          throw new Error(`no action on ${faulty}: ${engine.stderr().slice(-2000)}`);
        const lines = nextTicks(CHUNK_TICKS);
        ticks += CHUNK_TICKS;
        const response = await post(lines);
        const answer = (await response.json()) as { accepted: number; refused: unknown[] };
        expect(response.status, JSON.stringify(answer)).toBe(202);
        expect(answer).toMatchObject({ accepted: lines.length, refused: [] });
        accepted += answer.accepted;
        if (applied()) after += CHUNK_TICKS;
      }

      // A sample of a node the topology does not have is refused and counted; the rest is taken.
      const stray = await post([
        JSON.stringify({ ts: ticks + 5, node: 'nowhere', metric: 'cpu', value: 0.5 }),
      ]);
      expect(stray.status).toBe(202);
      expect(await stray.json()).toMatchObject({
        accepted: 0,
        refusedSeries: [{ reason: 'unknown-node', node: 'nowhere', samples: 1 }],
      });

      // Every accepted sample published, none failed, and every one acknowledged by the engine.
      const published = await metrics(gateway.url);
      expect(published.get('x0tta6bl4_gateway_samples_published_total')).toBe(accepted);
      expect(published.get('x0tta6bl4_samples_received_total')).toBe(accepted);
      expect(published.get('x0tta6bl4_gateway_samples_failed_total')).toBe(0);
      expect(published.get('x0tta6bl4_samples_refused_total{reason="unknown-series"}')).toBe(1);
      expect(published.get('x0tta6bl4_gateway_ticks_published_total')).toBe(ticks);
      await until(
        () => acked === accepted,
        60_000,
        () => `acknowledged ${acked} of ${accepted}; ${engine!.stderr().slice(-1500)}`,
      );

      // The engine found the fault, and the action it asked for came back to it answered.
      const incident = incidents.find((i) => i.nodes.includes(faulty));
      expect(incident, JSON.stringify(incidents)).toBeDefined();
      const answered = () =>
        results.some((r) => webhookCalls.some((call) => call.phase === 'apply' && call.id === r.id));
      await until(answered, 30_000, () => `no result of an applied action; ${engine!.stderr().slice(-1500)}`);
      const actions = await metrics(gateway.url);
      expect(actions.get('x0tta6bl4_gateway_actions_total{op="apply",outcome="ok"}')).toBeGreaterThanOrEqual(
        1,
      );
      expect(gateway.stderr()).toMatch(new RegExp(`apply \\S+ on ${faulty} for e1: ok`));

      // NATS away: a submission is answered 503 once its tick could not be stored, its samples counted as failed.
      await nats.stop();
      try {
        const lines = nextTicks(1);
        const refused = await post(lines);
        expect(refused.status).toBe(503);
        expect(refused.headers.get('retry-after')).toBe('1');
        expect(await refused.json()).toMatchObject({ accepted: 0, error: 'unavailable' });
        const failed = await metrics(gateway.url);
        expect(failed.get('x0tta6bl4_gateway_samples_failed_total')).toBe(lines.length);
        expect(failed.get('x0tta6bl4_gateway_samples_published_total')).toBe(accepted);
      } finally {
        await nats.start();
      }

      const stopped = await gateway.stop();
      expect(stopped.code, gateway.stderr()).toBe(0);
      const final = JSON.parse(gateway.stdout().trim().split('\n').at(-1)!) as {
        stats: { samplesPublished: number; pendingSamples: number };
      };
      expect(final.stats).toMatchObject({ samplesPublished: accepted, pendingSamples: 0 });
      subscription.unsubscribe();
    } finally {
      await watcher?.close();
      if (gateway && gateway.child.exitCode === null) await gateway.stop('SIGKILL');
      if (engine) await stopEngine(engine);
    }
  });

  it('refuses to publish a mesh other than the layout the engines are partitioned by (exit 2)', {
    timeout: 60_000,
  }, async () => {
    const other = join(dir, 'other.json');
    await writeFile(other, JSON.stringify({ nodes: [{ id: 'a' }, { id: 'b' }], links: [['a', 'b']] }));
    const failure = await serveFailure('node', ['--publish', nats.url, '--topology', other, '--port', '0']);
    expect(failure.code).toBe(2);
    expect(failure.stderr).toMatch(
      /topology: does not match the cluster's layout .*2 nodes, the layout has 40/,
    );
  });
});

describe('the gateway in-process: framing and layout', () => {
  let own: TestNats;
  let connection: NatsConnection;
  beforeAll(async () => {
    own = await startNats();
    connection = await connect({ servers: own.url });
  });
  afterAll(async () => {
    await connection?.close();
    await own?.destroy();
  });

  const topology = parseTopology({
    nodes: ['a', 'b', 'c', 'd'].map((id) => ({ id })),
    links: [
      ['a', 'b'],
      ['b', 'c'],
      ['c', 'd'],
    ],
  });
  const config = parseEngineConfig({
    tickSeconds: 1,
    latenessSeconds: 0,
    metrics: [{ name: 'cpu' }, { name: 'memory' }],
  });
  const open = (regions?: number) =>
    NatsGateway.open({
      connection,
      config,
      executor: new PlanOnlyExecutor(DEFAULT_ACTIONS, { isNode: () => true }),
      topology,
      ...(regions !== undefined ? { regions } : {}),
    });

  it('publishes one message per region and tick, newest value kept, a missing metric as no value', async () => {
    const gateway = await open(2);
    try {
      const row = (ts: number, node: string, metric: string, value: number) => ({
        source: node,
        metric,
        ts,
        value,
      });
      const answer = await gateway.submit([
        row(10, 'a', 'cpu', 0.1),
        row(10.5, 'a', 'cpu', 0.2),
        row(10, 'a', 'memory', 0.3),
        row(10, 'b', 'cpu', 0.4),
        row(10, 'd', 'memory', 0.5),
        // A later tick, so tick 10 closes with it.
        row(11, 'a', 'cpu', 0.6),
      ]);
      expect(answer).toEqual({ accepted: true, samples: 6 });
      await gateway.drain();
      expect(gateway.stats()).toMatchObject({
        samplesReceived: 6,
        samplesPublished: 5,
        samplesSuperseded: 1,
        samplesFailed: 0,
        ticksPublished: 2,
        pendingSamples: 0,
      });

      const consumer = await jetstream(connection).consumers.get(TELEMETRY_STREAM, {
        deliver_policy: DeliverPolicy.All,
      });
      const messages: TelemetryMessage[] = [];
      while (messages.length < gateway.stats().messagesPublished) {
        const message = await consumer.next({ expires: 5000 });
        if (message) messages.push(decode<TelemetryMessage>(message.data, 'telemetry'));
      }
      const index = (id: string) => gateway.nodes.indexOf(id);
      const tick10 = messages.filter((m) => m.tick === 10);
      expect(tick10.map((m) => m.region).sort()).toEqual([...new Set(gateway.layout.regionOf)].sort());
      const regionOfA = gateway.layout.regionOf[index('a')];
      const withA = tick10.find((m) => m.region === regionOfA)!;
      const a = withA.nodes.indexOf(index('a'));
      expect(withA.metrics.cpu[a]).toBe(0.2);
      expect(withA.metrics.memory[a]).toBe(0.3);
      // b sent no memory: null on the wire, no value (NaN) for the engine's region.
      const b = withA.nodes.indexOf(index('b'));
      // The chain a-b-c-d in two regions: a and b share one.
      expect(b).toBeGreaterThanOrEqual(0);
      expect(withA.metrics.memory[b]).toBeNull();
      const view = regionView(gateway.layout, regionOfA);
      const batch = regionBatch(view, localIndex(view), withA);
      expect(Number.isNaN(batch.columns.memory[b])).toBe(true);
      expect(batch.columns.cpu[b]).toBe(0.4);
      expect(messages.filter((m) => m.tick === 11)).toEqual([
        { region: regionOfA, tick: 11, nodes: [index('a')], metrics: { cpu: [0.6] } },
      ]);
    } finally {
      await gateway.close();
    }
    expect(await gateway.submit([{ source: 'a', metric: 'cpu', ts: 12, value: 1 }])).toMatchObject({
      accepted: false,
      reason: 'draining',
    });
  });

  it('a restarted gateway keeps the layout there, and refuses other regions than it has', async () => {
    const first = await open(2);
    const layout = first.layout;
    await first.close();
    const again = await open();
    expect(again.layout).toEqual(layout);
    await again.close();
    await expect(open(3)).rejects.toThrow(/regions: the cluster's layout has 2 regions, not 3/);
  });
});
