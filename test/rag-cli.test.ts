import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { runRagCommand } from '../src/cli/rag.ts';
import { PGliteRagStore } from '../src/knowledge/pglite-rag-store.ts';
import { PGliteStore } from '../src/knowledge/pglite-store.ts';
import { openStoreForWriting } from '../src/knowledge/store-directory.ts';

let dir: string;
let out: string[];
let err: string[];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'x0-rag-cli-'));
  // The user's data directory, where `rag index` writes without --store.
  process.env.XDG_DATA_HOME = join(dir, 'data-home');
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
    const code = await runRagCommand(['query', 'certificate expired, browsers warn', '--k', '3']);
    expect(code).toBe(0);
    const text = out.join('\n');
    expect(text).toMatch(/^1\. cert-expiry-[\w-]+ {2}\[cert-expiry/m);
    expect(text).toMatch(/score \d\.\d{3}/);
    expect(text).toMatch(/why: .*certificate/);
    expect(text).toMatch(/3 of \d+ matches/);
  });

  it('query --json emits machine-readable results', async () => {
    capture();
    expect(await runRagCommand(['query', 'disk is full', '--json', '--k', '2'])).toBe(0);
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
    expect(out.join('\n')).toMatch(/: 1 added, 0 changed, 0 removed, 0 unchanged \(skipped\)/);
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
    expect(out.join('\n')).toMatch(/: 1 added, 0 changed, 0 removed, 0 unchanged \(skipped\)/);
    const before = contents(store);
    capture();
    expect(await runRagCommand(['query', 'steam over the switch', '--k', '1', '--store', store])).toBe(0);
    expect(out[0]).toMatch(/^1\. kettle-steam/);
    // Read from a snapshot: not one byte of the store changed.
    expect(contents(store)).toEqual(before);

    // While another process writes the store, both commands refuse it, naming the holder.
    const writer = await openStoreForWriting(store);
    try {
      for (const argv of [
        ['index', books, '--store', store, '--replace'],
        ['query', 'steam', '--store', store],
      ]) {
        capture();
        expect(await runRagCommand(argv)).toBe(1);
        expect(err.join('\n')).toMatch(new RegExp(`in use by process ${process.pid}`));
      }
    } finally {
      await writer.close();
    }
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
    writeFileSync(join(bad, 'broken.md'), '---\nid: x\nfaults: [node-crash]\n---\n');
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

/** Every file under `root` with its bytes (base64), to prove a command changed nothing. */
function contents(root: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const name of listing(root)) {
    const path = join(root, name);
    if (statSync(path).isFile()) files[name] = readFileSync(path).toString('base64');
  }
  return files;
}

/** Every path under `root`, sorted: compared before and after a command to prove it wrote nothing. */
function listing(root: string): string[] {
  return existsSync(root) ? (readdirSync(root, { recursive: true }) as string[]).sort() : [];
}

/** A Markdown runbook with this id (all other front matter valid). */
function runbook(id: string, title: string, actions = '[flush-dns]'): string {
  return `---\nid: ${id}\ntitle: ${title}\nfaults: [disk-full]\nsymptoms: [disk is full]\nmetrics: [disk]\nactions: ${actions}\nseverity: high\n---\n${title}.\n`;
}

describe('x0tta6bl4 rag query never writes', () => {
  it('without --store: searches the shipped runbooks in memory, creating nothing in the working directory', async () => {
    const cwd = mkdtempSync(join(dir, 'cwd-'));
    const home = process.env.XDG_DATA_HOME!;
    const before = process.cwd();
    process.chdir(cwd);
    try {
      capture();
      expect(await runRagCommand(['query', 'disk is full', '--k', '1'])).toBe(0);
      expect(out[0]).toMatch(/^1\. disk-full-/);
    } finally {
      process.chdir(before);
    }
    expect(listing(cwd)).toEqual([]);
    expect(existsSync(join(home, 'x0tta6bl4'))).toBe(false);
  });

  it('--store <a folder that is not a store>: exit 2 naming it, and no database created in it', async () => {
    const folder = join(dir, 'photos');
    mkdirSync(folder);
    writeFileSync(join(folder, 'cat.jpg'), 'not really a cat');
    const before = listing(folder);
    capture();
    expect(await runRagCommand(['query', 'disk is full', '--store', folder])).toBe(2);
    expect(err.join('\n')).toMatch(/--store: .*photos is a folder but not a store/);
    expect(listing(folder)).toEqual(before);

    const empty = join(dir, 'empty');
    mkdirSync(empty);
    capture();
    expect(await runRagCommand(['query', 'disk is full', '--store', empty])).toBe(2);
    expect(listing(empty)).toEqual([]);
  });

  it('--store <a missing path or file>: exit 2, nothing created', async () => {
    for (const missing of [join(dir, 'nowhere'), join(dir, 'nowhere.json')]) {
      capture();
      expect(await runRagCommand(['query', 'disk is full', '--store', missing])).toBe(2);
      expect(err.join('\n')).toMatch(/--store: .*nowhere(\.json)? does not exist/);
      expect(existsSync(missing)).toBe(false);
    }
  });

  it('leaves an existing JSON store byte for byte as it was', async () => {
    const books = mkdtempSync(join(dir, 'books-ro-'));
    writeFileSync(join(books, 'fan.md'), runbook('fan-rattle', 'Fan rattles in rack 9', '[failover]'));
    const store = join(dir, 'ro.json');
    capture();
    expect(await runRagCommand(['index', books, '--store', store])).toBe(0);
    const bytes = readFileSync(store);
    capture();
    expect(await runRagCommand(['query', 'fan rattles', '--k', '1', '--store', store])).toBe(0);
    expect(out[0]).toMatch(/^1\. fan-rattle/);
    expect(readFileSync(store).equals(bytes)).toBe(true);
  });
});

describe('x0tta6bl4 rag index', () => {
  it('without --store writes to the user data directory, not the working directory', async () => {
    const books = mkdtempSync(join(dir, 'books-home-'));
    writeFileSync(join(books, 'lamp.md'), runbook('lamp-flicker', 'Lamp flickers over rack 2', '[failover]'));
    const cwd = mkdtempSync(join(dir, 'cwd-'));
    const before = process.cwd();
    process.chdir(cwd);
    try {
      capture();
      expect(await runRagCommand(['index', books])).toBe(0);
      capture();
      expect(await runRagCommand(['query', 'lamp flickers', '--k', '1'])).toBe(0);
      expect(out[0]).toMatch(/^1\. lamp-flicker/);
    } finally {
      process.chdir(before);
    }
    expect(listing(cwd)).toEqual([]);
    expect(existsSync(join(process.env.XDG_DATA_HOME!, 'x0tta6bl4', 'rag.json'))).toBe(true);
  });

  it('refuses an id of a shipped runbook unless --replace, and says which', async () => {
    const books = mkdtempSync(join(dir, 'books-evil-'));
    writeFileSync(join(books, 'evil.md'), runbook('disk-full-logs', 'Disk is full, wipe everything'));
    const store = join(dir, 'evil.json');
    capture();
    expect(await runRagCommand(['index', books, '--store', store])).toBe(1);
    expect(err.join('\n')).toMatch(/evil\.md: id disk-full-logs is a shipped runbook/);
    expect(err.join('\n')).toMatch(/nothing indexed.*--replace/);
    expect(existsSync(store)).toBe(false);

    capture();
    expect(await runRagCommand(['index', books, '--store', store, '--replace'])).toBe(0);
    expect(out.join('\n')).toMatch(/replaced: evil\.md: id disk-full-logs is a shipped runbook/);
    capture();
    expect(await runRagCommand(['query', 'disk is full', '--json', '--k', '10', '--store', store])).toBe(0);
    const hit = JSON.parse(out.join('\n')).results.find((r: { id: string }) => r.id === 'disk-full-logs');
    expect(hit.actions).toEqual(['flush-dns']);
  });

  it("refuses an id the user's store already holds, and two files with one id", async () => {
    const store = join(dir, 'mine.json');
    const first = mkdtempSync(join(dir, 'books-a-'));
    writeFileSync(join(first, 'pump.md'), runbook('pump-noise', 'Pump is noisy', '[failover]'));
    capture();
    expect(await runRagCommand(['index', first, '--store', store])).toBe(0);
    const bytes = readFileSync(store);

    const second = mkdtempSync(join(dir, 'books-b-'));
    writeFileSync(
      join(second, 'pump2.md'),
      runbook('pump-noise', 'Pump is noisy again', '[rollback-config]'),
    );
    capture();
    expect(await runRagCommand(['index', second, '--store', store])).toBe(1);
    expect(err.join('\n')).toMatch(
      /pump2\.md: id pump-noise is already in .*mine\.json \(runbook indexed from .*books-a-\w+\)/,
    );
    expect(readFileSync(store).equals(bytes)).toBe(true);
    capture();
    expect(await runRagCommand(['index', second, '--store', store, '--replace'])).toBe(0);
    expect(out.join('\n')).toMatch(/replaced: pump2\.md: id pump-noise is already in/);

    const twins = mkdtempSync(join(dir, 'books-twins-'));
    writeFileSync(join(twins, 'a.md'), runbook('twin-id', 'First twin', '[failover]'));
    writeFileSync(join(twins, 'b.md'), runbook('twin-id', 'Second twin', '[failover]'));
    capture();
    expect(await runRagCommand(['index', twins, '--store', store, '--replace'])).toBe(1);
    expect(err.join('\n')).toMatch(/b\.md and a\.md both have the id twin-id/);
  });

  it('refuses a runbook whose faults or actions are not in the vocabulary, naming the file and the name', async () => {
    const books = mkdtempSync(join(dir, 'books-typo-'));
    writeFileSync(join(books, 'typo.md'), runbook('disk-typo', 'Disk fills up', '[expand-disks]'));
    const store = join(dir, 'typo.json');
    capture();
    expect(await runRagCommand(['index', books, '--store', store])).not.toBe(0);
    expect(err.join('\n')).toMatch(/typo\.md: actions: unknown action "expand-disks"/);
    expect(existsSync(store)).toBe(false);
  });

  it('will not turn a folder that is not a store into a database', async () => {
    const books = mkdtempSync(join(dir, 'books-dir-'));
    writeFileSync(join(books, 'fan.md'), runbook('fan-hum', 'Fan hums', '[failover]'));
    const folder = mkdtempSync(join(dir, 'documents-'));
    writeFileSync(join(folder, 'notes.txt'), 'mine');
    capture();
    expect(await runRagCommand(['index', books, '--store', folder])).toBe(2);
    expect(err.join('\n')).toMatch(
      /documents-\w+: is a folder holding 1 files but no store; refusing to create a database in it/,
    );
    expect(listing(folder)).toEqual(['notes.txt']);
  });
});

describe('x0tta6bl4 rag index: runbooks as teams write them', () => {
  const fixtures = new URL('./fixtures/runbooks/', import.meta.url).pathname;

  it('takes a folder of ordinary Markdown and text runbooks, in sub-folders, showing inferred labels', async () => {
    const store = join(dir, 'ordinary.json');
    capture();
    expect(await runRagCommand(['index', fixtures, '--store', store])).toBe(0);
    const text = out.join('\n');
    expect(err).toEqual([]);
    expect(text).toMatch(/^added: hosts\/HostDown\.md {2}\[node-crash \(inferred 0\.\d\d\)\]/m);
    expect(text).toMatch(/^added: notes\/disk-full\.txt {2}\[disk-full \(inferred 0\.\d\d\)\]/m);
    expect(text).toMatch(/^added: storage\/VolumeFilling\.md /m);
    expect(text).toMatch(/^added: prometheus-operator\/node\/NodeFilesystemSpaceFillingUp\.md /m);
    expect(text).toMatch(
      /^added: ops-cert-renewal {2}\[cert-expiry\] {2}actions: renew-certificate, restart-service$/m,
    );
    expect(text).toMatch(
      /: 7 added, 0 changed, 0 removed, 0 unchanged \(skipped\), 1 without text \(skipped\)/,
    );

    capture();
    expect(
      await runRagCommand(['query', 'the host sends no heartbeat any more', '--json', '--store', store]),
    ).toBe(0);
    const hit = JSON.parse(out.join('\n')).results.find((r: { id: string }) => r.id === 'hosts/HostDown.md');
    expect(hit.title).toBe('Host down');
    expect(hit.inferred.faults[0]).toMatchObject({ name: 'node-crash' });
    expect(hit.inferred.faults[0].confidence).toBeGreaterThanOrEqual(0.5);
  });

  it('re-indexes incrementally: unchanged files skipped, changed and new ones indexed, removed ones dropped', async () => {
    const books = mkdtempSync(join(dir, 'books-incremental-'));
    mkdirSync(join(books, 'net'));
    writeFileSync(
      join(books, 'net', 'LinkFlapping.md'),
      '# LinkFlapping\n\nThe interface keeps going up and down.\n',
    );
    writeFileSync(join(books, 'HostDown.md'), '# HostDown\n\nThe host stopped sending heartbeats.\n');
    writeFileSync(join(books, 'Old.md'), '# Old\n\nA runbook about the teleporter.\n');
    const store = join(dir, 'incremental.json');
    capture();
    expect(await runRagCommand(['index', books, '--store', store])).toBe(0);
    expect(out.at(-1)).toMatch(/: 3 added, 0 changed, 0 removed, 0 unchanged \(skipped\); \d+ documents/);
    capture();
    expect(await runRagCommand(['index', books, '--store', store])).toBe(0);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(/: 0 added, 0 changed, 0 removed, 3 unchanged \(skipped\)/);

    writeFileSync(
      join(books, 'HostDown.md'),
      '# HostDown\n\nThe host stopped sending heartbeats; the toaster in rack 9 tripped its breaker.\n',
    );
    rmSync(join(books, 'Old.md'));
    writeFileSync(join(books, 'net', 'New.txt'), 'New notes\nThe quantum router hums.\n');
    capture();
    expect(await runRagCommand(['index', books, '--store', store])).toBe(0);
    expect(out).toContain('removed: Old.md');
    expect(out.some((l) => l.startsWith('changed: HostDown.md'))).toBe(true);
    expect(out.some((l) => l.startsWith('added: net/New.txt'))).toBe(true);
    expect(out.at(-1)).toMatch(/: 1 added, 1 changed, 1 removed, 1 unchanged \(skipped\)/);

    capture();
    expect(await runRagCommand(['query', 'teleporter', '--json', '--k', '50', '--store', store])).toBe(0);
    expect(JSON.parse(out.join('\n')).results.map((r: { id: string }) => r.id)).not.toContain('Old.md');
    capture();
    expect(await runRagCommand(['query', 'toaster tripped its breaker', '--k', '1', '--store', store])).toBe(
      0,
    );
    expect(out[0]).toMatch(/^1\. HostDown\.md /);
  });

  it('query --alert answers each alert of an Alertmanager webhook, the linked runbook first', async () => {
    const store = join(dir, 'alerts.json');
    capture();
    expect(await runRagCommand(['index', fixtures, '--store', store])).toBe(0);
    const webhook = new URL('./fixtures/alerts/webhook.json', import.meta.url).pathname;
    capture();
    expect(await runRagCommand(['query', '--alert', webhook, '--k', '2', '--store', store])).toBe(0);
    const text = out.join('\n');
    expect(text).toMatch(
      /^alert NodeFilesystemSpaceFillingUp: .*\n1\. prometheus-operator\/node\/NodeFilesystemSpaceFillingUp\.md .*\n.*\n {3}linked by the alert's runbook_url$/m,
    );
    expect(text).toMatch(
      /^alert HostDown: .*\n1\. hosts\/HostDown\.md .*\n.*\n {3}linked by the alert's alertname$/m,
    );
    capture();
    expect(await runRagCommand(['query', '--alert', webhook, '--json', '--store', store])).toBe(0);
    const json = JSON.parse(out.join('\n'));
    expect(json.alerts.map((a: { alertname: string }) => a.alertname)).toEqual([
      'NodeFilesystemSpaceFillingUp',
      'HostDown',
    ]);
    expect(json.alerts[1].results[0]).toMatchObject({ id: 'hosts/HostDown.md', linkedBy: 'alertname' });
  });

  it('query --alert - reads the alert from stdin; bad alerts and usage errors are named', async () => {
    const child = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', 'rag', 'query', '--alert', '-', '--k', '1', '--json'],
      {
        cwd: new URL('..', import.meta.url).pathname,
        input: JSON.stringify([
          {
            labels: { alertname: 'KubePodCrashLooping' },
            annotations: { summary: 'pod is in a crash loop, restarting' },
          },
        ]),
        encoding: 'utf8',
        env: { ...process.env, XDG_DATA_HOME: join(dir, 'empty-home') },
      },
    );
    expect(child.stderr).not.toMatch(/rag:/);
    expect(child.status).toBe(0);
    const answer = JSON.parse(child.stdout).alerts[0];
    expect(answer.alertname).toBe('KubePodCrashLooping');
    expect(answer.results[0].faults).toContain('node-crash');

    const bad = join(dir, 'bad-alert.json');
    writeFileSync(bad, JSON.stringify({ alerts: [{ labels: { alertname: 1 } }] }));
    capture();
    expect(await runRagCommand(['query', '--alert', bad])).toBe(1);
    expect(err.join('\n')).toMatch(
      /bad-alert\.json: alerts\[0\]\.labels: expected an object of string values/,
    );
    writeFileSync(bad, '{ not json');
    capture();
    expect(await runRagCommand(['query', '--alert', bad])).toBe(1);
    expect(err.join('\n')).toMatch(/--alert: .*bad-alert\.json is not JSON/);
    capture();
    expect(await runRagCommand(['query', 'some text', '--alert', bad])).toBe(2);
    capture();
    expect(await runRagCommand(['index', fixtures, '--alert', bad])).toBe(2);
  });

  it('refuses two files of one folder with one id, and a folder with no runbook file', async () => {
    const twins = mkdtempSync(join(dir, 'books-twins-ordinary-'));
    writeFileSync(join(twins, 'a.md'), runbook('same-id', 'First'));
    mkdirSync(join(twins, 'sub'));
    writeFileSync(join(twins, 'sub', 'b.md'), runbook('same-id', 'Second'));
    capture();
    expect(await runRagCommand(['index', twins, '--store', join(dir, 'twins-ordinary.json')])).toBe(1);
    expect(err.join('\n')).toMatch(/sub\/b\.md and a\.md both have the id same-id; nothing indexed/);
    expect(existsSync(join(dir, 'twins-ordinary.json'))).toBe(false);
    const empty = mkdtempSync(join(dir, 'books-empty-'));
    writeFileSync(join(empty, 'image.png'), 'not a runbook');
    capture();
    expect(await runRagCommand(['index', empty, '--store', join(dir, 'empty.json')])).toBe(1);
    expect(err.join('\n')).toMatch(/no runbook files \(\.md, \.markdown, \.mdx, \.txt\)/);
  });
});
