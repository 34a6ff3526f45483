// Reproducibility across runtimes: the default detector's scores on a fixed series must equal
// the golden scores recorded on Node (test/fixtures/nab/detector-golden.json), bit for bit from
// the wasm kernel and within 1e-12 from the TS twin (engines' Math.log may differ in the last
// bit). The input uses integer-exact arithmetic only, so every runtime builds the same doubles.
import { describe, expect, it } from 'vitest';
import golden from '../fixtures/nab/detector-golden.json' with { type: 'json' };
import { DetectorBank, SeriesDetector } from '../../src/kernels/detector/detector.ts';
import { ALARM_THRESHOLD } from '../../src/kernels/detector/params.ts';

/** Golden input: integer-exact arithmetic only, so every runtime builds the same doubles. */
function goldenSeries(): { time: Float64Array; values: Float64Array } {
  let a = 2024;
  const random = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const n = 3000;
  const time = new Float64Array(n);
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    time[i] = 1_400_000_000_000 + i * 300_000;
    const cycle = Math.abs((i % 96) - 48) / 4;
    values[i] = 100 + cycle + random() + (i === 1500 ? 25 : 0) + (i >= 2200 ? 15 : 0);
  }
  return { time, values };
}

function expected(): Float64Array {
  const scores = new Float64Array(golden.points);
  for (const [i, s] of golden.nonzero) scores[i] = s;
  return scores;
}

describe('default detector reproducibility', () => {
  it('wasm kernel reproduces the golden scores exactly', async () => {
    const { time, values } = goldenSeries();
    const bank = await DetectorBank.create(1, { backend: 'wasm' });
    expect(Array.from(bank.updateSeries(0, time, values))).toEqual(Array.from(expected()));
  });

  it('TS twin reproduces them within 1e-12', () => {
    const { time, values } = goldenSeries();
    const want = expected();
    const detector = new SeriesDetector();
    for (let i = 0; i < values.length; i++)
      expect(Math.abs(detector.update(time[i], values[i]) - want[i])).toBeLessThanOrEqual(1e-12);
  });

  it('the golden series alarms at its spike and its level shift, and nowhere else', () => {
    const alarms = golden.nonzero.filter(([, s]) => s >= ALARM_THRESHOLD).map(([i]) => i);
    expect(alarms).toEqual([1500, 2200]);
  });
});
