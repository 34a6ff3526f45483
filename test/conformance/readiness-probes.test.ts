import { describe, expect, it } from 'vitest';
import { LoopProbes } from '../../src/readiness/probes.ts';
import { configProblems } from '../../src/readiness/engine-config.ts';
import {
  digestOf,
  isIntact,
  recordVersion,
  rollbackTarget,
  versionHistory,
} from '../../src/readiness/versions.ts';
import { MemoryStore } from '../../src/knowledge/memory-store.ts';
import { idleLoopStats } from './helpers/loop-stats.ts';

/** A loop whose stats the test sets, with a clock the test moves. */
function fakeLoop() {
  const stats = idleLoopStats();
  let now = 1_000;
  return {
    stats,
    loop: { stats: () => ({ ...stats }) },
    clock: { now: () => now, advance: (ms: number) => (now += ms) },
  };
}

describe('loop probes', () => {
  it('is live while ticks advance and reports a stall after staleAfterMs', () => {
    const { stats, loop, clock } = fakeLoop();
    const probes = new LoopProbes(loop, { staleAfterMs: 100, now: clock.now });
    expect(probes.health().ok).toBe(true);
    clock.advance(80);
    stats.ticks = 5;
    expect(probes.health().ok).toBe(true);
    clock.advance(90);
    expect(probes.health().ok).toBe(true); // 90 ms since the tick was seen
    clock.advance(20);
    const stalled = probes.health();
    expect(stalled.ok).toBe(false);
    expect(stalled.conditions.progressing.detail).toContain('110 ms ago');
    stats.ticks = 6;
    expect(probes.health().ok).toBe(true);
  });

  it('is not ready before the first tick, with a store backlog, or after new store failures', () => {
    const { stats, loop, clock } = fakeLoop();
    const probes = new LoopProbes(loop, { maxPendingWrites: 10, now: clock.now });
    const first = probes.readiness();
    expect(first.ok).toBe(false);
    expect(first.conditions.started.ok).toBe(false);
    stats.ticks = 1;
    expect(probes.readiness().ok).toBe(true);
    stats.storePending = 11;
    expect(probes.readiness().conditions.storeBacklog.ok).toBe(false);
    stats.storePending = 0;
    stats.storeFailures = 2;
    const failing = probes.readiness();
    expect(failing.ok).toBe(false);
    expect(failing.conditions.storeHealthy.detail).toContain('2 store failures');
    expect(probes.readiness().ok).toBe(true); // no new failures since the last probe
  });
});

describe('engine configuration', () => {
  it('accepts an empty or well-formed configuration', () => {
    expect(configProblems({})).toEqual([]);
    expect(
      configProblems({ loop: { confirmTicks: 2, window: 256 }, rails: { rateLimit: 10, quorum: 0.51 } }),
    ).toEqual([]);
  });

  it('names every problem: unknown sections and fields, bad values, inconsistent back-off', () => {
    expect(configProblems(null)).toEqual(['config: expected an object']);
    expect(
      configProblems({
        loop: { confirmTicks: 0, speed: 3 },
        extra: {},
        rails: { quorum: 1.5, backoffBase: 10, backoffMax: 5 },
      }),
    ).toEqual([
      'extra: unknown section',
      'loop.confirmTicks: expected an integer >= 1, got 0',
      'loop.speed: unknown field',
      'rails.quorum: expected a number in (0, 1], got 1.5',
      'rails.backoffBase: larger than rails.backoffMax',
    ]);
  });
});

describe('versioned configuration records', () => {
  it('appends numbered, digested versions and rolls back to the newest intact earlier one', async () => {
    const store = new MemoryStore();
    expect(await versionHistory(store, 'config')).toEqual([]);
    await recordVersion(store, 'config', { loop: { confirmTicks: 2 } }, 10);
    await recordVersion(store, 'config', { loop: { confirmTicks: 3 } }, 20);
    const third = await recordVersion(store, 'config', { loop: { confirmTicks: 4 } }, 30);
    expect(third.version).toBe(3);
    expect(third.digest).toBe(digestOf({ loop: { confirmTicks: 4 } }));
    const history = await versionHistory(store, 'config');
    expect(history.map((v) => v.version)).toEqual([1, 2, 3]);
    expect(rollbackTarget(history)?.version).toBe(2);
    // A corrupted record is skipped: the rollback goes further back.
    const corrupted = history.map((v) =>
      v.version === 2 ? { ...v, value: { loop: { confirmTicks: 99 } } } : v,
    );
    expect(isIntact(corrupted[1])).toBe(false);
    expect(rollbackTarget(corrupted)?.version).toBe(1);
    expect(rollbackTarget(history.slice(0, 1))).toBeUndefined();
    // Models are versioned in the model registry, not here.
    await expect(recordVersion(store, 'model' as 'config', {}, 40)).rejects.toThrow(/src\/mlops/);
  });

  it('digests canonically: key order does not matter, values do', () => {
    expect(digestOf({ a: 1, b: [2, 3] })).toBe(digestOf({ b: [2, 3], a: 1 }));
    expect(digestOf({ a: 1 })).not.toBe(digestOf({ a: 2 }));
  });
});
