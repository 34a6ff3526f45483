/**
 * The store on a real PostgreSQL server (test/servers/postgres.ts starts one from apt on
 * loopback): the same contracts as the memory and PGlite stores, engines writing one database
 * together without losing or duplicating a record, migrations applied once however many engines
 * start at once, `run --store postgres://...` from two engines at the same time then `audit
 * verify` of every chain (and its refusal after an edit), `models` and `rag` on a server's
 * store, and the server stopped for 30 s mid-write:
 * what was written while it was away lands once it is back.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandIo } from '../src/cli/args.ts';
import { runModelsCommand } from '../src/cli/models.ts';
import { runReadinessCommand } from '../src/cli/readiness.ts';
import { runRagCommand } from '../src/cli/rag.ts';
import { NotAStoreError, StoreUnreachableError } from '../src/knowledge/errors.ts';
import { IdSource } from '../src/knowledge/ids.ts';
import { PostgresStore } from '../src/knowledge/postgres-store.ts';
import type { IncidentRecord } from '../src/knowledge/records.ts';
import { MIGRATIONS } from '../src/knowledge/schema.sql.ts';
import { WriteQueue } from '../src/knowledge/write-queue.ts';
import { ModelRegistry } from '../src/mlops/registry.ts';
import { recordVersion } from '../src/readiness/versions.ts';
import { AuditLog } from '../src/security/audit-log.ts';
import { verifyAuditLog } from '../src/security/audit-verify.ts';
import { NodeKeys } from '../src/security/keys.ts';
import { runAudit } from './audit-cli.ts';
import {
  behavesLikeAStore,
  behavesLikeAnAuditStore,
  behavesLikeARagStore,
  behavesLikeARegistry,
  incident,
} from './conformance/helpers/store-contracts.ts';
import { quietly } from './quietly.ts';
import { freePort } from './servers/free-port.ts';
import { type TestPostgres, startPostgres } from './servers/postgres.ts';

let server: TestPostgres;
let databases = 0;
/** A new, empty database on the test server. */
const freshDatabase = () => server.createDatabase(`store_${++databases}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** How long the outage tests keep the server away (issue 16: "PostgreSQL unreachable for 30 s"). */
const OUTAGE_MS = 30_000;

beforeAll(async () => {
  server = await startPostgres();
}, 60_000);
afterAll(() => server?.destroy());

/** Runs SQL on `url` directly, as an operator (or an intruder) would. */
async function withSql<T>(url: string, use: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    return await use(sql);
  } finally {
    await sql.end();
  }
}

behavesLikeAStore('PostgreSQL', async () => PostgresStore.open(await freshDatabase()));
behavesLikeAnAuditStore('PostgreSQL', async () => {
  const store = await PostgresStore.open(await freshDatabase());
  return Object.assign(store.auditStore(new IdSource().runId), { close: () => store.close() });
});
behavesLikeARagStore('PostgreSQL', async () => {
  const store = await PostgresStore.open(await freshDatabase());
  return Object.assign(store.ragStore(), { close: () => store.close() });
});
behavesLikeARegistry('PostgreSQL', async () => PostgresStore.open(await freshDatabase()));

describe('PostgreSQL store', () => {
  const keys = NodeKeys.generate({ owner: 'engine' });

  it('loses and duplicates nothing when two engines write one database at once', {
    timeout: 60_000,
  }, async () => {
    const url = await freshDatabase();
    const engines = await Promise.all(
      [0, 1].map(async () => ({ store: await PostgresStore.open(url), ids: new IdSource() })),
    );
    const perEngine = 60;
    await Promise.all(
      engines.map(async ({ store, ids }) => {
        const log = await AuditLog.open(store.auditStore(ids.runId), keys, { batchSize: 16 });
        for (let i = 0; i < perEngine; i++) {
          const record: IncidentRecord = { ...incident, id: ids.incident(), openedAt: i };
          const action = ids.action();
          await Promise.all([
            store.putIncident(record),
            // The same record written twice (a retry) stays one record.
            store.putIncident({ ...record, status: 'resolved' }),
            store.putAction({
              id: action,
              incidentId: record.id,
              action: 'restart-service',
              target: { node: 'n1' },
              startedAt: i,
              outcome: 'pending',
              score: 1,
              explanation: '',
            }),
            log.append({ kind: 'action', actor: 'engine', data: { id: action } }),
          ]);
        }
        await log.flush();
      }),
    );
    const reader = await PostgresStore.open(url);
    try {
      const incidents = await reader.listIncidents();
      const actions = await reader.listActions();
      expect(incidents).toHaveLength(2 * perEngine);
      expect(new Set(incidents.map((i) => i.id)).size).toBe(2 * perEngine);
      expect(actions).toHaveLength(2 * perEngine);
      for (const { ids } of engines)
        expect(incidents.filter((i) => i.id.startsWith(`${ids.runId}-inc-`))).toHaveLength(perEngine);
      expect(await reader.auditChains()).toEqual(engines.map((e) => e.ids.runId).sort());
      for (const { ids } of engines)
        expect(await verifyAuditLog(reader.auditStore(ids.runId), keys.ring())).toMatchObject({
          ok: true,
          entries: perEngine,
          unsealed: 0,
        });
    } finally {
      await reader.close();
      for (const { store } of engines) await store.close();
    }
  });

  it('numbers the versions two engines register at once 1, 2, 3... without a gap or a clash', {
    timeout: 60_000,
  }, async () => {
    const url = await freshDatabase();
    const stores = await Promise.all([0, 1].map(() => PostgresStore.open(url)));
    try {
      await Promise.all(
        stores.map(async (store, engine) => {
          const registry = new ModelRegistry(store);
          for (let i = 0; i < 4; i++) {
            const { version } = await registry.register({
              name: 'engine.detector',
              kind: 'detector',
              artefact: { engine, i },
            });
            await registry.promote('engine.detector', version);
          }
        }),
      );
      const versions = await new ModelRegistry(stores[0]).versions('engine.detector');
      expect(versions.map((v) => v.version)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      expect(new Set(versions.map((v) => JSON.stringify(v.artefact))).size).toBe(8);
      const events = await stores[0].listModelAliasEvents('engine.detector');
      expect(events.map((e) => e.seq)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    } finally {
      for (const store of stores) await store.close();
    }
  });

  it('applies each migration once when several engines start together', { timeout: 60_000 }, async () => {
    const url = await freshDatabase();
    const stores = await Promise.all(Array.from({ length: 6 }, () => PostgresStore.open(url)));
    try {
      const applied = await withSql(
        url,
        (sql) => sql`SELECT version FROM schema_migrations ORDER BY version`,
      );
      expect(applied.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
      // Every engine works on the migrated schema.
      await Promise.all(stores.map((s, i) => s.putValue(`engine-${i}`, { i })));
      expect(await stores[0].getValue('engine-5')).toEqual({ i: 5 });
    } finally {
      for (const store of stores) await store.close();
    }
  });

  it('migrates a store made before migrations were recorded, keeping its audit log as chain ""', async () => {
    const url = await freshDatabase();
    const record = JSON.stringify({ seq: 0, kind: 'run.start', note: 'written before chains' });
    await withSql(url, async (sql) => {
      await sql.unsafe(MIGRATIONS[0].sql);
      await sql`INSERT INTO audit_entries (position, record) VALUES (0, ${record})`;
    });
    const store = await PostgresStore.open(url);
    try {
      expect(await store.auditChains()).toEqual(['']);
      expect(await store.auditStore('').entries(0, 5)).toEqual([JSON.parse(record)]);
      const applied = await withSql(
        url,
        (sql) => sql`SELECT version FROM schema_migrations ORDER BY version`,
      );
      expect(applied.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
    } finally {
      await store.close();
    }
  });

  it("refuses someone else's database, a missing store when asked for one, and an unreachable server", async () => {
    const foreign = await freshDatabase();
    await withSql(foreign, (sql) => sql`CREATE TABLE invoices (id INT PRIMARY KEY)`);
    await expect(PostgresStore.open(foreign)).rejects.toThrow(NotAStoreError);
    await expect(PostgresStore.open(await freshDatabase(), { existing: true })).rejects.toThrow(
      /holds no x0tta6bl4 store/,
    );
    const nowhere = `postgres://engine:secret@127.0.0.1:${await freePort()}/x`;
    const refused = PostgresStore.open(nowhere, { connectTimeoutSeconds: 2 });
    await expect(refused).rejects.toThrow(StoreUnreachableError);
    await expect(refused).rejects.not.toThrow(/secret/);
    await expect(PostgresStore.open('/var/lib/store')).rejects.toThrow(/url/);
    await expect(PostgresStore.open(foreign, { outageMs: -1 })).rejects.toThrow(/outageMs/);
    await expect(PostgresStore.open(foreign, { connections: 0 })).rejects.toThrow(/connections/);
    await expect(PostgresStore.open(foreign, { connectTimeoutSeconds: 0 })).rejects.toThrow(
      /connectTimeoutSeconds/,
    );
  });

  it('keeps writes while the server is down for 30 s and lands them all when it returns', {
    timeout: 90_000 + OUTAGE_MS,
  }, async () => {
    const url = await freshDatabase();
    // Knowledge writes give up after a second here, so the outage outlasts them: the queue keeps them.
    const store = await PostgresStore.open(url, { connectTimeoutSeconds: 2, outageMs: 1_000 });
    // The audit log's writes wait for the server (the default: a minute).
    const auditing = await PostgresStore.open(url, { connectTimeoutSeconds: 2 });
    const ids = new IdSource();
    const faults: unknown[] = [];
    const queue = new WriteQueue(store, (error) => faults.push(error));
    const log = await AuditLog.open(auditing.auditStore(ids.runId), keys, { batchSize: 8 });
    const write = (n: number) => {
      for (let i = 0; i < n; i++) {
        const id = ids.incident();
        queue.enqueue((s) => s.putIncident({ ...incident, id }));
      }
    };
    try {
      write(10);
      await queue.flush();
      expect(queue.stats).toMatchObject({ written: 10, pending: 0 });

      await server.stop();
      write(15);
      await queue.flush();
      expect(queue.stats.pending).toBe(15);
      expect(faults.length).toBeGreaterThan(0);
      // The audit log's writes wait for the server.
      let audited = false;
      const appending = (async () => {
        for (let i = 0; i < 20; i++) await log.append({ kind: 'action', actor: 'engine', data: { i } });
        await log.flush();
        audited = true;
      })();
      await sleep(OUTAGE_MS);
      expect(audited).toBe(false);
      await server.start();

      // As the loop does on each tick: flush again until the queue has drained.
      const deadline = Date.now() + 30_000;
      while (queue.stats.pending > 0 && Date.now() < deadline) {
        await queue.flush();
        if (queue.stats.pending > 0) await sleep(200);
      }
      await appending;
      expect(queue.stats).toMatchObject({ written: 25, pending: 0 });
      const stored = (await store.listIncidents()).map((i) => i.id);
      expect(stored).toHaveLength(25);
      expect(new Set(stored).size).toBe(25);
      expect(await verifyAuditLog(store.auditStore(ids.runId), keys.ring())).toMatchObject({
        ok: true,
        entries: 20,
        unsealed: 0,
      });
    } finally {
      await store.close();
      await auditing.close();
    }
  });
});

describe('run --store postgres://... and audit verify', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'x0tta6bl4-pg-cli-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  /** `x0tta6bl4 run` in its own process, as one engine of several. */
  /** A `run` child process: its exit, and what it printed so far (for a run that does not end). */
  function runEngine(args: string[]): Promise<{ code: number | null; output: string }> & {
    output: () => string;
    kill: () => void;
  } {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'run', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk));
    const exit = new Promise<{ code: number | null; output: string }>((resolve) =>
      child.once('exit', (code) => resolve({ code, output })),
    );
    return Object.assign(exit, { output: () => output, kill: () => child.kill('SIGKILL') });
  }

  it('two engines run on one server at once; every chain verifies, and an edited entry fails', {
    timeout: 240_000,
  }, async () => {
    const url = await freshDatabase();
    const outs = [1, 2].map((seed) => join(dir, `report-${seed}.json`));
    const runs = await Promise.all(
      [1, 2].map((seed, i) =>
        runEngine([
          '--hours',
          '1',
          '--faults',
          '1',
          '--seed',
          String(seed),
          '--store',
          url,
          '--out',
          outs[i],
          '--quiet',
        ]),
      ),
    );
    for (const run of runs) expect(run.code, run.output).toBe(0);
    const reports = await Promise.all(
      outs.map(
        async (out) =>
          JSON.parse(await readFile(out, 'utf8')) as { runId: string; loop: { incidentsOpened: number } },
      ),
    );

    const verified = await runAudit(['verify', url, '--trust-embedded']);
    expect(verified.code, verified.out.join('\n') + verified.err.join('\n')).toBe(0);
    for (const { runId } of reports) {
      expect(verified.out).toContainEqual(expect.stringMatching(new RegExp(`^chain ${runId}: OK `)));
      // Each chain is checked against the checkpoint its run recorded.
      expect(verified.out).toContainEqual(
        `chain ${runId}: truncation: the log still holds 1 saved head it was checked against`,
      );
    }
    expect(verified.out.at(-1)).toMatch(
      /^knowledge: each of the \d+ actions and 2 runs in the store has its audit entries/,
    );

    const reader = await PostgresStore.open(url, { existing: true });
    try {
      const incidents = (await reader.listIncidents()).map((i) => i.id);
      for (const { runId, loop } of reports)
        expect(incidents.filter((id) => id.startsWith(`${runId}-inc-`))).toHaveLength(loop.incidentsOpened);
    } finally {
      await reader.close();
    }

    const edited = reports[1].runId;
    await withSql(
      url,
      (sql) =>
        sql`UPDATE audit_entries SET record = replace(record, '"actor":"engine"', '"actor":"intruder"')
            WHERE chain = ${edited} AND position = 0`,
    );
    const refused = await runAudit(['verify', url, '--trust-embedded']);
    expect(refused.code).toBe(1);
    expect(refused.out[0]).toMatch(new RegExp(`^chain ${edited}: FAILED: altered at position 0`));
    // A saved head names one chain; a store of several is checked against its runs' checkpoints.
    const ambiguous = await runAudit(['verify', url, '--trust-embedded', '--expect-entries', '3']);
    expect(ambiguous.code).toBe(2);
  });

  it('a run rides out the server stopped for 30 s mid-run: it completes, and its log and knowledge are whole', {
    timeout: 300_000 + OUTAGE_MS,
  }, async () => {
    const url = await freshDatabase();
    const out = join(dir, 'report-outage.json');
    const running = runEngine([
      '--hours',
      '6',
      '--faults',
      '2',
      '--seed',
      '3',
      '--store',
      url,
      '--out',
      out,
      '--quiet',
    ]);
    let exited = false;
    void running.then(() => (exited = true));
    // Wait until the run is writing incidents (or has ended), then take the server away.
    const deadline = Date.now() + 120_000;
    let incidents = 0;
    while (incidents === 0 && !exited && Date.now() < deadline) {
      await sleep(250);
      incidents = await withSql(url, async (sql) => {
        const [row] = await sql`SELECT (SELECT count(*) FROM incidents)::int AS n`;
        return row.n as number;
      }).catch(() => 0);
    }
    expect(incidents, running.output()).toBeGreaterThan(0);
    await server.stop();
    await sleep(OUTAGE_MS);
    await server.start();
    // A run that does not end is killed and its output shown, rather than timing the test out blind.
    const stuck = setTimeout(running.kill, 150_000);
    const run = await running;
    clearTimeout(stuck);
    expect(run.code, run.output).toBe(0);
    const report = JSON.parse(await readFile(out, 'utf8')) as {
      runId: string;
      loop: { incidentsOpened: number; actionsStarted: number };
    };
    const verified = await runAudit(['verify', url, '--trust-embedded']);
    expect(verified.code, verified.out.join('\n')).toBe(0);
    const reader = await PostgresStore.open(url, { existing: true });
    try {
      expect(await reader.listIncidents()).toHaveLength(report.loop.incidentsOpened);
      expect(await reader.listActions()).toHaveLength(report.loop.actionsStarted);
      expect((await reader.listRuns()).map((r) => r.status)).toEqual(['finished']);
    } finally {
      await reader.close();
    }
  });

  it('exits 2 for a server that is down or a database that holds no store', async () => {
    const empty = await runAudit(['verify', await freshDatabase(), '--trust-embedded']);
    expect(empty.code).toBe(2);
    expect(empty.err[0]).toMatch(/holds no x0tta6bl4 store/);
    const down = await runAudit([
      'verify',
      `postgres://postgres@127.0.0.1:${await freePort()}/x`,
      '--trust-embedded',
    ]);
    expect(down.code).toBe(2);
    expect(down.err[0]).toMatch(/unreachable/);
  });

  it('models, readiness and rag read and change a store on the server', { timeout: 60_000 }, async () => {
    const url = await freshDatabase();
    const store = await PostgresStore.open(url);
    const registry = new ModelRegistry(store);
    for (const threshold of [3, 4])
      await registry.register({
        name: 'detector.cpu',
        kind: 'detector',
        artefact: { threshold },
        parameters: { threshold },
        metrics: {},
      });
    for (const version of [1, 2])
      await recordVersion(store, 'config', { loop: { confirmTicks: 2 } }, version);
    await store.close();
    const out: string[] = [];
    const io: CommandIo = { out: (line) => out.push(line), err: () => {} };
    expect(await runModelsCommand(['list', '--store', url], io)).toBe(0);
    expect(out.join('\n')).toContain('detector.cpu');
    for (const version of [1, 2])
      expect(await runModelsCommand(['promote', `detector.cpu@${version}`, '--store', url], io)).toBe(0);
    expect(out.at(-1)).toBe('detector.cpu@champion -> version 2 (promote)');
    // Each change is signed into an audit chain of its own, and each verifies.
    const verified = await runAudit(['verify', url, '--trust-embedded']);
    expect(verified.code).toBe(0);
    expect(
      verified.out.filter((line) => /^chain \w+: OK .*: 1 entries in 1 signed batches/.test(line)),
    ).toHaveLength(2);

    const readiness = join(dir, 'readiness.json');
    const ready = await quietly(() =>
      runReadinessCommand([
        ...['--only', 'deploy.rollback-versions', '--only', 'deploy.config-valid'],
        ...['--store', url, '--out', readiness, '--quiet'],
      ]),
    );
    const report = JSON.parse(await readFile(readiness, 'utf8'));
    expect(report.checks.map((c: { status: string }) => c.status)).toEqual(['pass', 'pass']);
    expect(ready.code).toBe(0);

    const books = join(dir, 'books');
    await mkdir(books);
    await writeFile(
      join(books, 'toaster.md'),
      '---\nid: toaster-smoke\ntitle: Toaster emits smoke in rack 4\nfaults: [node-crash]\nsymptoms: [burning smell near rack four]\nmetrics: [temperature]\nactions: [failover]\nseverity: critical\n---\nUnplug the toaster.\n',
    );
    expect((await quietly(() => runRagCommand(['index', books, '--store', url]))).code).toBe(0);
    const found = await quietly(() =>
      runRagCommand(['query', 'burning smell by the rack', '--k', '1', '--store', url]),
    );
    expect(found.code).toBe(0);
    expect(found.out).toMatch(/^1\. toaster-smoke/);
  });
});
