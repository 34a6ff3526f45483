// The NAB scorer against NAB's own published figures: ARTime's anomaly scores for four dev-split
// files (test/fixtures/nab/ARTime, copied from ../shared/nab/results/ARTime) must give back the
// per-file Score, TP, TN, FP and FN that NAB wrote in ARTime_<profile>_scores.csv.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DimensionError, ArgumentError } from '../src/errors.ts';
import { parseNabCsv, parseTimestamp, parseWindows } from '../src/analyze/nab/csv.ts';
import { NAB_PROFILES, PROFILE_NAMES } from '../src/analyze/nab/profiles.ts';
import {
  optimiseThreshold,
  prepareFile,
  probationLength,
  scaledSigmoid,
  scoreCorpus,
  scoreFile,
  type PreparedFile,
} from '../src/analyze/nab/scorer.ts';

const dir = new URL('./fixtures/nab/', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, dir), 'utf8');
const windows = parseWindows(JSON.parse(read('windows.json')));
const keys = [...windows.keys()].sort();

const artime = keys.map((key) => {
  const [category, name] = key.split('/');
  const table = parseNabCsv(read(`ARTime/${category}/ARTime_${name}`), key);
  const prepared = prepareFile({ name: key, timestamps: table.time, windows: windows.get(key)! });
  return { key, prepared, scores: table.columns.anomaly_score };
});

function published(profile: string) {
  return read(`ARTime/ARTime_${profile}_scores.csv`)
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.split(','))
    .filter((cells) => keys.includes(cells[2]))
    .map(([, , file, threshold, score, tp, tn, fp, fn, total]) => ({
      file,
      threshold: +threshold,
      score: +score,
      tp: +tp,
      tn: +tn,
      fp: +fp,
      fn: +fn,
      total: +total,
    }));
}

describe('NAB scorer reproduces ARTime', () => {
  for (const profile of PROFILE_NAMES) {
    it(`per-file score and counts, ${profile}`, () => {
      const rows = published(profile);
      expect(rows).toHaveLength(keys.length);
      for (const row of rows) {
        const file = artime.find((f) => f.key === row.file)!;
        const got = scoreFile(file.prepared, file.scores, row.threshold, NAB_PROFILES[profile]);
        expect(got.score, row.file).toBeCloseTo(row.score, 9);
        expect([got.tp, got.tn, got.fp, got.fn, got.total], row.file).toEqual([
          row.tp,
          row.tn,
          row.fp,
          row.fn,
          row.total,
        ]);
      }
    });
  }
});

describe('threshold optimiser', () => {
  const files: PreparedFile[] = artime.map((f) => f.prepared);
  const scores = artime.map((f) => f.scores);

  it('finds the best of every distinct threshold, as a brute-force sweep does', () => {
    const distinct = [...new Set(scores.flatMap((s) => Array.from(s)))];
    for (const profile of PROFILE_NAMES) {
      const best = optimiseThreshold(files, scores, NAB_PROFILES[profile]);
      let bruteBest = -Infinity;
      for (const t of distinct)
        bruteBest = Math.max(bruteBest, scoreCorpus(files, scores, t, NAB_PROFILES[profile]).normalised);
      expect(best.normalised).toBeCloseTo(bruteBest, 9);
      expect(scoreCorpus(files, scores, best.threshold, NAB_PROFILES[profile]).normalised).toBeCloseTo(
        best.normalised,
        9,
      );
    }
  });

  it('normalises a perfect detector to 100 and a silent one to 0', () => {
    const perfect = files.map((f) => {
      const s = new Float64Array(f.rows);
      for (let i = f.probation; i < f.rows; i++) {
        if (f.windowOf[i] >= 0 && (i === f.probation || f.windowOf[i - 1] !== f.windowOf[i])) s[i] = 1;
      }
      return s;
    });
    expect(scoreCorpus(files, perfect, 1, NAB_PROFILES.standard).normalised).toBeCloseTo(100, 9);
    const silent = files.map((f) => new Float64Array(f.rows));
    expect(scoreCorpus(files, silent, 0.5, NAB_PROFILES.standard).normalised).toBe(0);
  });
});

describe('scoring rules', () => {
  it('weights: earliest window row worth tpWeight, far false positives -fpWeight', () => {
    expect(scaledSigmoid(0)).toBe(0);
    expect(scaledSigmoid(3.5)).toBe(-1);
    expect(probationLength(1000)).toBe(150);
    expect(probationLength(100000)).toBe(750);
    const timestamps = Array.from({ length: 100 }, (_, i) => i);
    const file = prepareFile({ name: 'synthetic', timestamps, windows: [[40, 49]] });
    expect(file.unit[40]).toBeCloseTo(1, 12);
    expect(file.unit[49]).toBeGreaterThan(0);
    expect(file.unit[49]).toBeLessThan(file.unit[45]);
    expect(file.unit[20]).toBe(-1);
    expect(file.unit[50]).toBeCloseTo(scaledSigmoid(1 / 9), 12);
    // Two detections in one window count once, at the earlier (larger) value.
    const scores = new Float64Array(100);
    scores[42] = scores[47] = 1;
    expect(scoreFile(file, scores, 0.5, NAB_PROFILES.standard).score).toBeCloseTo(file.unit[42], 12);
  });

  it('rejects mismatched lengths and malformed input, naming the argument', () => {
    const [first] = artime;
    expect(() => scoreFile(first.prepared, new Float64Array(3), 0.5, NAB_PROFILES.standard)).toThrow(
      DimensionError,
    );
    expect(() => scoreFile(first.prepared, new Float64Array(3), 0.5, NAB_PROFILES.standard)).toThrow(
      /scores/,
    );
    expect(() => parseTimestamp('2014-13-01', 'when')).toThrow(/when/);
    expect(() => parseNabCsv('timestamp,value\n2014-01-01 00:00:00,1,2\n', 'x.csv')).toThrow(ArgumentError);
    expect(() => parseWindows([1, 2])).toThrow(/windows/);
  });
});
