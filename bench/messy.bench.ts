/**
 * The engine's figures in a messy world (issue 17 §3): a 300-node mesh over 6 simulated hours,
 * faults arriving at random at 0.1 per node per hour (about three active at a time, overlapping,
 * with cascades), 2% of samples lost (plus late, duplicated and skewed ones and silent agents)
 * and one planned change an hour announced to the engine. Pooled over seeds: every fault of every
 * seed counts once, medians are over all of them.
 *
 * The in-run baseline is the isolated-fault run on the same mesh and seeds (each fault in its own
 * slot, telemetry whole): the ratio is messy / isolated.
 *
 * `npm run bench` runs one seed on the geometric mesh (some two minutes); the full figures, five
 * seeds on each topology, come from running this file alone:
 *   npx tsx bench/messy.bench.ts --seeds 5 --topologies geometric,scale-free,grid
 */
import { parseArgs } from 'node:util';
import { createEngineParts } from '../src/run/defaults.ts';
import type { FaultOutcome, HealingReport } from '../src/run/evaluate.ts';
import { runHealing } from '../src/run/healing-run.ts';
import { telemetryWithLoss, type WorldOptions } from '../src/run/world.ts';
import { maxFaultsPerKind, scheduleArrivals, scheduleFaults, type TopologyKind } from '../src/sim/index.ts';
import { runIfMain } from './report.ts';
import type { BenchResult } from './types.ts';

/** Nodes of the benchmark's mesh. */
export const MESSY_NODES = 300;
/** Simulated hours of each run. */
export const MESSY_HOURS = 6;
/** Faults per node per hour: 300 nodes x 0.1 x a mean fault of 330 ticks is about 2.75 active at a time. */
const FAULT_RATE = 0.1;
const LOSS = 0.02;
const CHANGES_PER_HOUR = 1;
/** Fault-free ticks at the start of either schedule. */
const WARMUP = 600;

/** The messy world of the benchmark. */
export const MESSY_WORLD: WorldOptions = {
  overlap: true,
  faultRate: FAULT_RATE,
  changesPerHour: CHANGES_PER_HOUR,
  telemetry: telemetryWithLoss(LOSS),
};

/** Figures pooled over seeds. */
export interface PooledFigures {
  injected: number;
  detected: number;
  rootCauseTop1: number;
  healed: number;
  mttdMedian: number;
  mttrMedian: number;
  actions: number;
  actionsOnHealthyShare: number;
  actionsOnPlannedChanges: number;
  falseAlarmsPerHour: number;
  /** Mean number of faults the schedule keeps active at a tick after the warm-up, were none healed. */
  meanActive: number;
  /** Faults set off by another. */
  cascades: number;
}

/** Runs `seeds` on `topology`, messy (`world`) or isolated (no world), and pools the figures. */
export async function pooledRun(
  topology: TopologyKind,
  seeds: readonly number[],
  world: WorldOptions | undefined,
): Promise<PooledFigures> {
  const reports: HealingReport[] = [];
  const cascades: number[] = [];
  let scheduledTicks = 0;
  for (const seed of seeds) {
    const parts = await createEngineParts();
    const {
      report,
      groundTruth,
      topology: mesh,
    } = await runHealing({
      nodes: MESSY_NODES,
      hours: MESSY_HOURS,
      seed,
      topology,
      ...(world ? { world } : {}),
      ...parts,
    });
    await parts.close();
    reports.push(report);
    cascades.push(groundTruth.filter((f) => f.cause !== undefined).length);
    const schedule = world
      ? scheduleArrivals({ seed, topology: mesh, hours: MESSY_HOURS, rate: FAULT_RATE }).faults
      : scheduleFaults({ seed, topology: mesh, hours: MESSY_HOURS, perKind: maxFaultsPerKind(MESSY_HOURS) });
    for (const f of schedule) scheduledTicks += f.duration!;
  }
  const after = reports.length * (MESSY_HOURS * 3600 - WARMUP);
  return pool(
    reports,
    cascades.reduce((a, b) => a + b, 0),
    scheduledTicks / after,
  );
}

function pool(reports: HealingReport[], cascades: number, meanActive: number): PooledFigures {
  const faults: FaultOutcome[] = reports.flatMap((r) => r.faults);
  const detected = faults.filter((f) => f.incident !== undefined);
  const healed = faults.filter((f) => f.healedAt !== undefined);
  const actions = reports.reduce((s, r) => s + r.overall.actions, 0);
  const onHealthy = reports.reduce((s, r) => s + r.overall.actionsOnHealthy, 0);
  return {
    injected: faults.length,
    detected: detected.length / faults.length,
    rootCauseTop1: detected.filter((f) => f.rootCauseRank === 1).length / Math.max(1, detected.length),
    healed: healed.length / faults.length,
    mttdMedian: median(detected.map((f) => f.detectedAt! - f.injectedAt)),
    mttrMedian: median(
      healed.filter((f) => f.detectedAt !== undefined).map((f) => f.healedAt! - f.detectedAt!),
    ),
    actions,
    actionsOnHealthyShare: actions ? onHealthy / actions : 0,
    actionsOnPlannedChanges: reports.reduce((s, r) => s + r.overall.actionsOnPlannedChanges, 0),
    falseAlarmsPerHour:
      reports.reduce((s, r) => s + r.overall.falseAlarms, 0) / (reports.length * MESSY_HOURS),
    meanActive,
    cascades,
  };
}

function median(xs: number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** The targets, as rows against the isolated run. */
function rows(label: string, messy: PooledFigures, isolated: PooledFigures): BenchResult[] {
  const row = (
    name: string,
    key: keyof PooledFigures,
    unit: string,
    target?: string,
    met?: (x: number) => boolean,
  ): BenchResult => ({
    name: `${name} (${label})`,
    value: messy[key],
    unit,
    ...(isolated[key] !== 0 ? { baseline: 'isolated faults', ratio: messy[key] / isolated[key] } : {}),
    ...(target && met ? { target, met: met(messy[key]) } : {}),
  });
  return [
    row('faults injected', 'injected', 'faults'),
    row('faults active at a time', 'meanActive', 'faults'),
    row('cascades', 'cascades', 'faults'),
    row('detected', 'detected', 'share', '>= 0.95', (x) => x >= 0.95),
    row('root cause top-1', 'rootCauseTop1', 'share', '>= 0.8', (x) => x >= 0.8),
    row('healed', 'healed', 'share', '>= 0.9', (x) => x >= 0.9),
    row('median time to detect', 'mttdMedian', 'ticks', '<= 3', (x) => x <= 3),
    row('median time to recover', 'mttrMedian', 'ticks', '<= 10', (x) => x <= 10),
    row('actions on healthy targets', 'actionsOnHealthyShare', 'share', '<= 0.02', (x) => x <= 0.02),
    row('actions against planned changes', 'actionsOnPlannedChanges', 'actions', '0', (x) => x === 0),
    row('false alarms', 'falseAlarmsPerHour', 'per hour'),
  ];
}

/**
 * Runs the messy-world benchmark: `seeds` seeds (1..n) on each of `topologies`, against the
 * isolated-fault run of the same seeds.
 */
export async function runMessyBench(
  seedCount = 1,
  topologies: readonly TopologyKind[] = ['geometric'],
): Promise<BenchResult[]> {
  const seeds = Array.from({ length: seedCount }, (_, k) => k + 1);
  const results: BenchResult[] = [];
  for (const topology of topologies) {
    const started = performance.now();
    const messy = await pooledRun(topology, seeds, MESSY_WORLD);
    const isolated = await pooledRun(topology, seeds, undefined);
    const label = `${topology}, ${MESSY_NODES} nodes, ${MESSY_HOURS} h, ${seeds.length} seed${seeds.length > 1 ? 's' : ''}`;
    results.push(...rows(label, messy, isolated), {
      name: `wall time (${label}, both runs)`,
      value: (performance.now() - started) / 1000,
      unit: 's',
    });
  }
  return results;
}

await runIfMain(import.meta.url, () => {
  const { values } = parseArgs({
    options: {
      seeds: { type: 'string', default: '5' },
      topologies: { type: 'string', default: 'geometric' },
    },
  });
  return runMessyBench(Number(values.seeds), values.topologies.split(',') as TopologyKind[]);
});
