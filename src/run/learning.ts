/**
 * Learning that survives a restart: what the engine learnt in a run (the planner's success
 * posteriors, its scoring adapter, the detector bank's state and the RAG index of past
 * incidents) is registered in the model registry (src/mlops/registry.ts) as four versioned
 * models, and restored from there when an engine starts on the same knowledge store.
 *
 * - {@link restoreLearning} reads each model's champion (else its newest version), refusing one
 *   whose artefact no longer matches its digest or has the wrong shape (with a note saying why,
 *   so a damaged model costs a warm-up, never the run);
 * - the engine starts from it: {@link plannerFromLearning} (`UtilityPlanner.create(plannerOptions(
 *   restored), new SuccessRates(restored.successRates))`, a ShadowPlanner's champion with a
 *   shadow), the detector factory given `detectorState(...)`, and {@link restoreIncidents} into
 *   the diagnoser (MeshLoop and the serve operator loop do all three for their `learning`);
 * - {@link snapshotLearning} takes what the engine holds at the end, and {@link saveLearning}
 *   registers it as the next version of each model (parent: the version restored) and makes it
 *   the champion, each step an audit entry when a log is given.
 *
 * The detector's state is keyed by series name (source and metric), so it restores onto a mesh
 * that lists its nodes in another order; series it does not know start fresh. A restored series
 * accepts its next point whatever its time (its clock slot is reset): a restarted engine's
 * clock, e.g. a simulation counting ticks from 0 again, has no order with the old one.
 */
import { ArgumentError } from '../errors.ts';
import { type BankState, STATE_VERSION } from '../kernels/detector/detector.ts';
import { DEFAULT_PARAMS, type DetectorParams, S, stateLayout } from '../kernels/detector/params.ts';
import type { ModelKind, ModelStore, ModelVersionRecord } from '../knowledge/models.ts';
import type { Posterior } from '../knowledge/records.ts';
import type { NormalRanges } from '../analyze/analyzer.ts';
import type { BatchScorer, Diagnoser } from '../loop/contracts.ts';
import { ModelNotFoundError } from '../mlops/errors.ts';
import { CHAMPION, isIntactVersion, type ModelAuditLog, ModelRegistry } from '../mlops/registry.ts';
import { ShadowPlanner, type ShadowOptions } from '../mlops/shadow.ts';
import {
  checkPlannerAdapter,
  type PlannerAdapter,
  UtilityPlanner,
  type UtilityPlannerOptions,
} from '../plan/decision.ts';
import { LoRAConfig } from '../plan/lora.ts';
import { SuccessRates } from '../plan/posteriors.ts';
import { RagDiagnoser } from '../rag/diagnoser.ts';
import type { RagDocument } from '../rag/document.ts';
import { fromBase64, toBase64 } from '../security/bytes.ts';
import { canonicalJson } from '../security/canonical.ts';

/** The registry names of the engine's learnt models. */
export const LEARNT_MODELS = {
  /** The planner's Beta posteriors per (signature, action). */
  successRates: 'engine.success-rates',
  /** The planner's low-rank adapter on the decision scorer. */
  adapter: 'engine.scoring-adapter',
  /** The streaming detector bank's per-series state. */
  detector: 'engine.detector',
  /** The resolved incidents the RAG diagnoser indexed. */
  incidents: 'engine.rag-incidents',
} as const;

/** Which learnt model: a key of {@link LEARNT_MODELS}. */
export type LearntModelKey = keyof typeof LEARNT_MODELS;

const KINDS: Record<LearntModelKey, ModelKind> = {
  successRates: 'success-rates',
  adapter: 'scoring-adapter',
  detector: 'detector',
  incidents: 'rag-index',
};

/** A detector bank's state as stored: its series by name, the state blocks as base64 f64s. */
export interface DetectorArtefact {
  /** The detector's STATE_VERSION. */
  version: number;
  /** The parameters every series ran with. */
  params: DetectorParams;
  /** The sources (nodes) in series order: series s x metrics + m is (sources[s], metrics[m]). */
  sources: string[];
  /** The metrics in series order. */
  metrics: string[];
  /** f64 slots per series. */
  slots: number;
  /** Every series' block, in series order, as little-endian f64 bytes in base64 (bit-exact). */
  state: string;
  /** Analyze's normal range of every series (the gate of the detector's alarms), in series order. */
  normal?: NormalRanges;
}

/** What the engine learnt, as registered. */
export interface LearntModels {
  /** The planner's success posteriors. */
  successRates: Posterior[];
  /** The planner's scoring adapter. */
  adapter: PlannerAdapter;
  /** The detector bank's state; absent when the detector cannot save (a caller's own scorer). */
  detector?: DetectorArtefact;
  /** The resolved incidents the diagnoser indexed; absent when it is no RagDiagnoser. */
  incidents?: RagDocument[];
}

/** What {@link restoreLearning} found: each model restored, its version, and notes on the others. */
export interface RestoredLearning extends Partial<LearntModels> {
  /** The version restored, per model. */
  versions: Partial<Record<LearntModelKey, number>>;
  /** Why a stored model was not restored, one line each (none when all were or none is stored). */
  notes: string[];
}

/**
 * A prefix of the learnt models' names, for models learnt per part of a mesh: with
 * `region-3.`, region 3's success rates are `region-3.engine.success-rates`. Lower-case letters,
 * digits, `.`, `_` and `-`, as model names.
 */
export interface ModelNamePrefix {
  /** Put before each name of {@link LEARNT_MODELS} (default none). */
  prefix?: string;
}

/** Options of {@link saveLearning}. */
export interface SaveLearningOptions extends ModelNamePrefix {
  /** What the run started from: each new version's parent is the version restored (else none). */
  restored?: RestoredLearning;
  /** Receives a `model.register` and a `model.promote` entry per model before it is stored. */
  audit?: ModelAuditLog;
  /** The audit entries' actor (default 'engine'). */
  actor?: string;
  /** The ticks the models learnt from. */
  dataWindow?: { from: number; to: number };
  /** Figures of the run (healed rate, MTTR...) recorded with every version. */
  metrics?: Record<string, number>;
  /** Labels for every version, e.g. the run id. */
  tags?: string[];
  /** Make each new version the champion, which the next start restores (default true). */
  promote?: boolean;
}

/** Options of {@link restoreLearning}. */
export interface RestoreLearningOptions extends ModelNamePrefix {
  /**
   * The LoRA configuration the engine's planner runs (default `new LoRAConfig()`, the planner's
   * default): an adapter learnt under another one is not restored (a note says why) and the
   * planner starts a fresh adapter.
   */
  lora?: LoRAConfig;
}

/**
 * The engine's learnt models in `store`: each model's champion, else its newest version. A model
 * never registered is left out silently; one that is damaged or does not fit (an adapter learnt
 * under another LoRA configuration included) is left out with a note. Never throws for what the
 * store holds.
 */
export async function restoreLearning(
  store: ModelStore,
  options: RestoreLearningOptions = {},
): Promise<RestoredLearning> {
  const lora = options.lora ?? new LoRAConfig();
  const registry = new ModelRegistry(store);
  const restored: RestoredLearning = { versions: {}, notes: [] };
  for (const key of Object.keys(LEARNT_MODELS) as LearntModelKey[]) {
    const name = `${options.prefix ?? ''}${LEARNT_MODELS[key]}`;
    let record: ModelVersionRecord;
    try {
      record = await registry.get(name);
    } catch (error) {
      if (error instanceof ModelNotFoundError) continue;
      throw error;
    }
    const ref = `${name}@${record.version}`;
    if (!isIntactVersion(record)) {
      restored.notes.push(`${ref} does not match its digest: not restored`);
      continue;
    }
    const problem =
      key === 'adapter' ? adapterProblem(record.artefact, lora) : ARTEFACT_CHECKS[key](record.artefact);
    if (problem) {
      restored.notes.push(`${ref} ${problem}: not restored`);
      continue;
    }
    (restored as unknown as Record<string, unknown>)[key] = record.artefact;
    restored.versions[key] = record.version;
  }
  return restored;
}

const RESTART_HOLD = stateLayout(DEFAULT_PARAMS).window + 1;

/** Why an artefact cannot be restored, per model but the adapter; undefined when it can. */
const ARTEFACT_CHECKS: Record<
  Exclude<LearntModelKey, 'adapter'>,
  (artefact: unknown) => string | undefined
> = {
  successRates: (a) =>
    Array.isArray(a) && a.every(isPosterior) ? undefined : 'is not a list of Beta posteriors',
  detector: (a) => detectorProblem(a),
  incidents: (a) =>
    Array.isArray(a) && a.every((d) => d && typeof d.id === 'string' && d.source === 'incident')
      ? undefined
      : 'is not a list of incident documents',
};

function isPosterior(p: Posterior): boolean {
  return (
    p !== null &&
    typeof p === 'object' &&
    typeof p.signature === 'string' &&
    typeof p.action === 'string' &&
    Number.isFinite(p.alpha) &&
    Number.isFinite(p.beta) &&
    p.alpha > 0 &&
    p.beta > 0
  );
}

/** Why the planner would refuse the adapter under `lora` (its own check), or undefined. */
function adapterProblem(adapter: unknown, lora: LoRAConfig): string | undefined {
  try {
    checkPlannerAdapter(adapter as PlannerAdapter, lora);
    return undefined;
  } catch (error) {
    if (!(error instanceof ArgumentError)) throw error;
    const detail = error.message.slice(error.argument.length + 2);
    switch (error.argument) {
      case 'options.adapter.features':
        return "was learnt over other features than the planner's";
      case 'options.adapter.config':
        // Learnt under another configuration: the planner starts a fresh adapter instead.
        return detail.startsWith('learnt under')
          ? `was ${detail.replace(/: refused.*$/, '')} (a fresh adapter starts)`
          : 'records no LoRA configuration it was learnt under';
      case 'options.adapter.a':
      case 'options.adapter.b':
      case 'options.adapter.headA':
      case 'options.adapter.headB':
        return 'has weights of the wrong shape';
      default:
        return 'is not an adapter';
    }
  }
}

function detectorProblem(artefact: unknown, params: DetectorParams = DEFAULT_PARAMS): string | undefined {
  const a = artefact as DetectorArtefact;
  if (!a || typeof a !== 'object' || !Array.isArray(a.sources) || !Array.isArray(a.metrics))
    return 'is not a detector state';
  if (a.version !== STATE_VERSION) return `holds state format ${a.version}, not ${STATE_VERSION}`;
  if (canonicalJson(a.params ?? null) !== canonicalJson(params))
    return 'ran with other detector parameters than the engine has now';
  if (a.slots !== stateLayout(params).length) return 'has state blocks of another size';
  if (typeof a.state !== 'string') return 'has no state';
  const count = a.sources.length * a.metrics.length;
  if (
    a.normal !== undefined &&
    !(['level', 'spread', 'count'] as const).every(
      (k) => Array.isArray(a.normal?.[k]) && a.normal[k].length === count,
    )
  )
    return 'has normal ranges of another size';
  // The long-memory ranges came later: an artefact without them is still good.
  if (
    a.normal !== undefined &&
    !(['longLevel', 'longSpread'] as const).every(
      (k) => a.normal?.[k] === undefined || (Array.isArray(a.normal[k]) && a.normal[k].length === count),
    )
  )
    return 'has long-memory normal ranges of another size';
  return undefined;
}

/** Options for `UtilityPlanner.create` that start from the restored adapter (if any). */
export function plannerOptions(
  restored: Pick<RestoredLearning, 'adapter'> | undefined,
  options: UtilityPlannerOptions = {},
): UtilityPlannerOptions {
  return restored?.adapter ? { ...options, adapter: restored.adapter } : options;
}

/**
 * The planner a loop decides with, started from `learning` (its adapter and success posteriors)
 * under `options`; with `shadow`, also the ShadowPlanner the loop plans through, whose champion
 * that planner is (the shadow's model defaults to the success-rates model's name).
 */
export async function plannerFromLearning(
  learning: Pick<RestoredLearning, 'adapter' | 'successRates'> | undefined,
  options: UtilityPlannerOptions,
  shadow: Omit<ShadowOptions, 'planner' | 'champion'> | undefined,
): Promise<{ planner: UtilityPlanner; shadow?: ShadowPlanner }> {
  const successRates = learning?.successRates ?? [];
  if (!shadow)
    return {
      planner: await UtilityPlanner.create(plannerOptions(learning, options), new SuccessRates(successRates)),
    };
  const shadowPlanner = await ShadowPlanner.create({
    model: LEARNT_MODELS.successRates,
    ...shadow,
    planner: plannerOptions(learning, options),
    champion: { discount: 1, successRates },
  });
  const planner =
    shadowPlanner.champion instanceof UtilityPlanner
      ? shadowPlanner.champion
      : await UtilityPlanner.create(plannerOptions(learning, options), new SuccessRates(successRates));
  return { planner, shadow: shadowPlanner };
}

/**
 * A bank's saved state (and Analyze's normal ranges, if given) as a {@link DetectorArtefact},
 * its series named by `sources` x `metrics`.
 */
export function detectorArtefact(
  state: BankState,
  sources: readonly string[],
  metrics: readonly string[],
  normal?: NormalRanges,
): DetectorArtefact {
  if (state.series.length !== sources.length * metrics.length)
    throw new ArgumentError(
      'state',
      `holds ${state.series.length} series, not ${sources.length} sources x ${metrics.length} metrics`,
    );
  const slots = stateLayout(state.params).length;
  const blocks = new Float64Array(state.series.length * slots);
  state.series.forEach((block, k) => blocks.set(block, k * slots));
  return {
    version: state.version,
    params: { ...state.params },
    sources: [...sources],
    metrics: [...metrics],
    slots,
    state: toBase64(new Uint8Array(blocks.buffer)),
    ...(normal
      ? {
          normal: {
            level: [...normal.level],
            spread: [...normal.spread],
            count: [...normal.count],
            ...(normal.longLevel && normal.longSpread
              ? { longLevel: [...normal.longLevel], longSpread: [...normal.longSpread] }
              : {}),
          },
        }
      : {}),
  };
}

/**
 * The bank state to start a detector of `sources` x `metrics` series from, and the normal ranges
 * to start Analyze from (`MapeKLoop.restoreNormalRanges`) when the artefact has them: each series
 * the artefact names continues where it was (its clock slot reset, and its alarms held for one
 * pattern window, whose points straddle the restart; see the module comment), the others start
 * fresh. `matched` counts the series restored. ArgumentError when the artefact does not fit the
 * engine's detector (format, parameters, size).
 */
export function detectorState(
  artefact: DetectorArtefact,
  sources: readonly string[],
  metrics: readonly string[],
): { state: BankState; normal?: NormalRanges; matched: number } {
  const problem = detectorProblem(artefact);
  if (problem) throw new ArgumentError('artefact', problem);
  const bytes = fromBase64(artefact.state, 'artefact.state');
  const count = artefact.sources.length * artefact.metrics.length;
  if (bytes.length !== count * artefact.slots * 8)
    throw new ArgumentError('artefact.state', `expected ${count} blocks of ${artefact.slots} f64`);
  const saved = new Float64Array(bytes.buffer, bytes.byteOffset, bytes.length / 8);
  const sourceAt = new Map(artefact.sources.map((s, i) => [s, i]));
  const metricAt = new Map(artefact.metrics.map((m, i) => [m, i]));
  const series: number[][] = [];
  const { longLevel, longSpread } = artefact.normal ?? {};
  const savedLong = longLevel && longSpread ? { level: longLevel, spread: longSpread } : undefined;
  const normal: NormalRanges = {
    level: [],
    spread: [],
    count: [],
    ...(savedLong ? { longLevel: [], longSpread: [] } : {}),
  };
  let matched = 0;
  for (const source of sources)
    for (const metric of metrics) {
      const s = sourceAt.get(source);
      const m = metricAt.get(metric);
      if (s === undefined || m === undefined) {
        series.push(new Array<number>(artefact.slots).fill(0));
        normal.level.push(0);
        normal.spread.push(0);
        normal.count.push(0);
        normal.longLevel?.push(0);
        normal.longSpread?.push(0);
        continue;
      }
      const k = s * artefact.metrics.length + m;
      const block = Array.from(saved.subarray(k * artefact.slots, (k + 1) * artefact.slots));
      block[S.lastTs] = -Number.MAX_VALUE;
      block[S.hold] = Math.max(block[S.hold], RESTART_HOLD);
      series.push(block);
      if (artefact.normal) {
        normal.level.push(artefact.normal.level[k]);
        normal.spread.push(artefact.normal.spread[k]);
        normal.count.push(artefact.normal.count[k]);
        if (savedLong) {
          normal.longLevel?.push(savedLong.level[k]);
          normal.longSpread?.push(savedLong.spread[k]);
        }
      }
      matched++;
    }
  return {
    state: { version: artefact.version, params: { ...artefact.params }, series },
    ...(artefact.normal ? { normal } : {}),
    matched,
  };
}

/**
 * Indexes the restored incidents the diagnoser's RAG index lacks (none unless it is a
 * RagDiagnoser); a document the index refuses is counted, not indexed.
 */
export async function restoreIncidents(
  diagnoser: Diagnoser | undefined,
  incidents: readonly RagDocument[] | undefined,
): Promise<{ indexed: number; refused: number }> {
  if (!(diagnoser instanceof RagDiagnoser) || !incidents?.length) return { indexed: 0, refused: 0 };
  const missing = incidents.filter((d) => diagnoser.analyzer.retriever.get(d.id) === undefined);
  try {
    await diagnoser.analyzer.indexKnowledge(missing);
    return { indexed: missing.length, refused: 0 };
  } catch (error) {
    if (!(error instanceof ArgumentError)) throw error;
  }
  // One document the index refuses must not cost the others.
  let indexed = 0;
  for (const document of missing) {
    try {
      await diagnoser.analyzer.indexKnowledge([document]);
      indexed++;
    } catch (error) {
      if (!(error instanceof ArgumentError)) throw error;
    }
  }
  return { indexed, refused: missing.length - indexed };
}

/** What {@link snapshotLearning} reads: the engine's planner, detector and diagnoser. */
export interface LearningParts {
  /** The planner the loop decided with. */
  planner: UtilityPlanner;
  /** The loop's detector; saved when it can be (`save()`, as DetectorBank and DetectorPool). */
  detector: BatchScorer;
  /** The loop's sources (nodes), in series order. */
  sources: readonly string[];
  /** The loop's metric names, in series order. */
  metrics: readonly string[];
  /** The loop's diagnoser; its indexed incidents are taken when it is a RagDiagnoser. */
  diagnoser?: Diagnoser;
  /** Analyze's normal ranges (`MapeKLoop.normalRanges()`), saved with the detector's state. */
  normalRanges?: NormalRanges;
}

/**
 * What the engine has learnt so far. Take it before the loop is closed: closing a detector pool
 * stops the workers that hold its state.
 */
export async function snapshotLearning(parts: LearningParts): Promise<LearntModels> {
  const saver = (parts.detector as Partial<{ save(): BankState | Promise<BankState> }>).save;
  const bank = typeof saver === 'function' ? await saver.call(parts.detector) : undefined;
  const learnt: LearntModels = {
    successRates: parts.planner.successRates.all(),
    adapter: parts.planner.adapter(),
    ...(bank ? { detector: detectorArtefact(bank, parts.sources, parts.metrics, parts.normalRanges) } : {}),
  };
  if (parts.diagnoser instanceof RagDiagnoser) {
    const stored = await parts.diagnoser.analyzer.retriever.store.listDocuments();
    // Plain JSON (an absent field, not an undefined one), as the registry digests it.
    learnt.incidents = stored
      .filter((s) => s.document.source === 'incident')
      .map((s) => JSON.parse(JSON.stringify(s.document)) as RagDocument);
  }
  return learnt;
}

/**
 * Registers each learnt model as its next version (parent: the version restored, else none) and,
 * unless `promote` is false, makes it the champion. Returns the versions registered.
 */
export async function saveLearning(
  store: ModelStore,
  learnt: LearntModels,
  options: SaveLearningOptions = {},
): Promise<ModelVersionRecord[]> {
  const registry = new ModelRegistry(store, {
    ...(options.audit ? { audit: options.audit } : {}),
    actor: options.actor ?? 'engine',
  });
  // What each version was built with, and how much it holds (beside the run's figures).
  const described: Record<
    LearntModelKey,
    (a: never) => { parameters: Record<string, unknown>; counts: Record<string, number> }
  > = {
    successRates: (a: Posterior[]) => ({ parameters: {}, counts: { posteriors: a.length } }),
    adapter: (a: PlannerAdapter) => ({
      parameters: { lora: { ...a.config }, features: a.features.length, actions: [...a.actions] },
      counts: {},
    }),
    detector: (a: DetectorArtefact) => ({
      parameters: { ...a.params },
      counts: { series: a.sources.length * a.metrics.length },
    }),
    incidents: (a: RagDocument[]) => ({ parameters: {}, counts: { incidents: a.length } }),
  };
  const registered: ModelVersionRecord[] = [];
  for (const key of Object.keys(LEARNT_MODELS) as LearntModelKey[]) {
    const artefact = learnt[key];
    if (artefact === undefined) continue;
    const name = `${options.prefix ?? ''}${LEARNT_MODELS[key]}`;
    const { parameters, counts } = described[key](artefact as never);
    const record = await registry.register({
      name,
      kind: KINDS[key],
      artefact,
      parent: options.restored?.versions[key] ?? null,
      dataWindow: options.dataWindow ?? null,
      parameters,
      metrics: { ...options.metrics, ...counts },
      tags: options.tags ?? [],
    });
    if (options.promote ?? true)
      await registry.promote(name, record.version, { alias: CHAMPION, reason: 'learnt by the engine' });
    registered.push(record);
  }
  return registered;
}
