import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, describe, expect, it } from 'vitest';
import { ArgumentError } from '../src/errors.ts';
import { NotAStoreError } from '../src/knowledge/errors.ts';
import { IdSource, isRunId, newRunId } from '../src/knowledge/ids.ts';
import { PGliteStore } from '../src/knowledge/pglite-store.ts';
import type { IncidentRecord } from '../src/knowledge/records.ts';
import { openStoreForWriting } from '../src/knowledge/store-directory.ts';

describe('PGlite store on disk', () => {
  const dir = mkdtempSync(join(tmpdir(), 'x0tta-store-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps everything across a close and reopen', async () => {
    const first = await PGliteStore.open(dir);
    for (let i = 0; i < 50; i++) {
      await first.putAction({
        id: `a${i}`,
        incidentId: 'i',
        action: 'reroute',
        target: { link: ['n1', 'n2'] },
        startedAt: i,
        outcome: 'healed',
        score: i,
        explanation: '',
      });
    }
    await first.putPosterior({ signature: 's', action: 'reroute', alpha: 9, beta: 2 });
    await first.close();
    const second = await PGliteStore.open(dir);
    expect((await second.listActions()).length).toBe(50);
    expect(await second.listPosteriors()).toEqual([{ signature: 's', action: 'reroute', alpha: 9, beta: 2 }]);
    await second.close();
  });
});

describe('run-scoped ids', () => {
  it('makes ULID run ids that sort by time and differ within one millisecond', () => {
    const a = newRunId(1_700_000_000_000);
    const b = newRunId(1_700_000_000_001);
    expect(a).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(a.slice(0, 10)).toBe('01HF7YAT00');
    expect(a < b).toBe(true);
    const same = new Set(Array.from({ length: 1000 }, () => newRunId(1_700_000_000_000)));
    expect(same.size).toBe(1000);
    expect(newRunId(0, (n) => new Uint8Array(n).fill(255))).toBe(`0000000000${'Z'.repeat(16)}`);
    expect(() => newRunId(-1)).toThrow(ArgumentError);
    expect(isRunId(a)).toBe(true);
    expect(isRunId('inc-1')).toBe(false);
  });

  it("prefixes a run's incident and action ids with its run id", () => {
    const ids = new IdSource('01HF7YAT00AAAAAAAAAAAAAAAA');
    expect([ids.incident(), ids.incident(), ids.action()]).toEqual([
      '01HF7YAT00AAAAAAAAAAAAAAAA-inc-1',
      '01HF7YAT00AAAAAAAAAAAAAAAA-inc-2',
      '01HF7YAT00AAAAAAAAAAAAAAAA-act-1',
    ]);
    expect(isRunId(new IdSource().runId)).toBe(true);
    expect(() => new IdSource('run-1')).toThrow(ArgumentError);
  });
});

describe('a store directory across runs', () => {
  const root = mkdtempSync(join(tmpdir(), 'x0tta-history-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const incident = (id: string, openedAt: number): IncidentRecord => ({
    id,
    openedAt,
    status: 'resolved',
    signature: 'cpu',
    nodes: ['n1'],
    metrics: ['cpu'],
    rootCauses: [],
    citations: [],
  });

  /** One run: its record, three incidents and two actions, under its own ids. */
  async function run(path: string, startedAt: number): Promise<string> {
    const opened = await openStoreForWriting(path);
    const ids = new IdSource(newRunId(startedAt));
    await opened.knowledge.putRun({ id: ids.runId, startedAt, host: 'h', pid: 1, status: 'running' });
    for (let i = 0; i < 3; i++) {
      const id = ids.incident();
      await opened.knowledge.putIncident(incident(id, i));
      if (i < 2)
        await opened.knowledge.putAction({
          id: ids.action(),
          incidentId: id,
          action: 'restart-service',
          target: { node: 'n1' },
          startedAt: i,
          outcome: 'healed',
          score: 1,
          explanation: '',
        });
    }
    await opened.knowledge.putRun({
      id: ids.runId,
      startedAt,
      host: 'h',
      pid: 1,
      status: 'finished',
      endedAt: startedAt + 1,
    });
    await opened.close();
    return ids.runId;
  }

  it("keeps the first run's incidents and actions when a second run writes to the same store", async () => {
    const path = join(root, 'store');
    const first = await run(path, 1_700_000_000_000);
    const second = await run(path, 1_700_000_100_000);
    const opened = await openStoreForWriting(path);
    const incidents = await opened.knowledge.listIncidents();
    const actions = await opened.knowledge.listActions();
    const runs = await opened.knowledge.listRuns();
    await opened.close();
    expect(incidents).toHaveLength(6);
    expect(new Set(incidents.map((i) => i.id)).size).toBe(6);
    expect(actions).toHaveLength(4);
    expect(incidents.filter((i) => i.id.startsWith(`${first}-`))).toHaveLength(3);
    expect(actions.filter((a) => a.id.startsWith(`${second}-`))).toHaveLength(2);
    expect(runs.map((r) => [r.id, r.status])).toEqual([
      [first, 'finished'],
      [second, 'finished'],
    ]);
  });

  it('creates a store only at a new path or in an empty folder, and refuses anything else untouched', async () => {
    const empty = join(root, 'empty');
    mkdirSync(empty);
    await (await openStoreForWriting(empty)).close();
    expect(readdirSync(empty)).toContain('PG_VERSION');
    expect(readdirSync(empty)).not.toContain('x0tta6bl4.lock'); // released on close

    const folder = join(root, 'photos');
    mkdirSync(folder);
    writeFileSync(join(folder, 'cat.jpg'), 'meow');
    await expect(openStoreForWriting(folder)).rejects.toThrow(/holding 1 files but no store/);
    expect(readdirSync(folder)).toEqual(['cat.jpg']);
    await expect(openStoreForWriting(join(folder, 'cat.jpg'))).rejects.toBeInstanceOf(NotAStoreError);

    // A PGlite database of another application is not a store either.
    const foreign = join(root, 'foreign');
    const db = await PGlite.create(foreign);
    await db.exec('CREATE TABLE photos (id int)');
    await db.close();
    await expect(PGliteStore.open(foreign)).rejects.toThrow(/is a database of something else/);
    const fresh = join(root, 'fresh');
    await (await PGlite.create(fresh)).close();
    await expect(PGliteStore.open(fresh, { existing: true })).rejects.toThrow(/holds no x0tta6bl4 store yet/);
  });
});
