/**
 * `rca` after the fact (issue 12, section 7: it answers in <= 100 ms for a 50-node topology with
 * a day of baseline): learning every series' normal from the baseline and ranking one window's
 * root causes (src/analyze/rca.ts, what the command runs once its files are read), on a 50-node
 * mesh with the simulator's eight metrics, a relay's fault in a 12-point window. The baseline
 * measured in the same run is parsing the same data from NDJSON (parseSamples), the least any
 * answer from a file costs. Two reporting intervals: a day of 5-minute points (115,200 samples)
 * and a day of 15-second scrapes (2.3 million). Each figure is the median of SAMPLES runs.
 * Run alone with `npx tsx bench/rca.bench.ts`, or through `npm run bench`.
 */
import { MeshGraph } from '../src/analyze/graph.ts';
import { learnNormal, rankCauses } from '../src/analyze/rca.ts';
import { DEFAULT_ENGINE_CONFIG, rcaMetrics } from '../src/serve/config.ts';
import type { Sample } from '../src/monitor/ingest.ts';
import { parseSamples } from '../src/monitor/formats/ndjson.ts';
import { runIfMain } from './report.ts';
import { timeMedian } from './timing.ts';
import type { BenchResult } from './types.ts';

const NODES = 50;
const WINDOW = 12;
const TARGET_MS = 100;
const SAMPLES = 7;
const FAULTY = 7;

// The engine's default metrics (the simulator's eight, with their ranges and roles).
const METRICS = rcaMetrics(DEFAULT_ENGINE_CONFIG);
const LEVELS = [30, 50, 0.01, 20, 100, 0.002, 10, 0.9];

const parent = (i: number) => Math.floor((i - 1) / 3);

/** A 50-node tree with a few cross links, routed towards node 0. */
function mesh(): MeshGraph {
  const ids = Array.from({ length: NODES }, (_, i) => `10.0.0.${i}:9100`);
  const links = ids.slice(1).map((id, k) => [id, ids[parent(k + 1)]] as const);
  const graph = new MeshGraph(ids, [...links, [ids[10], ids[11]], [ids[30], ids[40]]], [ids[0]]);
  graph.setRoutes(ids.map((_, i) => (i === 0 ? -1 : parent(i))));
  return graph;
}

/** `points` points every `step` seconds of every series; the relay's fault in the window's last ten. */
function samples(graph: MeshGraph, start: number, points: number, step: number, faulty: boolean): Sample[] {
  let seed = 12345;
  const noise = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32 - 0.5;
  };
  const out: Sample[] = [];
  for (let p = 0; p < points; p++) {
    for (let n = 0; n < graph.size; n++) {
      METRICS.names.forEach((metric, j) => {
        let value = LEVELS[j] * (1 + 0.1 * noise());
        if (faulty && p >= 2 && n === FAULTY && metric === 'errorRate') value = 0.2;
        if (faulty && p >= 3 && parent(n) === FAULTY && metric === 'packetLoss') value = 0.2;
        out.push({ source: graph.nodeIds[n], metric, ts: start + p * step, value });
      });
    }
  }
  return out;
}

function ndjson(list: readonly Sample[]): string {
  return list
    .map((s) => JSON.stringify({ ts: s.ts, node: s.source, metric: s.metric, value: s.value }))
    .join('\n');
}

/** Runs the rca benchmark and returns its figures. */
export async function runRcaBench(): Promise<BenchResult[]> {
  const graph = mesh();
  const results: BenchResult[] = [];
  for (const [label, step] of [
    ['5-minute', 300],
    ['15-second', 15],
  ] as const) {
    const points = 86_400 / step;
    const baseline = samples(graph, 0, points, step, false);
    const window = samples(graph, points * step, WINDOW, step, true);
    const text = ndjson([...baseline, ...window]);
    const answer = () => rankCauses(learnNormal(graph, METRICS, baseline), window);
    const top = answer().causes[0]?.target;
    if (top?.node !== graph.nodeIds[FAULTY])
      throw new Error(`rca bench: the faulty relay is not ranked first (got ${JSON.stringify(top)})`);
    const ms = timeMedian(answer, SAMPLES);
    const parseMs = timeMedian(() => parseSamples(text), SAMPLES);
    const fiveMinute = step === 300;
    results.push({
      name: `rca, 50 nodes x 8 metrics, a day of ${label} baseline (${baseline.length.toLocaleString('en-US')} samples) + ${WINDOW}-point window`,
      value: ms,
      unit: 'ms',
      baseline: 'parsing the same data as NDJSON',
      ratio: ms / parseMs,
      ...(fiveMinute ? { target: `<= ${TARGET_MS} ms`, met: ms <= TARGET_MS } : {}),
    });
  }
  return results;
}

await runIfMain(import.meta.url, runRcaBench);
