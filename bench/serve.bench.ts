/**
 * Serve benchmark (issue 12, section 7): the engine as `x0tta6bl4 serve` runs it (ServeEngine,
 * createHandler, listen() on Node) in a process of its own, pinned to one core with `taskset -c 1`
 * when there is one, driven over loopback from this process. Three ways in
 * (bench/serve-workloads.ts): NDJSON in batches of 1,000 samples, columnar batches of a whole
 * 1,000-node tick, and Prometheus remote write of 1,000 series; for each, and for each shape of
 * telemetry (at its own pace: every series every 10 ms, so the loop ticks once per 800,000
 * samples, the ingest figure; loop-bound: every series once a second, so the loop ticks once per
 * 8,000 samples and the rate is its tick rate), the highest rate the engine takes (samples
 * answered 2xx per second with RUN_SECONDS of CONNECTIONS requests in flight) and the p99 request
 * latency at half that rate. Every figure is measured by two load generators side by side: the
 * project's own (src/load's scheduler with its HDR recording and coordinated-omission correction:
 * the closed model for the maximum, the open model for the latency) and autocannon. The load
 * tester's target here is a keep-alive node:http client, not src/load's fetch-based httpTarget:
 * fetch tops out near 4,500 small requests/s on the benchmark machine, below what the server
 * takes, and would measure itself. Bodies are made ahead of each run, so the generators spend the
 * run sending.
 *
 * Baseline, same run: the same listen() in the same pinned process answering 204 once it has read
 * the body, sent the same bodies by the same generators: the transport's ceiling. Each engine rate
 * is also given as a ratio of it. The p99 latencies have their own baseline: Node's http server
 * alone (no fetch-style adapter) answering 204 once it has read the body, pinned the same way and
 * driven at the same rate by the same generators, which on a shared machine is far from zero
 * itself; each engine p99 is also given as a ratio of it. And since rates measured on a machine
 * others share are partly theirs, each maximum-rate run also reads the CPU time the server's
 * process spent on it: samples answered 2xx per CPU second of the server (what one core of its own
 * would take), the engine's as a ratio of the baseline's. After each way in, the engine's own
 * counters (GET /metrics) say how many of the samples it answered 2xx its loop processed and its
 * Monitor accepted, so a rate is never one of refusals. Run: `npx tsx bench/index.ts serve` (about
 * 4 minutes).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { Agent, request } from 'node:http';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { runScenario } from '../src/load/run.ts';
import type { Scenario } from '../src/load/scenario.ts';
import { LoadCallError, type LoadTarget } from '../src/load/target.ts';
import { runIfMain } from './report.ts';
import { LOOP_BOUND, NODES, OWN_PACE, type Shape, WORKLOADS, type Workload } from './serve-workloads.ts';
import type { BenchResult } from './types.ts';

/** The shapes of telemetry each way in is measured with (bench/serve-workloads.ts): the ingest figure first. */
const SHAPES: readonly Shape[] = [OWN_PACE, LOOP_BOUND];
/** Seconds of each measured run. */
const RUN_SECONDS = 3;
/** Seconds of load before a server's first measured run of a way in (JIT, connections). */
const WARMUP_SECONDS = 1;
/** Requests in flight when finding the maximum rate; connections for the latency runs. */
const CONNECTIONS = 16;
/** The issue's latency target at half the maximum rate, ms. */
const P99_TARGET_MS = 10;
/** How long the engine may take to work off its queue after a way in, ms. */
const DRAIN_TIMEOUT_MS = 30_000;
/** The most bytes of bodies made ahead of a run. */
const MADE_AHEAD_BYTES = 128 * 1024 * 1024;

const repo = fileURLToPath(new URL('..', import.meta.url));
const serverScript = fileURLToPath(new URL('./serve-server.ts', import.meta.url));

/** A server process of serve-server.ts. */
interface ServerProcess {
  url: URL;
  stop(): Promise<void>;
}

/** Whether the server can have a core to itself: two or more cores and taskset. */
function canPin(): boolean {
  return availableParallelism() >= 2 && spawnSync('taskset', ['-c', '1', 'true']).status === 0;
}

/**
 * Pins this process (every thread) to core 0, off the server's core; returns what restores its
 * affinity as it was (the other benches of `npm run bench` run in this process too).
 */
function pinSelfOffServerCore(): () => void {
  if (!canPin()) return () => undefined;
  const before = /affinity mask: ([0-9a-f]+)/.exec(
    spawnSync('taskset', ['-p', String(process.pid)]).stdout.toString(),
  )?.[1];
  spawnSync('taskset', ['-a', '-p', '-c', '0', String(process.pid)]);
  return () => {
    if (before) spawnSync('taskset', ['-a', '-p', before, String(process.pid)]);
  };
}

/** Starts serve-server.ts with `args` (pinned to core 1 when possible); resolves once it listens. */
async function startServer(args: string[]): Promise<ServerProcess> {
  const node = [process.execPath, '--import', 'tsx', serverScript, ...args];
  const [command, ...rest] = canPin() ? ['taskset', '-c', '1', ...node] : node;
  const child = spawn(command, rest, { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
  let errors = '';
  child.stderr?.on('data', (chunk: Buffer) => (errors = (errors + chunk.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(
      () => reject(new Error(`serve-server ${args[0]} did not start: ${errors}`)),
      60_000,
    );
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line && out.includes('\n')) {
        clearTimeout(timer);
        resolve((JSON.parse(line) as { port: number }).port);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve-server ${args[0]} exited with ${code}: ${errors}`));
    });
  });
  return { url: new URL(`http://127.0.0.1:${port}`), stop: () => stopChild(child, exited) };
}

async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/**
 * A workload's bodies in order, made ahead of each run where memory allows, so making them
 * (compressing a remote-write body takes a third of a millisecond) does not hold the generators
 * back while they measure; past what was made ahead, they are made as sent.
 */
class Bodies {
  readonly #ahead: Buffer[] = [];
  #head = 0;

  constructor(private readonly make: () => Buffer) {}

  /** The next body of the sequence. */
  readonly next = (): Buffer => {
    if (this.#head >= this.#ahead.length) return this.make();
    const body = this.#ahead[this.#head];
    this.#ahead[this.#head++] = Buffer.alloc(0);
    return body;
  };

  /** Makes bodies until `count` wait (fewer if they would pass MADE_AHEAD_BYTES). */
  prepare(count: number): void {
    this.#ahead.splice(0, this.#head);
    this.#head = 0;
    let bytes = this.#ahead.reduce((sum, b) => sum + b.length, 0);
    while (this.#ahead.length < count && bytes < MADE_AHEAD_BYTES) {
      const body = this.make();
      this.#ahead.push(body);
      bytes += body.length;
    }
  }
}

// As many connections as autocannon opens; calls beyond them wait for one in order, so no request
// overtakes more than CONNECTIONS others (the engine's lateness covers that).
const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });

/** POSTs `body` to `path` on a kept-alive connection; resolves with the status once the answer is read. */
function post(url: URL, path: string, headers: Record<string, string>, body: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        method: 'POST',
        path,
        agent,
        headers: { ...headers, 'content-length': body.length },
      },
      (res) => {
        res.resume();
        res.once('end', () => resolve(res.statusCode ?? 0));
        res.once('error', reject);
      },
    );
    req.once('error', (error) => reject(new LoadCallError('network', error.message)));
    req.end(body);
  });
}

/** A load-tester target sending the workload's next body; a status other than 2xx fails the call under `http_<status>`. */
function loadTarget(url: URL, workload: Workload, next: () => Buffer): LoadTarget {
  return async () => {
    const status = await post(url, workload.path, workload.headers, next());
    if (status < 200 || status >= 300) throw new LoadCallError(`http_${status}`, `answered ${status}`);
  };
}

/** One measurement: requests answered 2xx per second, p99 latency (ms) and the failures by kind. */
interface Measured {
  rate: number;
  p99: number;
  failures: Record<string, number>;
  /** Requests answered 2xx per CPU second of the server's process (maximum-rate runs). */
  perCpuSecond?: number;
}

async function loadTester(
  url: URL,
  workload: Workload,
  next: () => Buffer,
  scenario: Scenario,
): Promise<Measured> {
  const result = await runScenario(loadTarget(url, workload, next), scenario);
  return {
    rate: result.summary.ok / (result.durationMs / 1000),
    p99: result.summary.latency.p99,
    failures: result.summary.errorsByKind,
  };
}

async function cannon(
  url: URL,
  workload: Workload,
  next: () => Buffer,
  overallRate?: number,
): Promise<Measured> {
  const result = await autocannon({
    url: url.href,
    connections: CONNECTIONS,
    duration: RUN_SECONDS,
    ...(overallRate ? { overallRate: Math.round(overallRate) } : {}),
    requests: [
      {
        method: 'POST',
        path: workload.path,
        headers: workload.headers,
        setupRequest: (req) => ({ ...req, body: next() }),
      },
    ],
  });
  const failures: Record<string, number> = {};
  for (const [status, { count }] of Object.entries(result.statusCodeStats))
    if (!status.startsWith('2')) failures[`http_${status}`] = Number(count);
  if (result.errors) failures.errors = result.errors;
  return { rate: result['2xx'] / result.duration, p99: result.latency.p99, failures };
}

/** The CPU time the server at `url` has used, microseconds. */
async function serverCpu(url: URL): Promise<number> {
  return ((await (await fetch(new URL('/__cpu', url))).json()) as { cpu: number }).cpu;
}

/** Runs `measure` and adds the server's 2xx requests per CPU second over it. */
async function withCpu(url: URL, measure: () => Promise<Measured>): Promise<Measured> {
  const before = await serverCpu(url);
  const started = performance.now();
  const measured = await measure();
  const seconds = (performance.now() - started) / 1000;
  const cpuSeconds = ((await serverCpu(url)) - before) / 1e6;
  return { ...measured, perCpuSecond: (measured.rate * seconds) / cpuSeconds };
}

const closed = (name: string, seconds: number): Scenario => ({
  name,
  model: 'closed',
  stages: [{ concurrency: CONNECTIONS, durationMs: seconds * 1000 }],
});

/** The maximum rate by both generators (after a warm-up), requests/s. */
async function maxRates(
  url: URL,
  workload: Workload,
  bodies: Bodies,
): Promise<{ load: Measured; cannon: Measured }> {
  // Enough for the target rate, with a margin.
  const expected = (1.2 * RUN_SECONDS * workload.target) / workload.samplesPerRequest;
  await loadTester(url, workload, bodies.next, closed('warm-up', WARMUP_SECONDS));
  bodies.prepare(expected);
  const load = await withCpu(url, () =>
    loadTester(url, workload, bodies.next, closed(workload.name, RUN_SECONDS)),
  );
  bodies.prepare(expected);
  return { load, cannon: await withCpu(url, () => cannon(url, workload, bodies.next)) };
}

/** The engine's counters, from its /metrics. */
async function engineCounters(url: URL): Promise<Record<string, number>> {
  const text = await (await fetch(new URL('/metrics', url))).text();
  const counters: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const match = /^(x0tta6bl4_[a-z_]+)(\{[^}]*\})? ([0-9.e+-]+)$/.exec(line);
    if (match) counters[match[1] + (match[2] ?? '')] = Number(match[3]);
  }
  return counters;
}

/** Waits until the engine's queue is empty; returns its counters then. */
async function drained(url: URL): Promise<Record<string, number>> {
  const deadline = Date.now() + DRAIN_TIMEOUT_MS;
  for (;;) {
    const counters = await engineCounters(url);
    if (counters.x0tta6bl4_ingest_queue_samples === 0 || Date.now() > deadline) return counters;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function describeFailures(failures: Record<string, number>): string {
  const entries = Object.entries(failures);
  return entries.length ? `; failed: ${entries.map(([kind, n]) => `${n} ${kind}`).join(', ')}` : '';
}

/** The baselines' servers: listen() answering 204 (the ceiling) and node:http alone (the latency baseline). */
interface Baselines {
  ceiling: ServerProcess;
  raw: ServerProcess;
}

/**
 * Bodies for a baseline, which their times do not matter to: it cycles through the first ones, so
 * making bodies costs the generators nothing there and what is measured is the server.
 */
function pooledBodies(workload: Workload, t0: number): Bodies {
  const first = workload.sequence(t0, 1);
  const pool = Array.from({ length: 64 }, first);
  let sent = 0;
  return new Bodies(() => pool[sent++ % pool.length]);
}

/** The p99 latency of node:http alone at `rate` requests/s, by both generators. */
async function rawLatency(
  workload: Workload,
  raw: ServerProcess,
  t0: number,
  open: Scenario,
  rate: number,
): Promise<{ load: Measured; cannon: Measured }> {
  const bodies = pooledBodies(workload, t0);
  return {
    load: await loadTester(raw.url, workload, bodies.next, open),
    cannon: await cannon(raw.url, workload, bodies.next, rate),
  };
}

async function benchWorkload(workload: Workload, baselines: Baselines): Promise<BenchResult[]> {
  const t0 = Math.floor(Date.now() / 1000) + 86_400;
  const per = workload.samplesPerRequest;
  const ceiling = await maxRates(baselines.ceiling.url, workload, pooledBodies(workload, t0));
  const rows: BenchResult[] = [];
  for (const [tool, key] of [
    ['src/load', 'load'],
    ['autocannon', 'cannon'],
  ] as const) {
    rows.push({
      name: `${workload.name}: baseline (204 after reading the body), ${tool}`,
      value: ceiling[key].rate * per,
      unit: 'samples/s',
    });
    rows.push({
      name: `${workload.name}: baseline per CPU second of its process, ${tool}`,
      value: (ceiling[key].perCpuSecond ?? 0) * per,
      unit: 'samples/CPU-s',
    });
  }
  for (const shape of SHAPES) rows.push(...(await benchShape(workload, shape, ceiling, baselines.raw, t0)));
  return rows;
}

/** The engine's rows for a way in and a shape of telemetry: maximum rates, p99 at half, and what its loop processed. */
async function benchShape(
  workload: Workload,
  shape: Shape,
  ceiling: { load: Measured; cannon: Measured },
  raw: ServerProcess,
  t0: number,
): Promise<BenchResult[]> {
  const per = workload.samplesPerRequest;
  const label = `${workload.name}, ${shape.name}`;
  const engine = await startServer(['engine', String(NODES), String(shape.latenessSeconds)]);
  try {
    const bodies = new Bodies(workload.sequence(t0, shape.stepsPerSecond));
    const max = await maxRates(engine.url, workload, bodies);
    const half = Math.max(max.load.rate, max.cannon.rate) / 2;
    const open: Scenario = {
      name: `${label} at half`,
      model: 'open',
      stages: [{ rate: half, durationMs: RUN_SECONDS * 1000 }],
      maxInFlight: 1000,
    };
    bodies.prepare(1.1 * half * RUN_SECONDS);
    const load = await loadTester(engine.url, workload, bodies.next, open);
    bodies.prepare(1.1 * half * RUN_SECONDS);
    const latency = { load, cannon: await cannon(engine.url, workload, bodies.next, half) };
    const counters = await drained(engine.url);
    const rawP99 = await rawLatency(workload, raw, t0, open, half);
    const received = counters.x0tta6bl4_samples_received_total ?? 0;
    const processed = counters.x0tta6bl4_samples_processed_total ?? 0;
    const accepted = counters.x0tta6bl4_samples_accepted_total ?? 0;
    const ticks = counters.x0tta6bl4_ticks_total ?? 0;
    const tickMs = (1000 * (counters.x0tta6bl4_tick_latency_seconds_sum ?? 0)) / Math.max(1, ticks);
    // The slowest tick's bucket: the smallest bound every tick fell under.
    const slowestBound = Object.entries(counters)
      .filter(([name, n]) => name.startsWith('x0tta6bl4_tick_latency_seconds_bucket') && n >= ticks)
      .map(([name]) => Number(/le="([^"]*)"/.exec(name)?.[1]))
      .filter(Number.isFinite)
      .reduce((least, bound) => Math.min(least, bound), Number.POSITIVE_INFINITY);
    const refused = Object.entries(counters)
      .filter(([name]) => name.startsWith('x0tta6bl4_samples_refused_total'))
      .map(([name, n]) => `${n} ${/reason="([^"]*)"/.exec(name)?.[1] ?? '?'}`);

    const rows: BenchResult[] = [];
    for (const [tool, key] of [
      ['src/load', 'load'],
      ['autocannon', 'cannon'],
    ] as const) {
      const value = max[key].rate * per;
      rows.push({
        name: `${label}: engine, ${tool} (${Math.round(max[key].rate)} requests/s${describeFailures(max[key].failures)})`,
        value,
        unit: 'samples/s',
        baseline: `baseline, ${tool}`,
        ratio: value / (ceiling[key].rate * per),
        target: `>= ${workload.target.toLocaleString('en-US')} samples/s`,
        met: value >= workload.target,
      });
      const perCpu = (max[key].perCpuSecond ?? 0) * per;
      rows.push({
        name: `${label}: engine, samples answered 2xx per CPU second of its process, ${tool}`,
        value: perCpu,
        unit: 'samples/CPU-s',
        baseline: `baseline per CPU second, ${tool}`,
        ratio: perCpu / ((ceiling[key].perCpuSecond ?? 0) * per),
        target: `>= ${workload.target.toLocaleString('en-US')} samples/s`,
        met: perCpu >= workload.target,
      });
    }
    for (const [tool, key] of [
      ['src/load open model, CO-corrected', 'load'],
      ['autocannon --overallRate', 'cannon'],
    ] as const) {
      const baseline = `node:http alone at ${Math.round(half)} requests/s, ${tool}`;
      rows.push({
        name: `${label}: baseline p99 (${baseline})${describeFailures(rawP99[key].failures)}`,
        value: rawP99[key].p99,
        unit: 'ms',
      });
      rows.push({
        name: `${label}: engine p99 at half the maximum (${Math.round(half)} requests/s), ${tool}${describeFailures(latency[key].failures)}`,
        value: latency[key].p99,
        unit: 'ms',
        baseline,
        ratio: latency[key].p99 / rawP99[key].p99,
        target: `<= ${P99_TARGET_MS} ms`,
        met: latency[key].p99 <= P99_TARGET_MS,
      });
    }
    rows.push({
      name: `${label}: engine, samples its loop processed in ${ticks} ticks (${tickMs.toFixed(1)} ms each on average, the slowest under ${1000 * slowestBound} ms) (${processed} of the ${received} answered 2xx; the rest wait in open ticks) that its Monitor accepted (refused: ${refused.join(', ') || 'none'})`,
      value: processed ? (100 * accepted) / processed : 0,
      unit: '% accepted by the Monitor',
    });
    return rows;
  } finally {
    await engine.stop();
  }
}

/** Runs the serve benchmark and returns its figures. */
export async function runServeBench(): Promise<BenchResult[]> {
  const unpin = pinSelfOffServerCore();
  const baselines = { ceiling: await startServer(['baseline']), raw: await startServer(['raw']) };
  const results: BenchResult[] = [];
  try {
    for (const workload of WORKLOADS) results.push(...(await benchWorkload(workload, baselines)));
  } finally {
    await baselines.ceiling.stop();
    await baselines.raw.stop();
    agent.destroy();
    unpin();
  }
  return results;
}

await runIfMain(import.meta.url, runServeBench);
