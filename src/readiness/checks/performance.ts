/**
 * Performance: the engine measured, not assumed. Latency goes through the load tester's open
 * model (src/load: arrival on schedule, coordinated-omission-corrected HDR percentiles);
 * throughput and memory come from one shared 10,000-tick endurance run (../endurance.ts).
 */
import { verdict, type Check, type CheckContext } from '../check.ts';
import type { LoadResult } from '../../load/run.ts';
import type { EnduranceResult } from '../endurance.ts';

const ms = (x: number) => `${Number(x.toPrecision(3))} ms`;

function endurance(context: CheckContext): Promise<EnduranceResult> {
  return context.shared('endurance', async () => (await import('../endurance.ts')).runEndurance(10_000, 25));
}

/** Cores and 1-minute load average: a figure taken on a busy host reads differently. */
async function host(): Promise<{ cores: number; loadAverage1m: number }> {
  const os = await import('node:os');
  return { cores: os.availableParallelism(), loadAverage1m: Math.round(os.loadavg()[0] * 100) / 100 };
}

/** Figures of a load run that a latency check keeps as evidence. */
function latencyEvidence(result: LoadResult) {
  const { summary } = result;
  return {
    targetRate: summary.targetRate,
    achievedRate: Math.round(summary.achievedRate * 10) / 10,
    calls: summary.ok,
    failed: summary.failed,
    timeouts: summary.timeouts,
    dropped: summary.dropped,
    latencyMs: summary.latency,
    uncorrectedP99Ms: summary.uncorrectedLatency.p99,
  };
}

/** Settled calls that did not fail: a latency figure only counts when every call succeeded. */
function clean(result: LoadResult): boolean {
  const s = result.summary;
  return s.ok > 0 && s.failed === 0 && s.timeouts === 0 && s.dropped === 0;
}

const MAX_HEAP_GROWTH_MB = 5;

/** The Performance checks. */
export const performanceChecks: readonly Check[] = [
  {
    id: 'perf.loop-p99',
    title: 'MAPE-K loop tick p99 latency under open-model load',
    category: 'Performance',
    critical: true,
    expected: 'p99 < 100 ms at 100 ticks/s for 5 s (50-node mesh with faults), no failed or dropped ticks',
    timeoutMs: 45_000,
    async run() {
      const { MeshLoop } = await import('../../run/mesh-loop.ts');
      const { runScenario } = await import('../../load/run.ts');
      const mesh = await MeshLoop.create({ hours: 1, faultsPerKind: 2 });
      // Past the simulator's warm-up, so faults are live and the detector has baselines.
      for (let i = 0; i < 600; i++) await mesh.step();
      const before = mesh.loop.stats();
      // Ticks must not overlap: each waits for the previous one, and that wait counts as latency.
      let chain: Promise<void> = Promise.resolve();
      const tick = () => (chain = chain.catch(() => {}).then(() => mesh.step()));
      const result = await runScenario(tick, {
        name: 'loop-ticks',
        model: 'open',
        stages: [{ durationMs: 5000, rate: 100 }],
      });
      const after = mesh.loop.stats();
      const p99 = result.summary.latency.p99;
      return verdict(clean(result) && p99 < 100, `p99 ${ms(p99)}`, {
        ...latencyEvidence(result),
        incidentsOpenedDuringRun: after.incidentsOpened - before.incidentsOpened,
        actionsStartedDuringRun: after.actionsStarted - before.actionsStarted,
        nodes: 50,
        host: await host(),
      });
    },
  },
  {
    id: 'perf.throughput',
    title: 'Loop throughput over a 10,000-tick endurance run',
    category: 'Performance',
    critical: true,
    expected: '> 10 loop iterations/s over 10,000 iterations (25-node mesh with faults)',
    timeoutMs: 60_000,
    async run(context) {
      const r = await endurance(context);
      return verdict(r.ticksPerSecond > 10, `${Math.round(r.ticksPerSecond)} iterations/s`, {
        iterations: r.iterations,
        seconds: Math.round(r.seconds * 100) / 100,
        ticksPerSecond: Math.round(r.ticksPerSecond),
        nodes: r.nodes,
        host: await host(),
        incidentsOpened: r.incidentsOpened,
        actionsStarted: r.actionsStarted,
      });
    },
  },
  {
    id: 'perf.memory-ceiling',
    title: 'Memory stays under 500 MB over 10,000 loop iterations',
    category: 'Performance',
    critical: true,
    expected: 'peak RSS < 500 MB during 10,000 iterations (25-node mesh with faults)',
    timeoutMs: 60_000,
    async run(context) {
      const r = await endurance(context);
      return verdict(r.peakRssMb < 500, `peak RSS ${r.peakRssMb} MB`, {
        peakRssMb: r.peakRssMb,
        samples: r.samples.length,
        firstSample: r.samples[0],
        lastSample: r.samples.at(-1),
      });
    },
  },
  {
    id: 'perf.memory-growth',
    title: 'Heap does not grow over 10,000 loop iterations',
    category: 'Performance',
    critical: true,
    expected: `least-squares heap slope after the first 20% projects < ${MAX_HEAP_GROWTH_MB} MB per 10,000 iterations`,
    timeoutMs: 60_000,
    async run(context) {
      const r = await endurance(context);
      const { slope } = await import('../endurance.ts');
      const steady = r.samples
        .filter((s) => s.iteration > r.iterations * 0.2)
        .map((s) => ({ x: s.iteration, y: s.heapUsedMb }));
      const perTenThousand = slope(steady) * 10_000;
      const rounded = Math.round(perTenThousand * 1000) / 1000;
      return verdict(
        Number.isFinite(perTenThousand) && perTenThousand < MAX_HEAP_GROWTH_MB,
        `${rounded} MB per 10,000 iterations`,
        {
          slopeMbPer10k: rounded,
          samplesFitted: steady.length,
          gcForcedBeforeSamples: r.gc,
          heapMb: steady.map((p) => p.y),
        },
      );
    },
  },
  {
    id: 'perf.rag-latency',
    title: 'RAG retrieval p99 latency under open-model load',
    category: 'Performance',
    critical: true,
    expected: 'p99 < 5 ms at 100 queries/s for 3 s over the shipped runbooks, no failed calls',
    timeoutMs: 30_000,
    async run() {
      const { RAGAnalyzer } = await import('../../rag/analyzer.ts');
      const { RUNBOOKS } = await import('../../rag/runbooks.generated.ts');
      const { runScenario } = await import('../../load/run.ts');
      const analyzer = await RAGAnalyzer.create();
      // Operator-style queries: each runbook's first symptom, so every query has a right answer.
      const queries = RUNBOOKS.map((r) => r.symptoms[0] ?? r.title);
      for (const q of queries) await analyzer.retrieveContext(q, { k: 5 });
      const result = await runScenario(
        ({ iteration }) => analyzer.retrieveContext(queries[iteration % queries.length], { k: 5 }),
        {
          name: 'rag-retrieval',
          model: 'open',
          stages: [{ durationMs: 3000, rate: 100 }],
        },
      );
      const p99 = result.summary.latency.p99;
      return verdict(clean(result) && p99 < 5, `p99 ${ms(p99)}`, {
        ...latencyEvidence(result),
        documents: analyzer.size,
        distinctQueries: queries.length,
        host: await host(),
      });
    },
  },
  {
    id: 'perf.anomaly-scoring',
    title: 'Anomaly scoring cost per point (default detector, 10,000 series)',
    category: 'Performance',
    critical: true,
    expected: '< 1 microsecond per point',
    async run() {
      const { DetectorBank } = await import('../../kernels/detector/index.ts');
      const { Rng } = await import('../../random.ts');
      const series = 10_000;
      const bank = await DetectorBank.create(series);
      const rng = new Rng(5);
      const rounds = Array.from({ length: 8 }, () =>
        Float64Array.from({ length: series }, (_, i) => 50 + (i % 97) + rng.normal()),
      );
      const out = new Float64Array(series);
      for (let t = 0; t < 50; t++) bank.update(t, rounds[t % rounds.length], out);
      const timed = 150;
      const began = performance.now();
      for (let t = 50; t < 50 + timed; t++) bank.update(t, rounds[t % rounds.length], out);
      const nsPerPoint = ((performance.now() - began) * 1e6) / (timed * series);
      return verdict(nsPerPoint < 1000, `${Math.round(nsPerPoint)} ns per point`, {
        detector: 'DetectorBank (src/kernels/detector) with DEFAULT_PARAMS',
        backend: bank.backend,
        series,
        timedRounds: timed,
        nsPerPoint: Math.round(nsPerPoint * 10) / 10,
        host: await host(),
      });
    },
  },
  {
    id: 'perf.simd',
    title: 'WebAssembly SIMD is available, so kernels run their SIMD builds',
    category: 'Performance',
    critical: false,
    expected: 'simdSupported() is true and the stats facade picks wasm under auto',
    async run() {
      const { simdSupported } = await import('../../kernels/loader.ts');
      const { initStats, SeriesStatsBatch } = await import('../../kernels/stats/index.ts');
      await initStats();
      const backend = new SeriesStatsBatch({ series: 1 }).backend;
      return verdict(
        simdSupported() && backend === 'wasm',
        `SIMD ${simdSupported() ? 'available' : 'missing'}, auto backend ${backend}`,
        {
          simdSupported: simdSupported(),
          autoBackend: backend,
        },
      );
    },
  },
];
