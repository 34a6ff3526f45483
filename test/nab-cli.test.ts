// `x0tta6bl4 nab` on a four-file NAB-layout folder (test/fixtures/nab/data): result files in NAB's
// layout with the detector's scores, the scored report, and usage errors.
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
