import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { runRagCommand } from '../src/cli/rag.ts';
import { PGliteRagStore } from '../src/knowledge/pglite-rag-store.ts';
import { PGliteStore } from '../src/knowledge/pglite-store.ts';

let dir: string;
let out: string[];
let err: string[];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'x0-rag-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

function capture(): void {
  out = [];
  err = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
}

describe('x0tta6bl4 rag', () => {
  it('query prints ranked runbooks with ids, fault kinds, scores and why they matched', async () => {
    capture();
    const code = await runRagCommand([
      'query',
      'certificate expired, browsers warn',
      '--k',
      '3',
      '--store',
      join(dir, 's1.json'),
    ]);
    expect(code).toBe(0);
    const text = out.join('\n');
    expect(text).toMatch(/^1\. cert-expiry-[\w-]+ {2}\[cert-expiry/m);
    expect(text).toMatch(/score \d\.\d{3}/);
    expect(text).toMatch(/why: .*certificate/);
    expect(text).toMatch(/3 of \d+ matches/);
  });

  it('query --json emits machine-readable results', async () => {
    capture();
    expect(
      await runRagCommand(['query', 'disk is full', '--json', '--k', '2', '--store', join(dir, 's1.json')]),
    ).toBe(0);
    const json = JSON.parse(out.join('\n'));
    expect(json.results).toHaveLength(2);
    expect(json.results[0].faults).toContain('disk-full');
    expect(json.results[0]).toHaveProperty('matched');
    expect(typeof json.results[0].score).toBe('number');
  });

  it('index adds a directory of Markdown runbooks that later queries find', async () => {
    const books = join(dir, 'books');
    mkdirSync(books);
    writeFileSync(
      join(books, 'toaster.md'),
      '---\nid: toaster-smoke\ntitle: Toaster emits smoke in rack 4\nfaults: [node-crash]\nsymptoms: [burning smell near rack four]\nmetrics: [temperature]\nactions: [failover]\nseverity: critical\n---\nUnplug the toaster.\n',
    );
    const store = join(dir, 's2.json');
    capture();
    expect(await runRagCommand(['index', books, '--store', store])).toBe(0);
    expect(out.join('\n')).toMatch(/indexed 1 runbooks/);
    capture();
    expect(await runRagCommand(['query', 'burning smell by the rack', '--k', '1', '--store', store])).toBe(0);
    expect(out[0]).toMatch(/^1\. toaster-smoke/);
  });

  it('index and query use a PGlite data directory as the store, shared with the knowledge tables', async () => {
    const books = join(dir, 'books-pg');
    mkdirSync(books);
    writeFileSync(
      join(books, 'kettle.md'),
      '---\nid: kettle-steam\ntitle: Kettle steam trips the smoke alarm\nfaults: [node-crash]\nsymptoms: [steam cloud over the switch]\nmetrics: [humidity]\nactions: [failover]\nseverity: high\n---\nMove the kettle.\n',
    );
    const store = join(dir, 'knowledge-db');
    const knowledge = await PGliteStore.open(store);
    await knowledge.putValue('thresholds', { cpu: 0.7 });
    await knowledge.close();
    capture();
    expect(await runRagCommand(['index', books, '--store', store])).toBe(0);
    expect(out.join('\n')).toMatch(/indexed 1 runbooks/);
    capture();
    expect(await runRagCommand(['query', 'steam over the switch', '--k', '1', '--store', store])).toBe(0);
    expect(out[0]).toMatch(/^1\. kettle-steam/);
    const reopened = await PGliteStore.open(store);
    expect(await reopened.getValue('thresholds')).toEqual({ cpu: 0.7 });
    expect(
      (await (await PGliteRagStore.fromDatabase(reopened.database)).listDocuments()).map(
        (s) => s.document.id,
      ),
    ).toContain('kettle-steam');
    await reopened.close();
  });

  it('reports bad runbooks and usage errors with exit codes', async () => {
    const bad = join(dir, 'bad');
    mkdirSync(bad);
    writeFileSync(join(bad, 'broken.md'), '---\nid: x\n---\n');
    capture();
    expect(await runRagCommand(['index', bad, '--store', join(dir, 's3.json')])).toBe(1);
    expect(err.join('\n')).toMatch(/broken\.md: severity: expected/);
    capture();
    expect(await runRagCommand(['query', 'x', '--k', 'zero'])).toBe(2);
    expect(err.join('\n')).toMatch(/--k/);
    capture();
    expect(await runRagCommand(['frobnicate'])).toBe(2);
    capture();
    expect(await runRagCommand(['index', join(dir, 'missing-dir')])).toBe(1);
  });
});
