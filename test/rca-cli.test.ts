// `x0tta6bl4 rca` on coarse data, as an operator has it: a 50-node mesh whose node ids hold
// colons (host:port), a day of 5-minute baseline, then a dozen points in which one node's errors
// and latency rise and the loss of the nodes forwarding through it follows. The node must rank
// first, --target must split at the last colon, and a window without an anomaly must say so.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RcaOutput, runRcaCommand } from '../src/cli/rca.ts';
import { quietly } from './quietly.ts';

const NODES = 50;
const STEP = 300;
const T0 = 1_780_000_000;
const BASELINE_POINTS = 288;
const WINDOW_POINTS = 12;
/** A relay in the middle of the tree: its parent is node 2, its children 22, 23 and 24. */
const FAULTY = 7;

const id = (i: number) => `10.0.0.${i}:9100`;
const parent = (i: number) => Math.floor((i - 1) / 3);

/** Normal level and noise of each metric (the simulator's eight, the config's defaults). */
const NORMAL: Record<string, [level: number, noise: number]> = {
  cpu: [30, 3],
  memory: [50, 2],
  packetLoss: [0.01, 0.002],
  latencyP95: [20, 2],
  throughput: [100, 5],
  errorRate: [0.002, 0.0005],
  queueDepth: [10, 2],
  linkQuality: [0.9, 0.02],
};

/** A seeded uniform generator (mulberry32): the same data on every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** NDJSON lines of `points` 5-minute points from `start`; `shift` moves a (node, metric, point) off normal. */
function telemetry(
  start: number,
  points: number,
  seed: number,
  shift: (node: number, metric: string, point: number) => number | undefined = () => undefined,
): string {
  const random = seeded(seed);
  const lines: string[] = [];
  for (let p = 0; p < points; p++) {
    for (let n = 0; n < NODES; n++) {
      for (const [metric, [level, noise]] of Object.entries(NORMAL)) {
        const value = shift(n, metric, p) ?? level + (random() * 2 - 1) * noise;
        lines.push(JSON.stringify({ ts: start + p * STEP, node: id(n), metric, value }));
      }
    }
  }
  return `${lines.join('\n')}\n`;
}

let dir: string;
let topology: string;
let baseline: string;
let faulty: string;
let calm: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'x0-rca-'));
  const nodes = Array.from({ length: NODES }, (_, i) => ({ id: id(i) }));
  const links = nodes.slice(1).map((_, k) => [id(k + 1), id(parent(k + 1))]);
  // A few cross links make it a mesh rather than a tree.
  links.push([id(10), id(11)], [id(30), id(40)], [id(5), id(6)]);
  const routes = Object.fromEntries(nodes.slice(1).map((_, k) => [id(k + 1), id(parent(k + 1))]));
  topology = join(dir, 'topology.json');
  await writeFile(topology, JSON.stringify({ nodes, links, gateways: [id(0)], routes }));
  baseline = join(dir, 'baseline.ndjson');
  await writeFile(baseline, telemetry(T0, BASELINE_POINTS, 1));
  const windowStart = T0 + BASELINE_POINTS * STEP;
  // From the third point the relay corrupts and delays; from the fourth, its children lose packets.
  faulty = join(dir, 'window.ndjson');
  await writeFile(
    faulty,
    telemetry(windowStart, WINDOW_POINTS, 2, (node, metric, p) => {
      if (node === FAULTY && p >= 2 && metric === 'errorRate') return 0.15 + 0.01 * p;
      if (node === FAULTY && p >= 2 && metric === 'latencyP95') return 180 + 5 * p;
      if (parent(node) === FAULTY && node !== 0 && p >= 3 && metric === 'packetLoss') return 0.2;
      return undefined;
    }),
  );
  calm = join(dir, 'calm.ndjson');
  await writeFile(calm, telemetry(windowStart, WINDOW_POINTS, 3));
});

afterAll(() => rm(dir, { recursive: true, force: true }));

async function rca(args: string[]): Promise<{ code: number; out: string }> {
  return quietly(() => runRcaCommand(['--topology', topology, '--baseline', baseline, ...args]));
}

describe('rca on a dozen 5-minute points after a day of baseline', () => {
  it('ranks the node whose errors and latency rose first, its loss-stricken children after it', async () => {
    const { code, out } = await rca(['--telemetry', faulty, '--json']);
    expect(code, out).toBe(0);
    const answer = JSON.parse(out) as RcaOutput;
    expect(answer.window).toMatchObject({ interval: STEP, points: WINDOW_POINTS });
    expect(answer.causes[0].target).toEqual({ node: id(FAULTY) });
    expect(answer.causes[0].score).toBeGreaterThan(0.5);
    const evidence = answer.causes[0].evidence.map((e) => e.metric).sort();
    expect(evidence).toEqual(['errorRate', 'latencyP95']);
    expect(answer.incident).toEqual(expect.arrayContaining([id(FAULTY), id(22), id(23), id(24)]));
    expect(answer.baseline.samples).toBe(NODES * 8 * BASELINE_POINTS);
  });

  it('prints the answer for people: window, incident and ranked causes', async () => {
    const { code, out } = await rca(['--telemetry', faulty]);
    expect(code, out).toBe(0);
    expect(out).toMatch(/12 points of 300 s/);
    expect(out).toContain(`  1. ${id(FAULTY)} (`);
  });

  it('--target splits node:metric at the last colon (the node id holds one)', async () => {
    const { code, out } = await rca(['--telemetry', faulty, '--target', `${id(FAULTY)}:errorRate`, '--json']);
    expect(code, out).toBe(0);
    const answer = JSON.parse(out) as RcaOutput;
    expect(answer.target).toMatchObject({ node: id(FAULTY), metric: 'errorRate', moved: true });
    expect(answer.causes[0].target).toEqual({ node: id(FAULTY) });
    // A child's loss asks about the same incident.
    const child = await rca(['--telemetry', faulty, '--target', `${id(23)}:packetLoss`, '--json']);
    expect((JSON.parse(child.out) as RcaOutput).causes[0].target).toEqual({ node: id(FAULTY) });
  });

  it('a window with no anomaly says so', async () => {
    const text = await rca(['--telemetry', calm]);
    expect(text.code, text.out).toBe(0);
    expect(text.out).toMatch(/no anomaly in the window/);
    const json = JSON.parse((await rca(['--telemetry', calm, '--json'])).out) as RcaOutput;
    expect(json.causes).toEqual([]);
    expect(json.anomalous).toEqual([]);
  });

  it('--from takes the recording before it as the baseline', async () => {
    const whole = join(dir, 'whole.ndjson');
    await writeFile(
      whole,
      telemetry(T0, BASELINE_POINTS + WINDOW_POINTS, 4, (node, metric, p) => {
        const q = p - BASELINE_POINTS;
        if (node === FAULTY && q >= 2 && metric === 'errorRate') return 0.2;
        if (parent(node) === FAULTY && q >= 3 && metric === 'packetLoss') return 0.2;
        return undefined;
      }),
    );
    const from = new Date((T0 + BASELINE_POINTS * STEP) * 1000).toISOString();
    const { code, out } = await quietly(() =>
      runRcaCommand(['--topology', topology, '--telemetry', whole, '--from', from, '--json']),
    );
    expect(code, out).toBe(0);
    expect((JSON.parse(out) as RcaOutput).causes[0].target).toEqual({ node: id(FAULTY) });
  });

  it('refuses what it cannot answer with one line naming the argument (exit 2)', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--telemetry', faulty, '--target', 'errorRate'], /--target: expected node:metric/],
      [
        ['--telemetry', faulty, '--target', '10.0.0.99:9100:cpu'],
        /--target: node "10\.0\.0\.99:9100" is not in the topology/,
      ],
      [['--telemetry', faulty, '--target', `${id(1)}:disk`], /--target: metric "disk" is not one of/],
      [['--telemetry', faulty, '--from', 'yesterday'], /--from: expected Unix seconds or an ISO 8601/],
      [
        ['--telemetry', topology],
        /--telemetry: .*topology\.json holds no readable telemetry: every line refused \(line 1: missing-field/,
      ],
    ];
    for (const [args, message] of cases) {
      const { code, out } = await rca(args);
      expect(code, out).toBe(2);
      expect(out.split('\n')[0]).toMatch(message);
    }
    const noBaseline = await quietly(() => runRcaCommand(['--topology', topology, '--telemetry', faulty]));
    expect(noBaseline.code).toBe(2);
    expect(noBaseline.out).toMatch(/^rca: --baseline: missing/);
  });
});
