/**
 * The engine's embedded defaults for the main job: the streaming detector bank (wasm, on this
 * thread or sharded across worker threads, as many as the work's size and the cores make
 * worthwhile) with its shipped alarm threshold, and the RAG diagnoser over the shipped runbooks.
 */
import { ArgumentError } from '../errors.ts';
import { coreCount } from '../runtime/detect.ts';
import { ALARM_THRESHOLD } from '../kernels/detector/params.ts';
import { type BankState, DetectorBank } from '../kernels/detector/detector.ts';
import type { BatchScorer, Diagnoser } from '../loop/contracts.ts';
import { RagDiagnoser } from '../rag/diagnoser.ts';
import type { RagDocument } from '../rag/document.ts';
import type { RagStore } from '../rag/store.ts';
import { DetectorPool } from '../kernels/detector/pool.ts';
import { SIM_FAULT_KINDS } from '../sim/index.ts';

/** What `createEngineParts` gives the loop: its detector, alarm threshold and diagnoser. */
export interface EngineParts {
  /**
   * A detector scoring `series` series each tick: one wasm bank, or a pool of worker shards;
   * fresh, or continuing `saved` (a bank's saved state of as many series, e.g. restored from the
   * model registry by src/run/learning.ts). Either kind can be saved again (`save()`).
   */
  detector: (series: number, saved?: BankState) => Promise<BatchScorer & SavableScorer>;
  /** Detector score at or above which a series is anomalous (the shipped ALARM_THRESHOLD). */
  threshold: number;
  /** The RAG diagnoser over the shipped (and the operator's) runbooks. */
  diagnoser: Diagnoser;
  /** Stops what the parts started (detector workers). */
  close(): Promise<void>;
}

/** A detector whose state can be saved (DetectorBank, DetectorPool). */
export interface SavableScorer {
  /** Every series' state, in series order. */
  save(): BankState | Promise<BankState>;
}

/**
 * Fewest series for which scoring in worker threads beats the calling thread: below it, a tick's
 * messages cost more than the scoring they spread (measured with bench/workers.bench.ts).
 */
export const WORKER_MIN_SERIES = 4000;

/**
 * The worker threads `detectorWorkers: 'auto'` scores `series` series in: none below
 * `WORKER_MIN_SERIES` or with fewer than 2 `cores`, then one per `WORKER_MIN_SERIES / 2` series,
 * at most one per core (the calling thread waits while they score).
 */
export function autoDetectorWorkers(series: number, cores: number = coreCount()): number {
  if (!Number.isInteger(series) || series < 0)
    throw new ArgumentError('series', `expected an integer >= 0, got ${series}`);
  if (cores < 2 || series < WORKER_MIN_SERIES) return 0;
  return Math.min(cores, Math.floor(series / (WORKER_MIN_SERIES / 2)));
}

/** Options of `createEngineParts`. */
export interface EnginePartsOptions {
  /**
   * Worker threads the detectors run in: 0 (default) scores on the calling thread, 'auto' picks
   * the count from the series and the cores (`autoDetectorWorkers`).
   */
  detectorWorkers?: number | 'auto';
  /** Where the RAG analyzer keeps its documents (default: in memory). */
  ragStore?: RagStore;
  /** The operator's runbooks, indexed beside the shipped ones (e.g. from `loadRunbookFolder`). */
  runbooks?: readonly RagDocument[];
}

/** Default parts; diagnoses are restricted to the fault kinds the simulator can inject. */
export async function createEngineParts(options: EnginePartsOptions = {}): Promise<EngineParts> {
  const asked = options.detectorWorkers ?? 0;
  if (asked !== 'auto' && !(Number.isInteger(asked) && asked >= 0))
    throw new ArgumentError('detectorWorkers', `expected an integer >= 0 or 'auto', got ${String(asked)}`);
  const pools: DetectorPool[] = [];
  return {
    detector: async (series, saved) => {
      const workers = asked === 'auto' ? autoDetectorWorkers(series) : asked;
      if (workers > 0) {
        const pool = await DetectorPool.open(series, { shards: workers, ...(saved ? { saved } : {}) });
        pools.push(pool);
        return pool;
      }
      if (saved === undefined) return DetectorBank.create(series);
      const bank = await DetectorBank.restore(saved);
      if (bank.size !== series)
        throw new ArgumentError('saved', `holds ${bank.size} series; the loop scores ${series}`);
      return bank;
    },
    threshold: ALARM_THRESHOLD,
    diagnoser: await RagDiagnoser.create({
      kinds: SIM_FAULT_KINDS,
      ...(options.ragStore ? { store: options.ragStore } : {}),
      ...(options.runbooks ? { runbooks: options.runbooks } : {}),
    }),
    close: async () => void (await Promise.all(pools.map((p) => p.close()))),
  };
}
