import { describe, expect, it } from 'vitest';
import { linkTarget, nodeTarget as node } from '../../src/domain/targets.ts';
import { SafetyRails } from '../../src/execute/rails.ts';

describe('safety rails', () => {
  it('limits the action rate per window', () => {
    const rails = new SafetyRails({ rateLimit: 2, rateWindow: 60, cooldown: 0 });
    for (const [i, t] of [
      [1, 0],
      [2, 1],
    ]) {
      expect(rails.check(`i${i}`, node(`n${i}`), t, 1).allowed).toBe(true);
      rails.started(`i${i}`, node(`n${i}`), t);
    }
    expect(rails.check('i3', node('n3'), 2, 1)).toEqual({ allowed: false, reason: 'rate-limit', until: 60 });
    expect(rails.check('i3', node('n3'), 60, 1).allowed).toBe(true);
  });

  it('opens the circuit breaker after consecutive failures, for its period', () => {
    const rails = new SafetyRails({ breakerThreshold: 3, breakerOpenFor: 60, cooldown: 0, backoffBase: 0 });
    for (let i = 0; i < 3; i++) {
      rails.started(`i${i}`, node(`n${i}`), i);
      rails.finished(`i${i}`, i, false);
    }
    expect(rails.check('x', node('nx'), 10, 1)).toMatchObject({ allowed: false, reason: 'circuit-open' });
    expect(rails.breakerOpen(61)).toBe(true);
    expect(rails.check('x', node('nx'), 62, 1).allowed).toBe(true);
  });

  it('keeps a cooldown per target and one action per incident', () => {
    const rails = new SafetyRails({ cooldown: 30 });
    rails.started('i1', node('n1'), 0);
    expect(rails.check('i1', node('n9'), 1, 1)).toMatchObject({ reason: 'busy' });
    expect(rails.check('i2', node('n1'), 1, 1)).toMatchObject({ reason: 'cooldown', until: 30 });
    rails.finished('i1', 5, true);
    expect(rails.check('i1', node('n9'), 6, 1).allowed).toBe(true);
  });

  it('cools a link down whichever way round its ends are named, and never a node that prints like it', () => {
    const rails = new SafetyRails({ cooldown: 30 });
    rails.started('i1', linkTarget('a', 'b'), 0);
    rails.finished('i1', 1, true);
    expect(rails.check('i2', linkTarget('b', 'a'), 2, 1)).toMatchObject({ reason: 'cooldown', until: 30 });
    expect(rails.check('i2', node('a-b'), 2, 1).allowed).toBe(true);
  });

  it('backs off exponentially per incident after failures', () => {
    const rails = new SafetyRails({ cooldown: 0, backoffBase: 5, breakerThreshold: 100 });
    const delays: number[] = [];
    let now = 0;
    for (let k = 0; k < 3; k++) {
      rails.started('i', node('n'), now);
      rails.finished('i', now, false);
      const verdict = rails.check('i', node('n'), now, 1);
      expect(verdict).toMatchObject({ allowed: false, reason: 'backoff' });
      const until = (verdict as { until: number }).until;
      delays.push(until - now);
      now = until;
    }
    expect(delays).toEqual([5, 10, 20]);
  });

  it('refuses automatic action without a healthy quorum', () => {
    const rails = new SafetyRails();
    expect(rails.check('i', node('n'), 0, 0.5)).toEqual({ allowed: false, reason: 'quorum' });
    expect(rails.check('i', node('n'), 0, 0.51).allowed).toBe(true);
  });

  it('rejects nonsense options by name', () => {
    expect(() => new SafetyRails({ rateLimit: -1 })).toThrow(/rateLimit/);
  });
});
