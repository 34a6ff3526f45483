/**
 * Load-scheduler benchmark. (1) Rate accuracy: an in-process no-op at 10 to 100,000 ops/s,
 * achieved rate against the target (target: within 1 %). (2) Scheduler overhead: cost per
 * iteration when saturated, against a bare call of the same no-op, and the CPU share that
 * implies at 100,000 ops/s. (3) Coordinated omission: a single-threaded server that takes 1 ms
 * per request and stalls 100 ms every 1,000th, loaded at 500 ops/s; its true response times
 * follow exactly from the Lindley recursion over the intended arrivals, and the open model's
 * corrected p50/p99/p99.9 must match them within 5 %. Beside them, the same server measured by
 * a closed-loop tester (one request at a time), which omits the requests it never sent during
 * each stall. (4) The ingest preset (scale 0.1: 1 s steps) through the engine Monitor stage:
 * highest stable samples/s.
 * Run: `npx tsx bench/load.bench.ts`.
 */
import { builtinTargets } from '../src/load/builtin-targets.ts';
import { presetScenario } from '../src/load/presets.ts';
import { type LoadResult, runScenario } from '../src/load/run.ts';
import type { Scenario } from '../src/load/scenario.ts';
import type { BenchResult } from './types.ts';
import { runIfMain } from './report.ts';

const noop = (): undefined => undefined;

/**
 * HDR semantics: the smallest recorded value with at least p % of values at or below it (the
 * rank ignores a floating-point hair above an integer, as HDR does).
 */
function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.max(1, Math.ceil((p / 100) * sorted.length - 1e-9)) - 1];
}

async function rateAccuracy(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const [rate, seconds] of [
    [10, 5],
    [100, 2],
    [1000, 2],
    [10_000, 2],
    [100_000, 2],
  ] as const) {
    const r = await runScenario(noop, {
      name: `noop ${rate}`,
      model: 'open',
      stages: [{ rate, durationMs: seconds * 1000 }],
    });
    const ratio = r.summary.achievedRate / rate;
    results.push({
      name: `open model, no-op at ${rate.toLocaleString('en-US')} ops/s (${r.summary.started} started, ${r.summary.dropped} dropped)`,
      value: r.summary.achievedRate,
      unit: 'ops/s',
      baseline: 'target rate',
      ratio,
      target: 'within 1%',
      met: Math.abs(ratio - 1) <= 0.01 && r.summary.dropped === 0,
    });
    if (rate === 100_000) {
      results.push({
        name: 'start lag at 100,000 ops/s, p99 (no-op corrected latency)',
        value: r.summary.latency.p99,
        unit: 'ms',
      });
    }
  }
  return results;
}

async function overhead(): Promise<BenchResult[]> {
  // Bare call cost of the same no-op, the floor any scheduler adds to.
  const calls = 2_000_000;
  let sink = 0;
  const began = performance.now();
  for (let i = 0; i < calls; i++) sink += noop() === undefined ? 1 : 0;
  const bareNs = ((performance.now() - began) * 1e6) / calls;
  if (sink !== calls) throw new Error('bare loop was optimised away');
  // Ask for far more than the scheduler can start: it runs flat out, so its achieved rate is its capacity.
  const r = await runScenario(noop, {
    name: 'saturated',
    model: 'open',
    stages: [{ rate: 5_000_000, durationMs: 200 }],
  });
  const perIterationNs = 1e9 / r.summary.achievedRate;
  return [
    { name: 'scheduler capacity, no-op target (saturated)', value: r.summary.achievedRate, unit: 'ops/s' },
    {
      name: 'scheduler cost per iteration (start, time, record 2 HDR + series)',
      value: perIterationNs,
      unit: 'ns',
      baseline: 'bare no-op call',
      ratio: perIterationNs / bareNs,
    },
    {
      name: 'scheduler CPU share at 100,000 ops/s (100k x cost per iteration)',
      value: (100_000 * perIterationNs) / 1e7,
      unit: '% of one core',
    },
  ];
}

const CO_RATE = 500;
const CO_SECONDS = 10;
const CO_TRIALS = 3;
/** A run whose completions were released at most this late (p99, ms) is clean: no more trials. */
const CO_QUIET_MS = 0.1;
/** 1 ms per request, 100 ms for every 1,000th (requests 500, 1500, ...). */
const serviceMs = (i: number): number => (i % 1000 === 500 ? 100 : 1);

/**
 * A single-threaded server in wall-clock time: requests are served one at a time in arrival
 * order, request i taking serviceMs(i). It keeps no CPU busy, so a noisy machine delays only
 * when completions are noticed, not the service itself; completions are released by one
 * precise waiter (coarse timer, then yielding) at their exact end times.
 */
class StallingServer {
  private freeAt = 0;
  private served = 0;
  private readonly queue: Array<{ end: number; resolve: () => void }> = [];
  private driving = false;
  /** How late each completion was released: interference from the machine, not the server. */
  readonly lateness: number[] = [];

  readonly call = (): Promise<void> => {
    const end = Math.max(performance.now(), this.freeAt) + serviceMs(this.served++);
    this.freeAt = end;
    return new Promise((resolve) => {
      this.queue.push({ end, resolve });
      if (!this.driving) void this.drive();
    });
  };

  /** p99 of the release lateness in ms. */
  latenessP99(): number {
    const sorted = Float64Array.from(this.lateness).sort();
    return percentile(sorted, 99);
  }

  private async drive(): Promise<void> {
    this.driving = true;
    for (let head = this.queue[0]; head; head = this.queue[0]) {
      const wait = head.end - performance.now();
      if (wait <= 0) {
        this.lateness.push(-wait);
        this.queue.shift()!.resolve();
      } else if (wait > 3) await new Promise((r) => setTimeout(r, wait - 1.5));
      else await new Promise((r) => setImmediate(r));
    }
    this.driving = false;
  }
}

/**
 * Runs `scenario` on a fresh server up to CO_TRIALS times and keeps the quietest run (lowest
 * release lateness, which is judged without looking at the latency figures being checked).
 */
async function quietestRun(
  scenario: Scenario,
): Promise<{ result: LoadResult; lateness: number; trials: number }> {
  let best: { result: LoadResult; lateness: number; trials: number } | undefined;
  for (let trial = 1; trial <= CO_TRIALS && !(best && best.lateness <= CO_QUIET_MS); trial++) {
    const server = new StallingServer();
    const result = await runScenario(server.call, scenario);
    const lateness = server.latenessP99();
    if (!best || lateness < best.lateness) best = { result, lateness, trials: trial };
    best.trials = trial;
  }
  return best!;
}

async function coordinatedOmission(): Promise<BenchResult[]> {
  const durationMs = CO_SECONDS * 1000;
  const openRun = await quietestRun({
    name: 'stalling server, open model',
    model: 'open',
    stages: [{ rate: CO_RATE, durationMs }],
  });
  // A closed-loop tester (one request at a time, as wrk and most naive testers do) on the same server.
  const closedRun = await quietestRun({
    name: 'stalling server, closed loop',
    model: 'closed',
    stages: [{ concurrency: 1, durationMs }],
  });
  const open = openRun.result;
  const closed = closedRun.result;
  // Truth: arrivals every 2 ms into the FIFO server: the Lindley recursion, exactly.
  const n = open.summary.scheduled;
  const truth = new Float64Array(n);
  let free = 0;
  for (let i = 0; i < n; i++) {
    const arrival = (i * 1000) / CO_RATE;
    free = Math.max(arrival, free) + serviceMs(i);
    truth[i] = free - arrival;
  }
  truth.sort();
  const rows: BenchResult[] = [
    {
      name: `stalling server: machine interference, completion release lateness p99 (quietest of ${openRun.trials} runs)`,
      value: openRun.lateness,
      unit: 'ms',
    },
  ];
  for (const [label, p, key] of [
    ['p50', 50, 'p50'],
    ['p99', 99, 'p99'],
    ['p99.9', 99.9, 'p999'],
  ] as const) {
    const expected = percentile(truth, p);
    const measured = open.summary.latency[key];
    rows.push({
      name: `stalling server ${label}, open model, CO-corrected`,
      value: measured,
      unit: 'ms',
      baseline: `truth ${expected.toFixed(3)} ms`,
      ratio: measured / expected,
      target: 'within 5%',
      met: Math.abs(measured / expected - 1) <= 0.05,
    });
    rows.push({
      name: `stalling server ${label}, closed-loop tester (uncorrected)`,
      value: closed.summary.latency[key],
      unit: 'ms',
      baseline: `truth ${expected.toFixed(3)} ms`,
      ratio: closed.summary.latency[key] / expected,
    });
  }
  return rows;
}

async function ingestLimit(): Promise<BenchResult[]> {
  const r = await runScenario(builtinTargets().ingest, presetScenario('ingest', 0.1));
  const stable = r.stress?.highestStableRate ?? 0;
  return [
    {
      name: `ingest preset (scale 0.1), engine Monitor, batches of ${r.batchSize}`,
      value: stable * r.batchSize,
      unit: 'samples/s',
      target: '>= 1M samples/s',
      met: stable * r.batchSize >= 1_000_000,
    },
  ];
}

/** Runs the load benchmark and returns its figures. */
export async function runLoadBench(): Promise<BenchResult[]> {
  const co = await coordinatedOmission();
  return [...(await rateAccuracy()), ...(await overhead()), ...co, ...(await ingestLimit())];
}

await runIfMain(import.meta.url, runLoadBench);
