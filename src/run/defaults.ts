/**
 * The engine's embedded defaults for the main job: the streaming detector bank (wasm, on this
 * thread or sharded across worker threads) with its shipped alarm threshold, and the RAG
 * diagnoser over the shipped runbooks.
 */
import { ArgumentError } from '../errors.ts';
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

/** Options of `createEngineParts`. */
export interface EnginePartsOptions {
  /** Worker threads the detectors run in; 0 (default) scores on the calling thread. */
  detectorWorkers?: number;
  /** Where the RAG analyzer keeps its documents (default: in memory). */
  ragStore?: RagStore;
  /** The operator's runbooks, indexed beside the shipped ones (e.g. from `loadRunbookFolder`). */
  runbooks?: readonly RagDocument[];
}

/** Default parts; diagnoses are restricted to the fault kinds the simulator can inject. */
export async function createEngineParts(options: EnginePartsOptions = {}): Promise<EngineParts> {
  const workers = options.detectorWorkers ?? 0;
  const pools: DetectorPool[] = [];
  return {
    detector:
      workers > 0
        ? async (series, saved) => {
            const pool = await DetectorPool.open(series, { shards: workers, ...(saved ? { saved } : {}) });
            pools.push(pool);
            return pool;
          }
        : async (series, saved) => {
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
