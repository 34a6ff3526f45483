// The jittered neighbourhood of a detector design (src/analyze/nab/jitter.ts and `nab --cv
// --jitter`): every parameter moves by its own seeded factor and stays valid, equal seeds give
// equal draws, and each draw is cross-validated like the design itself.
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runNabCommand } from '../src/cli/nab.ts';
import { ArgumentError } from '../src/errors.ts';
import { parseNabCsv, parseWindows } from '../src/analyze/nab/csv.ts';
import { jitterCrossValidate, jitterParams } from '../src/analyze/nab/jitter.ts';
import type { NabFile } from '../src/analyze/nab/runner.ts';
import { DEFAULT_PARAMS, checkParams, type DetectorParams } from '../src/kernels/detector/params.ts';
import { Rng } from '../src/random.ts';

const dir = new URL('./fixtures/nab/', import.meta.url);
const data = fileURLToPath(new URL('data', dir));
const windowsPath = fileURLToPath(new URL('windows.json', dir));

describe('jitterParams', () => {
  it('moves every real parameter by about the spread, keeps counts whole and the result valid', () => {
    const draws = Array.from({ length: 200 }, (_, i) => jitterParams(DEFAULT_PARAMS, new Rng(i), 0.1));
    for (const d of draws) expect(checkParams(d)).toBe(d);
    for (const name of ['vigilance', 'zAlpha', 'cusumGate', 'alarmLevel'] as const) {
      const logs = draws.map((d) => Math.log(d[name] / DEFAULT_PARAMS[name]));
      const sd = Math.sqrt(logs.reduce((a, b) => a + b * b, 0) / logs.length);
      expect(sd).toBeGreaterThan(0.08);
      expect(sd).toBeLessThan(0.12);
    }
    // The forgetting factor moves through its memory 1/(1 - x), not by 10% of itself.
    const memories = draws.map((d) => 1 / (1 - d.forgetting));
    expect(Math.min(...memories)).toBeLessThan(900);
    expect(Math.max(...memories)).toBeGreaterThan(1100);
    expect(draws.every((d) => d.forgetting < 1)).toBe(true);
    for (const d of draws) {
      expect(Number.isInteger(d.refractory) && Number.isInteger(d.bucket)).toBe(true);
    }
    expect(new Set(draws.map((d) => d.refractory)).size).toBeGreaterThan(10);
  });

  it('is seeded, the identity at spread 0, and refuses a spread outside [0, 1)', () => {
    expect(jitterParams(DEFAULT_PARAMS, new Rng(7), 0.1)).toEqual(
      jitterParams(DEFAULT_PARAMS, new Rng(7), 0.1),
    );
    expect(jitterParams(DEFAULT_PARAMS, new Rng(7), 0.1)).not.toEqual(
      jitterParams(DEFAULT_PARAMS, new Rng(8), 0.1),
    );
    expect(jitterParams(DEFAULT_PARAMS, new Rng(7), 0)).toEqual({ ...DEFAULT_PARAMS });
    expect(() => jitterParams(DEFAULT_PARAMS, new Rng(7), 1)).toThrow(ArgumentError);
  });
});

describe('jitterCrossValidate', () => {
  const read = (path: string) => readFileSync(new URL(path, dir), 'utf8');
  const windows = parseWindows(JSON.parse(read('windows.json')));
  const files: NabFile[] = [...windows.keys()].sort().map((key) => ({
    key,
    table: parseNabCsv(read(`data/${key}`), key),
  }));

  it('runs the design at its parameters and at each seeded draw, and summarises the draws', async () => {
    const seen: DetectorParams[] = [];
    // A stand-in design whose score depends on one parameter: it flags each window's first row
    // only while the refractory is at least 120, so draws below it lose every window.
    const detect = async (corpus: readonly NabFile[], params: DetectorParams) => {
      seen.push(params);
      return corpus.map((file) => {
        const scores = new Float64Array(file.table.time.length);
        if (params.refractory < 120) return scores;
        for (const [start] of windows.get(file.key)!) {
          const row = file.table.time.findIndex((t) => t >= start);
          if (row >= 0) scores[row] = 1;
        }
        return scores;
      });
    };
    const result = await jitterCrossValidate(files, windows, {
      params: DEFAULT_PARAMS,
      draws: 6,
      seed: 3,
      partitions: ['category', '2x2'],
      detect,
    });
    expect(seen).toHaveLength(7);
    expect(seen[0]).toEqual(DEFAULT_PARAMS);
    expect(seen[1]).toEqual(jitterParams(DEFAULT_PARAMS, new Rng(3), 0.1));
    expect(result.centre.cv).toHaveLength(2);
    expect(result.centre.tuned).toBeGreaterThan(90);
    const caught = result.draws.map((d) => d.params.refractory >= 120);
    expect(caught).toContain(true);
    expect(caught).toContain(false);
    for (const d of result.draws) {
      if (d.params.refractory >= 120) expect(d.figures.tuned).toBe(result.centre.tuned);
      else expect(d.figures.tuned).toBe(0);
    }
    const tuned = result.draws.map((d) => d.figures.tuned);
    expect(result.tuned.mean).toBeCloseTo(tuned.reduce((a, b) => a + b, 0) / tuned.length, 10);
    expect(result.tuned.min).toBe(0);
    expect(result.tuned.max).toBe(result.centre.tuned);
    expect(result.tuned.sd).toBeGreaterThan(0);
    await expect(
      jitterCrossValidate(files, windows, { params: DEFAULT_PARAMS, draws: 0, detect }),
    ).rejects.toThrow(ArgumentError);
  });
});

describe('nab --cv --jitter', () => {
  const capture = () => {
    const out: string[] = [];
    const err: string[] = [];
    return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out, err };
  };

  it('reports the design and its jittered neighbourhood per partition', async () => {
    const { io, out, err } = capture();
    const argv = ['--cv', 'category,2x2', '--jitter', '3', '--data', data, '--windows', windowsPath];
    expect(await runNabCommand(argv, io)).toBe(0);
    expect(err).toEqual([]);
    const report = out.join('\n');
    expect(report).toMatch(/3 draws/);
    expect(report).toMatch(/at the parameters +tuning files -?\d+\.\d\d, CV category -?\d+\.\d\d, CV 2x2/);
    expect(report).toMatch(/CV category +-?\d+\.\d\d \(sd \d+\.\d\d, /);
    expect(report).toMatch(/CV 2x2 +-?\d+\.\d\d \(sd /);
  });

  it('needs --cv and does not go with --grid', async () => {
    for (const argv of [
      ['--data', data, '--out', '/tmp/unused', '--jitter', '2'],
      ['--cv', 'category', '--data', data, '--windows', windowsPath, '--jitter', '2', '--grid', '{}'],
    ]) {
      const { io, err } = capture();
      expect(await runNabCommand(argv, io)).toBe(2);
      expect(err.join('\n')).toMatch(/--jitter: needs --cv and no --grid/);
    }
  });
});
