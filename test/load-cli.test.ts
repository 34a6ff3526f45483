import { mkdtemp, readFile, rm } from 'node:fs/promises';
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
    progress: (l) => void lines.push(l),
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
      ['--preset', 'baseline', '--scale', '0.05', '--json', json, '--html', html],
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

  it('prints usage for --help', async () => {
    const io = capture();
    expect(await runLoadCommand(['--help'], targets, io)).toBe(0);
    expect(io.text()).toContain('--preset');
  });
});
