/**
 * Testing, at run time: each wasm kernel loads and agrees with its TypeScript twin on seeded
 * inputs, within the tolerance its facade documents (bit for bit for stats and the embedder).
 * These run wherever the engine runs, sources or not.
 */
import { verdict, type Check } from '../check.ts';
import { Rng } from '../../random.ts';

const sig6 = (x: number) => Number(x.toPrecision(6));

/** Indexes where two arrays differ as bit patterns (NaN equals NaN). */
function bitDifferences(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Math.max(a.length, b.length);
  let differ = 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) differ++;
  return differ;
}

/** The Testing checks that compare kernels with their twins. */
export const kernelTwinChecks: readonly Check[] = [
  {
    id: 'testing.twin-stats',
    title: 'Stats kernel (wasm) matches its TypeScript twin bit for bit',
    category: 'Testing',
    critical: true,
    expected: '0 differing values over 256 series x 300 updates with NaN and spikes',
    async run() {
      const { initStats, SeriesStatsBatch } = await import('../../kernels/stats/index.ts');
      await initStats();
      const series = 256;
      const wasm = new SeriesStatsBatch({ series, backend: 'wasm' });
      const twin = new SeriesStatsBatch({ series, backend: 'ts' });
      const rng = new Rng(7);
      const values = new Float64Array(series);
      let zDiffer = 0;
      for (let step = 0; step < 300; step++) {
        for (let i = 0; i < series; i++) {
          const r = rng.next();
          values[i] = r < 0.01 ? NaN : r < 0.02 ? 1e6 * rng.normal() : 100 + i + 5 * rng.normal();
        }
        wasm.update(values);
        twin.update(values);
        zDiffer += bitDifferences(wasm.z, twin.z);
      }
      const stateDiffer = bitDifferences(wasm.save(), twin.save());
      return verdict(zDiffer + stateDiffer === 0, `${zDiffer + stateDiffer} differing values`, {
        backends: [wasm.backend, twin.backend],
        updates: series * 300,
        rejected: [wasm.rejected, twin.rejected],
        zDiffering: zDiffer,
        stateDiffering: stateDiffer,
      });
    },
  },
  {
    id: 'testing.twin-scoring',
    title: 'Scoring kernel (wasm) matches its TypeScript twin',
    category: 'Testing',
    critical: true,
    expected: 'same best candidate; |score difference| <= 4e-6 x sum|x_j w_j|; probabilities within 1e-5',
    async run() {
      const { createScorer } = await import('../../kernels/scoring/index.ts');
      const features = 16;
      const rank = 4;
      const count = 512;
      const rng = new Rng(11);
      const fill = (n: number, scale: number) =>
        Float32Array.from({ length: n }, () => scale * rng.range(-1, 1));
      const parameters = { weights: fill(features, 1), a: fill(features * rank, 0.25), b: fill(rank, 0.5) };
      const wasm = await createScorer({ features, rank, backend: 'wasm', ...parameters });
      const twin = await createScorer({ features, rank, backend: 'ts', ...parameters });
      const candidates = fill(count * features, 2);
      const a = wasm.score(candidates, { temperature: 0.5 });
      const b = twin.score(candidates, { temperature: 0.5 });
      // Effective weights w + A.B in f64: the bound the facade's tolerance is relative to.
      const effective = Array.from({ length: features }, (_, j) => {
        let w = parameters.weights[j];
        for (let k = 0; k < rank; k++) w += parameters.a[j * rank + k] * parameters.b[k];
        return w;
      });
      let worstRatio = 0;
      let worstProbability = 0;
      for (let c = 0; c < count; c++) {
        let bound = 0;
        for (let j = 0; j < features; j++) bound += Math.abs(candidates[c * features + j] * effective[j]);
        worstRatio = Math.max(worstRatio, Math.abs(a.scores[c] - b.scores[c]) / (bound || 1));
        worstProbability = Math.max(worstProbability, Math.abs(a.probabilities[c] - b.probabilities[c]));
      }
      const ok = a.best === b.best && worstRatio <= 4e-6 && worstProbability <= 1e-5;
      return verdict(ok, `max relative score difference ${sig6(worstRatio)}`, {
        backends: [wasm.backend, twin.backend],
        candidates: count,
        best: [a.best, b.best],
        maxRelativeScoreDifference: worstRatio,
        maxProbabilityDifference: worstProbability,
      });
    },
  },
  {
    id: 'testing.twin-similarity',
    title: 'Similarity kernel (wasm) matches its TypeScript twin',
    category: 'Testing',
    critical: true,
    expected: 'per-rank cosine scores within 2 (d + 2) 2^-23; ids equal wherever scores are not tied',
    async run() {
      const { createSimilarityIndex } = await import('../../kernels/similarity/index.ts');
      const dim = 64;
      const rows = 2000;
      const k = 10;
      const rng = new Rng(13);
      const vectors = Float32Array.from({ length: rows * dim }, () => rng.normal());
      const queries = Float32Array.from({ length: 20 * dim }, () => rng.normal());
      const ids = Array.from({ length: rows }, (_, i) => i + 1);
      const [wasm, twin] = await Promise.all(
        (['wasm', 'ts'] as const).map(async (backend) => {
          const index = await createSimilarityIndex({ dim, metric: 'cosine', backend });
          index.addMany(ids, vectors);
          return index;
        }),
      );
      const tolerance = 2 * (dim + 2) * 2 ** -23;
      let worst = 0;
      let idMismatches = 0;
      for (let q = 0; q < 20; q++) {
        const query = queries.subarray(q * dim, (q + 1) * dim);
        const x = wasm.search(query, k);
        const y = twin.search(query, k);
        for (let r = 0; r < k; r++) {
          worst = Math.max(worst, Math.abs(x.scores[r] - y.scores[r]));
          const tied =
            (r > 0 && Math.abs(x.scores[r] - x.scores[r - 1]) <= tolerance) ||
            (r + 1 < k && Math.abs(x.scores[r] - x.scores[r + 1]) <= tolerance);
          if (x.ids[r] !== y.ids[r] && !tied) idMismatches++;
        }
      }
      return verdict(worst <= tolerance && idMismatches === 0, `max score difference ${sig6(worst)}`, {
        backends: [wasm.backend, twin.backend],
        rows,
        dim,
        queries: 20,
        tolerance,
        maxScoreDifference: worst,
        idMismatches,
      });
    },
  },
  {
    id: 'testing.twin-embed',
    title: 'Hashed embedder (assembly/embed via src/rag) matches its TypeScript twin bit for bit',
    category: 'Testing',
    critical: true,
    expected: '0 differing components over every shipped runbook text',
    async run() {
      const { HashedEmbedder } = await import('../../rag/hashed-embedder.ts');
      const { RUNBOOKS } = await import('../../rag/runbooks.generated.ts');
      const { documentText } = await import('../../rag/document.ts');
      const texts = RUNBOOKS.map(documentText);
      const wasm = await HashedEmbedder.create({ backend: 'wasm' });
      const twin = await HashedEmbedder.create({ backend: 'ts' });
      const differ = bitDifferences(wasm.embedSync(texts), twin.embedSync(texts));
      return verdict(differ === 0, `${differ} differing components`, {
        backends: [wasm.backend, twin.backend],
        texts: texts.length,
        components: texts.length * wasm.dim,
        differing: differ,
      });
    },
  },
];
