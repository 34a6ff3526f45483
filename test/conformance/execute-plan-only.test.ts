import { describe, expect, it } from 'vitest';
import { linkTarget, nodeTarget } from '../../src/domain/targets.ts';
import { ArgumentError } from '../../src/errors.ts';
import type { ActionRequest } from '../../src/execute/executor.ts';
import { PLAN_ONLY_REASON, PlanOnlyExecutor } from '../../src/execute/plan-only.ts';
import { DEFAULT_ACTIONS } from '../../src/plan/actions.ts';

const request = (action: string, target: ActionRequest['target']): ActionRequest => ({
  id: 'run-act-1',
  incidentId: 'run-inc-1',
  action,
  target,
});

describe('PlanOnlyExecutor', () => {
  const known = new Set(['a', 'b', 'db:5432 @rack 1']);
  const executor = new PlanOnlyExecutor(DEFAULT_ACTIONS, { isNode: (id) => known.has(id) });

  it('dry runs accept a known action on a target of the kind it takes, on known nodes', async () => {
    expect(await executor.dryRun(request('restart-service', nodeTarget('db:5432 @rack 1')))).toEqual({
      ok: true,
    });
    expect(await executor.dryRun(request('reroute', linkTarget('a', 'b')))).toEqual({ ok: true });
    expect(await executor.dryRun(request('reroute', nodeTarget('a')))).toEqual({ ok: true });
  });

  it('dry runs refuse unknown actions, targets of the wrong kind, malformed targets and unknown nodes', async () => {
    expect(await executor.dryRun(request('reboot-datacenter', nodeTarget('a')))).toEqual({
      ok: false,
      reason: 'unknown action "reboot-datacenter"',
    });
    expect(await executor.dryRun(request('restart-service', linkTarget('a', 'b')))).toEqual({
      ok: false,
      reason: 'restart-service takes a node, not a link',
    });
    const malformed = request('restart-service', { node: '' } as ActionRequest['target']);
    expect((await executor.dryRun(malformed)).reason).toMatch(/^target\.node: expected a non-empty id/);
    expect(await executor.dryRun(request('reroute', linkTarget('a', 'z')))).toEqual({
      ok: false,
      reason: 'unknown node "z"',
    });
  });

  it('applies and rolls back nothing, and says so', async () => {
    const target = nodeTarget('a');
    expect(await executor.apply(request('restart-service', target))).toEqual({
      ok: false,
      reason: PLAN_ONLY_REASON,
    });
    expect(await executor.rollback(request('restart-service', target))).toEqual({
      ok: false,
      reason: PLAN_ONLY_REASON,
    });
  });

  it('takes bare action names (any target, any node) and refuses an empty or nameless catalogue', async () => {
    const names = new PlanOnlyExecutor(['restart', 'drain']);
    expect(await names.dryRun(request('drain', linkTarget('x', 'y')))).toEqual({ ok: true });
    expect(await names.dryRun(request('restart', nodeTarget('anything')))).toEqual({ ok: true });
    expect(() => new PlanOnlyExecutor([])).toThrow(ArgumentError);
    expect(() => new PlanOnlyExecutor(['restart', ''])).toThrow(/actions\[1\]/);
  });
});
