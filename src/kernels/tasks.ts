/**
 * The kernel work a worker does for a pool: `KernelWorkerApi`, which workers/kernels.ts
 * implements with the functions below. Each request is self-contained: it carries its
 * parameters, state snapshot or vectors, so any worker of a pool can serve it, and a crashed
 * worker loses no state. Results are fresh arrays, safe to transfer.
 */
import { ArgumentError } from '../errors.ts';
import { checkArray, checkInt } from '../validate.ts';
import { createScorer, type AdapterParameters, type Scorer, type ScoreResult } from './scoring/index.ts';
import { createSimilarityIndex, type Metric, type Precision, type TopK } from './similarity/index.ts';
import { initStats, SeriesStatsBatch } from './stats/index.ts';

/** What a kernel worker offers its pool (`WorkerPool<KernelWorkerApi>`). */
export interface KernelWorkerApi {
  /** Scores one batch of candidates (see `Scorer.score`). */
  score(request: ScoreRequest): Promise<ScoreResult>;
  /** Updates many series over one or more steps (see `SeriesStatsBatch`). */
  statsUpdate(request: StatsUpdateRequest): Promise<StatsUpdateResult>;
  /** Exact top-k of queries against the request's vectors (see `SimilarityIndex`). */
  similaritySearch(request: SimilaritySearchRequest): Promise<TopK[]>;
}

/** One batch to score: the scorer's shape and parameters, the candidates and the options. */
export interface ScoreRequest extends AdapterParameters {
  /** Features per candidate (f). */
  features: number;
  /** Adapter rank (r); `a` is f x r and `b` r x 1, as in AdapterParameters. */
  rank: number;
  /** count x f candidate features, row-major. */
  candidates: Float32Array;
  /** One byte per candidate, 0 = forbidden. */
  allowed?: Uint8Array;
  /** Softmax temperature, default 1. */
  temperature?: number;
}

/** Welford/EWMA/z/CUSUM updates of many series over one or more time steps. */
export interface StatsUpdateRequest {
  /** Number of series. */
  series: number;
  /** steps x series values, row-major (one row per time step). */
  values: Float64Array;
  /** State to continue from (`snapshot` of an earlier result); it also carries alpha and slack. */
  snapshot?: Float64Array;
  /** EWMA weight when starting fresh (see SeriesStatsBatch). */
  alpha?: number;
  /** CUSUM slack when starting fresh. */
  cusumSlack?: number;
}

/** The z-scores of every step and the state after the last one. */
export interface StatsUpdateResult {
  /** steps x series z-scores (NaN where a value was rejected). */
  z: Float64Array;
  /** steps x series EWMA z-scores. */
  ewmaZ: Float64Array;
  /** State to pass as the next request's `snapshot`. */
  snapshot: Float64Array;
  /** Values rejected (NaN or infinite) in this request. */
  rejected: number;
}

/** Exact top-k of queries against a matrix of vectors sent with the request. */
export interface SimilaritySearchRequest {
  /** Components per vector. */
  dim: number;
  /** How rows and queries are compared. */
  metric: Metric;
  /** Storage precision of the rows (default 'f32'). */
  precision?: Precision;
  /** One id per row of `vectors`. */
  ids: Uint32Array;
  /** n x dim rows. */
  vectors: Float32Array;
  /** nq x dim queries. */
  queries: Float32Array;
  /** Results per query. */
  k: number;
}

// Scorers by shape, so a worker serving many requests of a few shapes reuses its wasm instances;
// bounded, least recently used first out.
const MAX_SCORERS = 16;
const scorers = new Map<string, Promise<Scorer>>();

function scorerFor(features: number, rank: number): Promise<Scorer> {
  const key = `${features}x${rank}`;
  let scorer = scorers.get(key);
  if (scorer) scorers.delete(key);
  else scorer = createScorer({ features, rank });
  scorers.set(key, scorer);
  if (scorers.size > MAX_SCORERS) scorers.delete(scorers.keys().next().value!);
  scorer.catch(() => scorers.delete(key));
  return scorer;
}

function checkRequest(request: unknown, name: string): void {
  if (typeof request !== 'object' || request === null)
    throw new ArgumentError('request', `expected a ${name} object`);
}

/** Scores one batch (semantics of `Scorer.score` in src/kernels/scoring). */
export async function score(request: ScoreRequest): Promise<ScoreResult> {
  checkRequest(request, 'ScoreRequest');
  const scorer = await scorerFor(request.features, request.rank);
  scorer.setParameters(request);
  return scorer.score(request.candidates, { allowed: request.allowed, temperature: request.temperature });
}

let statsReady: Promise<unknown> | undefined;

/** Runs the steps of `values` through a SeriesStatsBatch (definitions in src/kernels/stats). */
export async function statsUpdate(request: StatsUpdateRequest): Promise<StatsUpdateResult> {
  checkRequest(request, 'StatsUpdateRequest');
  await (statsReady ??= initStats());
  const { series } = request;
  const batch = new SeriesStatsBatch({ series, alpha: request.alpha, cusumSlack: request.cusumSlack });
  if (request.snapshot !== undefined) batch.restore(request.snapshot);
  const values = checkArray<Float64Array>('values', request.values, Float64Array);
  if (values.length % series !== 0) {
    throw new ArgumentError('values', `length ${values.length} is not a multiple of series (${series})`);
  }
  const z = new Float64Array(values.length);
  const ewmaZ = new Float64Array(values.length);
  let rejected = 0;
  for (let at = 0; at < values.length; at += series) {
    rejected += batch.update(values.subarray(at, at + series));
    z.set(batch.z, at);
    ewmaZ.set(batch.ewmaZ, at);
  }
  return { z, ewmaZ, snapshot: batch.save(), rejected };
}

/** Builds an index of the request's vectors and returns each query's top k, best first. */
export async function similaritySearch(request: SimilaritySearchRequest): Promise<TopK[]> {
  checkRequest(request, 'SimilaritySearchRequest');
  const index = await createSimilarityIndex({
    dim: request.dim,
    metric: request.metric,
    precision: request.precision,
  });
  const ids = checkArray<Uint32Array>('ids', request.ids, Uint32Array);
  index.addMany(ids, request.vectors);
  return index.searchBatch(request.queries, checkInt('k', request.k, 1));
}
