/**
 * `x0tta6bl4 run --shadow [--shadow-discount D] [--shadow-min-incidents N] [--shadow-alpha A]`:
 * a challenger whose success rates forget runs beside the planner; the report's shadow section
 * gives its figures (incidents scored, wins, losses, promotions, rollbacks, versions), its
 * registry operations are signed into the run's audit log, it never changes what the engine does,
 * and a shadow flag without --shadow or out of range is a usage error naming it (exit 2).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../src/cli/run.ts';
import type { ShadowSummary } from '../src/mlops/shadow.ts';
import { quietly } from './quietly.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'x0tta-run-shadow-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const RUN = ['--nodes', '12', '--hours', '1', '--faults', '1', '--seed', '3', '--quiet'];

interface Report {
  shadow?: ShadowSummary;
  faults: Array<{ actions: Array<{ id: string }> }>;
}

async function run(name: string, flags: string[]) {
  const out = join(dir, `${name}.json`);
  const audit = join(dir, `${name}-audit.json`);
  const result = await quietly(() => runCommand([...RUN, ...flags, '--out', out, '--audit', audit]));
  expect(result.code).toBe(0);
  return {
    report: JSON.parse(await readFile(out, 'utf8')) as Report,
    audit: JSON.parse(await readFile(audit, 'utf8')) as { entries: Array<{ kind: string; actor: string }> },
  };
}

describe('run --shadow', () => {
  it('reports the shadow’s figures, audits its registry operations and acts as the run without it', async () => {
    const plain = await run('plain', []);
    const shadowed = await run('shadowed', [
      '--shadow',
      '--shadow-discount',
      '0.5',
      '--shadow-min-incidents',
      '7',
      '--shadow-alpha',
      '0.1',
    ]);
    expect(plain.report.shadow).toBeUndefined();
    const shadow = shadowed.report.shadow!;
    expect(shadow.model).toBe('engine.success-rates');
    expect(shadow.versions).toEqual({
      champion: 1,
      challenger: 2,
      discounts: { champion: 1, challenger: 0.5 },
    });
    expect(shadow.scored.incidents).toBeGreaterThan(0);
    expect(shadow.scored.wins + shadow.scored.losses).toBeLessThanOrEqual(shadow.scored.incidents);
    expect(shadow).toMatchObject({ promotions: 0, rollbacks: 0, transitions: [], challengerErrors: 0 });
    // Too few incidents won to reach the test's level: what the engine did is the run without a shadow.
    // (Action ids carry each run's id.)
    const actions = (r: Report) => r.faults.map((f) => f.actions.map(({ id: _, ...a }) => a));
    expect(actions(shadowed.report)).toEqual(actions(plain.report));
    expect(actions(plain.report).flat().length).toBeGreaterThan(3);
    const models = shadowed.audit.entries.filter((e) => e.kind.startsWith('model.'));
    expect(models.map((e) => e.kind)).toEqual([
      'model.register',
      'model.promote',
      'model.register',
      'model.promote',
    ]);
    for (const entry of models) expect(entry.actor).toMatch(/^run:/);
    expect(plain.audit.entries.some((e) => e.kind.startsWith('model.'))).toBe(false);
  }, 120_000);

  it.each([
    [['--shadow-discount', '0.5'], /--shadow-discount: needs --shadow/],
    [['--shadow-min-incidents', '5'], /--shadow-min-incidents: needs --shadow/],
    [['--shadow-alpha', '0.1'], /--shadow-alpha: needs --shadow/],
    [['--shadow', '--shadow-discount', '0'], /--shadow-discount: expected a number > 0/],
    [['--shadow', '--shadow-min-incidents', '0'], /--shadow-min-incidents: expected an integer from 1/],
    [['--shadow', '--shadow-alpha', '0.9'], /--shadow-alpha: expected a number > 0 and <= 0.5/],
  ])('refuses %j by name (exit 2)', async (flags, message) => {
    const result = await quietly(() => runCommand([...RUN, ...flags, '--out', join(dir, 'refused.json')]));
    expect(result.code).toBe(2);
    expect(result.out).toMatch(message);
  });
});
