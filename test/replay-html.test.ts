// `x0tta6bl4 replay --html`: a half-hour run of 10 nodes (one fault of each kind) exported, then
// replayed into one self-contained page. With --truth the page carries run --html's view per fault;
// without it, over a topology stripped of its coordinates (so the layout of its links is drawn),
// the incidents the replay found: each named, its root causes, diagnosis and plans. The page fetches
// nothing and replaces an older page at once (a new file renamed over it), leaving no temporary file.
import { mkdtemp, open, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ReplayOutput, runReplayCommand } from '../src/cli/replay.ts';
import { runCommand } from '../src/cli/run.ts';
import { printTarget } from '../src/domain/targets.ts';
import { topologyLayout } from '../src/report/layout.ts';
import { quietly } from './quietly.ts';

let dir: string;
let exported: string;
const file = (name: string) => join(exported, name);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'x0-replay-html-'));
  exported = join(dir, 'export');
  const run = await quietly(() =>
    runCommand([
      ...['--nodes', '10', '--hours', '0.5', '--faults', '1', '--seed', '1', '--quiet'],
      ...['--out', join(dir, 'report.json'), '--audit', join(dir, 'audit.json'), '--export', exported],
    ]),
  );
  expect(run.code, run.out).toBe(0);
  const topology = JSON.parse(await readFile(file('topology.json'), 'utf8'));
  for (const node of topology.nodes) {
    delete node.x;
    delete node.y;
  }
  await writeFile(file('bare-topology.json'), JSON.stringify(topology));
}, 120_000);

afterAll(() => rm(dir, { recursive: true, force: true }));

/** `replay --json --html <html>` with `args`: the JSON document and the page. */
async function replayPage(args: string[], html: string): Promise<{ output: ReplayOutput; page: string }> {
  const { code, out } = await quietly(() =>
    runReplayCommand([
      ...['--telemetry', file('telemetry.ndjson'), '--routes', file('routes.ndjson')],
      ...args,
      ...['--json', '--html', html],
    ]),
  );
  expect(code, out).toBe(0);
  return { output: JSON.parse(out) as ReplayOutput, page: await readFile(html, 'utf8') };
}

/** Whatever a page would load or fetch: scripts, links, sources, CSS urls, imports. */
function externalReferences(page: string): string[] {
  const found = [
    ...page.matchAll(/<script|<link\b|<iframe|<img\b|\b(?:src|href|srcset|action)\s*=|url\(|@import/gi),
  ].map((m) => m[0]);
  // The one URL a page may hold: SVG's namespace, a name rather than an address.
  const urls = [...page.matchAll(/[a-z][a-z0-9+.-]*:\/\/[^\s"'<>)]+/gi)]
    .map((m) => m[0])
    .filter((url) => url !== 'http://www.w3.org/2000/svg');
  return [...found, ...urls];
}

describe('x0tta6bl4 replay --html', () => {
  it("with --truth, draws run --html's view of every fault and names every incident", async () => {
    const { output, page } = await replayPage(
      ['--topology', file('topology.json'), '--truth', file('truth.json')],
      join(dir, 'scored.html'),
    );
    expect(externalReferences(page)).toEqual([]);
    expect(page).toContain('scored against the run&#39;s truth');
    expect(page).toContain('The replay against its targets');
    const score = output.score!;
    expect(score.faults).toHaveLength(9);
    for (const fault of score.faults) expect(page).toContain(`#${fault.id} `);
    for (const kind of Object.keys(score.byKind)) expect(page).toContain(`>${kind}<small>`);
    // A dry run heals nothing: no healing figure to fail.
    expect(page).not.toContain('healed by the engine');
    expect(page).toContain('Time to detect');
    expect(page).not.toContain('Time to recover');
    expect(output.incidents.length).toBeGreaterThan(0);
    for (const incident of output.incidents) expect(page).toContain(`id="${incident.id}"`);
  }, 120_000);

  it('without truth, puts the incidents on a layout of the links and gives their causes, diagnoses and plans', async () => {
    const { output, page } = await replayPage(
      ['--topology', file('bare-topology.json')],
      join(dir, 'incidents.html'),
    );
    expect(externalReferences(page)).toEqual([]);
    expect(page).toContain('Where the incidents were');
    expect(page).not.toContain('Where the faults struck');
    const incidents = output.incidents;
    expect(incidents.length).toBeGreaterThan(0);
    const count = (text: string) => page.split(text).length - 1;
    for (const incident of incidents) {
      // Its full account, its outline's label on the mesh and its lane.
      expect(count(`id="${incident.id}"`)).toBe(1);
      const short = incident.id.replace(/^.*-(inc-\d+)$/, '$1');
      expect(count(`>${short}</text>`)).toBeGreaterThanOrEqual(1);
      for (const cause of incident.rootCauses) expect(page).toContain(printTarget(cause.target));
      if (incident.diagnosis?.kind) expect(page).toContain(incident.diagnosis.kind);
      for (const plan of incident.plans) expect(page).toContain(`<b>${plan.action}</b>`);
    }
    expect(page).toContain(`Timelines of ${incidents.length} incidents`);
  }, 120_000);

  it('lays a topology without coordinates out the same every time, inside the square, nodes apart', async () => {
    const topology = JSON.parse(await readFile(file('bare-topology.json'), 'utf8'));
    const layout = topologyLayout(topology);
    expect(topologyLayout(topology)).toEqual(layout);
    expect(layout.nodeIds).toEqual(topology.nodes.map((n: { id: string }) => n.id));
    expect(layout.linkFrom.length).toBe(topology.links.length);
    const n = layout.nodeIds.length;
    for (let i = 0; i < n; i++) {
      expect(layout.x[i]).toBeGreaterThanOrEqual(0);
      expect(layout.x[i]).toBeLessThanOrEqual(1);
      expect(layout.y[i]).toBeGreaterThanOrEqual(0);
      expect(layout.y[i]).toBeLessThanOrEqual(1);
      for (let j = 0; j < i; j++)
        expect(Math.hypot(layout.x[i] - layout.x[j], layout.y[i] - layout.y[j])).toBeGreaterThan(0.02);
    }
    // Coordinates given are kept, scaled into the square with their aspect.
    const placed = topologyLayout({
      nodes: [
        { id: 'a', x: 10, y: 10 },
        { id: 'b', x: 30, y: 20 },
      ],
      links: [['a', 'b']],
      gateways: ['b'],
    });
    expect(Array.from(placed.x)).toEqual([0, 1]);
    expect(Array.from(placed.y)).toEqual([0.25, 0.75]);
    expect(Array.from(placed.isGateway)).toEqual([0, 1]);
  });

  it('replaces an older page at once, by renaming a finished file over it, and leaves no temporary file', async () => {
    const html = join(dir, 'atomic.html');
    await writeFile(html, 'the older page');
    const before = await stat(html);
    // A reader that opened the older page keeps reading it whole: it was replaced, not rewritten.
    const reader = await open(html, 'r');
    try {
      const { page } = await replayPage(['--topology', file('topology.json')], html);
      expect(page.startsWith('<!doctype html>')).toBe(true);
      expect(page.trimEnd().endsWith('</html>')).toBe(true);
      expect((await stat(html)).ino).not.toBe(before.ino);
      expect(await reader.readFile('utf8')).toBe('the older page');
    } finally {
      await reader.close();
    }
    expect((await readdir(dir)).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  }, 120_000);

  it('refuses an --html path it could not write, before reading the recording', async () => {
    const { code, out } = await quietly(() =>
      runReplayCommand([
        ...['--telemetry', file('telemetry.ndjson'), '--topology', file('topology.json')],
        ...['--html', join(dir, 'no-such-dir', 'replay.html')],
      ]),
    );
    expect(code).toBe(2);
    expect(out).toContain('--html');
  });
});
