/**
 * Infrastructure: the parts the engine stands on, exercised. Kernel workers start and compute
 * what the main thread computes; a pool replaces a crashed worker; the durable knowledge store
 * gives back after a reopen exactly what the engine wrote; a failing store does not stop the
 * loop; the health and readiness probes answer over a running loop, also over HTTP.
 */
import { verdict, type Check } from '../check.ts';
import type { MeshLoop } from '../../run/mesh-loop.ts';

/** Ticks `mesh` in the background, yielding to the event loop between ticks, until stopped. */
function drive(mesh: MeshLoop): { stop(): Promise<void> } {
  let running = true;
  const done = (async () => {
    while (running) {
      await mesh.step();
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  })();
  return {
    async stop() {
      running = false;
      await done;
    },
  };
}

/** JSON with object keys sorted at every level, for order-insensitive comparison. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The Infrastructure checks. */
export const infrastructureChecks: readonly Check[] = [
  {
    id: 'infra.kernel-pool',
    title: 'Kernel worker pool starts and scores exactly as the main thread does',
    category: 'Infrastructure',
    critical: true,
    expected: 'createKernelPool({ size: 2 }) starts; 4 batches scored in workers equal the in-process scores',
    timeoutMs: 45_000,
    async run() {
      const { createKernelPool } = await import('../../kernels/pool.ts');
      const { createScorer } = await import('../../kernels/scoring/index.ts');
      const { Rng } = await import('../../random.ts');
      const rng = new Rng(3);
      const features = 12;
      const rank = 2;
      const fill = (n: number) => Float32Array.from({ length: n }, () => rng.range(-1, 1));
      const parameters = { weights: fill(features), a: fill(features * rank), b: fill(rank) };
      const local = await createScorer({ features, rank, ...parameters });
      const pool = createKernelPool({ size: 2 });
      try {
        const began = performance.now();
        await pool.start();
        const startMs = Math.round(performance.now() - began);
        const batches = Array.from({ length: 4 }, () => fill(64 * features));
        const remote = await Promise.all(
          batches.map((candidates) =>
            pool.run('score', [{ features, rank, ...parameters, candidates: candidates.slice() }]),
          ),
        );
        let differing = 0;
        batches.forEach((candidates, i) => {
          const expected = local.score(candidates);
          for (let c = 0; c < 64; c++) if (!Object.is(expected.scores[c], remote[i].scores[c])) differing++;
          if (expected.best !== remote[i].best) differing++;
        });
        return verdict(
          differing === 0 && pool.crashes === 0,
          `${pool.size} workers started in ${startMs} ms; ${differing} differing scores`,
          {
            workers: pool.size,
            startMs,
            batches: batches.length,
            differingScores: differing,
            crashes: pool.crashes,
          },
        );
      } finally {
        await pool.close({ drain: false });
      }
    },
  },
  {
    id: 'infra.pool-crash-recovery',
    title: 'Worker pool survives a worker crash',
    category: 'Infrastructure',
    critical: true,
    expected:
      'the crashed call rejects with WorkerCrashedError; a new worker serves the next call; crashes = 1',
    timeoutMs: 45_000,
    async run() {
      const { WorkerPool } = await import('../../runtime/pool.ts');
      const { workerEntry } = await import('../../runtime/spawn.ts');
      const { runtimeName } = await import('../../runtime/detect.ts');
      type CrashWorkerApi = import('../crash-worker.ts').CrashWorkerApi;
      const pool = new WorkerPool<CrashWorkerApi>(
        {
          url: workerEntry(new URL('../crash-worker.ts', import.meta.url), import.meta.url),
          create:
            runtimeName() === 'browser'
              ? () => new Worker(new URL('../crash-worker.ts', import.meta.url), { type: 'module' })
              : undefined,
        },
        { size: 1 },
      );
      try {
        const before = await pool.run('id', []);
        const crash = await pool.run('crash', []).then(
          () => 'resolved',
          (error: Error) => error.name,
        );
        const after = await pool.run('id', []);
        const ok = crash === 'WorkerCrashedError' && after !== before && pool.crashes === 1;
        return verdict(ok, `crash -> ${crash}; replacement served: ${after !== before}`, {
          crashedCall: crash,
          workerBefore: before,
          workerAfter: after,
          crashes: pool.crashes,
        });
      } finally {
        await pool.close({ drain: false });
      }
    },
  },
  {
    id: 'infra.knowledge-reopen',
    title: 'Durable knowledge store (PGlite) survives a reopen with nothing lost',
    category: 'Infrastructure',
    critical: true,
    expected:
      'incidents, actions, posteriors and values written by a loop run read back identical after close and reopen',
    timeoutMs: 60_000,
    async run(context) {
      const { MeshLoop } = await import('../../run/mesh-loop.ts');
      const { MemoryStore } = await import('../../knowledge/memory-store.ts');
      const { PGliteStore } = await import('../../knowledge/pglite-store.ts');
      const source = new MemoryStore();
      const mesh = await MeshLoop.create({ store: source, hours: 1, faultsPerKind: 2 });
      for (let i = 0; i < 1500; i++) await mesh.step();
      await mesh.loop.flush();
      const snapshot = async (store: import('../../knowledge/store.ts').KnowledgeStore) => ({
        incidents: (await store.listIncidents()).sort((a, b) => (a.id < b.id ? -1 : 1)),
        actions: (await store.listActions()).sort((a, b) => (a.id < b.id ? -1 : 1)),
        posteriors: (await store.listPosteriors()).sort((a, b) =>
          `${a.signature} ${a.action}` < `${b.signature} ${b.action}` ? -1 : 1,
        ),
        value: await store.getValue('readiness/probe-value'),
      });
      const written = { ...(await snapshot(source)), value: { stats: mesh.loop.stats(), note: 'ünïcode ✓' } };
      const dir = await context.tempDir();
      const first = await PGliteStore.open(dir);
      for (const incident of written.incidents) await first.putIncident(incident);
      for (const action of written.actions) await first.putAction(action);
      for (const posterior of written.posteriors) await first.putPosterior(posterior);
      await first.putValue('readiness/probe-value', written.value);
      await first.close();
      const reopened = await PGliteStore.open(dir);
      const read = await snapshot(reopened);
      await reopened.close();
      // Postgres jsonb reorders object keys, so compare canonical forms.
      const same = (key: keyof typeof written) => canonicalJson(written[key]) === canonicalJson(read[key]);
      const mismatched = (['incidents', 'actions', 'posteriors', 'value'] as const).filter((k) => !same(k));
      const ok = mismatched.length === 0 && written.incidents.length > 0 && written.actions.length > 0;
      return verdict(
        ok,
        `${written.incidents.length} incidents, ${written.actions.length} actions, ${written.posteriors.length} posteriors; ${mismatched.length} kinds differ`,
        {
          incidents: written.incidents.length,
          actions: written.actions.length,
          posteriors: written.posteriors.length,
          mismatched,
        },
      );
    },
  },
  {
    id: 'infra.store-failure-tolerance',
    title: 'A failing knowledge store does not stop the loop',
    category: 'Infrastructure',
    critical: true,
    expected: 'every tick completes while every store write rejects; the failures are counted',
    timeoutMs: 30_000,
    async run() {
      const { MeshLoop } = await import('../../run/mesh-loop.ts');
      const down = () => Promise.reject(new Error('store unavailable'));
      const broken = {
        putIncident: down,
        putAction: down,
        putPosterior: down,
        putValue: down,
        getValue: down,
        listIncidents: down,
        listActions: down,
        listPosteriors: down,
        close: () => Promise.resolve(),
      };
      const mesh = await MeshLoop.create({ store: broken, hours: 1, faultsPerKind: 2 });
      const ticks = 1200;
      for (let i = 0; i < ticks; i++) await mesh.step();
      const stats = mesh.loop.stats();
      const ok = stats.ticks === ticks && stats.incidentsOpened > 0 && stats.storeFailures > 0;
      return verdict(ok, `${stats.ticks}/${ticks} ticks, ${stats.storeFailures} store failures absorbed`, {
        ticks: stats.ticks,
        incidentsOpened: stats.incidentsOpened,
        storeFailures: stats.storeFailures,
        storePending: stats.storePending,
      });
    },
  },
  {
    id: 'infra.probes',
    title: 'Health and readiness probes answer over a running loop and catch a stall',
    category: 'Infrastructure',
    critical: true,
    expected:
      'both probes ok while the loop runs; liveness fails once it has stopped for longer than staleAfterMs',
    async run() {
      const { MeshLoop } = await import('../../run/mesh-loop.ts');
      const { LoopProbes } = await import('../probes.ts');
      const mesh = await MeshLoop.create();
      const probes = new LoopProbes(mesh.loop, { staleAfterMs: 250 });
      const driver = drive(mesh);
      await sleep(300);
      const running = { health: probes.health(), readiness: probes.readiness() };
      await driver.stop();
      probes.health(); // the poll that sees the last ticks
      await sleep(400);
      const stalled = probes.health();
      const ok = running.health.ok && running.readiness.ok && !stalled.ok;
      return verdict(
        ok,
        `running: health ${running.health.ok}, readiness ${running.readiness.ok}; stalled: health ${stalled.ok}`,
        {
          running,
          stalled,
        },
      );
    },
  },
  {
    id: 'infra.http-probes',
    title: 'Probe endpoints answer over HTTP (/healthz, /readyz)',
    category: 'Infrastructure',
    critical: false,
    expected: '200 with JSON from both while the loop runs; 503 from /healthz after it stalls; 404 elsewhere',
    async run() {
      const { MeshLoop } = await import('../../run/mesh-loop.ts');
      const { LoopProbes } = await import('../probes.ts');
      const { serveProbes } = await import('../probe-server.ts');
      const mesh = await MeshLoop.create();
      const probes = new LoopProbes(mesh.loop, { staleAfterMs: 250 });
      const server = await serveProbes(probes);
      try {
        const driver = drive(mesh);
        await sleep(300);
        const get = async (path: string) => {
          const response = await fetch(server.url + path);
          const body = await response.text();
          return {
            status: response.status,
            json:
              response.headers.get('content-type') === 'application/json' &&
              JSON.parse(body).ok !== undefined,
          };
        };
        const healthz = await get('/healthz');
        const readyz = await get('/readyz');
        await driver.stop();
        await get('/healthz'); // the poll that sees the last ticks
        await sleep(400);
        const stalled = await get('/healthz');
        const missing = await get('/nope');
        const ok =
          healthz.status === 200 &&
          healthz.json &&
          readyz.status === 200 &&
          readyz.json &&
          stalled.status === 503 &&
          missing.status === 404;
        return verdict(
          ok,
          `/healthz ${healthz.status}, /readyz ${readyz.status}, stalled /healthz ${stalled.status}`,
          {
            url: server.url,
            healthz,
            readyz,
            stalledHealthz: stalled,
            unknownPath: missing,
          },
        );
      } finally {
        await server.close();
      }
    },
  },
];
