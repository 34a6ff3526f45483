import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAuditCommand } from '../src/cli/audit.ts';
import { runCommand } from '../src/cli/run.ts';

/** Runs a CLI function with console output captured. */
async function quietly(run: () => Promise<number>): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const { log, error, warn } = console;
  console.log = console.error = console.warn = (...args: unknown[]) => void lines.push(args.join(' '));
  try {
    return { code: await run(), out: lines.join('\n') };
  } finally {
    Object.assign(console, { log, error, warn });
  }
}

describe('x0tta6bl4 run', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'x0tta-run-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('writes a report and a signed audit log that verifies, and fails after an edit', async () => {
    const report = join(dir, 'report.json');
    const audit = join(dir, 'audit.json');
    const run = await quietly(() =>
      runCommand([
        '--hours',
        '0.5',
        '--faults',
        '1',
        '--seed',
        '4',
        '--quiet',
        '--out',
        report,
        '--audit',
        audit,
      ]),
    );
    expect(run.code).toBe(0);
    const written = JSON.parse(await readFile(report, 'utf8'));
    expect(written.overall.injected).toBe(9);
    expect(Object.keys(written.byKind)).toHaveLength(9);
    for (const key of [
      'detected',
      'detectionRate',
      'mttdMedian',
      'rootCauseTop1',
      'rootCauseTop3',
      'healed',
      'healedRate',
      'mttrMedian',
      'falseAlarms',
      'actionsOnHealthy',
    ]) {
      expect(written.overall).toHaveProperty(key);
    }
    expect(written.overall.actions).toBeGreaterThan(0);

    expect((await quietly(() => runAuditCommand(['verify', audit]))).code).toBe(0);
    const file = JSON.parse(await readFile(audit, 'utf8'));
    const entry = file.entries.find((e: { kind: string }) => e.kind === 'action');
    entry.data.target = { node: entry.data.target.node === 'n0' ? 'n1' : 'n0' };
    await writeFile(audit, JSON.stringify(file));
    const tampered = await quietly(() => runAuditCommand(['verify', audit]));
    expect(tampered.code).toBe(1);
    expect(tampered.out).toMatch(/altered/);
  });
});
