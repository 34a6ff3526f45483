import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../src/cli/run.ts';
import { quietly } from './quietly.ts';

const RUNBOOKS = new URL('./fixtures/runbooks/', import.meta.url).pathname;

describe('x0tta6bl4 run --runbooks', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'x0tta-run-runbooks-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("cites the operator's runbooks in report.json beside the shipped ones", async () => {
    const report = join(dir, 'report.json');
    const run = await quietly(() =>
      runCommand([
        '--runbooks',
        RUNBOOKS,
        '--hours',
        '1',
        '--faults',
        '2',
        '--seed',
        '3',
        '--out',
        report,
        '--audit',
        join(dir, 'audit.json'),
        '--json',
      ]),
    );
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/run: 7 runbooks from .*runbooks\/ indexed beside the shipped ones/);
    const written = JSON.parse(await readFile(report, 'utf8'));
    const cited = written.citations.flatMap((c: { citations: string[] }) => c.citations);
    // The fixture's host-down runbook (node-crash inferred from its words), for crashed nodes.
    const crashes = written.citations.filter(
      (c: { kind?: string; citations: string[] }) =>
        c.kind === 'node-crash' && c.citations.includes('hosts/HostDown.md'),
    );
    expect(crashes.length).toBeGreaterThan(0);
    // Shipped runbooks are cited too.
    expect(cited.some((id: string) => id.startsWith('node-crash-'))).toBe(true);
  });

  it('refuses a --runbooks that is not a folder, naming it', async () => {
    const run = await quietly(() =>
      runCommand([
        '--runbooks',
        join(dir, 'missing'),
        '--hours',
        '0.5',
        '--faults',
        '1',
        '--out',
        join(dir, 'r.json'),
      ]),
    );
    expect(run.code).toBe(2);
    expect(run.out).toMatch(/run: --runbooks: folder: .*missing is not a folder/);
  });
});
