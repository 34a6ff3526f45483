// `x0tta6bl4 run --export` then `x0tta6bl4 replay`: a half-hour simulated run (one fault of each
// kind) exported and replayed through the operator's loop in dry-run mode must find the same
// root causes the live run found (top-1 within 2 points, scored by the same evaluator); the same
// recording as CSV with node ids holding `:`, `/`, `@` and spaces, read from standard input,
// must give the same answers; bad files must give one clear line naming the option (exit 2).
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ReplayOutput, runReplayCommand } from '../src/cli/replay.ts';
import { runCommand } from '../src/cli/run.ts';
import type { HealingReport } from '../src/run/evaluate.ts';
import { quietly } from './quietly.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

let dir: string;
let exported: string;
let live: HealingReport;
const file = (name: string) => join(exported, name);

/** The node ids an operator's systems might use: a colon, a slash, an at sign and spaces. */
const rename = (id: string) => `edge ${id.slice(1)}/rack@site b:${9100 + Number(id.slice(1))}`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'x0-replay-'));
  exported = join(dir, 'export');
  const out = join(dir, 'report.json');
  const run = await quietly(() =>
    runCommand([
      ...['--hours', '0.5', '--faults', '1', '--seed', '1', '--quiet'],
      ...['--out', out, '--audit', join(dir, 'audit.json'), '--export', exported],
    ]),
  );
  expect(run.code, run.out).toBe(0);
  live = JSON.parse(await readFile(out, 'utf8')) as HealingReport;
}, 120_000);

afterAll(() => rm(dir, { recursive: true, force: true }));

async function replay(args: string[]): Promise<{ code: number; out: string }> {
  return quietly(() => runReplayCommand(args));
}

/** `x0tta6bl4 replay ...args` as a process, with `input` on its standard input. */
function replayProcess(
  args: readonly string[],
  input: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'replay', ...args], {
      cwd: ROOT,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

describe('run --export', () => {
  it('writes the telemetry, topology, route changes and ground truth', async () => {
    const lines = (await readFile(file('telemetry.ndjson'), 'utf8')).trimEnd().split('\n');
    // 50 nodes x 8 metrics a tick for 1,800 ticks, less what crashed nodes did not send.
    expect(lines.length).toBeGreaterThan(1_790 * 400);
    expect(lines.length).toBeLessThanOrEqual(1_800 * 400);
    expect(JSON.parse(lines[0])).toMatchObject({ ts: 0, node: 'n0', metric: 'cpu' });
    const topology = JSON.parse(await readFile(file('topology.json'), 'utf8'));
    expect(topology.nodes).toHaveLength(50);
    expect(topology.gateways.length).toBeGreaterThan(0);
    expect(Object.keys(topology.routes).length).toBe(50 - topology.gateways.length);
    const truth = JSON.parse(await readFile(file('truth.json'), 'utf8'));
    expect(truth.faults.map((f: { kind: string }) => f.kind).sort()).toEqual(
      live.faults.map((f) => f.kind).sort(),
    );
    for (const line of (await readFile(file('routes.ndjson'), 'utf8')).trimEnd().split('\n'))
      expect(Object.keys(JSON.parse(line)).sort()).toEqual(['nextHop', 'node', 'ts']);
  });
});

describe('replay', () => {
  let replayed: ReplayOutput;

  it("reproduces the live run's root causes from its export", async () => {
    const { code, out } = await replay([
      ...['--telemetry', file('telemetry.ndjson'), '--topology', file('topology.json')],
      ...['--routes', file('routes.ndjson'), '--truth', file('truth.json'), '--json'],
    ]);
    expect(code, out).toBe(0);
    replayed = JSON.parse(out) as ReplayOutput;
    expect(replayed.tick).toEqual({ seconds: 1, source: 'inferred' });
    expect(replayed.recording.refused.count).toBe(0);
    expect(replayed.rejected.byReason).toEqual({});
    const score = replayed.score!.overall;
    expect(score.injected).toBe(live.overall.injected);
    expect(Math.abs(score.rootCauseTop1 - live.overall.rootCauseTop1)).toBeLessThanOrEqual(0.02);
    expect(Math.abs(score.rootCauseTop3 - live.overall.rootCauseTop3)).toBeLessThanOrEqual(0.02);
    expect(Math.abs(score.detected - live.overall.detected)).toBeLessThanOrEqual(1);
    // Every incident of a dry run is planned for and handed to a human, nothing applied.
    const diagnosed = replayed.incidents.filter((i) => i.diagnosis);
    expect(diagnosed.length).toBeGreaterThan(0);
    for (const incident of diagnosed) {
      expect(incident.rootCauses[0].evidence.length).toBeGreaterThan(0);
      expect(incident.diagnosis!.citations.length).toBeGreaterThan(0);
    }
    expect(replayed.incidents.some((i) => i.plans.some((p) => p.outcome === 'dry-run'))).toBe(true);
  }, 120_000);

  it('prints incidents, root causes with evidence, diagnoses and plans for people', async () => {
    const { code, out } = await replay([
      ...['--telemetry', file('telemetry.ndjson'), '--topology', file('topology.json')],
      ...['--routes', file('routes.ndjson'), '--truth', file('truth.json')],
    ]);
    expect(code, out).toBe(0);
    expect(out).toMatch(/^replay: [\d,]+ samples in 1,800 ticks of 1 s \(inferred\), ndjson; none refused/);
    expect(out).toMatch(/root causes: 1\. \S+ \(\d\.\d\d\)/);
    expect(out).toMatch(/diagnosis at \d+ s: [a-z-]+; cites /);
    expect(out).toMatch(/plan \(dry-run\): [a-z-]+ on /);
    expect(out).toMatch(/scored against the truth: detected \d+\/9/);
  }, 120_000);

  it('reads CSV from standard input, node ids with : / @ and spaces, with the same answers', async () => {
    const csv = (await readFile(file('telemetry.ndjson'), 'utf8'))
      .trimEnd()
      .split('\n')
      .map((line) => {
        const { ts, node, metric, value } = JSON.parse(line);
        return `${ts},${rename(node)},${metric},${value}`;
      });
    const renameDeep = (text: string) => text.replace(/"n(\d+)"/g, (_, i) => JSON.stringify(rename(`n${i}`)));
    for (const name of ['topology.json', 'routes.ndjson', 'truth.json'])
      await writeFile(join(dir, name), renameDeep(await readFile(file(name), 'utf8')));
    const { code, stdout, stderr } = await replayProcess(
      [
        ...[
          '--telemetry',
          '-',
          '--topology',
          join(dir, 'topology.json'),
          '--routes',
          join(dir, 'routes.ndjson'),
        ],
        ...['--truth', join(dir, 'truth.json'), '--json'],
      ],
      `ts,node,metric,value\n${csv.join('\n')}\n`,
    );
    expect(code, stderr).toBe(0);
    const answer = JSON.parse(stdout) as ReplayOutput;
    expect(answer.recording.format).toBe('csv');
    expect(answer.recording.samples).toBe(replayed.recording.samples);
    expect(answer.rejected.byReason).toEqual({});
    expect(answer.score!.overall.rootCauseTop1).toBe(replayed.score!.overall.rootCauseTop1);
    const causes = (o: ReplayOutput) =>
      o.incidents.map((i) => i.rootCauses.map((c) => JSON.stringify(c.target)));
    expect(causes(answer)).toEqual(causes(replayed).map((list) => list.map(renameDeep)));
  }, 120_000);

  it('learns from a baseline first, reports its incidents apart, and counts bad lines by number', async () => {
    const lines = (await readFile(file('telemetry.ndjson'), 'utf8')).trimEnd().split('\n');
    const cut = lines.findIndex((l) => JSON.parse(l).ts === 300);
    await writeFile(join(dir, 'baseline.ndjson'), `${lines.slice(0, cut).join('\n')}\n`);
    const rest = lines.slice(cut);
    rest.splice(4, 0, '{"ts": 300, "node": "n1"}', 'not json');
    await writeFile(join(dir, 'recording.ndjson'), `${rest.join('\n')}\n`);
    const { code, out } = await replay([
      ...['--baseline', join(dir, 'baseline.ndjson'), '--telemetry', join(dir, 'recording.ndjson')],
      ...['--topology', file('topology.json'), '--routes', file('routes.ndjson'), '--tick', '1', '--json'],
    ]);
    expect(code, out).toBe(0);
    const answer = JSON.parse(out) as ReplayOutput;
    expect(answer.tick).toEqual({ seconds: 1, source: 'option' });
    expect(answer.baseline).toMatchObject({ ticks: 300, samples: cut, refused: { count: 0 } });
    expect(answer.baseline!.incidents).toEqual([]);
    expect(answer.recording.ticks).toBe(1_500);
    expect(answer.recording.refused).toMatchObject({
      count: 2,
      byReason: { 'missing-field': 1, 'bad-json': 1 },
      first: [{ line: 5 }, { line: 6 }],
    });
    expect(answer.incidents.length).toBeGreaterThan(0);
  }, 120_000);

  it('refuses bad files with one line naming the option (exit 2)', async () => {
    const bad = async (name: string, text: string) => {
      const path = join(dir, name);
      await writeFile(path, text);
      return path;
    };
    const telemetry = file('telemetry.ndjson');
    const topology = file('topology.json');
    const links = JSON.parse(await readFile(topology, 'utf8'));
    links.links[0][1] = 'nowhere';
    const cases: Array<[string[], RegExp]> = [
      [
        ['--telemetry', telemetry, '--topology', await bad('topology-bad.json', JSON.stringify(links))],
        /^replay: --topology: .*topology-bad\.json: \d+ problems?$/,
      ],
      [
        ['--telemetry', await bad('garbage.txt', 'hello\nworld\n'), '--topology', topology],
        /^replay: --telemetry: .*garbage\.txt holds no readable telemetry: every line refused \(line 1: bad-columns/,
      ],
      [
        [
          '--telemetry',
          telemetry,
          '--topology',
          topology,
          '--routes',
          await bad('routes-bad.ndjson', '{"ts":1,"node":"n0","nextHop":null}\n{"ts":2,"node":"x"}\n'),
        ],
        /^replay: --routes: .*routes-bad\.ndjson: 1 problem/,
      ],
      [
        [
          '--telemetry',
          telemetry,
          '--topology',
          topology,
          '--truth',
          await bad(
            'truth-bad.json',
            '{"ticks":1,"faults":[{"kind":"node-crash","target":{"node":"x"},"start":1,"end":2,"affectedNodes":[],"cut":[]}]}',
          ),
        ],
        /^replay: --truth: .*truth-bad\.json: 1 problem/,
      ],
      [
        [
          '--telemetry',
          await bad('early.ndjson', '{"ts":0,"node":"n0","metric":"cpu","value":1}\n'),
          '--baseline',
          telemetry,
          '--topology',
          topology,
        ],
        /^replay: --baseline: .* ends at 1799, not before the recording starts \(0\): the baseline must come first$/,
      ],
      [['--topology', topology], /^replay: --telemetry: missing/],
    ];
    for (const [args, message] of cases) {
      const { code, out } = await replay(args);
      expect(code, out).toBe(2);
      expect(out.split('\n')[0]).toMatch(message);
    }
    const { out } = await replay(cases[0][0]);
    expect(out).toContain('/links/0/1: unknown node "nowhere"');
  }, 120_000);
});
