// The default detector on every runtime: scores in [0, 1], deterministic, the wasm kernel equal
// to its TS twin, batch equal to one-by-one, state that survives JSON, counted rejections, and
// an alarm at an injected anomaly on an otherwise steady series.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ArgumentError, DimensionError } from '../../src/errors.ts';
import { DetectorBank, SeriesDetector } from '../../src/kernels/detector/detector.ts';
import { ALARM_THRESHOLD, DEFAULT_PARAMS, S, stateLayout } from '../../src/kernels/detector/params.ts';
import { Rng } from '../../src/random.ts';

/** Seeded uniform draws from the project's generator, so every run sees the same data. */
function prng(seed: number): () => number {
  const rng = new Rng(seed);
  return () => rng.next();
}

/** A daily-seasonal series with noise; `spikeAt` adds one large spike. */
function seasonal(n: number, seed: number, spikeAt = -1): Float64Array {
  const rnd = prng(seed);
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) v[i] = 50 + 10 * Math.sin((2 * Math.PI * i) / 96) + 2 * (rnd() - 0.5);
  if (spikeAt >= 0) v[spikeAt] += 40;
  return v;
}

const stamps = (n: number) => Float64Array.from({ length: n }, (_, i) => i * 300_000);

function runTwin(values: Float64Array): Float64Array {
  const d = new SeriesDetector();
  return values.map((x, i) => d.update(i * 300_000, x));
}

const series = fc
  .array(fc.oneof(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.integer({ min: -3, max: 3 })), {
    minLength: 1,
    maxLength: 300,
  })
  .map((a) => Float64Array.from(a));

describe('default detector', () => {
  it('scores every point in [0, 1], deterministically', () => {
    fc.assert(
      fc.property(series, (values) => {
        const a = runTwin(values);
        const b = runTwin(values);
        expect(Array.from(a)).toEqual(Array.from(b));
        for (const s of a) expect(s >= 0 && s <= 1).toBe(true);
      }),
      { numRuns: 40 },
    );
  });

  it('wasm kernel gives the TS twin scores (within 1e-12: only log differs)', async () => {
    await fc.assert(
      fc.asyncProperty(series, async (values) => {
        const bank = await DetectorBank.create(1, { backend: 'wasm' });
        expect(bank.backend).toBe('wasm');
        const wasm = bank.updateSeries(0, stamps(values.length), values);
        const twin = runTwin(values);
        for (let i = 0; i < values.length; i++)
          expect(Math.abs(wasm[i] - twin[i])).toBeLessThanOrEqual(1e-12);
      }),
      { numRuns: 25 },
    );
    const values = seasonal(3000, 7, 2500);
    const bank = await DetectorBank.create(1, { backend: 'wasm' });
    const wasm = bank.updateSeries(0, stamps(values.length), values);
    const twin = runTwin(values);
    for (let i = 0; i < values.length; i++) expect(Math.abs(wasm[i] - twin[i])).toBeLessThanOrEqual(1e-12);
    expect(bank.saveSeries(0).state.every(Number.isFinite)).toBe(true);
  });

  it('alarms at an injected spike and stays quiet on the steady part', () => {
    const n = 3000;
    const spike = 2500;
    const scores = runTwin(seasonal(n, 11, spike));
    expect(scores[spike]).toBeGreaterThanOrEqual(ALARM_THRESHOLD);
    let falseAlarms = 0;
    for (let i = 500; i < n; i++) if (i !== spike && scores[i] >= ALARM_THRESHOLD) falseAlarms++;
    expect(falseAlarms).toBeLessThanOrEqual(2);
  });

  it('alarms at a lasting shift hidden inside the range of an old spike, by its CUSUM alone', () => {
    // The failure mode of range-gated detectors: after a +400 spike, a +5 shift is neither a new
    // pattern nor a breakout, but it lasts. Without the persistence view it goes unnoticed.
    const rnd = prng(12);
    const n = 3000;
    const values = Float64Array.from({ length: n }, (_, i) => {
      const shift = i >= 2300 && i < 2400 ? 5 : 0;
      return 50 + 2 * Math.sin((2 * Math.PI * i) / 96) + 2 * (rnd() - 0.5) + (i === 800 ? 400 : 0) + shift;
    });
    const alarms = (params: typeof DEFAULT_PARAMS) => {
      const d = new SeriesDetector(params);
      return Array.from(values, (x, i) => d.update(i * 300_000, x)).flatMap((s, i) =>
        s >= ALARM_THRESHOLD ? [i] : [],
      );
    };
    const found = alarms(DEFAULT_PARAMS);
    expect(found[0]).toBe(800);
    expect(found.slice(1).length).toBe(1);
    expect(found[1]).toBeGreaterThanOrEqual(2300);
    expect(found[1]).toBeLessThan(2330);
    expect(alarms({ ...DEFAULT_PARAMS, cusumGate: 1e9 })).toEqual([800]);
  });

  it('an event in its quiet period barely widens the baseline: its points count at most as zFloor deviations', async () => {
    // Steady noise, then a 20-point dip far below it. The dip's first point alarms; the rest fall
    // in the quiet period, where they enter the running variance clipped at zFloor standard
    // deviations (a zClip clip would let them multiply the variance several times over).
    const rnd = prng(11);
    const n = 1200;
    const values = Float64Array.from(
      { length: n },
      (_, i) => 50 + (rnd() - 0.5) * 2 - (i >= 1000 && i < 1020 ? 30 : 0),
    );
    const d = new SeriesDetector();
    const scores = values.map((x, i) => d.update(i * 300_000, x));
    const before = new SeriesDetector();
    for (let i = 0; i < 1000; i++) before.update(i * 300_000, values[i]);
    const after = new SeriesDetector();
    for (let i = 0; i < 1020; i++) after.update(i * 300_000, values[i]);
    expect(scores[1000]).toBeGreaterThanOrEqual(ALARM_THRESHOLD);
    const sdBefore = Math.sqrt(before.save().state[S.variance]);
    const sdAfter = Math.sqrt(after.save().state[S.variance]);
    // About 1.36 here; clipped at zClip instead, the dip would widen it about 5.6 times.
    expect(sdAfter / sdBefore).toBeLessThan(1.6);
    // The alarming point moves the mean by at most zAlpha * zClip standard deviations, each of the
    // 19 quiet points after it by at most zAlpha * zFloor.
    const { zAlpha, zClip, zFloor } = DEFAULT_PARAMS;
    const shift = before.save().state[S.mean] - after.save().state[S.mean];
    expect(shift).toBeGreaterThan(0);
    expect(shift).toBeLessThanOrEqual(zAlpha * (zClip + 19 * zFloor) * sdAfter);
    // The kernel does the same.
    const bank = await DetectorBank.create(1, { backend: 'wasm' });
    bank.updateSeries(0, stamps(1020), values.subarray(0, 1020));
    expect(
      Math.abs(bank.saveSeries(0).state[S.variance] - after.save().state[S.variance]),
    ).toBeLessThanOrEqual(1e-12);
  });

  it('an extreme from long ago stops masking a new one: breakouts are judged against the recent range', () => {
    // Pattern novelty is switched off (vigilance near 1), so only a breakout can score the spike.
    const params = { ...DEFAULT_PARAMS, vigilance: 0.99 };
    const rnd = prng(9);
    const n = 20_200;
    const values = Float64Array.from({ length: n }, () => 50 + 2 * (rnd() - 0.5));
    values[100] = 100;
    values[20_100] = 80;
    const run = (p: typeof params) => {
      const d = new SeriesDetector(p);
      return values.map((x, i) => d.update(i * 300_000, x));
    };
    expect(run(params)[20_100]).toBeGreaterThanOrEqual(ALARM_THRESHOLD);
    expect(run({ ...params, rangeDecay: 0 })[20_100]).toBe(0);
  });

  it('keeps f32 pattern precision whatever the offset: the same shapes at 1e12 score the same', () => {
    // A square wave with a pattern break; f32 near 1e12 has a step of 65536, so features taken
    // from the raw values instead of relative to the first one would blur the shapes.
    const n = 3000;
    const values = Float64Array.from({ length: n }, (_, i) =>
      i >= 2500 && i < 2560 ? 50_000 : (i % 96 < 48 ? 0 : 100_000) + ((i * 7919) % 13) * 100,
    );
    // Pattern view only (the other views' offset invariance is checked above, to rounding).
    const params = { ...DEFAULT_PARAMS, zFloor: 1e9, cusumGate: 1e9 };
    const run = (offset: number) => {
      const d = new SeriesDetector(params);
      return Array.from(values, (x, i) => d.update(i, x + offset));
    };
    const near = run(0);
    expect(run(1e12)).toEqual(near);
    expect(near.flatMap((s, i) => (s >= ALARM_THRESHOLD ? [i] : []))).toEqual([2500]);
  });

  it('scores do not depend on the unit: a series times a power of two scores the same, bit for bit', async () => {
    const values = seasonal(2000, 11, 1500);
    values.fill(values[0], 0, 200); // a flat start: the variance floor alone stands between 0 and 0
    for (let i = 1700; i < 1800; i++) values[i] += 6;
    const want = runTwin(values);
    expect(want.some((v) => v >= ALARM_THRESHOLD)).toBe(true);
    const runWasm = async (v: Float64Array) =>
      Array.from((await DetectorBank.create(1, { backend: 'wasm' })).updateSeries(0, stamps(v.length), v));
    const wantWasm = await runWasm(values);
    for (const factor of [2 ** -20, 2 ** -10, 2 ** 10, 2 ** 30]) {
      const scaled = values.map((x) => x * factor);
      expect(Array.from(runTwin(scaled))).toEqual(Array.from(want));
      expect(await runWasm(scaled)).toEqual(wantWasm);
    }
  });

  it('scores do not depend on the offset: a series moved by 1e6 alarms at the same points', () => {
    const values = seasonal(2000, 12, 1500);
    for (let i = 1700; i < 1800; i++) values[i] += 6;
    const want = runTwin(values);
    const alarms = (s: Float64Array) => Array.from(s).flatMap((v, i) => (v >= ALARM_THRESHOLD ? [i] : []));
    for (const offset of [-1e6, 1e6, 1e9]) {
      const got = runTwin(values.map((x) => x + offset));
      expect(alarms(got)).toEqual(alarms(want));
      for (let i = 0; i < got.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThan(1e-3);
    }
  });

  it('batch and block updates of many series equal feeding each series alone, on both backends', async () => {
    const size = 5;
    const n = 400;
    const data = Array.from({ length: size }, (_, k) => seasonal(n, 100 + k, k * 70 + 100));
    const alone = data.map(runTwin);
    for (const backend of ['wasm', 'ts'] as const) {
      const bank = await DetectorBank.create(size, { backend });
      const tick = new Float64Array(size);
      for (let i = 0; i < n; i++) {
        for (let k = 0; k < size; k++) tick[k] = data[k][i];
        const out = bank.update(i * 300_000, tick);
        for (let k = 0; k < size; k++) expect(Math.abs(out[k] - alone[k][i])).toBeLessThanOrEqual(1e-12);
      }
      expect(bank.count(size - 1)).toBe(n);
      // Blocks of ticks (series-major) give the same scores; 150 ticks spans several kernel calls.
      const blockBank = await DetectorBank.create(size, { backend });
      const ticks = 150;
      for (let first = 0; first < n; first += ticks) {
        const m = Math.min(ticks, n - first);
        const values = new Float64Array(size * m);
        for (let k = 0; k < size; k++) values.set(data[k].subarray(first, first + m), k * m);
        const times = Float64Array.from({ length: m }, (_, t) => (first + t) * 300_000);
        const out = blockBank.updateBlock(times, values);
        for (let k = 0; k < size; k++) {
          for (let t = 0; t < m; t++)
            expect(Math.abs(out[k * m + t] - alone[k][first + t])).toBeLessThanOrEqual(1e-12);
        }
      }
      expect(() => blockBank.updateBlock(new Float64Array(2), new Float64Array(3))).toThrow(DimensionError);
    }
  });

  it('saved state round-trips through JSON and moves between TS and wasm', async () => {
    const values = seasonal(1200, 5, 1000);
    const full = runTwin(values);
    const first = new SeriesDetector();
    for (let i = 0; i < 600; i++) first.update(i * 300_000, values[i]);
    const saved = JSON.parse(JSON.stringify(first.save()));
    const resumed = SeriesDetector.restore(saved);
    const bank = await DetectorBank.restore(
      { version: saved.version, params: saved.params, series: [saved.state] },
      { backend: 'wasm' },
    );
    const rest = bank.updateSeries(0, stamps(1200).subarray(600), values.subarray(600));
    for (let i = 600; i < 1200; i++) {
      expect(resumed.update(i * 300_000, values[i])).toBe(full[i]);
      expect(Math.abs(rest[i - 600] - full[i])).toBeLessThanOrEqual(1e-12);
    }
    // Memory is bounded: the state does not grow with the stream.
    expect(resumed.save().state.length).toBe(saved.state.length);
  });

  it('kernel and twin keep the same state bit for bit while prototypes are replaced, sorted by first coordinate', async () => {
    // Few prototypes and a wandering series, so the memory fills, evicts and reorders often; then
    // the point count jumps near 2^30, where the 30-bit last-match ages wrap.
    const params = { ...DEFAULT_PARAMS, prototypes: 7 };
    const rnd = prng(11);
    let level = 0;
    const values = Float64Array.from({ length: 2000 }, () => (level += rnd() - 0.5) + 3 * rnd());
    const twin = new SeriesDetector(params);
    const bank = await DetectorBank.create(1, { backend: 'wasm', params });
    const layout = stateLayout(params);
    const check = () => {
      const state = twin.save().state;
      expect(bank.saveSeries(0).state).toEqual(state);
      const p32 = new Float32Array(Float64Array.from(state).buffer);
      const first = (q: number) => p32[2 * layout.protos + 16 * (q >> 2) + (q & 3)];
      for (let q = 1; q < state[S.used]; q++) expect(first(q - 1) <= first(q)).toBe(true);
    };
    for (let i = 0; i < 1000; i++) twin.update(i, values[i]);
    bank.updateSeries(
      0,
      Float64Array.from({ length: 1000 }, (_, i) => i),
      values.subarray(0, 1000),
    );
    check();
    const saved = twin.save();
    const state = saved.state.slice();
    state[S.count] = 2 ** 30 - 500;
    const jumpedTwin = SeriesDetector.restore({ ...saved, state });
    const jumpedBank = await DetectorBank.restore(
      { version: saved.version, params: saved.params, series: [state] },
      { backend: 'wasm' },
    );
    const times = Float64Array.from({ length: 1000 }, (_, i) => 2000 + i);
    const wasm = jumpedBank.updateSeries(0, times, values.subarray(1000));
    for (let i = 0; i < 1000; i++)
      expect(Math.abs(jumpedTwin.update(times[i], values[1000 + i]) - wasm[i])).toBeLessThanOrEqual(1e-12);
    expect(jumpedBank.saveSeries(0).state).toEqual(jumpedTwin.save().state);
    expect(jumpedTwin.save().state.every(Number.isFinite)).toBe(true);
  });

  it('kernel and twin keep the same state bit for bit across calibrator rescales', async () => {
    // Fast forgetting makes the shared weight of the z, CUSUM and rate calibrators pass
    // CAL_RESCALE every ~650 points, so all four calibrators are rescaled several times.
    const params = { ...DEFAULT_PARAMS, forgetting: 0.9 };
    const rnd = prng(13);
    const values = Float64Array.from(
      { length: 3000 },
      (_, i) => 20 * Math.sin(i / 15) + 5 * rnd() + (i % 400 === 0 ? 60 : 0),
    );
    const twin = new SeriesDetector(params);
    const bank = await DetectorBank.create(1, { backend: 'wasm', params });
    const times = Float64Array.from({ length: values.length }, (_, i) => i);
    const wasm = bank.updateSeries(0, times, values);
    for (let i = 0; i < values.length; i++)
      expect(Math.abs(twin.update(times[i], values[i]) - wasm[i])).toBeLessThanOrEqual(1e-12);
    expect(bank.saveSeries(0).state).toEqual(twin.save().state);
  });

  it('counts non-finite values and time going backwards as rejections, without changing state', () => {
    const values = seasonal(300, 3);
    const clean = runTwin(values);
    const d = new SeriesDetector();
    for (let i = 0; i < 300; i++) {
      if (i === 150) {
        expect(d.update(i * 300_000, Number.NaN)).toBe(0);
        expect(d.update((i - 5) * 300_000, values[i])).toBe(0);
        expect(d.update(Number.POSITIVE_INFINITY, values[i])).toBe(0);
      }
      expect(d.update(i * 300_000, values[i])).toBe(clean[i]);
    }
    expect(d.rejected).toBe(3);
    expect(d.count).toBe(300);
  });

  it('rejects bad arguments with errors naming them', async () => {
    expect(() => new SeriesDetector({ ...DEFAULT_PARAMS, vigilance: 2 })).toThrow(/params\.vigilance/);
    expect(() => new SeriesDetector({ ...DEFAULT_PARAMS, prototypes: 0 })).toThrow(ArgumentError);
    await expect(DetectorBank.create(0)).rejects.toThrow(/size/);
    await expect(DetectorBank.create(2, { backend: 'gpu' as never })).rejects.toThrow(/backend/);
    const bank = await DetectorBank.create(2, { backend: 'ts' });
    expect(() => bank.update(0, new Float64Array(3))).toThrow(DimensionError);
    expect(() => bank.update(0, [1, 2] as never)).toThrow(/values/);
    expect(() => bank.updateSeries(2, new Float64Array(1), new Float64Array(1))).toThrow(/index/);
    expect(() => SeriesDetector.restore({ version: 99, params: DEFAULT_PARAMS, state: [] })).toThrow(
      /saved\.version/,
    );
    const saved = new SeriesDetector().save();
    expect(() => SeriesDetector.restore({ ...saved, state: saved.state.slice(1) })).toThrow(/saved\.state/);
  });
});
