/**
 * Learning that survives a restart: two-day runs on 50-node meshes (bench/restart-days.ts). An
 * engine heals day 1 (12 simulated hours, 20 faults of each kind) and registers what it learnt
 * (success rates, scoring adapter, detector state with its normal ranges, past incidents) in a
 * PGlite store's model registry. Day 2 (the next 12 hours of the same mesh, its clock and daily
 * cycle going on, another fault schedule) is healed three ways: by a new engine that restores the
 * learnt models from that store ("day 2 restored", what the issue asks about), by a new engine
 * on an empty store ("day 2 fresh"), and by day 1's engine going on without a restart ("day 2
 * continued", the reference a lossless restart would match).
 *
 * The seed family: meshes 1-3, each with two fault schedules, A = the mesh's seed and B = it
 * plus 1000, run in both orders (A then B, B then A). So every day heals the same faults (each
 * schedule once per mesh), and a fault's outcome on one day pairs with the same fault's on
 * another: 120 faults of each kind per day, 1,080 in all.
 *
 * Which comparison answers the issue ("day 2 heals at least as well and no slower than day 1"):
 * day 2 restored against day 1, over those same faults (only the hours of the day differ). Day 2
 * fresh, the same faults at the same hours with nothing restored, tells what the restored
 * learning does (and day 2 fresh against day 1 what the hours of the day do); day 2 continued
 * tells what the restart itself loses. One fault moves a kind's share by 0.8 points (1/120), so
 * gaps of a few points are noise: each share carries its Wilson 95% interval, and each paired
 * difference Newcombe's 95% interval for paired proportions (method 10) with the faults day 2
 * restored gained and lost; a gap whose interval spans 0 is not told apart from noise.
 *
 * Time to recover (MTTR): ticks from the fault's start to the action that healed it, so a slower
 * detection counts too; per day its mean with a normal 95% interval and its median, and, over
 * the faults healed on both days compared, the mean paired difference with its 95% interval.
 *
 * What it showed (meshes 4-5, held out, alike): over all kinds no gap between day 2 restored and
 * day 1, fresh or continued is told apart from noise. Per kind, of the 27 paired intervals of the
 * healed share none misses 0 on meshes 1-3 and two do on meshes 4-5 (cpu-exhaustion above fresh,
 * link-degradation below it), about what 27 intervals at 95% give by chance. Where day 2
 * restored and another day part on a fault, mostly both chose the same first action and the
 * simulator's draw of whether it takes effect went the other way (its stream is not the same on
 * every day); the restored engine's decisions match the continued engine's. The one pattern seen
 * on every run: an engine with a day behind it, restored or continued, detects link faults
 * (flapping, degradation) a quarter to half a tick later and misses a few more than a fresh
 * one, with fewer false alarms; that is the detector's learning, not something the restart
 * loses.
 *
 * Also false alarms per hour, the wall time of a day and the time to save and restore the learnt
 * models. The six jobs (48 simulated hours each, about three minutes of CPU in all; seven
 * minutes of wall time on a busy two-core machine) run in two child processes at a time on a
 * machine with two cores or more, one at a time otherwise.
 * Run alone with `npx tsx bench/restart.bench.ts`, or through `npm run bench`.
 */
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { printTarget } from '../src/domain/targets.ts';
import type { FaultOutcome } from '../src/run/evaluate.ts';
import { runIfMain } from './report.ts';
import { type DayOutcome, HOURS, type TwoDayJob, type TwoDays } from './restart-days.ts';
import { median } from './timing.ts';
import type { BenchResult } from './types.ts';

const MESHES = [1, 2, 3];
/** Schedule B of a mesh is its schedule A (its seed) plus this. */
const SECOND_SCHEDULE = 1000;
/** The normal quantile of a two-sided 95% interval. */
const Z95 = 1.959964;

const repo = fileURLToPath(new URL('..', import.meta.url));
const childScript = fileURLToPath(new URL('./restart-days.ts', import.meta.url));

/** Both orders of each mesh's two schedules (A = the mesh's seed, B = A + 1000). */
export function restartJobs(meshes: readonly number[]): TwoDayJob[] {
  return meshes.flatMap((mesh) => [
    { mesh, firstSchedule: mesh, secondSchedule: mesh + SECOND_SCHEDULE },
    { mesh, firstSchedule: mesh + SECOND_SCHEDULE, secondSchedule: mesh },
  ]);
}

/** Runs one job in a child process and reads its days from the child's stdout. */
function runChild(job: TwoDayJob): Promise<TwoDays> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', childScript, JSON.stringify(job)], {
      cwd: repo,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    let errors = '';
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => (errors = (errors + chunk.toString()).slice(-4000)));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code === 0) resolve(JSON.parse(Buffer.concat(out).toString()) as TwoDays);
      else reject(new Error(`restart-days ${JSON.stringify(job)} exited with ${code}: ${errors}`));
    });
  });
}

/** Every job's days, `parallel` child processes at a time (default: two, or one on one core). */
export async function restartRuns(
  jobs: readonly TwoDayJob[] = restartJobs(MESHES),
  parallel = Math.min(2, availableParallelism()),
): Promise<TwoDays[]> {
  const results: TwoDays[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const at = next++;
      results[at] = await runChild(jobs[at]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, jobs.length) }, worker));
  return results;
}

/** A fault's identity across days: mesh, schedule, kind, target and start within its day. */
function faultKey(day: DayOutcome, fault: FaultOutcome): string {
  return `${day.mesh}/${day.schedule}/${fault.kind}/${printTarget(fault.target)}/${fault.injectedAt - day.startTick}`;
}

/** Ticks from a fault's start to the action that healed it; undefined when none did. */
function timeToRecover(fault: FaultOutcome): number | undefined {
  return fault.healedAt === undefined ? undefined : fault.healedAt - fault.injectedAt;
}

/** Wilson's 95% score interval of `k` successes in `n`. */
export function wilson(k: number, n: number): [number, number] {
  if (n === 0) return [0, 1];
  const p = k / n;
  const z2 = Z95 * Z95;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (Z95 / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/**
 * The difference of two paired shares (first minus second) with Newcombe's 95% interval for
 * paired proportions (method 10: Wilson intervals of each share, joined by the pairs'
 * correlation); `gained` pairs hold only in the first, `lost` only in the second.
 */
export function pairedDifference(pairs: ReadonlyArray<readonly [boolean, boolean]>): {
  difference: number;
  low: number;
  high: number;
  gained: number;
  lost: number;
} {
  const n = pairs.length;
  const both = pairs.filter(([x, y]) => x && y).length;
  const gained = pairs.filter(([x, y]) => x && !y).length;
  const lost = pairs.filter(([x, y]) => !x && y).length;
  const neither = n - both - gained - lost;
  if (n === 0) return { difference: 0, low: -1, high: 1, gained, lost };
  const p1 = (both + gained) / n;
  const p2 = (both + lost) / n;
  const [l1, u1] = wilson(both + gained, n);
  const [l2, u2] = wilson(both + lost, n);
  const margins = (both + gained) * (lost + neither) * (both + lost) * (gained + neither);
  const phi = margins > 0 ? (both * neither - gained * lost) / Math.sqrt(margins) : 0;
  const difference = p1 - p2;
  const low = difference - Math.sqrt((p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2);
  const high = difference + Math.sqrt((u1 - p1) ** 2 - 2 * phi * (u1 - p1) * (p2 - l2) + (p2 - l2) ** 2);
  return { difference, low, high, gained, lost };
}

/** Mean of `xs` with a normal 95% interval. */
function meanInterval(xs: readonly number[]): { mean: number; low: number; high: number } {
  const n = xs.length;
  if (n === 0) return { mean: Number.NaN, low: Number.NaN, high: Number.NaN };
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const variance = n > 1 ? xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1) : 0;
  const half = Z95 * Math.sqrt(variance / n);
  return { mean, low: mean - half, high: mean + half };
}

const DAYS = {
  first: 'day 1',
  restored: 'day 2 restored',
  fresh: 'day 2 fresh',
  continued: 'day 2 continued',
} as const;
/** The days day 2 restored is compared with, fault by fault. */
const AGAINST = ['first', 'fresh', 'continued'] as const;
type DayName = keyof typeof DAYS;

/** One day's faults of one kind (or all), keyed across days. */
type Pool = Map<string, FaultOutcome>;

function pools(runs: readonly TwoDays[], name: DayName, kind: string | undefined): Pool {
  const pool: Pool = new Map();
  for (const run of runs)
    for (const fault of run[name].faults)
      if (kind === undefined || fault.kind === kind) {
        const key = faultKey(run[name], fault);
        if (pool.has(key)) throw new Error(`two faults of ${DAYS[name]} are both ${key}`);
        pool.set(key, fault);
      }
  return pool;
}

const percent = (x: number) => (x * 100).toFixed(1);
const points = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}`;
const ticks = (x: number) => x.toFixed(1);

/** The healed and MTTR rows of one kind (or all kinds). */
function rows(label: string, days: Record<DayName, Pool>): BenchResult[] {
  const keys = [...days.first.keys()];
  for (const name of ['restored', 'fresh', 'continued'] as const)
    if (days[name].size !== keys.length || keys.some((k) => !days[name].has(k)))
      throw new Error(`${label}: ${DAYS[name]} did not heal the same faults as day 1`);
  const healed = (name: DayName, key: string) => days[name].get(key)?.healedAt !== undefined;
  const share = (name: DayName) => keys.filter((k) => healed(name, k)).length / keys.length;
  const ttr = (name: DayName) => keys.flatMap((k) => timeToRecover(days[name].get(k)!) ?? []);
  const results: BenchResult[] = [];
  for (const name of Object.keys(DAYS) as DayName[]) {
    const k = keys.filter((key) => healed(name, key)).length;
    const [low, high] = wilson(k, keys.length);
    results.push({
      name: `${label}: healed, ${DAYS[name]}`,
      value: share(name),
      unit: `share (${k}/${keys.length}; 95% ${percent(low)}-${percent(high)}%)`,
      ...(name === 'first' ? {} : { baseline: 'day 1', ratio: share(name) / share('first') }),
      ...(name === 'restored' ? { target: '>= day 1', met: share('restored') >= share('first') } : {}),
    });
  }
  for (const against of AGAINST) {
    const d = pairedDifference(keys.map((k) => [healed('restored', k), healed(against, k)] as const));
    results.push({
      name: `${label}: healed, day 2 restored - ${DAYS[against]} (same faults)`,
      value: d.difference * 100,
      unit: `points (95% ${points(d.low)} to ${points(d.high)}; +${d.gained} -${d.lost} faults)`,
    });
  }
  const mean = (name: DayName) => meanInterval(ttr(name)).mean;
  for (const name of Object.keys(DAYS) as DayName[]) {
    const times = ttr(name);
    const m = meanInterval(times);
    results.push({
      name: `${label}: MTTR, ${DAYS[name]}`,
      value: m.mean,
      unit: `ticks mean (95% ${ticks(m.low)}-${ticks(m.high)}; median ${times.length ? median(times) : Number.NaN}; ${times.length} healed)`,
      ...(name === 'first' ? {} : { baseline: 'day 1', ratio: m.mean / mean('first') }),
      ...(name === 'restored' ? { target: '<= day 1', met: !(mean('restored') > mean('first')) } : {}),
    });
  }
  for (const against of AGAINST) {
    const differences = keys.flatMap((k) => {
      const a = timeToRecover(days.restored.get(k)!);
      const b = timeToRecover(days[against].get(k)!);
      return a === undefined || b === undefined ? [] : [a - b];
    });
    const d = meanInterval(differences);
    results.push({
      name: `${label}: MTTR, day 2 restored - ${DAYS[against]} (faults healed on both)`,
      value: d.mean,
      unit: `ticks (95% ${ticks(d.low)} to ${ticks(d.high)}; ${differences.length} faults)`,
    });
  }
  return results;
}

/** The figures of some two-day runs: per kind and over all kinds, false alarms, wall times. */
export function summariseRestartRuns(runs: readonly TwoDays[]): BenchResult[] {
  const kinds = [...new Set(runs.flatMap((r) => r.first.faults.map((f) => f.kind)))].sort();
  const perKind = runs.reduce((sum, r) => sum + r.first.faults.length, 0) / kinds.length;
  const results: BenchResult[] = [
    {
      name: 'faults of each kind per day (same faults every day; one fault moves a share by 1/n)',
      value: perKind,
      unit: 'faults',
    },
  ];
  for (const kind of [...kinds, undefined])
    results.push(
      ...rows(kind ?? 'all kinds', {
        first: pools(runs, 'first', kind),
        restored: pools(runs, 'restored', kind),
        fresh: pools(runs, 'fresh', kind),
        continued: pools(runs, 'continued', kind),
      }),
    );
  const perHour = (name: DayName) =>
    runs.reduce((sum, r) => sum + r[name].falseAlarms, 0) / (runs.length * HOURS);
  const seconds = (name: DayName) => runs.reduce((sum, r) => sum + r[name].seconds, 0) / runs.length;
  const average = (xs: number[]) => (xs.reduce((a, b) => a + b, 0) / xs.length) * 1000;
  for (const name of Object.keys(DAYS) as DayName[])
    results.push({
      name: `false alarms, ${DAYS[name]}`,
      value: perHour(name),
      unit: 'per hour',
      ...(name === 'first' ? {} : { baseline: 'day 1', ratio: perHour(name) / perHour('first') }),
    });
  for (const name of Object.keys(DAYS) as DayName[])
    results.push({ name: `wall time of a day (${HOURS} h), ${DAYS[name]}`, value: seconds(name), unit: 's' });
  results.push(
    {
      name: 'save of the learnt models (end of day 1)',
      value: average(runs.map((r) => r.saveSeconds)),
      unit: 'ms',
    },
    {
      name: 'restore of the learnt models (start of day 2)',
      value: average(runs.map((r) => r.restoreSeconds)),
      unit: 'ms',
    },
  );
  return results;
}

/** The two-day runs of the seed family, summarised. */
export async function runRestartBench(): Promise<BenchResult[]> {
  return summariseRestartRuns(await restartRuns());
}

await runIfMain(import.meta.url, runRestartBench);
