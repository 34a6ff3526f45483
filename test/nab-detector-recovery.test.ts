// Issue 18, finding 9: one absurd reading (a sensor's 1e12, a unit slip) must not blind the
// detector. It used to stretch the ranges the breakout and novelty views are judged against, so a
// real spike thousands of points later still went unseen; now the next anomaly is caught as soon
// as the quiet period after the absurd reading's own alarm ends. Twin and wasm kernel agree.
import { describe, expect, it } from 'vitest';
import { DetectorBank, SeriesDetector } from '../src/kernels/detector/detector.ts';
import { ALARM_THRESHOLD, DEFAULT_PARAMS } from '../src/kernels/detector/params.ts';

const ABSURD_AT = 2000;

/** A seeded daily-looking series: a sine plus uniform noise, about 36..64. */
function normalSeries(length: number, seed = 7): Float64Array {
  let state = seed;
  const random = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32;
  return Float64Array.from({ length }, (_, i) => 50 + 10 * Math.sin(i / 20) + random() * 4);
}

/** Scores of `values` on the TS twin, the wasm kernel and the TS bank; asserts they agree. */
async function scoresOf(values: Float64Array): Promise<Float64Array> {
  const time = Float64Array.from(values, (_, i) => i);
  const twin = new SeriesDetector();
  const fromTwin = values.map((v, i) => twin.update(i, v));
  const wasm = (await DetectorBank.create(1, { backend: 'wasm' })).updateSeries(0, time, values);
  const ts = (await DetectorBank.create(1, { backend: 'ts' })).updateSeries(0, time, values);
  expect(Array.from(ts)).toEqual(Array.from(fromTwin));
  for (let i = 0; i < values.length; i++) expect(Math.abs(wasm[i] - fromTwin[i])).toBeLessThanOrEqual(1e-12);
  return fromTwin;
}

const alarms = (scores: Float64Array, from = 0, to = scores.length) =>
  Array.from(scores.subarray(from, to), (s, i) => (s >= ALARM_THRESHOLD ? from + i : -1)).filter(
    (i) => i >= 0,
  );

describe('detector after one absurd reading', () => {
  // The absurd reading's own alarm holds the detector quiet for `refractory` points; the bound
  // asked of the recovery is 200 points.
  for (const absurd of [1e12, -1e12, 1e7])
    for (const gap of [DEFAULT_PARAMS.refractory + 2, 200, 3000])
      it(`${absurd} at point ${ABSURD_AT}, then a spike ${gap} points later: both alarm`, async () => {
        const spikeAt = ABSURD_AT + gap;
        const values = normalSeries(spikeAt + 500);
        values[spikeAt] += 60;
        const clean = await scoresOf(values);
        expect(alarms(clean, spikeAt, spikeAt + 1)).toEqual([spikeAt]);

        values[ABSURD_AT] = absurd;
        const scores = await scoresOf(values);
        expect(alarms(scores, ABSURD_AT, ABSURD_AT + 1)).toEqual([ABSURD_AT]);
        expect(alarms(scores, spikeAt, spikeAt + 1)).toEqual([spikeAt]);
        // Nothing else: the absurd reading is told once, and the series around it is normal.
        expect(alarms(scores)).toEqual([ABSURD_AT, spikeAt]);
      });

  it('takes in a lasting move to an absurd level (two or more readings in a row)', async () => {
    const values = normalSeries(6000);
    for (let i = ABSURD_AT; i < values.length; i++) values[i] += 1e12;
    const scores = await scoresOf(values);
    expect(alarms(scores, ABSURD_AT, ABSURD_AT + 1)).toEqual([ABSURD_AT]);
    // The new level becomes the range: no alarm every time the quiet period ends.
    expect(alarms(scores, ABSURD_AT + 1).length).toBeLessThanOrEqual(2);
  });
});
