// `x0tta6bl4 nab` on a four-file NAB-layout folder (test/fixtures/nab/data): result files in NAB's
// layout with the detector's scores, the scored report, and usage errors.
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { NAB_DETECTOR_NAME, runNabCommand } from '../src/cli/nab.ts';
import { SeriesDetector } from '../src/kernels/detector/detector.ts';
import { parseNabCsv } from '../src/analyze/nab/csv.ts';

const fixtures = fileURLToPath(new URL('./fixtures/nab/', import.meta.url));
const data = join(fixtures, 'data');
const windows = join(fixtures, 'windows.json');
const made: string[] = [];

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'x0-nab-'));
  made.push(dir);
  return dir;
}

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out, err };
}

afterAll(async () => {
  for (const dir of made) await rm(dir, { recursive: true, force: true });
});

describe('nab command', () => {
  it('writes NAB-layout results holding the detector scores, and scores them with --windows', async () => {
    const out = await tempDir();
    const { io, out: lines, err } = capture();
    expect(await runNabCommand(['--data', data, '--out', out, '--windows', windows], io)).toBe(0);
    expect(err).toEqual([]);

    const categories = (await readdir(out)).sort();
    expect(categories).toEqual(['realAdExchange', 'realKnownCause', 'realTraffic']);
    const result = parseNabCsv(
      await readFile(join(out, 'realKnownCause', `${NAB_DETECTOR_NAME}_rogue_agent_key_hold.csv`), 'utf8'),
      'result',
    );
    const input = parseNabCsv(
      await readFile(join(data, 'realKnownCause', 'rogue_agent_key_hold.csv'), 'utf8'),
      'input',
    );
    expect(result.stamps).toEqual(input.stamps);
    expect(Array.from(result.columns.value)).toEqual(Array.from(input.columns.value));
    const twin = new SeriesDetector();
    const expected = input.columns.value.map((v, i) => twin.update(input.time[i], v));
    const got = result.columns.anomaly_score;
    for (let i = 0; i < got.length; i++) expect(Math.abs(got[i] - expected[i])).toBeLessThanOrEqual(1e-12);

    const report = lines.join('\n');
    for (const profile of ['standard', 'reward_low_FP_rate', 'reward_low_FN_rate'])
      expect(report).toContain(profile);
    expect(report).toContain('realTraffic/speed_7578.csv');
    expect(report).toMatch(/scored 4 files/);
  });

  it('returns 2 with the usage for missing or unknown flags and unreadable input', async () => {
    for (const argv of [
      ['--data', data],
      ['--out', '/tmp/x', '--data'],
      ['--data', data, '--out', '/tmp/x', '--fast', '1'],
    ]) {
      const { io, err } = capture();
      expect(await runNabCommand(argv, io)).toBe(2);
      expect(err.join('\n')).toMatch(/usage: x0tta6bl4 nab/);
    }
    const out = await tempDir();
    const { io, err } = capture();
    expect(await runNabCommand(['--data', join(fixtures, 'missing'), '--out', out], io)).toBe(2);
    expect(err.join('\n')).toMatch(/missing/);
    const bad = capture();
    expect(await runNabCommand(['--data', data, '--out', out, '--params', '{"vigilance":-1}'], bad.io)).toBe(
      2,
    );
    expect(bad.err.join('\n')).toMatch(/params\.vigilance/);
  });
});

/** A NAB-layout data folder holding `files` (`<category>/<name>.csv` -> text). */
async function corpus(files: Record<string, string>): Promise<string> {
  const root = await tempDir();
  for (const [key, text] of Object.entries(files)) {
    await mkdir(join(root, dirname(key)), { recursive: true });
    await writeFile(join(root, key), text);
  }
  return root;
}

/** Results of the untouched speed_7578.csv fixture. */
async function scoredPlain(): Promise<string> {
  const out = await tempDir();
  const key = 'realTraffic/speed_7578.csv';
  const data2 = await corpus({ [key]: readFileSync(join(data, key), 'utf8') });
  expect(await runNabCommand(['--data', data2, '--out', out], capture().io)).toBe(0);
  return out;
}

/** The anomaly scores of the result file for `key` under `out`. */
async function resultScores(out: string, key: string): Promise<number[]> {
  const [category, name] = key.split('/');
  const text = await readFile(join(out, category, `${NAB_DETECTOR_NAME}_${name}`), 'utf8');
  return Array.from(parseNabCsv(text, 'result').columns.anomaly_score);
}

describe('nab command, input read strictly (issue 18, finding 9)', () => {
  const speed = 'realTraffic/speed_7578.csv';
  const plain = readFileSync(join(data, speed), 'utf8');
  const rows = plain.trimEnd().split('\n');

  it('quoted values score exactly as unquoted ones', async () => {
    const quoted = [rows[0], ...rows.slice(1).map((r) => r.replace(/,(.*)$/, ',"$1"'))].join('\n');
    const data2 = await corpus({ 'a/plain.csv': plain, 'a/quoted.csv': quoted });
    const out = await tempDir();
    const { io, out: lines } = capture();
    expect(await runNabCommand(['--data', data2, '--out', out], io)).toBe(0);
    expect(lines.join('\n')).not.toMatch(/unreadable/);
    const scores = await resultScores(out, 'a/quoted.csv');
    expect(scores).toEqual(await resultScores(out, 'a/plain.csv'));
    expect(Math.max(...scores)).toBeGreaterThan(0.5);
  });

  it('counts and reports unreadable cells per file; --strict makes them an error', async () => {
    const broken = [...rows];
    broken[10] = broken[10].replace(/,.*$/, ',n/a');
    broken[20] = broken[20].replace(/,.*$/, ',');
    const data2 = await corpus({ 'a/broken.csv': broken.join('\n'), 'a/clean.csv': plain });
    const out = await tempDir();
    const { io, out: lines } = capture();
    expect(await runNabCommand(['--data', data2, '--out', out], io)).toBe(0);
    expect(lines).toContain('a/broken.csv: 2 unreadable cells (value 2; lines 11, 21), read as missing');
    expect(lines.join('\n')).not.toMatch(/a\/clean\.csv:/);
    const scores = await resultScores(out, 'a/broken.csv');
    expect(scores[9]).toBe(0);
    expect(scores[19]).toBe(0);

    const strict = capture();
    expect(await runNabCommand(['--data', data2, '--out', out, '--strict'], strict.io)).toBe(2);
    expect(strict.err.join('\n')).toMatch(/a\/broken\.csv: line 11: value: expected a number, got 'n\/a'/);
  });

  it('refuses a file whose value column appears twice (exit 2)', async () => {
    const twice = ['timestamp,value,value', ...rows.slice(1).map((r) => `${r},1e9`)].join('\n');
    const { io, err } = capture();
    expect(
      await runNabCommand(['--data', await corpus({ 'a/twice.csv': twice }), '--out', await tempDir()], io),
    ).toBe(2);
    expect(err.join('\n')).toMatch(/a\/twice\.csv: column 'value' appears more than once/);
  });

  it('accepts a clock set back (daylight saving), reports it, and scores every row', async () => {
    // Rows 300-311 are stamped an hour early, as after a clock change; the values are untouched.
    const shifted = rows.map((r, i) => {
      if (i < 300 || i > 311) return r;
      const [stamp, value] = r.split(',');
      const earlier = new Date(Date.parse(`${stamp.replace(' ', 'T')}Z`) - 3_600_000);
      return `${earlier.toISOString().slice(0, 19).replace('T', ' ')},${value}`;
    });
    const data2 = await corpus({ 'a/dst.csv': shifted.join('\n'), 'a/plain.csv': plain });
    const out = await tempDir();
    const { io, out: lines } = capture();
    expect(await runNabCommand(['--data', data2, '--out', out], io)).toBe(0);
    expect(lines.some((l) => /^a\/dst\.csv: \d+ timestamps going back/.test(l))).toBe(true);
    // The detector sees the rows in file order whatever their stamps: the same scores.
    expect(await resultScores(out, 'a/dst.csv')).toEqual(await resultScores(out, 'a/plain.csv'));
  });

  it('keeps the input rows one for one where stamps repeat and go back, and scores such a file', async () => {
    // Rows 100-103 repeat the stamp before them (as NAB's files at a logging quirk); rows 500-505
    // are stamped two hours early (a clock set back) and so go back behind rows already seen.
    const messy = rows.map((r, i) => {
      const [stamp, value] = r.split(',');
      if (i >= 100 && i <= 103) return `${rows[99].split(',')[0]},${value}`;
      if (i < 500 || i > 505) return r;
      const earlier = new Date(Date.parse(`${stamp.replace(' ', 'T')}Z`) - 7_200_000);
      return `${earlier.toISOString().slice(0, 19).replace('T', ' ')},${value}`;
    });
    const data2 = await corpus({ 'realTraffic/speed_7578.csv': messy.join('\n') });
    const out = await tempDir();
    const { io, out: lines, err } = capture();
    expect(await runNabCommand(['--data', data2, '--out', out, '--windows', windows], io)).toBe(0);
    expect(err).toEqual([]);
    expect(lines).toContain('realTraffic/speed_7578.csv: 6 timestamps going back, 4 repeated timestamps');
    const text = await readFile(join(out, 'realTraffic', `${NAB_DETECTOR_NAME}_speed_7578.csv`), 'utf8');
    const written = text.trimEnd().split('\n');
    expect(written).toHaveLength(messy.length);
    expect(written.slice(1).map((r) => r.split(',').slice(0, 2).join(','))).toEqual(messy.slice(1));
    expect(await resultScores(out, 'realTraffic/speed_7578.csv')).toEqual(
      await resultScores(await scoredPlain(), 'realTraffic/speed_7578.csv'),
    );
    expect(lines.join('\n')).toMatch(/^standard +-?\d+\.\d\d/m);
  });
});
