// Issue 18, findings 8 and 10: commands check what they are given before they start work. An
// output path that cannot be written fails at once (exit 2), a worker count above the cores is
// capped, and a --store that is not a store is refused without a database being created in it.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runReadinessCommand } from '../src/cli/readiness.ts';
import { runCommand } from '../src/cli/run.ts';
import { quietly } from './quietly.ts';

/** Every path under `root`, sorted. */
function listing(root: string): string[] {
  return (readdirSync(root, { recursive: true }) as string[]).sort();
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'x0-cli-inputs-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const SHORT_RUN = ['--hours', '0.5', '--nodes', '5', '--faults', '1', '--quiet'];

describe('x0tta6bl4 run: output paths and workers', () => {
  it('--audit in a missing folder fails before the run starts (exit 2), writing nothing', async () => {
    const out = join(dir, 'report-a.json');
    const started = performance.now();
    const run = await quietly(() =>
      runCommand([...SHORT_RUN, '--out', out, '--audit', join(dir, 'missing', 'a.json')]),
    );
    expect(run.code).toBe(2);
    expect(run.out).toMatch(/--audit: cannot write .*missing.a\.json: folder .*missing does not exist/);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(existsSync(out)).toBe(false);
  });

  it('--out in a missing folder, or naming a folder, fails before the run starts (exit 2)', async () => {
    const audit = join(dir, 'audit-b.json');
    const missing = await quietly(() =>
      runCommand([...SHORT_RUN, '--audit', audit, '--out', join(dir, 'missing', 'r.json')]),
    );
    expect(missing.code).toBe(2);
    expect(missing.out).toMatch(/--out: cannot write .*missing.r\.json/);
    const folder = await quietly(() => runCommand([...SHORT_RUN, '--audit', audit, '--out', dir]));
    expect(folder.code).toBe(2);
    expect(folder.out).toMatch(/--out: .* is a folder, not a file/);
    expect(existsSync(audit)).toBe(false);
  });

  it('bad numbers are usage errors (exit 2), not stack traces', async () => {
    const run = await quietly(() => runCommand(['--hours', 'soon']));
    expect(run.code).toBe(2);
    expect(run.out).toMatch(/--hours: expected a number > 0 and <= 8760, got "soon"/);
  });

  it('--workers 500 is capped at the cores, says so, and runs in bounded memory', async () => {
    const cores = availableParallelism();
    const out = join(dir, 'report-w.json');
    const run = await quietly(() =>
      runCommand([...SHORT_RUN, '--workers', '500', '--out', out, '--audit', join(dir, 'audit-w.json')]),
    );
    expect(run.code).toBe(0);
    expect(run.out).toContain(`--workers 500: using ${cores}, the number of cores available`);
    expect(existsSync(out)).toBe(true);
    // 500 workers took 3.6 GB before the cap; the whole test process stays far below that.
    expect(process.resourceUsage().maxRSS).toBeLessThan(1_500_000);
  });
});

describe('x0tta6bl4 readiness --store', () => {
  it('refuses a folder that is not a store (exit 2) and creates no database in it', async () => {
    const folder = join(dir, 'holiday-photos');
    mkdirSync(folder);
    writeFileSync(join(folder, 'beach.jpg'), 'sand');
    const reports = join(dir, 'readiness-out');
    mkdirSync(reports);
    const run = await quietly(() =>
      runReadinessCommand([
        '--store',
        folder,
        '--only',
        'deploy.rollback-versions',
        '--quiet',
        '--out',
        join(reports, 'r.json'),
        '--html',
        join(reports, 'r.html'),
      ]),
    );
    expect(run.code).toBe(2);
    expect(run.out).toMatch(/--store: .*holiday-photos is a folder but not a store/);
    expect(listing(folder)).toEqual(['beach.jpg']);
    expect(listing(reports)).toEqual([]);

    const missing = join(dir, 'no-store-here');
    const absent = await quietly(() => runReadinessCommand(['--store', missing, '--quiet']));
    expect(absent.code).toBe(2);
    expect(absent.out).toMatch(/--store: .*no-store-here does not exist/);
    expect(existsSync(missing)).toBe(false);
  });
});
