import { spawn } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAuditCommand } from '../src/cli/audit.ts';
import { runCommand } from '../src/cli/run.ts';
import { openStoreForReading } from '../src/knowledge/store-directory.ts';
import { quietly } from './quietly.ts';

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
    // The log's final state, recorded for a later check against truncation.
    expect(written).toMatchObject({ status: 'finished', runId: expect.stringMatching(/^[0-9A-Z]{26}$/) });
    const file = JSON.parse(await readFile(audit, 'utf8'));
    expect(written.audit).toEqual({
      format: 'x0tta6bl4-audit-checkpoint/1',
      entries: file.entries.length,
      head: file.entries.at(-1).hash,
      batches: file.seals.length,
    });
    expect(file.entries.at(0)).toMatchObject({ kind: 'run.start', data: { runId: written.runId } });
    expect(file.entries.at(-1)).toMatchObject({
      kind: 'run.end',
      data: { runId: written.runId, status: 'finished' },
    });

    const verify = (...flags: string[]) =>
      quietly(() => runAuditCommand(['verify', audit, '--trust-embedded', ...flags]));
    expect((await verify()).code).toBe(0);
    expect((await verify('--expect-head', written.audit.head)).code).toBe(0);
    const entry = file.entries.find((e: { kind: string }) => e.kind === 'action');
    entry.data.target = { node: entry.data.target.node === 'n0' ? 'n1' : 'n0' };
    await writeFile(audit, JSON.stringify(file));
    const tampered = await verify();
    expect(tampered.code).toBe(1);
    expect(tampered.out).toMatch(/altered/);
  });

  it('keeps every run of a store: a second run adds its incidents and actions under its own id', {
    timeout: 120_000,
  }, async () => {
    const store = join(dir, 'history');
    const reports: Array<{ runId: string; loop: { incidentsOpened: number; actionsStarted: number } }> = [];
    for (const seed of [1, 2]) {
      const out = join(dir, `history-${seed}.json`);
      const run = await quietly(() =>
        runCommand([
          '--hours',
          '1',
          '--faults',
          '2',
          '--seed',
          String(seed),
          '--store',
          store,
          '--out',
          out,
          '--quiet',
        ]),
      );
      expect(run.code).toBe(0);
      reports.push(JSON.parse(await readFile(out, 'utf8')));
    }
    const opened = await openStoreForReading(store);
    try {
      const incidents = (await opened.knowledge.listIncidents()).map((i) => i.id);
      const actions = (await opened.knowledge.listActions()).map((a) => a.id);
      expect(new Set(incidents).size).toBe(incidents.length);
      expect(new Set(actions).size).toBe(actions.length);
      for (const { runId, loop } of reports) {
        expect(loop.incidentsOpened).toBeGreaterThan(0);
        expect(incidents.filter((id) => id.startsWith(`${runId}-inc-`))).toHaveLength(loop.incidentsOpened);
        expect(actions.filter((id) => id.startsWith(`${runId}-act-`))).toHaveLength(loop.actionsStarted);
      }
      expect(incidents).toHaveLength(reports[0].loop.incidentsOpened + reports[1].loop.incidentsOpened);
      expect((await opened.knowledge.listRuns()).map((r) => r.id)).toEqual(reports.map((r) => r.runId));
    } finally {
      await opened.close();
    }
  });

  /** Starts `x0tta6bl4 run` as a process of its own; resolves once it has started its run. */
  async function startRun(args: string[]) {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'run', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stdout.resume();
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    await new Promise<void>((started, failed) => {
      child.stderr.on('data', (chunk) => {
        stderr += chunk;
        if (/run [0-9A-Z]{26} started/.test(stderr)) started();
      });
      void exited.then((code) => failed(new Error(`run exited ${code} before starting: ${stderr}`)));
    });
    return { child, exited, stderr: () => stderr };
  }

  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    it(`stops cleanly on ${signal}: seals the log, records the run and releases the store`, {
      timeout: 120_000,
    }, async () => {
      const store = join(dir, `store-${signal}`);
      const out = join(dir, `report-${signal}.json`);
      const run = await startRun(['--hours', '24', '--store', store, '--out', out]);
      await new Promise((r) => setTimeout(r, 2500));
      run.child.kill(signal);
      expect(await run.exited).toBe(code);
      expect(run.stderr()).toMatch(
        new RegExp(
          `interrupted by ${signal}; audit log: \\d+ entries in \\d+ sealed batches, head [0-9a-f]{64}`,
        ),
      );
      const report = JSON.parse(await readFile(out, 'utf8'));
      expect(report).toMatchObject({ status: 'interrupted' });
      expect(report.ticks).toBeLessThan(24 * 3600);
      expect(await readdir(store)).not.toContain('x0tta6bl4.lock');
      const verified = await quietly(() => runAuditCommand(['verify', store, '--trust-embedded', '--json']));
      expect(verified.code).toBe(0);
      const verdict = JSON.parse(verified.out);
      expect(verdict).toMatchObject({
        ok: true,
        unsealed: 0,
        entries: report.audit.entries,
        head: report.audit.head,
      });
      expect(verdict.coverage.runs).toBe(1);
    });
  }

  it('killed without a store, leaves an audit file that verifies and a report of its progress', {
    timeout: 120_000,
  }, async () => {
    const audit = join(dir, 'killed-audit.json');
    const out = join(dir, 'killed-report.json');
    const run = await startRun(['--hours', '24', '--audit', audit, '--out', out]);
    await new Promise((r) => setTimeout(r, 4000));
    run.child.kill('SIGKILL');
    await run.exited;
    const report = JSON.parse(await readFile(out, 'utf8'));
    expect(report).toMatchObject({ status: 'running', runId: expect.stringMatching(/^[0-9A-Z]{26}$/) });
    expect(report.tick).toBeGreaterThan(0);
    const verified = await quietly(() => runAuditCommand(['verify', audit, '--trust-embedded', '--json']));
    expect(verified.code).toBe(0);
    const verdict = JSON.parse(verified.out);
    expect(verdict.ok).toBe(true);
    expect(verdict.batches).toBeGreaterThan(0);
    // The file as of the last seal: the run's start and what it did up to about a second before the kill.
    const file = JSON.parse(await readFile(audit, 'utf8'));
    expect(file.entries[0]).toMatchObject({ kind: 'run.start', data: { runId: report.runId } });
    expect(file.entries.some((e: { kind: string }) => e.kind === 'action')).toBe(true);
  });
});
