/**
 * A world that changes under the engine: 24 simulated hours on a 50-node mesh, 40 faults of each
 * kind, and at hour 12 rollback-config stops healing bad-config while failover starts to
 * (src/sim/world-change.ts). How long does the engine take to notice and to recover?
 *
 * Configurations, each on meshes 1, 2 and 3 (the same faults for all):
 * - `posteriors`: success posteriors that keep every outcome, the scoring adapter held still. The
 *   planner has no switch that turns its adapter off (its learning rate must be > 0), so it is
 *   given a learning rate of 1e-9: the adapter starts at zero (LoRA's B = 0) and stays there.
 * - `posteriors + adapter`: the engine as shipped (the adapter learns at its default rate).
 * - `posteriors + shadow` and `posteriors + adapter + shadow`: the same champions, each with a
 *   challenger in its shadow whose posteriors forget (discount 0.7, src/mlops/shadow.ts), promoted
 *   when a one-sided exact sign test over at least 20 scored incidents gives p <= 0.05.
 *
 * Figures per configuration (means over the meshes; per-mesh values in the names' brackets):
 * - notice: hours from the change to the first detected bad-config fault from which on the
 *   planner never again tries rollback-config first (the run's remaining hours when it never stops);
 * - dead first choices: bad-config faults after the change whose first action was rollback-config;
 * - recovery: hours from the change until the healed share of the last 5 bad-config faults
 *   (injected after the change) is back within 10 points of the share before it (0 when it never
 *   fell that far; the remaining hours when it never came back);
 * - healed share and median time to recover of bad-config before and after the change, and the
 *   share healed by the first action after it (the loop's next attempts hide a dead first choice
 *   from the healed share: they cost time, not the fault);
 * - promotions and the hours from the change to the first (mean over the meshes that had one).
 * A configuration's figures carry their ratio to those of the one it adds to (the in-run baseline):
 * the adapter's to `posteriors`, a shadow's to the same champion without it.
 * Twelve runs of 24 h, five to ten minutes on a busy two-core machine. Run alone with
 * `npx tsx bench/world-change.bench.ts`, or `npm run bench -- world-change`.
 */
import { IdSource } from '../src/knowledge/ids.ts';
import { RUNBOOKS } from '../src/rag/runbooks.generated.ts';
import { createEngineParts } from '../src/run/defaults.ts';
import { Evaluator, type FaultOutcome } from '../src/run/evaluate.ts';
import { MeshLoop, type MeshLoopOptions } from '../src/run/mesh-loop.ts';
import type { WorldChange } from '../src/sim/index.ts';
import { runIfMain } from './report.ts';
import { median } from './timing.ts';
import type { BenchResult } from './types.ts';

const HOURS = 24;
const FAULTS_PER_KIND = 40;
const MESHES = [1, 2, 3];
const CHANGE: WorldChange = {
  atTick: 12 * 3600,
  kind: 'bad-config',
  stops: 'rollback-config',
  starts: 'failover',
};
/** Faults in the rolling healed share. */
const ROLLING = 5;
/** How close to the share before the change the rolling share must come back. */
const WITHIN = 0.1;

/** The adapter held still: the planner's smallest learning rate short of none (see the module comment). */
const ADAPTER_STILL = { learningRate: 1e-9 };
const SHADOW: MeshLoopOptions['shadow'] = { challenger: { discount: 0.7 }, minIncidents: 20, alpha: 0.05 };

const CONFIGURATIONS: ReadonlyArray<{
  name: string;
  /** The configuration this one adds to. */
  baseline?: string;
  planner?: MeshLoopOptions['planner'];
  shadow?: MeshLoopOptions['shadow'];
}> = [
  { name: 'posteriors', planner: ADAPTER_STILL },
  { name: 'posteriors + adapter', baseline: 'posteriors' },
  { name: 'posteriors + shadow', baseline: 'posteriors', planner: ADAPTER_STILL, shadow: SHADOW },
  { name: 'posteriors + adapter + shadow', baseline: 'posteriors + adapter', shadow: SHADOW },
];

/** What one run says about the change. */
interface Figures {
  notice: number;
  deadFirstChoices: number;
  recovery: number;
  healedBefore: number;
  healedAfter: number;
  firstHealedAfter: number;
  ttrBefore: number;
  ttrAfter: number;
  promotions: number;
  firstPromotion: number;
  seconds: number;
}

async function run(seed: number, configuration: (typeof CONFIGURATIONS)[number]): Promise<Figures> {
  const parts = await createEngineParts();
  const started = performance.now();
  const mesh = await MeshLoop.create({
    ...parts,
    seed,
    hours: HOURS,
    faultsPerKind: FAULTS_PER_KIND,
    ids: new IdSource(),
    worldChange: CHANGE,
    ...(configuration.planner ? { planner: configuration.planner } : {}),
    ...(configuration.shadow ? { shadow: configuration.shadow } : {}),
  });
  const runbookFaults = new Map(RUNBOOKS.map((r) => [r.id, r.faults]));
  const evaluator = new Evaluator(mesh.sim, mesh.loop.events, (id) => runbookFaults.get(id));
  for (let t = 0; t < HOURS * 3600; t++) await mesh.step();
  await mesh.loop.close();
  await parts.close();
  const seconds = (performance.now() - started) / 1000;
  const report = evaluator.report({ seed, hours: HOURS });
  const promotions = mesh.shadow?.transitions.filter((t) => t.action === 'promote') ?? [];
  return {
    ...figures(report.faults.filter((f) => f.kind === CHANGE.kind)),
    promotions: promotions.length,
    firstPromotion: promotions.length ? hoursAfterChange(promotions[0].tick) : Number.NaN,
    seconds,
  };
}

function hoursAfterChange(tick: number): number {
  return (tick - CHANGE.atTick) / 3600;
}

function figures(
  faults: readonly FaultOutcome[],
): Omit<Figures, 'promotions' | 'firstPromotion' | 'seconds'> {
  const remaining = hoursAfterChange(HOURS * 3600);
  const before = faults.filter((f) => f.injectedAt < CHANGE.atTick);
  const after = faults
    .filter((f) => f.injectedAt >= CHANGE.atTick)
    .sort((a, b) => a.injectedAt - b.injectedAt);
  const dead = (f: FaultOutcome) => f.actions[0]?.action === CHANGE.stops;
  const lastDead = after.findLastIndex(dead);
  const noticedBy = after.slice(lastDead + 1).find((f) => f.detectedAt !== undefined);
  const notice = noticedBy ? hoursAfterChange(noticedBy.detectedAt!) : remaining;
  const healed = (fs: readonly FaultOutcome[]) =>
    fs.length ? fs.filter((f) => f.healedAt !== undefined).length / fs.length : Number.NaN;
  const floor = healed(before) - WITHIN;
  let recovery = 0;
  let fell = false;
  for (let i = ROLLING - 1; i < after.length; i++) {
    const share = healed(after.slice(i - ROLLING + 1, i + 1));
    if (share < floor) fell = true;
    else if (fell) {
      recovery = hoursAfterChange(after[i].injectedAt);
      fell = false;
    }
  }
  if (fell) recovery = remaining;
  return {
    notice,
    deadFirstChoices: after.filter(dead).length,
    recovery,
    healedBefore: healed(before),
    healedAfter: healed(after),
    firstHealedAfter: after.length
      ? after.filter((f) => f.actions[0]?.outcome === 'healed').length / after.length
      : Number.NaN,
    ttrBefore: medianTtr(before),
    ttrAfter: medianTtr(after),
  };
}

/** Median ticks from detection to heal of the faults healed; NaN when none was. */
function medianTtr(faults: readonly FaultOutcome[]): number {
  const ttr = faults.flatMap((f) =>
    f.healedAt !== undefined && f.detectedAt !== undefined ? [f.healedAt - f.detectedAt] : [],
  );
  return ttr.length === 0 ? Number.NaN : median(ttr);
}

/** Every configuration on every mesh: per configuration, the mean of each figure (and the per-mesh values). */
export async function runWorldChangeBench(): Promise<BenchResult[]> {
  const runs = new Map<string, Figures[]>();
  for (const configuration of CONFIGURATIONS) {
    const figs: Figures[] = [];
    for (const seed of MESHES) figs.push(await run(seed, configuration));
    runs.set(configuration.name, figs);
  }
  // Over the meshes where the figure exists (a first promotion only where there was one).
  const mean = (figs: readonly Figures[], key: keyof Figures) => {
    const values = figs.map((f) => f[key]).filter(Number.isFinite);
    return values.length ? values.reduce((sum, v) => sum + v, 0) / values.length : Number.NaN;
  };
  const each = (figs: readonly Figures[], key: keyof Figures) =>
    `[${figs.map((f) => (Number.isFinite(f[key]) ? Number(f[key].toFixed(2)) : '-')).join(', ')}]`;
  const rows: Array<{ key: keyof Figures; label: string; unit: string; lowerIsBetter?: boolean }> = [
    {
      key: 'notice',
      label: 'notice: hours until rollback-config is no longer tried first',
      unit: 'h',
      lowerIsBetter: true,
    },
    {
      key: 'deadFirstChoices',
      label: 'dead first choices after the change',
      unit: 'faults',
      lowerIsBetter: true,
    },
    {
      key: 'recovery',
      label: `recovery: hours until the healed share of ${ROLLING} is within ${WITHIN * 100} points`,
      unit: 'h',
      lowerIsBetter: true,
    },
    { key: 'healedBefore', label: 'bad-config healed before the change', unit: 'share' },
    { key: 'healedAfter', label: 'bad-config healed after the change', unit: 'share' },
    {
      key: 'firstHealedAfter',
      label: 'bad-config healed by the first action after the change',
      unit: 'share',
    },
    { key: 'ttrBefore', label: 'bad-config median time to recover before', unit: 'ticks' },
    { key: 'ttrAfter', label: 'bad-config median time to recover after', unit: 'ticks', lowerIsBetter: true },
    { key: 'promotions', label: 'promotions', unit: 'count' },
    { key: 'firstPromotion', label: 'first promotion, hours after the change', unit: 'h' },
    { key: 'seconds', label: `wall time of a run (${HOURS} h)`, unit: 's' },
  ];
  const results: BenchResult[] = [];
  for (const configuration of CONFIGURATIONS) {
    const figs = runs.get(configuration.name)!;
    const baseline = configuration.baseline === undefined ? undefined : runs.get(configuration.baseline)!;
    for (const row of rows) {
      const value = mean(figs, row.key);
      const base = baseline ? mean(baseline, row.key) : Number.NaN;
      const compared = row.lowerIsBetter && base > 0;
      results.push({
        name: `${configuration.name}: ${row.label} ${each(figs, row.key)}`,
        value,
        unit: row.unit,
        ...(compared ? { baseline: configuration.baseline, ratio: value / base } : {}),
      });
    }
  }
  return results;
}

await runIfMain(import.meta.url, runWorldChangeBench);
