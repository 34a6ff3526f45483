// The main job with its detectors in worker threads (issue 16, section 1): `run`'s report is the
// same with 0, 1 and 2 workers (but its elapsed time, run id and audit sealing), and a run whose
// detector worker dies mid-run goes on from the detectors' checkpoint to the same figures.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../src/cli/run.ts';
import { IdSource } from '../src/knowledge/ids.ts';
import { DetectorPool } from '../src/kernels/detector/pool.ts';
import { autoDetectorWorkers, createEngineParts, WORKER_MIN_SERIES } from '../src/run/defaults.ts';
import { runHealing } from '../src/run/healing-run.ts';

/** One run id for both runs, so their incident ids match too. */
const RUN_ID = '01ARZ3NDEKTSV4RRFFQ69G5FAV';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'x0-workers-run-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** What must not depend on the worker count: the report but its timing, run id and audit sealing. */
async function comparable(file: string): Promise<unknown> {
  const text = await readFile(file, 'utf8');
  const { runId } = JSON.parse(text) as { runId: string };
  const report = JSON.parse(text.replaceAll(runId, 'RUN')) as Record<string, unknown>;
  const { elapsedSeconds: _elapsed, audit, ...rest } = report;
  const { head: _head, batches: _batches, ...entries } = audit as Record<string, unknown>;
  return { ...rest, audit: entries };
}

/** Runs `x0tta6bl4 run` quietly; resolves to its exit code. */
async function run(args: string[]): Promise<number> {
  const error = console.error;
  console.error = () => {};
  try {
    return await runCommand(args);
  } finally {
    console.error = error;
  }
}

describe('run --workers', () => {
  it('writes the same report with 0, 1 and 2 workers (seed 1, 2 h)', async () => {
    const reports = [];
    for (const workers of ['0', '1', '2']) {
      const out = join(dir, `report-${workers}.json`);
      const args = ['--hours', '2', '--seed', '1', '--quiet', '--workers', workers, '--out', out];
      expect(await run([...args, '--audit', join(dir, `audit-${workers}.json`)])).toBe(0);
      reports.push(await comparable(out));
    }
    expect((reports[0] as { overall: { detected: number } }).overall.detected).toBeGreaterThan(0);
    expect(reports[1]).toEqual(reports[0]);
    expect(reports[2]).toEqual(reports[0]);
  });

  it('refuses a count that is neither auto nor an integer (exit 2)', async () => {
    expect(await run(['--workers', 'many', '--hours', '0.5', '--nodes', '5', '--faults', '1'])).toBe(2);
    expect(await run(['--workers', '-1', '--hours', '0.5', '--nodes', '5', '--faults', '1'])).toBe(2);
  });

  it('auto keeps small meshes on the main thread and spreads large ones over the cores', () => {
    expect(autoDetectorWorkers(50 * 8, 2)).toBe(0);
    expect(autoDetectorWorkers(WORKER_MIN_SERIES - 1, 8)).toBe(0);
    expect(autoDetectorWorkers(WORKER_MIN_SERIES, 1)).toBe(0);
    expect(autoDetectorWorkers(WORKER_MIN_SERIES, 2)).toBe(2);
    expect(autoDetectorWorkers(10_000 * 8, 2)).toBe(2);
    expect(autoDetectorWorkers(10_000 * 8, 16)).toBe(16);
    expect(() => autoDetectorWorkers(-1)).toThrow(/series/);
  });
});

describe('a detector worker that dies mid-run', () => {
  it('is replaced from the checkpoint; the run completes with the figures of a run without workers', async () => {
    const options = { nodes: 30, hours: 2, faultsPerKind: 2, seed: 2 } as const;
    const plain = await createEngineParts();
    const expected = (await runHealing({ ...options, ...plain, ids: new IdSource(RUN_ID) })).report;
    await plain.close();

    const parts = await createEngineParts();
    const pools: DetectorPool[] = [];
    const source = {
      url: new URL('./fixtures/workers/crashing-detector.ts?crashAt=2500&when=call', import.meta.url),
    };
    const { report } = await runHealing({
      ...options,
      ...parts,
      ids: new IdSource(RUN_ID),
      detector: async (series) => {
        const pool = await DetectorPool.open(series, { shards: 2, source });
        pools.push(pool);
        return pool;
      },
    });
    await parts.close();
    expect(pools[0].restarts).toBe(2);
    expect(report.overall.detectionRate).toBeGreaterThanOrEqual(0.9);
    expect(report.overall).toEqual(expected.overall);
    expect(report.byKind).toEqual(expected.byKind);
  });
});
