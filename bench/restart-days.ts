/**
 * One mesh's two days for bench/restart.bench.ts, run in a child process of its own so that two
 * meshes can run at once on two cores: `node --import tsx bench/restart-days.ts <job JSON>`
 * prints the days' outcomes as JSON on stdout.
 *
 * - An engine that never stops heals 2 x `HOURS` simulated hours: day 1 under one fault schedule,
 *   day 2 under another (a fault schedule ends every fault within its day). At the end of day 1
 *   it takes what it has learnt, as an engine stopping then would (`MeshLoop.learnt`), and goes
 *   on: its day 2 is the reference a lossless restart would match ("day 2 continued").
 * - What it learnt by the end of day 1 is registered in a PGlite store's model registry; day 2
 *   restored starts a new engine on that store, restores the learnt models and heals day 2 of
 *   the same mesh (its clock and daily cycle go on from where day 1 ended).
 * - Day 2 fresh heals the same day from an empty store.
 *
 * Day 2 restored and day 2 fresh start from a new simulator at day 2's first tick, so the mesh is
 * as the schedule left it without day 1's faults and remedies (a scale-up on day 1 is not in
 * force), where the continued engine's mesh still has them.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { IdSource } from '../src/knowledge/ids.ts';
import { PGliteRagStore } from '../src/knowledge/pglite-rag-store.ts';
import { PGliteStore } from '../src/knowledge/pglite-store.ts';
import { RUNBOOKS } from '../src/rag/runbooks.generated.ts';
import { createEngineParts } from '../src/run/defaults.ts';
import { Evaluator, type FaultOutcome, type HealingReport } from '../src/run/evaluate.ts';
import { runHealing } from '../src/run/healing-run.ts';
import {
  type LearntModels,
  type RestoredLearning,
  restoreLearning,
  saveLearning,
} from '../src/run/learning.ts';
import { MeshLoop } from '../src/run/mesh-loop.ts';
import { scheduleFaults } from '../src/sim/index.ts';

/** Simulated hours of a day. */
export const HOURS = 12;
/** Faults of each kind a day: the main job's count in half its 24 hours. */
export const FAULTS_PER_KIND = 20;
const DAY = HOURS * 3600;

/** Which mesh, and the fault schedules (seeds) of its first and second day. */
export interface TwoDayJob {
  mesh: number;
  firstSchedule: number;
  secondSchedule: number;
}

/** What one day gave: its faults' outcomes, false alarms and times. */
export interface DayOutcome {
  /** The mesh (its seed). */
  mesh: number;
  /** The fault schedule's seed. */
  schedule: number;
  /** The day's first tick. */
  startTick: number;
  faults: FaultOutcome[];
  falseAlarms: number;
  /** Wall time of the day's healing. */
  seconds: number;
}

/** The four days of one job, and the times to save and restore the learnt models. */
export interface TwoDays {
  first: DayOutcome;
  continued: DayOutcome;
  restored: DayOutcome;
  fresh: DayOutcome;
  /** Wall time to register what day 1 learnt in the store. */
  saveSeconds: number;
  /** Wall time to restore it at the start of day 2. */
  restoreSeconds: number;
}

/** The faults of `report` that began in [from, to) as one day's outcome. */
function dayOf(
  report: HealingReport,
  day: Omit<DayOutcome, 'faults' | 'falseAlarms'>,
  falseAlarms: number,
): DayOutcome {
  const faults = report.faults.filter(
    (f) => f.injectedAt >= day.startTick && f.injectedAt < day.startTick + DAY,
  );
  return { ...day, faults, falseAlarms };
}

/** Day 1 and day 2 of an engine that never stops, with what it had learnt by the end of day 1. */
async function continuedDays(
  job: TwoDayJob,
): Promise<{ first: DayOutcome; continued: DayOutcome; learnt: LearntModels }> {
  const parts = await createEngineParts();
  try {
    const mesh = await MeshLoop.create({
      ...parts,
      seed: job.mesh,
      faultSeed: job.firstSchedule,
      hours: HOURS,
      faultsPerKind: FAULTS_PER_KIND,
      ids: new IdSource(),
    });
    const topology = mesh.sim.topology;
    for (const spec of scheduleFaults({
      seed: job.secondSchedule,
      topology,
      hours: HOURS,
      perKind: FAULTS_PER_KIND,
    }))
      mesh.sim.inject({ ...spec, start: (spec.start ?? 0) + DAY });
    const runbookFaults = new Map(RUNBOOKS.map((r) => [r.id, r.faults]));
    const evaluator = new Evaluator(mesh.sim, mesh.loop.events, (id) => runbookFaults.get(id));
    const t0 = performance.now();
    for (let tick = 0; tick < DAY; tick++) await mesh.step();
    const learnt = await mesh.learnt();
    const firstReport = evaluator.report({ seed: job.mesh, hours: HOURS });
    const t1 = performance.now();
    for (let tick = 0; tick < DAY; tick++) await mesh.step();
    await mesh.loop.close();
    const report = evaluator.report({ seed: job.mesh, hours: 2 * HOURS });
    const t2 = performance.now();
    const firstAlarms = firstReport.overall.falseAlarms;
    return {
      first: dayOf(
        firstReport,
        { mesh: job.mesh, schedule: job.firstSchedule, startTick: 0, seconds: (t1 - t0) / 1000 },
        firstAlarms,
      ),
      continued: dayOf(
        report,
        { mesh: job.mesh, schedule: job.secondSchedule, startTick: DAY, seconds: (t2 - t1) / 1000 },
        report.overall.falseAlarms - firstAlarms,
      ),
      learnt,
    };
  } finally {
    await parts.close();
  }
}

/** Day 2 of `job` on a store directory, from the learnt models in it when `restore`. */
async function secondDay(
  dir: string,
  job: TwoDayJob,
  restore: boolean,
): Promise<{ day: DayOutcome; restoreSeconds: number }> {
  const store = await PGliteStore.open(dir);
  try {
    const t0 = performance.now();
    const restored: RestoredLearning = restore ? await restoreLearning(store) : { versions: {}, notes: [] };
    const restoreSeconds = (performance.now() - t0) / 1000;
    if (restore && (restored.notes.length > 0 || Object.keys(restored.versions).length !== 4))
      throw new Error(
        `mesh ${job.mesh}: day 2 did not restore all four models: ${restored.notes.join('; ')}`,
      );
    const parts = await createEngineParts({ ragStore: await PGliteRagStore.fromDatabase(store.database) });
    const t1 = performance.now();
    const { report } = await runHealing({
      ...parts,
      seed: job.mesh,
      faultSeed: job.secondSchedule,
      startTick: DAY,
      hours: HOURS,
      faultsPerKind: FAULTS_PER_KIND,
      store,
      ids: new IdSource(),
      learning: restored,
    });
    await parts.close();
    const day = dayOf(
      report,
      {
        mesh: job.mesh,
        schedule: job.secondSchedule,
        startTick: DAY,
        seconds: (performance.now() - t1) / 1000,
      },
      report.overall.falseAlarms,
    );
    return { day, restoreSeconds };
  } finally {
    await store.close();
  }
}

/** Day 1, and day 2 continued, restored from day 1's learnt models, and fresh, of one mesh. */
export async function twoDays(job: TwoDayJob): Promise<TwoDays> {
  const root = await mkdtemp(join(tmpdir(), 'x0tta-restart-bench-'));
  try {
    const { first, continued, learnt } = await continuedDays(job);
    const dir = join(root, 'learnt');
    const store = await PGliteStore.open(dir);
    let saveSeconds: number;
    try {
      const t0 = performance.now();
      await saveLearning(store, learnt, { dataWindow: { from: 0, to: DAY } });
      saveSeconds = (performance.now() - t0) / 1000;
    } finally {
      await store.close();
    }
    const restored = await secondDay(dir, job, true);
    const fresh = await secondDay(join(root, 'empty'), job, false);
    return {
      first,
      continued,
      restored: restored.day,
      fresh: fresh.day,
      saveSeconds,
      restoreSeconds: restored.restoreSeconds,
    };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const job = JSON.parse(process.argv[2] ?? '') as TwoDayJob;
  process.stdout.write(JSON.stringify(await twoDays(job)));
}
