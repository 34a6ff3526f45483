import { afterAll, describe, expect, it } from 'vitest';
import { ArgumentError } from '../../src/errors.ts';
import { MemoryStore } from '../../src/knowledge/memory-store.ts';
import type { ModelStore } from '../../src/knowledge/models.ts';
import { PGliteStore } from '../../src/knowledge/pglite-store.ts';
import {
  featureDrift,
  ModelHealthMonitor,
  ModelNotFoundError,
  ModelRegistry,
  ModelTransitionError,
  PageHinkley,
  wasserstein1,
} from '../../src/mlops/index.ts';
import type { AuditEvent } from '../../src/security/audit-entry.ts';
import { Rng } from '../../src/random.ts';

const normals = (seed: number, n: number, mean = 0, sd = 1) => {
  const rng = new Rng(seed);
  return Float64Array.from({ length: n }, () => mean + sd * rng.normal());
};

function behavesLikeARegistry(label: string, open: () => Promise<ModelStore & { close(): Promise<void> }>) {
  describe(`model registry on ${label}`, () => {
    const opened: { close(): Promise<void> }[] = [];
    afterAll(async () => {
      for (const store of opened) await store.close();
    });
    const registry = async () => {
      const store = await open();
      opened.push(store);
      const audit: AuditEvent[] = [];
      let clock = 1_000;
      const reg = new ModelRegistry(store, {
        audit: { append: async (event) => audit.push(event) },
        now: () => (clock += 1),
      });
      return { store, reg, audit };
    };

    it('numbers versions, keeps lineage and tags, and audits each registration first', async () => {
      const { reg, audit } = await registry();
      const v1 = await reg.register({
        name: 'detector.cpu',
        kind: 'detector',
        artefact: { threshold: 3 },
        parameters: { threshold: 3 },
        metrics: { precision: 0.7 },
        dataWindow: { from: 0, to: 3600 },
        tags: ['baseline'],
      });
      const v2 = await reg.register({
        name: 'detector.cpu',
        kind: 'detector',
        artefact: { threshold: 4 },
        parameters: { threshold: 4, zClip: 8 },
        metrics: { precision: 0.8 },
      });
      expect([v1.version, v2.version]).toEqual([1, 2]);
      expect(v1.lineage).toEqual({
        parent: null,
        dataWindow: { from: 0, to: 3600 },
        parameters: { threshold: 3 },
        metrics: { precision: 0.7 },
      });
      expect(v2.lineage.parent).toBe(1);
      expect(v1.digest).toMatch(/^[0-9a-f]{64}$/);
      expect(v1.digest).not.toBe(v2.digest);
      expect(audit.map((e) => [e.kind, (e.data as { version: number }).version])).toEqual([
        ['model.register', 1],
        ['model.register', 2],
      ]);
      expect((await reg.get('detector.cpu')).version).toBe(2);
      expect((await reg.get('detector.cpu@1')).tags).toEqual(['baseline']);
      const diff = await reg.diff('detector.cpu@1', 'detector.cpu@2');
      expect(diff.parameters).toEqual({ threshold: { a: 3, b: 4 }, zClip: { a: undefined, b: 8 } });
      expect(diff.metrics.precision.delta).toBeCloseTo(0.1, 12);
      expect(diff.tags).toEqual({ added: [], removed: ['baseline'] });
      expect(diff.sameArtefact).toBe(false);
    });

    it('promotes and rolls back through the champion stack, auditing every move', async () => {
      const { reg, audit } = await registry();
      for (const w of [1, 2, 3])
        await reg.register({ name: 'adapter', kind: 'scoring-adapter', artefact: { w } });
      await expect(reg.rollback('adapter')).rejects.toThrow(ModelTransitionError);
      await reg.promote('adapter', 1);
      await reg.promote('adapter', 3);
      await reg.promote('adapter', 2, { alias: 'challenger' });
      expect(await reg.aliases('adapter')).toEqual({ champion: 3, challenger: 2 });
      expect((await reg.rollbackTarget('adapter'))?.version).toBe(1);
      const back = await reg.rollback('adapter', { reason: 'health failing' });
      expect(back).toMatchObject({ action: 'rollback', version: 1, reason: 'health failing', seq: 2 });
      expect((await reg.get('adapter@champion')).artefact).toEqual({ w: 1 });
      await expect(reg.rollback('adapter')).rejects.toThrow(/no earlier intact version/);
      // A version registered after a promotion descends from the champion.
      expect(
        (await reg.register({ name: 'adapter', kind: 'scoring-adapter', artefact: { w: 4 } })).lineage.parent,
      ).toBe(1);
      expect(audit.filter((e) => e.kind !== 'model.register').map((e) => [e.kind, e.data])).toEqual([
        ['model.promote', { name: 'adapter', alias: 'champion', from: null, to: 1 }],
        ['model.promote', { name: 'adapter', alias: 'champion', from: 1, to: 3 }],
        ['model.promote', { name: 'adapter', alias: 'challenger', from: null, to: 2 }],
        ['model.rollback', { name: 'adapter', alias: 'champion', from: 3, to: 1, reason: 'health failing' }],
      ]);
      const models = await reg.models();
      expect(models).toEqual([
        {
          name: 'adapter',
          kind: 'scoring-adapter',
          versions: 4,
          latest: 4,
          aliases: { champion: 1, challenger: 2 },
        },
      ]);
    });

    it('refuses bad names, unknown versions, kind changes and corrupted versions by name', async () => {
      const { store, reg } = await registry();
      await expect(reg.register({ name: 'Bad Name', kind: 'onnx', artefact: {} })).rejects.toThrow(
        ArgumentError,
      );
      await expect(reg.register({ name: 'm', kind: 'nope' as 'onnx', artefact: {} })).rejects.toThrow(/kind/);
      await expect(
        reg.register({ name: 'm', kind: 'onnx', artefact: {}, metrics: { auc: Number.NaN } }),
      ).rejects.toThrow(/metrics\.auc/);
      await reg.register({ name: 'm', kind: 'onnx', artefact: { base64: 'AA==' } });
      await expect(reg.register({ name: 'm', kind: 'embedder', artefact: {} })).rejects.toThrow(/onnx model/);
      await expect(reg.register({ name: 'm', kind: 'onnx', artefact: {}, parent: 7 })).rejects.toThrow(
        /no version 7/,
      );
      await expect(reg.get('m@9')).rejects.toThrow(ModelNotFoundError);
      await expect(reg.get('other')).rejects.toThrow(ModelNotFoundError);
      await expect(reg.get('m@challenger')).rejects.toThrow(/no alias challenger/);
      await expect(reg.diff('m@', 'm')).rejects.toThrow(ArgumentError);
      // A version whose stored artefact no longer matches its digest is never promoted.
      const forged = { ...(await reg.get('m@1')), version: 2, artefact: { base64: 'AQ==' } };
      expect(await store.addModelVersion(forged)).toBe(true);
      expect(await store.addModelVersion(forged)).toBe(false);
      await expect(reg.promote('m', 2)).rejects.toThrow(/corrupted/);
    });
  });
}

behavesLikeARegistry('the memory store', async () => new MemoryStore());
behavesLikeARegistry('PGlite', () => PGliteStore.open('memory://'));

describe('drift measures', () => {
  it('Wasserstein-1 is the area between the CDFs: a shift moves it by the shift', () => {
    expect(wasserstein1(Float64Array.of(0, 1, 2), Float64Array.of(0, 1, 2))).toBe(0);
    expect(wasserstein1(Float64Array.of(0, 1, 2), Float64Array.of(3, 4, 5))).toBeCloseTo(3, 12);
    expect(wasserstein1(Float64Array.of(0), Float64Array.of(0, 1))).toBeCloseTo(0.5, 12);
    expect(wasserstein1(Float64Array.of(1, 1, 4), Float64Array.of(2))).toBeCloseTo((1 + 1 + 2) / 3, 12);
    expect(() => wasserstein1(new Float64Array(0), Float64Array.of(1))).toThrow(/a: sample is empty/);
    expect(() => wasserstein1(Float64Array.of(1), Float64Array.of(Number.NaN))).toThrow(
      /b: .*NaN at index 0/,
    );
  });

  it('reads no drift on the same distribution, moderate and major drift on growing shifts', () => {
    const reference = normals(1, 1000);
    const same = featureDrift(reference, normals(2, 500), { backend: 'ts' });
    expect(same.status).toBe('healthy');
    const moderate = featureDrift(reference, normals(3, 500, 0.3), { backend: 'ts' });
    expect(moderate.status).toBe('degraded');
    expect(moderate.wasserstein).toBeGreaterThan(0.2);
    const major = featureDrift(reference, normals(4, 500, 1), { backend: 'ts' });
    expect(major.status).toBe('failing');
    expect(major.psi).toBeGreaterThan(0.25);
    expect(major.reasons.join()).toMatch(/psi .* >= 0.250/);
  });
});

describe('Page-Hinkley on an error stream', () => {
  it('stays quiet on a steady error rate and detects its rise', () => {
    const rng = new Rng(5);
    const ph = new PageHinkley();
    let at = -1;
    for (let i = 0; i < 2000 && at < 0; i++) if (ph.update(rng.chance(i < 1000 ? 0.1 : 0.6) ? 1 : 0)) at = i;
    expect(at).toBeGreaterThanOrEqual(1000);
    expect(at).toBeLessThan(1250);
    expect(ph.detections).toBe(1);
    expect(() => new PageHinkley({ alpha: 0 })).toThrow(/alpha/);
    expect(() => ph.update(Number.NaN)).toThrow(/error/);
  });
});

describe('model health from evidence', () => {
  /** A monitor fed `n` inputs around `shift` and outcomes at the given rates. */
  async function assess(shift: number, confirmedRate: number, successRate: number, errorRise = false) {
    const monitor = new ModelHealthMonitor({ backend: 'ts' });
    monitor.setReference('cpu', normals(10, 1000, 50, 5));
    const rng = new Rng(11);
    const current = normals(12, 300, 50 + shift * 5, 5);
    for (const cpu of current) monitor.observeInputs({ cpu });
    for (let i = 0; i < 40; i++) monitor.recordAnomaly(rng.chance(confirmedRate));
    for (let i = 0; i < 40; i++) monitor.recordDecision(rng.chance(successRate));
    for (let i = 0; i < 40; i++) monitor.recordLatency(5 + rng.next());
    for (let i = 0; i < 400; i++) monitor.recordError(rng.chance(errorRise && i >= 200 ? 0.7 : 0.1) ? 1 : 0);
    return monitor.assess(24);
  }

  it('is unknown with no evidence, never a constant', async () => {
    const report = await new ModelHealthMonitor({ backend: 'ts' }).assess(0);
    expect(report.status).toBe('unknown');
    expect(report.findings.every((f) => f.status === 'insufficient')).toBe(true);
  });

  it('is healthy, degraded, then failing as its inputs and outcomes change', async () => {
    const healthy = await assess(0, 0.95, 0.95);
    expect(healthy.status).toBe('healthy');
    expect(healthy.precision).toBeGreaterThan(0.85);
    expect(healthy.latencyP95Ms).toBeLessThan(7);

    const drifted = await assess(0.3, 0.95, 0.95);
    expect(drifted.status).toBe('degraded');
    expect(drifted.findings.find((f) => f.figure === 'drift.cpu')?.status).toBe('degraded');

    const erring = await assess(0, 0.95, 0.95, true);
    expect(erring.status).toBe('degraded');
    expect(erring.errorDrift.detections).toBeGreaterThan(0);

    const failing = await assess(0, 0.1, 0.3);
    expect(failing.status).toBe('failing');
    expect(failing.findings.filter((f) => f.status === 'failing').map((f) => f.figure)).toEqual([
      'precision',
      'decisionSuccessRate',
    ]);
    const shifted = await assess(2, 0.95, 0.95);
    expect(shifted.status).toBe('failing');
    expect(shifted.drift.cpu.wasserstein).toBeGreaterThan(1.5);
  });

  it('reads the same drift through the stats kernel (default backend) as through its twin', async () => {
    const monitor = new ModelHealthMonitor();
    const reference = normals(20, 400, 10, 2);
    const current = normals(21, 200, 11, 2);
    monitor.setReference('rtt', reference);
    for (const rtt of current) monitor.observeInputs({ rtt });
    const { drift } = await monitor.assess(1);
    const twin = featureDrift(reference, current, { backend: 'ts' });
    expect(drift.rtt.psi).toBeCloseTo(twin.psi, 12);
    expect(drift.rtt.ks).toBe(twin.ks);
    expect(drift.rtt.status).toBe('failing');
  });

  it('judges latency against its budget and refuses bad evidence by name', async () => {
    const monitor = new ModelHealthMonitor({ backend: 'ts', thresholds: { latencyBudgetMs: 10 } });
    for (let i = 0; i < 20; i++) monitor.recordLatency(i < 18 ? 5 : 80);
    expect((await monitor.assess(0)).status).toBe('failing');
    expect(() => monitor.recordLatency(-1)).toThrow(/ms/);
    expect(() => monitor.observeInputs({ mem: 1 })).toThrow(/mem has no reference/);
    expect(() => monitor.setReference('cpu', [1, Number.NaN])).toThrow(/reference\.cpu/);
    await expect(monitor.assess(-1)).rejects.toThrow(/hours/);
  });
});
