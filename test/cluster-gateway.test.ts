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
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClusterEventMessage, decode, eventsSubject } from '../src/cluster/subjects.ts';
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
