import { afterAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createContext, type RunContext } from '../src/readiness/context.ts';
import { runChecks } from '../src/readiness/runner.ts';
import type { Check, CheckContext } from '../src/readiness/check.ts';
import { READINESS_CHECKS } from '../src/readiness/catalog.ts';
import { CATEGORIES } from '../src/readiness/check.ts';
import { satisfiesMinimum } from '../src/readiness/checks/deployment.ts';
import { LoopProbes } from '../src/readiness/probes.ts';
import { idleLoopStats } from './conformance/helpers/loop-stats.ts';
import { serveProbes } from '../src/readiness/probe-server.ts';
import { recordVersion } from '../src/readiness/versions.ts';
import { runReadinessCommand } from '../src/cli/readiness.ts';
import { NodeKeys } from '../src/security/keys.ts';
import { PGliteStore } from '../src/knowledge/pglite-store.ts';
import { openStoreForWriting } from '../src/knowledge/store-directory.ts';
import { ModelRegistry } from '../src/mlops/registry.ts';

const dirs: string[] = [];
const contexts: RunContext[] = [];
afterAll(async () => {
  await Promise.all(contexts.map((c) => c.dispose()));
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'readiness-test-'));
  dirs.push(dir);
  return dir;
}

async function context(options: Parameters<typeof createContext>[0] = {}): Promise<RunContext> {
  const c = await createContext(options);
  contexts.push(c);
  return c;
}

function byId(id: string): Check {
  const check = READINESS_CHECKS.find((c) => c.id === id);
  if (!check) throw new Error(`no check ${id}`);
  return check;
}

async function run(ids: string[], ctx: CheckContext) {
  return (await runChecks(ids.map(byId), ctx)).checks;
}

describe('readiness catalogue', () => {
  it('has 29 or more checks of a deployment with unique ids, in every category, many critical', () => {
    expect(READINESS_CHECKS.length).toBeGreaterThanOrEqual(29);
    expect(new Set(READINESS_CHECKS.map((c) => c.id)).size).toBe(READINESS_CHECKS.length);
    expect(new Set(READINESS_CHECKS.map((c) => c.category))).toEqual(new Set(CATEGORIES));
    expect(READINESS_CHECKS.filter((c) => c.critical).length).toBeGreaterThanOrEqual(15);
    for (const c of READINESS_CHECKS) expect(c.expected.length).toBeGreaterThan(5);
  });

  it('holds no check of the repository itself (that is scripts/lint-repo.ts)', () => {
    const ids = READINESS_CHECKS.map((c) => c.id);
    expect(ids.filter((id) => id.startsWith('quality.'))).toEqual([]);
    for (const id of ['testing.no-skip-only', 'testing.folders-covered', 'deploy.lockfile'])
      expect(ids).not.toContain(id);
  });
});

describe('run context', () => {
  it('finds the package root above its module', async () => {
    expect((await context()).packageRoot).toBe(process.cwd());
  });
});

describe('runtime checks on this machine', () => {
  it('kernel twins agree, wasm artefacts validate, the runbook corpus is in sync', async () => {
    const ids = [
      'testing.twin-stats',
      'testing.twin-scoring',
      'testing.twin-similarity',
      'testing.twin-embed',
      'deploy.wasm-artifacts',
      'deploy.runbook-corpus',
      'deploy.engines',
    ];
    const results = await run(ids, await context());
    for (const r of results) expect(r.status, `${r.id}: ${JSON.stringify(r.evidence)}`).toBe('pass');
    expect(results[0].evidence).toMatchObject({ backends: ['wasm', 'ts'], zDiffering: 0, stateDiffering: 0 });
  });

  it('post-quantum known answers, audit log, sealed messages and key lifecycle hold', async () => {
    const ids = [
      'security.ml-kem-kat',
      'security.ml-dsa-kat',
      'security.audit-log',
      'security.sealed-messages',
      'security.key-lifecycle',
    ];
    const results = await run(ids, await context());
    for (const r of results) expect(r.status, `${r.id}: ${JSON.stringify(r.evidence)}`).toBe('pass');
    expect(results[2].evidence.alteredEntry42).toMatch(/^altered at 42/);
  });

  it('the worker pool starts, scores like the main thread and survives a crash', async () => {
    const results = await run(['infra.kernel-pool', 'infra.pool-crash-recovery'], await context());
    for (const r of results) expect(r.status, `${r.id}: ${JSON.stringify(r.evidence)}`).toBe('pass');
    expect(results[1].evidence.crashes).toBe(1);
  });

  it('probes answer over a running loop and catch its stall, also over HTTP', async () => {
    const results = await run(['infra.probes', 'infra.http-probes'], await context());
    for (const r of results) expect(r.status, `${r.id}: ${JSON.stringify(r.evidence)}`).toBe('pass');
  });
});

describe('deployment keys', () => {
  async function keysFile(now: number): Promise<string> {
    const file = join(await tempDir(), 'keys.json');
    await writeFile(file, JSON.stringify(NodeKeys.generate({ owner: 'node-1', now }).ring().toJSON()));
    return file;
  }

  it('pass when current, fail near expiry, fail on a broken file, n/a without --keys', async () => {
    const created = Date.UTC(2026, 10, 27, 0, 0);
    const file = await keysFile(created);
    const check = ['security.deployment-keys'];
    const fresh = await run(check, await context({ keysPath: file, now: () => created + 60_000 }));
    expect(fresh[0].status).toBe('pass');
    expect(fresh[0].evidence.keys).toHaveLength(2);
    const nearExpiry = await run(
      check,
      await context({ keysPath: file, now: () => created + 24 * 3_600_000 - 10 * 60_000 }),
    );
    expect(nearExpiry[0].status).toBe('fail');
    expect(nearExpiry[0].actual).toBe('0/2 current keys healthy');
    const broken = join(await tempDir(), 'broken.json');
    await writeFile(broken, '{"format":"x0tta6bl4-keys/1","keys":[{"id":"x"}]}');
    expect((await run(check, await context({ keysPath: broken })))[0].status).toBe('fail');
    expect((await run(check, await context()))[0].status).toBe('not-applicable');
  });
});

/** Registers version `version` of `name` in the store's model registry and makes it the champion. */
async function championVersion(store: PGliteStore, name: string, version: number): Promise<void> {
  const registry = new ModelRegistry(store);
  await registry.register({ name, kind: 'detector', artefact: { detector: `resonance-v${version}` } });
  await registry.promote(name, version);
}

describe('rollback versions and configuration in a durable store', () => {
  it('fail with a single version, pass with an earlier one to return to, and name config problems', async () => {
    const dir = await tempDir();
    const checks = ['deploy.rollback-versions', 'deploy.config-valid'];
    let store = await PGliteStore.open(dir);
    await recordVersion(store, 'config', { loop: { confirmTicks: 2 } }, 1);
    await store.close();
    const none = await run(checks, await context({ storePath: dir }));
    expect(none[0].actual).toBe('config -> vnone; no champion model');

    store = await PGliteStore.open(dir);
    await championVersion(store, 'detector.cpu', 1);
    await store.close();
    const single = await run(checks, await context({ storePath: dir }));
    expect(single.map((r) => r.status)).toEqual(['fail', 'pass']);
    expect(single[0].evidence).toMatchObject({
      config: { versions: 1, rollbackTo: null },
      withoutRollback: ['detector.cpu'],
    });

    store = await PGliteStore.open(dir);
    await recordVersion(store, 'config', { loop: { confirmTicks: 0 } }, 2);
    await championVersion(store, 'detector.cpu', 2);
    await store.close();
    const two = await run(checks, await context({ storePath: dir }));
    expect(two.map((r) => r.status)).toEqual(['pass', 'fail']);
    expect(two[0].actual).toBe('config -> v1; detector.cpu v2 -> v1');
    expect(two[1].evidence.problems).toEqual(['loop.confirmTicks: expected an integer >= 1, got 0']);

    // A second model without an earlier champion fails the check, naming it.
    store = await PGliteStore.open(dir);
    await championVersion(store, 'scorer', 1);
    await store.close();
    const stuck = await run(checks, await context({ storePath: dir }));
    expect(stuck[0].status).toBe('fail');
    expect(stuck[0].evidence.withoutRollback).toEqual(['scorer']);

    const missing = await run(checks, await context({ storePath: join(dir, 'nope') }));
    expect(missing.map((r) => r.status)).toEqual(['fail', 'fail']);
    expect(String(missing[0].evidence.error)).toContain('does not exist');
  }, 60_000);

  it('reads a real store from a snapshot: readiness --store leaves every file of it as it was', async () => {
    const dir = join(await tempDir(), 'store');
    const opened = await openStoreForWriting(dir);
    for (const version of [1, 2]) {
      await recordVersion(opened.knowledge, 'config', { loop: { confirmTicks: 2 } }, version);
      await championVersion(opened.knowledge, 'detector.cpu', version);
    }
    await opened.close();
    /** Each file under the store: its size and modification time. */
    const files = async () => {
      const entries = await readdir(dir, { recursive: true, withFileTypes: true });
      const states: Record<string, string> = {};
      for (const entry of entries.filter((e) => e.isFile())) {
        const path = join(entry.parentPath, entry.name);
        const { size, mtimeMs } = await stat(path);
        states[path] = `${size} bytes, modified ${mtimeMs}`;
      }
      return states;
    };
    const before = await files();
    expect(Object.keys(before).length).toBeGreaterThan(10);
    const out = join(await tempDir(), 'readiness.json');
    const code = await runReadinessCommand([
      '--only',
      'deploy.rollback-versions',
      '--only',
      'deploy.config-valid',
      '--store',
      dir,
      '--out',
      out,
      '--html',
      join(dirname(out), 'readiness.html'),
      '--quiet',
    ]);
    const report = JSON.parse(await readFile(out, 'utf8'));
    expect(report.checks.map((c: { status: string }) => c.status)).toEqual(['pass', 'pass']);
    expect(code).toBe(0);
    expect(await files()).toEqual(before);
  }, 60_000);

  it('compares engine versions with >= ranges', () => {
    expect(satisfiesMinimum('20.20.2', '>=20.19')).toBe(true);
    expect(satisfiesMinimum('20.19.0', '>=20.19')).toBe(true);
    expect(satisfiesMinimum('20.18.9', '>=20.19')).toBe(false);
    expect(satisfiesMinimum('22.0.0', '>= 20')).toBe(true);
    expect(satisfiesMinimum('20.0.0', '^20')).toBeUndefined();
  });
});

describe('probe HTTP server', () => {
  it('answers 200 when ok, 503 when not, 404 elsewhere', async () => {
    let ticks = 0;
    let now = 0;
    const loop = {
      stats: () => idleLoopStats({ ticks }),
    };
    const server = await serveProbes(new LoopProbes(loop, { staleAfterMs: 100, now: () => now }));
    try {
      expect((await fetch(`${server.url}/readyz`)).status).toBe(503); // not started
      ticks = 3;
      const ready = await fetch(`${server.url}/readyz`);
      expect(ready.status).toBe(200);
      expect((await ready.json()).conditions.started.detail).toBe('3 ticks');
      now = 500;
      expect((await fetch(`${server.url}/healthz`)).status).toBe(503);
      expect((await fetch(`${server.url}/metrics`)).status).toBe(404);
    } finally {
      await server.close();
    }
  });
});

describe('x0tta6bl4 readiness command', () => {
  it('writes JSON and HTML and exits 0 when the selected critical checks pass', async () => {
    const dir = await tempDir();
    const out = join(dir, 'r.json');
    const html = join(dir, 'r.html');
    const code = await runReadinessCommand([
      '--only',
      'security.ml',
      '--out',
      out,
      '--html',
      html,
      '--quiet',
    ]);
    expect(code).toBe(0);
    const report = JSON.parse(await readFile(out, 'utf8'));
    expect(report.checks.map((c: { id: string }) => c.id)).toEqual([
      'security.ml-kem-kat',
      'security.ml-dsa-kat',
    ]);
    expect(report.ready).toBe(true);
    expect(await readFile(html, 'utf8')).toContain('READY');
  });

  it('exits 1 when a critical check fails, or is not applicable under --strict; 2 on bad usage', async () => {
    const dir = await tempDir();
    const files = ['--out', join(dir, 'r.json'), '--html', join(dir, 'r.html'), '--quiet'];
    const broken = join(dir, 'keys.json');
    await writeFile(broken, 'not json');
    expect(
      await runReadinessCommand(['--only', 'security.deployment-keys', '--keys', broken, ...files]),
    ).toBe(1);
    expect(await runReadinessCommand(['--only', 'security.deployment-keys', ...files])).toBe(0);
    expect(await runReadinessCommand(['--only', 'security.deployment-keys', '--strict', ...files])).toBe(1);
    expect(await runReadinessCommand(['--bogus'])).toBe(2);
    expect(await runReadinessCommand(['--only', 'nothing.matches', ...files])).toBe(2);
  });
});
