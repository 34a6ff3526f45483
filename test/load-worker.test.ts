// Node-only: a target that blocks its thread forever can only be stopped from outside, so it is
// run in a worker (WorkerPool with callTimeout terminates and replaces a hung worker) while the
// load scheduler on this thread keeps its schedule and counts the hung calls as timeouts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runScenario } from '../src/load/run.ts';
import type { LoadTarget } from '../src/load/target.ts';
import { WorkerPool } from '../src/runtime/pool.ts';
import type { ProbeApi } from './fixtures/workers/probe.ts';

const probe = new URL('./fixtures/workers/probe.ts', import.meta.url);
let pool: WorkerPool<ProbeApi>;

beforeAll(async () => {
  pool = new WorkerPool<ProbeApi>({ url: probe }, { size: 2, callTimeout: 300 });
  await pool.start();
}, 60_000);
afterAll(() => pool.close({ drain: false }));

describe('a target that never returns, run in a worker', () => {
  it('does not stall the scheduler: its calls time out and the schedule holds', async () => {
    let hung = 0;
    const target: LoadTarget = (ctx) => {
      if (ctx.iteration % 10 !== 4) return pool.run('echo', [ctx.iteration]);
      hung++;
      return pool.run('spin', [1e12]); // a synchronous loop that would never end
    };
    const began = performance.now();
    const result = await runScenario(target, {
      name: 'spinning worker',
      model: 'open',
      stages: [{ rate: 40, durationMs: 1000 }],
      timeoutMs: 150,
    });
    const s = result.summary;
    expect(performance.now() - began).toBeLessThan(1000 + 150 + 1000);
    expect(s.scheduled).toBe(40);
    expect(s.started).toBe(40);
    expect(hung).toBe(4);
    expect(s.timeouts).toBeGreaterThanOrEqual(hung);
    expect(s.errorsByKind.timeout).toBe(s.timeouts);
    expect(s.ok + s.failed + s.timeouts).toBe(40);
    // Calls queued behind a hung worker, or waiting for its replacement to boot, may also time
    // out or fail with WorkerCrashedError; the pool still answers some, and killed the spinners.
    expect(s.ok).toBeGreaterThan(0);
    expect(pool.crashes).toBeGreaterThanOrEqual(1);
  }, 30_000);
});
