import { afterAll, describe, expect, it } from 'vitest';
import { DetectorBank } from '../../src/kernels/detector/detector.ts';
import { DetectorPool } from '../../src/kernels/detector/pool.ts';
import { ArgumentError } from '../../src/errors.ts';

describe('detector pool', () => {
  let pool: DetectorPool | undefined;
  afterAll(() => pool?.close());

  it('scores every series in worker shards exactly as one in-process bank does', async () => {
    const series = 37;
    pool = await DetectorPool.open(series, { shards: 2, checkpointEvery: 50 });
    const bank = await DetectorBank.create(series);
    const values = new Float64Array(series);
    const pooled = new Float64Array(series);
    let alarms = 0;
    for (let t = 0; t < 400; t++) {
      for (let k = 0; k < series; k++) {
        // A seasonal signal per series, with a level shift on a few series halfway through.
        values[k] = 10 + k + Math.sin((t + k) / 7) + (t > 200 && k % 9 === 0 ? 25 : 0);
      }
      const direct = bank.update(t, values.slice());
      await pool.update(t, values, pooled);
      expect(Array.from(pooled)).toEqual(Array.from(direct));
      alarms += direct.filter((s) => s > 0.5).length;
    }
    expect(alarms).toBeGreaterThan(0);
    expect(pool.restarts).toBe(0);
  });

  it('refuses a bad size', async () => {
    await expect(DetectorPool.open(0)).rejects.toBeInstanceOf(ArgumentError);
  });
});
