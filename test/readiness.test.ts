import { afterAll, describe, expect, it } from 'vitest';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createContext, type RunContext } from '../src/readiness/context.ts';
import { runChecks } from '../src/readiness/runner.ts';
import type { Check, CheckContext } from '../src/readiness/check.ts';
import { READINESS_CHECKS } from '../src/readiness/catalog.ts';
import { CATEGORIES } from '../src/readiness/check.ts';
import { satisfiesMinimum } from '../src/readiness/checks/deployment.ts';
import { LoopProbes } from '../src/readiness/probes.ts';
import { serveProbes } from '../src/readiness/probe-server.ts';
import { recordVersion } from '../src/readiness/versions.ts';
import { runReadinessCommand } from '../src/cli/readiness.ts';
import { NodeKeys } from '../src/security/keys.ts';
import { PGliteStore } from '../src/knowledge/pglite-store.ts';

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

/** Writes a minimal checkout: files maps relative paths to contents. */
async function checkout(files: Record<string, string>): Promise<string> {
  const root = await tempDir();
  const all = { 'package.json': JSON.stringify({ name: 'x0tta6bl4' }), 'tsconfig.json': '{}', ...files };
  for (const [path, text] of Object.entries(all)) {
    await mkdir(join(root, path, '..'), { recursive: true });
    await writeFile(join(root, path), text);
  }
  return root;
}

// Spelled in parts so this suite does not trip the very checks it tests.
const FOCUSED = 'it.' + 'only';
const MARKER = 'TO' + 'DO';

describe('readiness catalogue', () => {
  it('has at least 30 checks with unique ids, in all six categories, many critical', () => {
    expect(READINESS_CHECKS.length).toBeGreaterThanOrEqual(30);
    expect(new Set(READINESS_CHECKS.map((c) => c.id)).size).toBe(READINESS_CHECKS.length);
    expect(new Set(READINESS_CHECKS.map((c) => c.category))).toEqual(new Set(CATEGORIES));
    expect(READINESS_CHECKS.filter((c) => c.critical).length).toBeGreaterThanOrEqual(15);
    for (const c of READINESS_CHECKS) expect(c.expected.length).toBeGreaterThan(5);
  });
});

describe('repository checks', () => {
  it('find this repository as the checkout when run from its sources', async () => {
    const ctx = await context();
    expect(ctx.sourceRoot).toBe(process.cwd());
    expect(ctx.packageRoot).toBe(process.cwd());
  });

  it('report not-applicable where there are no sources (an installed package)', async () => {
    const installed = await tempDir();
    await writeFile(join(installed, 'package.json'), JSON.stringify({ name: 'x0tta6bl4' }));
    await mkdir(join(installed, 'dist'));
    const ctx = await context({ root: installed });
    expect(ctx.sourceRoot).toBeNull();
    const results = await run(
      ['quality.typecheck', 'quality.markers', 'testing.no-skip-only', 'deploy.lockfile'],
      ctx,
    );
    expect(results.map((r) => r.status)).toEqual([
      'not-applicable',
      'not-applicable',
      'not-applicable',
      'not-applicable',
    ]);
    expect(String(results[0].evidence.rule)).toContain('checkout');
  });

  it('catch markers, focused tests, missing folder headers, Math.random and bad imports', async () => {
    const root = await checkout({
      'src/good/index.ts': '/** The good folder. */\nexport const x = 1;\n',
      'src/bad/index.ts': `// ${MARKER} later\nexport default function f() { return Math.random(); }\nimport { y } from './y';\n`,
      'src/none/y.ts': '/** Y. */\nexport function y() {}\n\nexport class Z {}\n',
      'test/a.test.ts': `import { it } from 'vitest';\n${FOCUSED}('x', () => {});\n`,
      'test/conformance/c.test.ts': "import { readFileSync } from 'node:fs';\n",
    });
    const ctx = await context({ root });
    expect(ctx.sourceRoot).toBe(root);
    const results = await run(
      [
        'quality.markers',
        'quality.folder-headers',
        'quality.seeded-randomness',
        'quality.module-conventions',
        'quality.doc-comments',
        'testing.no-skip-only',
        'testing.folders-covered',
        'testing.conformance-portable',
      ],
      ctx,
    );
    const by = Object.fromEntries(results.map((r) => [r.id, r]));
    for (const r of results) expect(r.status, r.id).toBe('fail');
    expect(by['quality.markers'].evidence.found).toEqual([`src/bad/index.ts:1: // ${MARKER} later`]);
    expect(by['quality.folder-headers'].evidence).toMatchObject({
      missing: ['src/none/index.ts'],
      headerless: ['src/bad/index.ts'],
    });
    expect(by['quality.seeded-randomness'].actual).toBe('1 calls');
    expect(by['quality.module-conventions'].evidence).toMatchObject({
      badImports: ['src/bad/index.ts: ./y'],
    });
    expect(by['quality.doc-comments'].evidence.undocumented).toEqual(['src/none/y.ts:4: export class Z {}']);
    expect(by['testing.no-skip-only'].evidence.found).toEqual([
      `test/a.test.ts:2: ${FOCUSED}('x', () => {});`,
    ]);
    expect(by['testing.folders-covered'].evidence.untested).toEqual(['bad', 'good', 'none']);
    expect(by['testing.conformance-portable'].evidence.nonPortable).toEqual([
      'test/conformance/c.test.ts: node:fs',
    ]);
  });

  it('pass on a clean checkout', async () => {
    const root = await checkout({
      'src/good/index.ts': "/** The good folder. */\nexport { y } from './y.ts';\n",
      'src/good/y.ts': '/** Y. */\nexport function y() {\n  return 1;\n}\n',
      'test/conformance/good.test.ts':
        "import { it, expect } from 'vitest';\nimport { y } from '../../src/good/index.ts';\nit('y', () => expect(y()).toBe(1));\n",
    });
    const results = await run(
      [
        'quality.markers',
        'quality.folder-headers',
        'quality.seeded-randomness',
        'quality.module-conventions',
        'quality.doc-comments',
        'quality.file-length',
        'testing.no-skip-only',
        'testing.folders-covered',
        'testing.conformance-portable',
      ],
      await context({ root }),
    );
    for (const r of results) expect(r.status, `${r.id}: ${JSON.stringify(r.evidence)}`).toBe('pass');
  });

  it('run tsc for the type check and report its errors', async () => {
    const [result] = await run(['quality.typecheck'], await context());
    expect(result.evidence.command).toBe('tsc -p tsconfig.json --noEmit');
    expect(typeof result.evidence.exitCode).toBe('number');
    expect(result.status).toBe(result.evidence.exitCode === 0 ? 'pass' : 'fail');
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

describe('rollback versions and configuration in a durable store', () => {
  it('fail with a single version, pass with an earlier one to return to, and name config problems', async () => {
    const dir = await tempDir();
    const checks = ['deploy.rollback-versions', 'deploy.config-valid'];
    let store = await PGliteStore.open(dir);
    await recordVersion(store, 'config', { loop: { confirmTicks: 2 } }, 1);
    await recordVersion(store, 'model', { detector: 'resonance-v1' }, 1);
    await store.close();
    const single = await run(checks, await context({ storePath: dir }));
    expect(single.map((r) => r.status)).toEqual(['fail', 'pass']);
    expect(single[0].evidence).toMatchObject({ config: { versions: 1, rollbackTo: null } });

    store = await PGliteStore.open(dir);
    await recordVersion(store, 'config', { loop: { confirmTicks: 0 } }, 2);
    await recordVersion(store, 'model', { detector: 'resonance-v2' }, 2);
    await store.close();
    const two = await run(checks, await context({ storePath: dir }));
    expect(two.map((r) => r.status)).toEqual(['pass', 'fail']);
    expect(two[0].actual).toBe('config -> v1, model -> v1');
    expect(two[1].evidence.problems).toEqual(['loop.confirmTicks: expected an integer >= 1, got 0']);

    const missing = await run(checks, await context({ storePath: join(dir, 'nope') }));
    expect(missing.map((r) => r.status)).toEqual(['fail', 'fail']);
    expect(String(missing[0].evidence.error)).toContain('does not exist');
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
      stats: () => ({
        ticks,
        samplesAccepted: 0,
        samplesRejected: 0,
        incidentsOpened: 0,
        incidentsResolved: 0,
        incidentsEscalated: 0,
        actionsStarted: 0,
        actionsHealed: 0,
        actionsFailed: 0,
        storePending: 0,
        storeFailures: 0,
      }),
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
    expect(await runReadinessCommand(['--root', dir, ...files])).toBe(2);
    expect(await runReadinessCommand(['--only', 'nothing.matches', ...files])).toBe(2);
  });
});
