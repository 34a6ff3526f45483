import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/knowledge/memory-store.ts';
import { PGliteStore } from '../../src/knowledge/pglite-store.ts';
import { featureDrift, ModelHealthMonitor, PageHinkley, wasserstein1 } from '../../src/mlops/index.ts';
import { Rng } from '../../src/random.ts';
import { behavesLikeARegistry } from './helpers/store-contracts.ts';

const normals = (seed: number, n: number, mean = 0, sd = 1) => {
  const rng = new Rng(seed);
  return Float64Array.from({ length: n }, () => mean + sd * rng.normal());
};

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
