/**
 * The incidents the shadow tests feed a ShadowPlanner: a bad-config on n1, planned by the shadow,
 * executed by a rule of the test's and learnt, as the loop would. Shared by the plain and the
 * ONNX-challenger shadow tests.
 */
import type { ShadowPlanner } from '../src/mlops/shadow.ts';
import { attemptKey, type Diagnosis } from '../src/plan/decision.ts';

/** Incident n: a bad-config on n1 whose runbooks recommend rollback-config, then failover. */
export function diagnosis(n: number): Diagnosis {
  return {
    incidentId: `inc-${n}`,
    signature: 'bad-config',
    kind: 'bad-config',
    scope: 'node',
    severity: 0.6,
    metrics: ['errorRate'],
    rootCauses: [{ target: { node: 'n1' }, score: 0.9 }],
    recommended: [
      { action: 'rollback-config', support: 0.8 },
      { action: 'failover', support: 0.3 },
    ],
  };
}

/**
 * One incident: the loop's attempts (at most three), each planned by the shadow, executed by
 * `heals` and learnt; returns the actions executed.
 */
export async function incident(
  shadow: ShadowPlanner,
  n: number,
  heals: (action: string) => boolean,
): Promise<string[]> {
  const d = diagnosis(n);
  const tried = new Set<string>();
  const executed: string[] = [];
  for (let attempt = 0; attempt < 3; attempt++) {
    const chosen = (await shadow.plan(d, tried)).chosen;
    if (!chosen) break;
    executed.push(chosen.action);
    const healed = heals(chosen.action);
    shadow.learn(d, chosen, healed);
    tried.add(attemptKey(chosen.action, chosen.target));
    if (healed) break;
  }
  shadow.incidentClosed(d.incidentId);
  await shadow.review(n * 600);
  return executed;
}
