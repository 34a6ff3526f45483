import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../src/cli/run.ts';
import { ArgumentError } from '../src/errors.ts';
import { DetectorBank } from '../src/kernels/detector/detector.ts';
import { DetectorPool } from '../src/kernels/detector/pool.ts';
import { S } from '../src/kernels/detector/params.ts';
import { IdSource } from '../src/knowledge/ids.ts';
import { MemoryStore } from '../src/knowledge/memory-store.ts';
import { PGliteAuditStore } from '../src/knowledge/pglite-audit-store.ts';
import { PGliteStore } from '../src/knowledge/pglite-store.ts';
import { openStoreForReading } from '../src/knowledge/store-directory.ts';
import { ModelRegistry } from '../src/mlops/registry.ts';
import { type Diagnosis, FEATURES, UtilityPlanner } from '../src/plan/decision.ts';
import { mean } from '../src/plan/posteriors.ts';
import type { RagDiagnoser } from '../src/rag/diagnoser.ts';
import { fromBase64 } from '../src/security/bytes.ts';
import { createEngineParts } from '../src/run/defaults.ts';
import { runHealing } from '../src/run/healing-run.ts';
import {
  type DetectorArtefact,
  detectorArtefact,
  detectorState,
  LEARNT_MODELS,
  type LearntModels,
  restoreLearning,
  saveLearning,
} from '../src/run/learning.ts';
import { MeshLoop } from '../src/run/mesh-loop.ts';
import { quietly } from './quietly.ts';

const HOUR = 3600;

/** The f64 state blocks an artefact holds, series after series. */
function blocksOf(artefact: DetectorArtefact): Float64Array {
  const bytes = fromBase64(artefact.state);
  return new Float64Array(bytes.buffer, bytes.byteOffset, bytes.length / 8);
}

/** A diagnosis with the signature learnt on day one, a node and a link as causes: every action has a target. */
function diagnosisFor(signature: string, kind: string, mesh: MeshLoop): Diagnosis {
  const topology = mesh.sim.topology;
  return {
    incidentId: 'probe',
    signature,
    kind,
    severity: 0.8,
    metrics: ['cpu'],
    rootCauses: [
      { target: topology.nodeTarget(3), score: 0.9 },
      { target: topology.linkTarget(3), score: 0.9 },
    ],
    recommended: [],
  };
}

/** Counts detector alarms (scores at or above the loop's threshold) per tick, by wrapping `update`. */
function countAlarms(mesh: MeshLoop, threshold: number): number[] {
  const perTick: number[] = [];
  const detector = mesh.detector;
  const update = detector.update.bind(detector);
  detector.update = (ts, values, scores) => {
    const result = update(ts, values, scores);
    perTick.push(scores.filter((s) => s >= threshold).length);
    return result;
  };
  return perTick;
}

describe('learning survives a restart', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'x0tta-learning-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('a restarted engine decides with what it learnt, and its detectors go on without warm-up alarms', async () => {
    const path = join(dir, 'engine');
    // Day one: an hour with a fault of each kind, its knowledge in PGlite.
    const first = await PGliteStore.open(path);
    const parts = await createEngineParts();
    const day1 = await runHealing({
      ...parts,
      seed: 1,
      hours: 1,
      faultsPerKind: 1,
      store: first,
      ids: new IdSource(),
      keepLearning: true,
    });
    await parts.close();
    const learnt = day1.learnt as LearntModels;
    expect(learnt.successRates.length).toBeGreaterThan(0);
    expect(learnt.incidents?.length).toBeGreaterThan(0);
    const registered = await saveLearning(first, learnt, { dataWindow: { from: 0, to: HOUR } });
    expect(registered.map((v) => `${v.name}@${v.version}`)).toEqual(
      Object.values(LEARNT_MODELS).map((name) => `${name}@1`),
    );
    await first.close();

    // The engine stops; a new one starts on the same store.
    const second = await PGliteStore.open(path);
    try {
      const restored = await restoreLearning(second);
      expect(restored.notes).toEqual([]);
      expect(restored.versions).toEqual({ successRates: 1, adapter: 1, detector: 1, incidents: 1 });
      expect(restored.successRates).toEqual(learnt.successRates);
      expect(restored.adapter).toEqual(learnt.adapter);
      expect(restored.detector).toEqual(learnt.detector);
      expect(restored.incidents).toEqual(learnt.incidents);

      const mesh = await MeshLoop.create({
        seed: 1,
        startTick: HOUR,
        faultsPerKind: 0,
        store: second,
        learning: restored,
      });
      const fresh = await MeshLoop.create({ seed: 1, startTick: HOUR, faultsPerKind: 0 });

      // The first decisions use the learnt posteriors, not the prior.
      const learntRate = learnt.successRates.reduce((a, b) => (b.alpha + b.beta > a.alpha + a.beta ? b : a));
      expect(learntRate.alpha + learntRate.beta).toBeGreaterThan(2);
      expect(mesh.planner.successRates.get(learntRate.signature, learntRate.action)).toEqual(learntRate);
      expect(mesh.planner.adapter()).toEqual(learnt.adapter);
      const probe = diagnosisFor(learntRate.signature, learntRate.signature.split('|')[0], mesh);
      const feature = (planner: UtilityPlanner) =>
        planner.plan(probe).candidates.find((c) => c.action === learntRate.action)?.features[FEATURES[0]];
      expect(feature(mesh.planner)).toBeCloseTo(mean(learntRate), 6);
      expect(mean(learntRate)).not.toBeCloseTo(0.5, 2);
      expect(feature(await UtilityPlanner.create())).toBeCloseTo(0.5, 6);

      // The RAG index holds day one's incidents again (this engine's index is in memory).
      const diagnoser = (mesh as unknown as { diagnoser: RagDiagnoser }).diagnoser;
      for (const document of learnt.incidents ?? [])
        expect(diagnoser.analyzer.retriever.get(document.id)).toEqual(document);

      // The detector continues from the saved state: every slot equal but its clock and its hold.
      const saved = blocksOf(learnt.detector as DetectorArtefact);
      const now = (mesh.detector as DetectorBank).save();
      const slots = learnt.detector?.slots ?? 0;
      let differing = 0;
      now.series.forEach((block, k) =>
        block.forEach((value, i) => {
          if (i !== S.lastTs && i !== S.hold && !Object.is(value, saved[k * slots + i])) differing++;
        }),
      );
      expect(differing).toBe(0);
      expect((fresh.detector as DetectorBank).count(0)).toBe(0);
      expect((mesh.detector as DetectorBank).count(0)).toBe(HOUR);

      // Normal telemetry after the restart: the restored engine raises nothing, while the fresh
      // bank is still learning its baselines and alarms more than it will once warm.
      const threshold = 0.65;
      const restoredAlarms = countAlarms(mesh, threshold);
      const freshAlarms = countAlarms(fresh, threshold);
      const opened: number[] = [];
      mesh.loop.on('incident-opened', (e) => opened.push(e.ts));
      for (let t = 0; t < 600; t++) {
        await mesh.step();
        await fresh.step();
      }
      expect(opened).toEqual([]);
      const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
      expect(sum(restoredAlarms.slice(0, 12))).toBe(0);
      expect(sum(freshAlarms.slice(0, 300))).toBeGreaterThan(sum(restoredAlarms.slice(0, 300)));
      expect(sum(freshAlarms.slice(0, 300))).toBeGreaterThan(sum(freshAlarms.slice(300, 600)));
      await mesh.loop.close();
      await fresh.loop.close();
    } finally {
      await second.close();
    }
  }, 120_000);

  it('run --store registers each run as the next version, its parent the one restored, audited', async () => {
    const store = join(dir, 'cli');
    const args = ['--hours', '1', '--faults', '1', '--quiet', '--store', store, '--out', join(dir, 'r.json')];
    for (let run = 0; run < 2; run++) expect((await quietly(() => runCommand(args))).code).toBe(0);
    const opened = await openStoreForReading(store);
    try {
      const registry = new ModelRegistry(opened.knowledge);
      for (const name of Object.values(LEARNT_MODELS)) {
        const versions = await registry.versions(name);
        expect(versions.map((v) => [v.version, v.lineage.parent])).toEqual([
          [1, null],
          [2, 1],
        ]);
        expect(await registry.aliases(name)).toEqual({ champion: 2 });
        expect(versions[1].tags[0]).toMatch(/^run:/);
        expect(versions[1].lineage.metrics.healedRate).toBeGreaterThan(0);
      }
      const audit = await PGliteAuditStore.fromDatabase(opened.knowledge.database);
      const { entries } = await audit.size();
      const kinds = (await audit.entries(0, entries)).map((e) => e.kind);
      expect(kinds.filter((k) => k === 'model.register')).toHaveLength(8);
      expect(kinds.filter((k) => k === 'model.promote')).toHaveLength(8);
    } finally {
      await opened.close();
    }
  }, 120_000);

  it('saves a detector pool as one bank state and reopens it, in other shards, where it stopped', async () => {
    const series = 10;
    const bank = await DetectorBank.create(series);
    let pool = await DetectorPool.open(series, { shards: 2 });
    const values = new Float64Array(series);
    const expected = new Float64Array(series);
    const scores = new Float64Array(series);
    const tick = async (t: number) => {
      values.forEach((_, k) => {
        values[k] = k + Math.sin(0.3 * t + k) + (t === 350 ? 5 : 0);
      });
      bank.update(t, values, expected);
      await pool.update(t, values, scores);
    };
    try {
      for (let t = 1; t <= 300; t++) await tick(t);
      const saved = await pool.save();
      expect(saved).toEqual(bank.save());
      await pool.close();
      pool = await DetectorPool.open(series, { shards: 3, saved });
      let alarms = 0;
      for (let t = 301; t <= 400; t++) {
        await tick(t);
        expect(scores).toEqual(expected);
        alarms += expected.filter((s) => s > 0).length;
      }
      expect(alarms).toBeGreaterThan(0);
      await expect(DetectorPool.open(4, { saved })).rejects.toThrow(ArgumentError);
    } finally {
      await pool.close();
    }
  });

  it('leaves out a damaged model with a note, and restores detector state by series name', async () => {
    const store = new MemoryStore();
    const bank = await DetectorBank.create(4, { backend: 'ts' });
    for (let t = 1; t <= 50; t++)
      bank.update(
        t,
        Float64Array.from([1, 2, 3, 4], (v) => v + Math.sin(t)),
      );
    const artefact = detectorArtefact(bank.save(), ['a', 'b'], ['cpu', 'memory']);
    // Sources in another order and one unknown: b keeps its series, c starts fresh.
    const { state, matched } = detectorState(artefact, ['c', 'b'], ['memory', 'cpu']);
    expect(matched).toBe(2);
    expect(state.series[0].every((v) => v === 0)).toBe(true);
    const saved = bank.save().series;
    expect(state.series[2].filter((_, i) => i !== S.lastTs && i !== S.hold)).toEqual(
      saved[3].filter((_, i) => i !== S.lastTs && i !== S.hold),
    );
    const restarted = await DetectorBank.restore(state, { backend: 'ts' });
    // The clock restarts: a point at time 0 is taken, not rejected as out of order.
    restarted.update(0, Float64Array.from([1, 2, 3, 4]));
    expect(restarted.rejected(2)).toBe(0);
    expect(() => detectorState({ ...artefact, slots: 8 }, ['a'], ['cpu'])).toThrow(/blocks of another size/);

    // Analyze's normal ranges, the long-memory ones included, travel by series name too.
    const ranges = (offset: number) => Array.from({ length: 4 }, (_, k) => k + offset);
    const normal = {
      level: ranges(10),
      spread: ranges(20),
      count: ranges(30),
      longLevel: ranges(40),
      longSpread: ranges(50),
    };
    const withNormal = detectorArtefact(bank.save(), ['a', 'b'], ['cpu', 'memory'], normal);
    expect(detectorState(withNormal, ['c', 'b'], ['memory', 'cpu']).normal).toEqual({
      level: [0, 0, 13, 12],
      spread: [0, 0, 23, 22],
      count: [0, 0, 33, 32],
      longLevel: [0, 0, 43, 42],
      longSpread: [0, 0, 53, 52],
    });
    // An artefact saved before the long-memory ranges existed restores without them.
    const { longLevel: _level, longSpread: _spread, ...older } = normal;
    expect(detectorState({ ...withNormal, normal: older }, ['b'], ['cpu']).normal).toEqual({
      level: [12],
      spread: [22],
      count: [32],
    });
    expect(() =>
      detectorState({ ...withNormal, normal: { ...normal, longSpread: [1] } }, ['b'], ['cpu']),
    ).toThrow(/long-memory normal ranges of another size/);

    const adapter = (await UtilityPlanner.create({ backend: 'ts' })).adapter();
    const rates = [{ signature: 'congestion', action: 'reroute', alpha: 3, beta: 1 }];
    // Not promoted: each start restores the newest version.
    await saveLearning(store, { successRates: rates, adapter, detector: artefact }, { promote: false });
    expect((await restoreLearning(store)).versions).toEqual({ successRates: 1, adapter: 1, detector: 1 });
    // The newest success rates altered in the store after registration; the newest adapter misshapen.
    const [good] = await store.listModelVersions(LEARNT_MODELS.successRates);
    await store.addModelVersion({ ...good, version: 2, artefact: [{ ...rates[0], alpha: 90 }] });
    await new ModelRegistry(store).register({
      name: LEARNT_MODELS.adapter,
      kind: 'scoring-adapter',
      artefact: { ...adapter, b: [1] },
    });
    const restored = await restoreLearning(store);
    expect(restored.successRates).toBeUndefined();
    expect(restored.adapter).toBeUndefined();
    expect(restored.notes).toEqual([
      `${LEARNT_MODELS.successRates}@2 does not match its digest: not restored`,
      `${LEARNT_MODELS.adapter}@2 has weights of the wrong shape: not restored`,
    ]);
    expect(restored.versions).toEqual({ detector: 1 });
  });
});
