// DetectorPool (src/kernels/detector/pool.ts) against one in-process DetectorBank: the same
// scores with shared memory and without, a shard whose worker dies in a call or between ticks
// rebuilt from its checkpoints without changing a score, and the shard's own recovery from a
// checkpoint torn mid-copy (src/kernels/detector/shard.ts).
import { afterEach, describe, expect, it } from 'vitest';
import { DetectorBank } from '../src/kernels/detector/detector.ts';
import { DEFAULT_PARAMS } from '../src/kernels/detector/params.ts';
import { DetectorPool, type DetectorPoolOptions } from '../src/kernels/detector/pool.ts';
import { shardWorkerApi, sharedShard } from '../src/kernels/detector/shard.ts';

const SERIES = 29;
const TICKS = 240;

/** Tick t's values: seasonal series, a level shift on some halfway, a missing sample now and then. */
function valuesAt(t: number, out: Float64Array): Float64Array {
  for (let k = 0; k < out.length; k++)
    out[k] = (t + k) % 37 === 0 ? NaN : 10 + k + Math.sin((t + k) / 7) + (t > 120 && k % 7 === 0 ? 25 : 0);
  return out;
}

let pool: DetectorPool | undefined;
afterEach(async () => {
  await pool?.close();
  pool = undefined;
});

/**
 * Runs the pool and a bank side by side; every tick's scores must be equal, and so must their
 * states, saved `pause` ms after the last tick.
 */
async function compare(options: DetectorPoolOptions, pause = 0): Promise<DetectorPool> {
  pool = await DetectorPool.open(SERIES, options);
  const bank = await DetectorBank.create(SERIES);
  const values = new Float64Array(SERIES);
  const pooled = new Float64Array(SERIES);
  let alarms = 0;
  for (let t = 1; t <= TICKS; t++) {
    valuesAt(t, values);
    const direct = bank.update(t, values);
    await pool.update(t, values, pooled);
    expect(Array.from(pooled), `tick ${t}`).toEqual(Array.from(direct));
    alarms += direct.filter((s) => s > 0.5).length;
  }
  expect(alarms).toBeGreaterThan(0);
  await new Promise((resolve) => setTimeout(resolve, pause));
  expect((await pool.save()).series).toEqual(bank.save().series);
  return pool;
}

const crashing = (crashAt: number, when: 'call' | 'idle') => ({
  url: new URL(`./fixtures/workers/crashing-detector.ts?crashAt=${crashAt}&when=${when}`, import.meta.url),
});

describe('DetectorPool', () => {
  it('scores as one bank with shared memory and with messages', async () => {
    expect((await compare({ shards: 2, checkpointEvery: 16 })).restarts).toBe(0);
    await pool!.close();
    expect((await compare({ shards: 3, checkpointEvery: 50, shareMemory: false })).restarts).toBe(0);
  });

  for (const shareMemory of [true, false])
    for (const when of ['call', 'idle'] as const)
      it(`a worker that dies ${when === 'call' ? 'in a call' : 'between ticks'} is replaced and no score changes (${shareMemory ? 'shared memory' : 'messages'})`, async () => {
        const done = await compare({
          shards: 2,
          checkpointEvery: 16,
          shareMemory,
          source: crashing(100, when),
        });
        // Both shards' workers died once, on their 100th tick.
        expect(done.restarts).toBe(2);
      });

  for (const shareMemory of [true, false])
    it(`save() rebuilds a shard whose worker died after the last tick (${shareMemory ? 'shared memory' : 'messages'})`, async () => {
      const done = await compare(
        {
          shards: 2,
          checkpointEvery: 16,
          shareMemory,
          source: crashing(TICKS, 'idle'),
        },
        1000,
      );
      expect(done.restarts).toBe(2);
    });
});

describe('a shard recovering from shared memory', () => {
  it('restores a chunk torn mid-copy from its staging buffer and replays the ring', async () => {
    const memory = sharedShard(SERIES, DEFAULT_PARAMS, 8);
    const shard = shardWorkerApi();
    await shard.open(SERIES, undefined, memory);
    const bank = await DetectorBank.create(SERIES);
    const ring = new Float64Array(memory.values);
    const stamps = new Float64Array(memory.stamps);
    const values = new Float64Array(SERIES);
    for (let t = 1; t <= 30; t++) {
      ring.set(valuesAt(t, values), (t % memory.slots) * SERIES);
      stamps[t % memory.slots] = t;
      shard.tick(t);
      bank.update(t, values);
    }
    // Tick 30's checkpoint is still due: save() takes it; then tear chunk 30 % chunks mid-copy.
    shard.save();
    const marks = new Int32Array(memory.marks);
    const chunks = marks.length - 2;
    const torn = 30 % chunks;
    const checkpoint = new Float64Array(memory.checkpoint);
    const L = checkpoint.length / SERIES;
    const staging = new Float64Array(memory.staging);
    staging.set(checkpoint.subarray(torn * memory.chunk * L, (torn * memory.chunk + memory.chunk) * L));
    checkpoint.fill(-1, torn * memory.chunk * L, (torn * memory.chunk + 1) * L);
    marks[torn] = 22;
    marks[chunks] = torn;
    marks[chunks + 1] = 30;
    const replacement = shardWorkerApi();
    expect(await replacement.recover(memory, DEFAULT_PARAMS, 29)).toBe(30);
    expect(replacement.save().series).toEqual(bank.save().series);
  });
});
