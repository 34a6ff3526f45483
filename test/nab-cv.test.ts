// Cross-validation of NAB scores (src/analyze/nab/cv.ts, cross-validate.ts and `nab --cv`): the
// sweep equals NAB's optimiser and scorer on ARTime's published scores (test/fixtures/nab), the
// partitions hold every file out once, and a fold chooses its threshold and candidate on its
// training files only.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runNabCommand } from '../src/cli/nab.ts';
import { ArgumentError } from '../src/errors.ts';
import { gridCandidates } from '../src/analyze/nab/cross-validate.ts';
import { parseNabCsv, parseWindows } from '../src/analyze/nab/csv.ts';
import {
  categoryFolds,
  crossValidate,
  fileFolds,
  parsePartition,
  stratifiedFolds,
  ThresholdSweep,
} from '../src/analyze/nab/cv.ts';
import { NAB_PROFILES, PROFILE_NAMES } from '../src/analyze/nab/profiles.ts';
import { normalise, optimiseThreshold, prepareFile, scoreFile } from '../src/analyze/nab/scorer.ts';
import { DEFAULT_PARAMS } from '../src/kernels/detector/params.ts';

const dir = new URL('./fixtures/nab/', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, dir), 'utf8');
const windows = parseWindows(JSON.parse(read('windows.json')));
const keys = [...windows.keys()].sort();
const artime = keys.map((key) => {
  const [category, name] = key.split('/');
  const table = parseNabCsv(read(`ARTime/${category}/ARTime_${name}`), key);
  return {
    prepared: prepareFile({ name: key, timestamps: table.time, windows: windows.get(key)! }),
    scores: table.columns.anomaly_score,
  };
});
const files = artime.map((a) => a.prepared);
const scores = artime.map((a) => a.scores);

/** A corpus of `n` files of 100 rows, each with one window at rows 60-69 (probation is 15 rows). */
function synthetic(n: number) {
  const time = Float64Array.from({ length: 100 }, (_, i) => i);
  return Array.from({ length: n }, (_, k) =>
    prepareFile({ name: `c${k % 2}/f${k}.csv`, timestamps: time, windows: [[60, 69]] }),
  );
}

/** Scores that catch every window at its first row at `hit`, with a false positive at row 30. */
function detections(n: number, hit: number, falseAlarm: number): Float64Array[] {
  return Array.from({ length: n }, () => {
    const s = new Float64Array(100);
    s[60] = hit;
    s[30] = falseAlarm;
    return s;
  });
}

describe('threshold sweep', () => {
  it('finds the same threshold and score as NAB optimiser on all files, for every profile', () => {
    const sweep = new ThresholdSweep(files, scores);
    const all = new Uint8Array(files.length).fill(1);
    for (const name of PROFILE_NAMES) {
      const want = optimiseThreshold(files, scores, NAB_PROFILES[name]);
      const got = sweep.best(all, NAB_PROFILES[name]);
      expect(got.threshold).toBe(want.threshold);
      expect(got.raw).toBeCloseTo(want.raw, 9);
      expect(normalise(got.raw, got.windows, NAB_PROFILES[name])).toBeCloseTo(want.normalised, 9);
    }
  });

  it('on a subset, equals the optimiser run on that subset alone', () => {
    const sweep = new ThresholdSweep(files, scores);
    const train = Uint8Array.from([1, 0, 1, 0]);
    const want = optimiseThreshold([files[0], files[2]], [scores[0], scores[2]], NAB_PROFILES.standard);
    const got = sweep.best(train, NAB_PROFILES.standard);
    expect(got.threshold).toBe(want.threshold);
    expect(got.raw).toBeCloseTo(want.raw, 9);
    expect(got.windows).toBe(files[0].windowCount + files[2].windowCount);
  });

  it('scores files at a threshold exactly as scoreFile does, counts included', () => {
    const sweep = new ThresholdSweep(files, scores);
    for (const threshold of [0.3, 0.6, 0.999]) {
      const got = sweep.score([3, 1], threshold, NAB_PROFILES.reward_low_FN_rate);
      const want = [3, 1].map((k) =>
        scoreFile(files[k], scores[k], threshold, NAB_PROFILES.reward_low_FN_rate),
      );
      expect(got.map((f) => ({ ...f, score: Number(f.score.toFixed(9)) }))).toEqual(
        want.map((f) => ({ ...f, score: Number(f.score.toFixed(9)) })),
      );
    }
  });

  it('stays silent above every score when no detection pays for its false positives', () => {
    const corpus = synthetic(2);
    const sweep = new ThresholdSweep(
      corpus,
      detections(2, 0.5, 0.9).map((s) => s.fill(0.9, 16, 59)),
    );
    const got = sweep.best(new Uint8Array([1, 1]), NAB_PROFILES.standard);
    expect(got.raw).toBe(-2);
    expect(got.threshold).toBeGreaterThan(0.9);
  });
});

describe('partitions', () => {
  const corpusKeys = ['a/1', 'a/2', 'a/3', 'b/1', 'b/2', 'c/1', 'c/2', 'c/3', 'c/4'];
  const heldOnce = (folds: { heldOut: readonly number[] }[]) =>
    folds.flatMap((f) => f.heldOut).sort((x, y) => x - y);

  it('leave one category out and leave one file out hold every file out once', () => {
    const byCategory = categoryFolds(corpusKeys);
    expect(byCategory.map((f) => f.name)).toEqual(['a', 'b', 'c']);
    expect(byCategory.map((f) => f.heldOut)).toEqual([
      [0, 1, 2],
      [3, 4],
      [5, 6, 7, 8],
    ]);
    expect(heldOnce(fileFolds(corpusKeys))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('stratified folds are a partition, even in size, mixed in category, and seeded', () => {
    const folds = stratifiedFolds(corpusKeys, 3, 5);
    expect(heldOnce(folds)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(folds.map((f) => f.heldOut.length)).toEqual([3, 3, 3]);
    for (const f of folds) expect(new Set(f.heldOut.map((k) => corpusKeys[k][0])).size).toBeGreaterThan(1);
    expect(stratifiedFolds(corpusKeys, 3, 5)).toEqual(folds);
    const others = [6, 7, 8, 9].map((seed) => JSON.stringify(stratifiedFolds(corpusKeys, 3, seed)));
    expect(others.some((o) => o !== JSON.stringify(folds))).toBe(true);
  });

  it('parses category, file and KxR, and refuses anything else, naming it', () => {
    expect(parsePartition('2x3', corpusKeys)).toHaveLength(3);
    expect(parsePartition('file', corpusKeys)[0]).toHaveLength(9);
    for (const bad of ['', '2x0', 'x3', 'files', '1x2', '10x1']) {
      expect(() => parsePartition(bad, corpusKeys)).toThrow(ArgumentError);
    }
  });
});

describe('crossValidate', () => {
  it('chooses the candidate and threshold on the training files only', () => {
    const corpus = synthetic(4);
    // "early" catches the windows of files 0 and 1 only, "late" those of files 2 and 3: each fold
    // picks the one that fits its training files, and it misses every held-out window.
    const early = detections(4, 0.8, 0).map((s, k) => (k < 2 ? s : s.fill(0)));
    const late = detections(4, 0.7, 0).map((s, k) => (k >= 2 ? s : s.fill(0)));
    const candidates = [
      { label: 'early', sweep: new ThresholdSweep(corpus, early) },
      { label: 'late', sweep: new ThresholdSweep(corpus, late) },
    ];
    const folds = [
      { name: 'f', heldOut: [2, 3] },
      { name: 'g', heldOut: [0, 1] },
    ];
    const cv = crossValidate(corpus, candidates, folds, NAB_PROFILES.standard);
    expect(cv.folds.map((f) => [f.chosen, f.threshold, f.training])).toEqual([
      ['early', 0.8, 100],
      ['late', 0.7, 100],
    ]);
    expect(cv.raw).toBe(-4);
    expect(cv.normalised).toBe(0);
  });

  it('pools the held-out raw scores: a threshold that does not carry over costs the held-out files', () => {
    const corpus = synthetic(2);
    // File 0 catches its window at 0.9, file 1 at 0.4 only: each fold's threshold misses the other.
    const s = detections(2, 0.9, 0);
    s[1][60] = 0.4;
    s[0][30] = 0.5;
    const cv = crossValidate(
      corpus,
      [{ label: '', sweep: new ThresholdSweep(corpus, s) }],
      fileFolds(['a/0', 'a/1']),
      NAB_PROFILES.standard,
    );
    expect(cv.folds.map((f) => f.threshold)).toEqual([0.4, 0.9]);
    // Fold 1 (file 0 held out at 0.4) catches file 0's window and its false positive at 0.5;
    // fold 2 (file 1 held out at 0.9) misses file 1's window.
    expect(cv.raw).toBeCloseTo(1 + scoreFile(corpus[0], s[0], 0.4, NAB_PROFILES.standard).score - 1 - 1, 9);
    expect(cv.normalised).toBeLessThan(50);
  });

  it('refuses folds that are not a partition', () => {
    const corpus = synthetic(2);
    const c = [{ label: '', sweep: new ThresholdSweep(corpus, detections(2, 1, 0)) }];
    expect(() => crossValidate(corpus, c, [{ name: 'a', heldOut: [0] }], NAB_PROFILES.standard)).toThrow(
      /held out/,
    );
    expect(() =>
      crossValidate(
        corpus,
        c,
        [
          { name: 'a', heldOut: [0, 1] },
          { name: 'b', heldOut: [1] },
        ],
        NAB_PROFILES.standard,
      ),
    ).toThrow(/twice/);
    expect(() => crossValidate(corpus, [], fileFolds(['a/0', 'a/1']), NAB_PROFILES.standard)).toThrow(
      ArgumentError,
    );
  });
});

describe('parameter grid', () => {
  it('is the Cartesian product, labelled, and refuses unknown or invalid parameters', () => {
    const c = gridCandidates(DEFAULT_PARAMS, { refractory: [60, 120], zFloor: [2, 3, 4] });
    expect(c).toHaveLength(6);
    expect(c[5].label).toBe('refractory=120 zFloor=4');
    expect(c[5].params).toEqual({ ...DEFAULT_PARAMS, refractory: 120, zFloor: 4 });
    expect(gridCandidates(DEFAULT_PARAMS)).toEqual([{ label: '', params: DEFAULT_PARAMS }]);
    expect(() => gridCandidates(DEFAULT_PARAMS, { nonsense: [1] } as never)).toThrow(
      /unknown detector parameter/,
    );
    expect(() => gridCandidates(DEFAULT_PARAMS, { refractory: [] })).toThrow(ArgumentError);
    expect(() => gridCandidates(DEFAULT_PARAMS, { vigilance: [2] })).toThrow(/params\.vigilance/);
  });
});

describe('nab --cv', () => {
  const data = fileURLToPath(new URL('data', dir));
  const windowsPath = fileURLToPath(new URL('windows.json', dir));
  const capture = () => {
    const out: string[] = [];
    const err: string[] = [];
    return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out, err };
  };

  it('reports the score on the tuning files and the cross-validated ones, per profile and partition', async () => {
    const { io, out, err } = capture();
    const grid = JSON.stringify({ refractory: [60, 120] });
    expect(
      await runNabCommand(
        ['--cv', 'category,2x2', '--data', data, '--windows', windowsPath, '--grid', grid],
        io,
      ),
    ).toBe(0);
    expect(err).toEqual([]);
    const report = out.join('\n');
    expect(report).toMatch(/over 4 files \(9 windows\), 2 candidates/);
    for (const profile of PROFILE_NAMES)
      expect(report).toMatch(new RegExp(`${profile} +on the tuning files -?\\d+\\.\\d\\d`));
    expect(report).toMatch(/leave one category out +-?\d+\.\d\d/);
    expect(report).toMatch(/2-fold by file, 2 repeats +-?\d+\.\d\d \(/);
    expect(report).toMatch(/^realTraffic +threshold/m);
  });

  it('needs --windows, and --grid only goes with --cv', async () => {
    for (const argv of [
      ['--cv', 'category', '--data', data],
      ['--data', data, '--out', '/tmp/unused', '--grid', '{}'],
    ]) {
      const { io, err } = capture();
      expect(await runNabCommand(argv, io)).toBe(2);
      expect(err.join('\n')).toMatch(/--windows: is required with --cv|--grid: needs --cv/);
    }
    const { io, err } = capture();
    expect(await runNabCommand(['--cv', 'fold', '--data', data, '--windows', windowsPath], io)).toBe(2);
    expect(err.join('\n')).toMatch(/partition.*'fold'/);
  });
});
