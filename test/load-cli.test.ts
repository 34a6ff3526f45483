import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LoadCommandIO, runLoadCommand } from '../src/cli/load.ts';
import type { LoadTarget } from '../src/load/target.ts';

let dir: string;
beforeAll(async () => (dir = await mkdtemp(join(tmpdir(), 'x0-load-'))));
afterAll(() => rm(dir, { recursive: true, force: true }));

function capture(): LoadCommandIO & { text: () => string; errors: () => string; lines: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  const lines: string[] = [];
  return {
    out: (t) => void out.push(t),
    err: (t) => void err.push(t),
    progress: { update: (_done, _total, detail) => void lines.push(detail), clear: () => {} },
    writeFile: async (path, text) => (await import('node:fs/promises')).writeFile(path, text),
    text: () => out.join('\n'),
    errors: () => err.join('\n'),
    lines,
  };
}

const noop: LoadTarget = () => undefined;
const targets = { default: noop, failing: () => Promise.reject(new TypeError('boom')) };

describe('x0tta6bl4 load', () => {
  it('runs a preset, prints a summary and writes JSON and HTML; exit 0', async () => {
    const io = capture();
    const json = join(dir, 'r.json');
    const html = join(dir, 'r.html');
    const code = await runLoadCommand(
      ['--preset', 'baseline', '--scale', '0.05', '--out', json, '--html', html],
      targets,
      io,
    );
    expect(code).toBe(0);
    expect(io.text()).toContain('scenario baseline');
    expect(io.text()).toContain('all thresholds held');
    const report = JSON.parse(await readFile(json, 'utf8'));
    expect(report.passed).toBe(true);
    expect(report.results[0].summary.scheduled).toBe(75);
    expect(await readFile(html, 'utf8')).toContain('<svg');
    expect(io.lines.length).toBeGreaterThan(0);
  });

  it('exits 1 when a threshold breaks', async () => {
    const io = capture();
    const code = await runLoadCommand(
      [
        '--target',
        'failing',
        '--rate',
        '100',
        '--duration',
        '0.2',
        '--threshold',
        'error_rate<0.01',
        '--quiet',
      ],
      targets,
      io,
    );
    expect(code).toBe(1);
    expect(io.text()).toContain('FAIL error_rate<0.01');
    expect(io.text()).toContain('TypeError 20');
    expect(io.lines).toHaveLength(0);
  });

  it('--json prints the results as JSON on stdout and nothing else, and writes no file', async () => {
    const io = capture();
    const code = await runLoadCommand(['--rate', '50', '--duration', '0.1', '--json'], targets, io);
    expect(code).toBe(0);
    const report = JSON.parse(io.text());
    expect(report).toMatchObject({ tool: 'x0tta6bl4 load', passed: true });
    expect(report.results[0].summary.scheduled).toBe(5);
    expect(io.lines).toHaveLength(0);
  });

  it('runs a custom closed-model scenario', async () => {
    const io = capture();
    const code = await runLoadCommand(['--concurrency=2', '--duration=0.1', '--quiet'], targets, io);
    expect(code).toBe(0);
    expect(io.text()).toContain('closed model');
  });

  it('exits 2 on usage errors, naming the argument', async () => {
    for (const [argv, message] of [
      [['--preset', 'nope'], /preset/],
      [['--bogus'], /--bogus/],
      [['--rate', '-5', '--duration', '1'], /--rate/],
      [['--rate', '5'], /--duration/],
      [['--target', 'missing', '--rate', '5', '--duration', '1'], /--target/],
      [['--rate', '5', '--duration', '1', '--threshold', 'p(42)<1'], /threshold/],
    ] as const) {
      const io = capture();
      expect(await runLoadCommand([...argv], targets, io)).toBe(2);
      expect(io.errors()).toMatch(message);
      expect(io.errors()).toContain('usage:');
    }
  });

  it('fails (exit 1) when every call fails, whatever thresholds are set: a dead port', async () => {
    // A port that was just free and is closed again: every call is refused.
    const server = createServer();
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const { port } = server.address() as AddressInfo;
    await new Promise((done) => server.close(done));
    const url = `http://127.0.0.1:${port}/`;
    for (const extra of [[], ['--threshold', 'p(95)<100000']]) {
      const io = capture();
      const json = join(dir, 'dead.json');
      const code = await runLoadCommand(
        ['--url', url, '--rate', '50', '--duration', '0.2', '--quiet', '--out', json, ...extra],
        targets,
        io,
      );
      expect(code).toBe(1);
      expect(io.text()).toMatch(/FAIL ok>0 +overall +actual 0\.000 limit 0\.000/);
      expect(io.text()).toContain('thresholds broken in: custom (no call succeeded)');
      const report = JSON.parse(await readFile(json, 'utf8'));
      expect(report.passed).toBe(false);
      expect(report.results[0].summary.ok).toBe(0);
      expect(report.results[0].summary.failed + report.results[0].summary.timeouts).toBeGreaterThan(0);
    }
  });

  it('passes a run with one success among failures unless a threshold says otherwise', async () => {
    let calls = 0;
    const flaky: LoadTarget = () => (++calls === 1 ? undefined : Promise.reject(new Error('down')));
    const io = capture();
    expect(
      await runLoadCommand(
        ['--target', 'flaky', '--rate', '50', '--duration', '0.2', '--quiet'],
        { flaky },
        io,
      ),
    ).toBe(0);
    expect(io.text()).toMatch(/ok +ok>0 +overall +actual 1\.000/);
  });

  it('checks the report paths before the run starts (exit 2, nothing run)', async () => {
    let calls = 0;
    const counting: LoadTarget = () => void calls++;
    for (const flag of ['--out', '--html']) {
      const io = capture();
      const path = join(dir, 'no-such-folder', 'r.out');
      const code = await runLoadCommand(
        ['--target', 'counting', '--rate', '50', '--duration', '0.2', '--quiet', flag, path],
        { counting },
        io,
      );
      expect(code).toBe(2);
      expect(io.errors()).toMatch(new RegExp(`${flag}: cannot write .*no-such-folder.* does not exist`));
      expect(calls).toBe(0);
    }
  });

  it('prints usage for --help', async () => {
    const io = capture();
    expect(await runLoadCommand(['--help'], targets, io)).toBe(0);
    expect(io.text()).toContain('--preset');
  });
});
