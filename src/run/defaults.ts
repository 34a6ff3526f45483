/**
 * The engine's embedded defaults for the main job: the streaming detector bank (wasm) with its
 * shipped alarm threshold, and the RAG diagnoser over the shipped runbooks.
 */
import { ALARM_THRESHOLD } from '../analyze/detectors/params.ts';
import { DetectorBank } from '../analyze/detectors/detector.ts';
import type { BatchScorer, Diagnoser } from '../loop/contracts.ts';
import { RagDiagnoser } from '../rag/diagnoser.ts';
import { FAULT_KINDS } from '../sim/index.ts';

export interface EngineParts {
  detector: (series: number) => Promise<BatchScorer>;
  threshold: number;
  diagnoser: Diagnoser;
}

/** A detector bank as the loop's batch scorer. */
export async function detectorScorer(series: number): Promise<BatchScorer> {
  const bank = await DetectorBank.create(series);
  return { series, update: (ts, values, scores) => void bank.update(ts, values, scores as Float64Array<ArrayBuffer>) };
}

/** Default parts; diagnoses are restricted to the fault kinds the simulator can inject. */
export async function createEngineParts(): Promise<EngineParts> {
  return {
    detector: detectorScorer,
    threshold: ALARM_THRESHOLD,
    diagnoser: await RagDiagnoser.create({ kinds: FAULT_KINDS }),
  };
}
