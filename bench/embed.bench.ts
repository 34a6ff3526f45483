/**
 * Embed benchmark: the hashed-embedding kernel on prepared texts (wasm vs its TS twin), and the
 * default embedder end to end (text preparation plus the kernel), on 20,000 short incident-like
 * texts. Times are medians of five samples. Run: `npx tsx bench/embed.bench.ts`.
 */
import { HashedKernel, hashedEmbedTwin } from '../src/kernels/embed/index.ts';
import { DEFAULT_WEIGHTS, HashedEmbedder } from '../src/rag/hashed-embedder.ts';
import { timeMedian } from './timing.ts';
import type { BenchResult } from './types.ts';
import { runIfMain } from './report.ts';

const DIM = 384;
const SAMPLES = 5;

/** Runs the embed benchmark and returns its figures. */
export async function runEmbedBench(): Promise<BenchResult[]> {
  const texts = shortTexts(20_000);
  const embedder = await HashedEmbedder.create({ backend: 'wasm' });
  const twinEmbedder = await HashedEmbedder.create({ backend: 'ts' });
  const rate = (fn: () => unknown) => texts.length / (timeMedian(fn, SAMPLES) / 1000);

  const prepared = texts.map((t) => embedder.prepare(t));
  const kernel = await HashedKernel.create();
  const kernelTwinRate = rate(() => hashedEmbedTwin(prepared, DIM, DEFAULT_WEIGHTS));
  const kernelRate = rate(() => kernel.embed(prepared, DIM, DEFAULT_WEIGHTS));

  const twinRate = rate(() => twinEmbedder.embedSync(texts));
  const wasmRate = rate(() => embedder.embedSync(texts));
  return [
    {
      name: 'embed kernel, prepared short texts (wasm)',
      value: kernelRate,
      unit: 'texts/s',
      baseline: 'TS twin',
      ratio: kernelRate / kernelTwinRate,
    },
    { name: 'embed kernel, prepared short texts (TS twin)', value: kernelTwinRate, unit: 'texts/s' },
    {
      name: 'default embedder, short texts (wasm)',
      value: wasmRate,
      unit: 'texts/s',
      baseline: 'TS twin',
      ratio: wasmRate / twinRate,
      target: '>= 20k texts/s',
      met: wasmRate >= 20_000,
    },
    { name: 'default embedder, short texts (TS twin)', value: twinRate, unit: 'texts/s' },
  ];
}

/** `count` short texts in the style of incident descriptions, all different. */
function shortTexts(count: number): string[] {
  const subjects = ['node', 'relay', 'gateway', 'db', 'api', 'cache', 'edge router', 'resolver'];
  const problems = [
    'crashed',
    'is out of memory',
    'drops packets',
    'has high cpu',
    'cert expired',
    'disk full',
    'keeps flapping',
    'times out',
  ];
  return Array.from(
    { length: count },
    (_, i) => `${subjects[i % 8]} ${i % 97} ${problems[(i * 7) % 8]} since ${i % 24}:00, p95 latency up`,
  );
}

await runIfMain(import.meta.url, runEmbedBench);
