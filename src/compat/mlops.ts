/**
 * The Python system's `MLOpsManager` over the real model registry and health monitor
 * (src/mlops): `registerTrainedModel` stores a new version with its metrics, `getAllModels`
 * lists what is registered, and `checkModelHealth` judges the evidence fed to the model's
 * monitor (`monitor(name)`) by the documented rules: `unknown` until there is evidence, never a
 * constant `healthy`.
 */
import { ArgumentError } from '../errors.ts';
import { MemoryStore } from '../knowledge/memory-store.ts';
import type { ModelKind, ModelStore, ModelVersionRecord } from '../knowledge/models.ts';
import { type HealthReport, ModelHealthMonitor, type ModelHealthOptions } from '../mlops/health.ts';
import { type ModelAuditLog, ModelRegistry, type ModelSummary } from '../mlops/registry.ts';

/** Options of {@link MLOpsManager}. */
export interface MLOpsManagerOptions {
  /** Where versions live (default a fresh MemoryStore; a PGliteStore keeps them). */
  store?: ModelStore;
  /** Receives an entry per registration, promotion and rollback. */
  audit?: ModelAuditLog;
  /** Wall clock in ms (default Date.now). */
  now?: () => number;
  /** Options of every model's health monitor. */
  health?: ModelHealthOptions;
}

/** Options of {@link MLOpsManager.registerTrainedModel}. */
export interface RegisterTrainedModelOptions {
  /** Default 'scoring-adapter'. */
  kind?: ModelKind;
  /** Hyper-parameters and settings it was built with (its lineage). */
  parameters?: Record<string, unknown>;
  /** The telemetry it learnt from, in ticks (its lineage). */
  dataWindow?: { from: number; to: number };
  /** Free labels. */
  tags?: string[];
  /** Make the new version the champion (default true, as the original put a trained model in service). */
  promote?: boolean;
}

/** A health report for one model's current version. */
export interface ModelHealth extends HealthReport {
  /** The model's name. */
  model: string;
  /** The champion (else newest) version judged. */
  version: number;
}

/** The MLOps manager of the original system's API; see the module comment. */
export class MLOpsManager {
  /** The model registry behind the facade. */
  readonly registry: ModelRegistry;
  readonly #monitors = new Map<string, { monitor: ModelHealthMonitor; since: number }>();
  readonly #now: () => number;
  readonly #health: ModelHealthOptions;

  /** A manager over `options.store` (default a fresh MemoryStore). */
  constructor(options: MLOpsManagerOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#health = options.health ?? {};
    this.registry = new ModelRegistry(options.store ?? new MemoryStore(), {
      audit: options.audit,
      now: this.#now,
    });
  }

  /** Registers `model` (JSON) as the next version of `modelName` with its `metrics`; promotes it unless told not to. */
  async registerTrainedModel(
    modelName: string,
    model: unknown,
    metrics: Record<string, number> = {},
    options: RegisterTrainedModelOptions = {},
  ): Promise<ModelVersionRecord> {
    if (model === undefined) throw new ArgumentError('model', 'expected the trained model as JSON');
    const version = await this.registry.register({
      name: modelName,
      kind: options.kind ?? 'scoring-adapter',
      artefact: model,
      metrics,
      parameters: options.parameters,
      dataWindow: options.dataWindow,
      tags: options.tags,
    });
    if (options.promote !== false) await this.registry.promote(modelName, version.version);
    return version;
  }

  /** Every registered model with its version count, newest version and aliases. */
  getAllModels(): Promise<ModelSummary[]> {
    return this.registry.models();
  }

  /** The evidence collector of `modelName`: feed it anomalies, decisions, latencies, inputs and errors. */
  monitor(modelName: string): ModelHealthMonitor {
    let entry = this.#monitors.get(modelName);
    if (!entry) {
      entry = { monitor: new ModelHealthMonitor(this.#health), since: this.#now() };
      this.#monitors.set(modelName, entry);
    }
    return entry.monitor;
  }

  /**
   * Judges `modelName`'s health from its monitor's evidence; `hours` observed defaults to the
   * wall-clock time since its monitor was created. ModelNotFoundError for an unregistered model.
   */
  async checkModelHealth(modelName: string, hours?: number): Promise<ModelHealth> {
    const current = await this.registry.get(modelName);
    const since = this.#monitors.get(modelName)?.since ?? this.#now();
    const report = await this.monitor(modelName).assess(hours ?? (this.#now() - since) / 3_600_000);
    return { model: modelName, version: current.version, ...report };
  }
}
