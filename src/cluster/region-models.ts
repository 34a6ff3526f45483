/**
 * Each region's learnt models in the model registry (src/mlops/registry.ts), when the engines
 * share a store that keeps models (`serve --nats --store postgres://...`). A region's models are
 * the engine's learnt models (src/run/learning.ts) named for the region: region 3's success rates
 * are `region-3.engine.success-rates`, beside `region-3.engine.scoring-adapter`,
 * `region-3.engine.detector` and `region-3.engine.rag-incidents`.
 *
 * The region's owner registers them when it hands the region over (or stops), and every
 * `everyTicks` ticks in between, so an engine that dies leaves recent versions. Each version's
 * parent is the region's previous version, whichever engine registered it: an engine that takes a
 * region reads the region's champions first, and goes on from the versions it registers itself.
 * A region claimed with no checkpoint in NATS (a fresh cluster on a store that already holds the
 * region's models) starts from those champions, as `serve --store` starts from the engine's.
 */
import type { ModelStore, ModelVersionRecord } from '../knowledge/models.ts';
import type { ModelAuditLog } from '../mlops/registry.ts';
import {
  LEARNT_MODELS,
  type LearntModelKey,
  type LearntModels,
  type RestoredLearning,
  restoreLearning,
  saveLearning,
} from '../run/learning.ts';

/** Where an engine registers its regions' learnt models. */
export interface ClusterModels {
  /** The store holding the registry (the engines' shared knowledge store). */
  store: ModelStore;
  /** The engine's signed audit log: every registration and promotion is recorded there first. */
  audit?: ModelAuditLog;
  /** Labels on every version (e.g. `run:<run id>`); the engine and region are added. */
  tags?: string[];
  /** Ticks between registrations of a region's models while it is held (default 1,800). */
  everyTicks?: number;
}

/** Ticks between registrations by default: half an hour of one-second ticks. */
export const DEFAULT_REGISTER_TICKS = 1800;

/** The prefix of region `region`'s model names. */
export function regionModelPrefix(region: number): string {
  return `region-${region}.`;
}

/** The registry name of region `region`'s model `key`, e.g. `region-3.engine.success-rates`. */
export function regionModelName(region: number, key: LearntModelKey): string {
  return `${regionModelPrefix(region)}${LEARNT_MODELS[key]}`;
}

/** One region's registrations by its current owner (see the module's comment). */
export class RegionModels {
  readonly #models: ClusterModels;
  readonly #region: number;
  readonly #engine: string;
  /** The versions the next registration descends from. */
  #lineage: RestoredLearning = { versions: {}, notes: [] };
  /** The tick the last registration covered (the first tick held, before any). */
  #since = -1;
  #pending: Promise<void> = Promise.resolve();

  /**
   * Registrations of region `region`'s models by engine `engine`.
   * @param models where and how to register
   * @param region the region
   * @param engine this engine's id
   */
  constructor(models: ClusterModels, region: number, engine: string) {
    this.#models = models;
    this.#region = region;
    this.#engine = engine;
  }

  /**
   * Reads the region's champions (the lineage the next versions descend from) and returns them:
   * what the region learnt when nothing newer is at hand. `from` is the first tick held.
   */
  async open(from: number): Promise<RestoredLearning> {
    this.#since = from;
    this.#lineage = await restoreLearning(this.#models.store, { prefix: regionModelPrefix(this.#region) });
    return this.#lineage;
  }

  /**
   * Whether a registration is due at tick `tick`: `everyTicks` after the last one, or at once when
   * `final` (the region is handed over); never before this owner processed a tick of its own.
   */
  due(tick: number, final = false): boolean {
    if (tick <= this.#since) return false;
    return final || tick - this.#since >= (this.#models.everyTicks ?? DEFAULT_REGISTER_TICKS);
  }

  /**
   * Registers `learnt` (what the region learnt up to tick `to`) as the next version of each of
   * the region's models and makes it the champion, in the background: `settled()` waits for it.
   * Resolves to the versions registered; a failure rejects (the caller reports it).
   */
  register(learnt: LearntModels, to: number): Promise<ModelVersionRecord[]> {
    const from = Math.max(0, this.#since + 1);
    const registered = this.#pending.then(() =>
      saveLearning(this.#models.store, learnt, {
        prefix: regionModelPrefix(this.#region),
        restored: this.#lineage,
        ...(this.#models.audit ? { audit: this.#models.audit } : {}),
        dataWindow: { from: Math.min(from, to), to },
        tags: [...(this.#models.tags ?? []), `engine:${this.#engine}`, `region:${this.#region}`],
      }),
    );
    this.#since = to;
    this.#pending = registered.then(
      (records) => {
        for (const record of records) {
          const key = (Object.keys(LEARNT_MODELS) as LearntModelKey[]).find(
            (k) => regionModelName(this.#region, k) === record.name,
          );
          if (key) this.#lineage.versions[key] = record.version;
        }
      },
      () => undefined,
    );
    return registered;
  }

  /** Waits for the registration under way, if any. */
  settled(): Promise<void> {
    return this.#pending;
  }
}
