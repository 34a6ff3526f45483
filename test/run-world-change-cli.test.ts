/**
 * `x0tta6bl4 run --world-change KIND:STOPS:STARTS@HOUR`: the run's simulator changes its healing
 * table at that hour (the report's faults show the dead remedy failing and the new one healing),
 * and a value that is malformed, names a change the simulator cannot make or falls outside the run
 * is a usage error naming it (exit 2).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../src/cli/run.ts';
import { quietly } from './quietly.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'x0tta-world-change-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface ReportFault {
  kind: string;
  injectedAt: number;
  actions: Array<{ action: string; outcome: string }>;
  healedBy?: string;
}

describe('run --world-change', () => {
  it('changes which action heals the kind from the given hour on', async () => {
    const out = join(dir, 'report.json');
    const run = await quietly(() =>
      runCommand([
        '--hours',
        '1',
        '--faults',
        '2',
        '--world-change',
        'bad-config:rollback-config:failover@0.25',
        '--out',
        out,
        '--quiet',
      ]),
    );
    expect(run.code).toBe(0);
    const { faults } = JSON.parse(await readFile(out, 'utf8')) as { faults: ReportFault[] };
    const after = faults.filter((f) => f.kind === 'bad-config' && f.injectedAt >= 900);
    expect(after.length).toBeGreaterThan(0);
    for (const fault of after) {
      expect(fault.healedBy).not.toBe('rollback-config');
      for (const action of fault.actions)
        if (action.action === 'rollback-config') expect(action.outcome).not.toBe('healed');
    }
    expect(after.some((f) => f.healedBy === 'failover')).toBe(true);
  }, 120_000);

  it.each([
    ['nonsense', /--world-change: expected KIND:STOPS:STARTS@HOUR/],
    ['bad-config:scale-up:failover@0.5', /--world-change\.stops: scale-up does not heal bad-config/],
    ['bad-config:rollback-config:reboot@0.5', /--world-change\.starts: must be one of/],
    ['bad-config:rollback-config:failover@2', /--world-change: hour 2 is not within the run's 1 h/],
  ])('refuses %s by name (exit 2)', async (value, message) => {
    const run = await quietly(() =>
      runCommand(['--hours', '1', '--world-change', value, '--out', join(dir, 'refused.json'), '--quiet']),
    );
    expect(run.code).toBe(2);
    expect(run.out).toMatch(message);
  });
});
