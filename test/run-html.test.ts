import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../src/cli/run.ts';
import { quietly } from './quietly.ts';

describe('x0tta6bl4 run --html', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'x0tta-html-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('writes the page beside report.json, whose rows per fault add up to its figures', async () => {
    const out = join(dir, 'report.json');
    const html = join(dir, 'report.html');
    const run = await quietly(() =>
      runCommand([
        '--hours',
        '1',
        '--faults',
        '1',
        '--seed',
        '2',
        '--quiet',
        '--out',
        out,
        '--audit',
        join(dir, 'a.json'),
        '--html',
        html,
      ]),
    );
    expect(run.code).toBe(0);
    const report = JSON.parse(await readFile(out, 'utf8'));
    expect(report.faults).toHaveLength(9);
    for (const row of report.faults) {
      expect(row).toMatchObject({
        kind: expect.any(String),
        target: expect.any(Object),
        injectedAt: expect.any(Number),
      });
      expect(Array.isArray(row.actions)).toBe(true);
      if (row.healedAt !== undefined) expect(row.healedAt).toBeGreaterThanOrEqual(row.injectedAt);
    }
    expect(report.faults.filter((f: { incident?: string }) => f.incident).length).toBe(
      report.overall.detected,
    );
    expect(report.faults.filter((f: { healedAt?: number }) => f.healedAt !== undefined).length).toBe(
      report.overall.healed,
    );
    expect(report.faults.filter((f: { rootCauseRank: number | null }) => f.rootCauseRank === 1).length).toBe(
      Math.round(report.overall.rootCauseTop1 * report.overall.detected),
    );
    const page = await readFile(html, 'utf8');
    expect(page).toContain('seed 2, 50 nodes, 1 simulated hours');
    expect(page).toContain(`run ${report.runId}`);
    for (const row of report.faults) expect(page).toContain(`#${row.id} `);
    expect(page).not.toContain('<script');
  });

  it('refuses an --html path it could not write, before the run', async () => {
    const run = await quietly(() =>
      runCommand(['--html', join(dir, 'no-such-dir', 'report.html'), '--quiet']),
    );
    expect(run.code).toBe(2);
    expect(run.out).toContain('--html');
  });
});
