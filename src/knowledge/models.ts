/**
 * Model versions and aliases as the knowledge store keeps them (the registry in src/mlops builds
 * on these). A version is immutable once written; an alias (`champion`, `challenger`) is the
 * replay of its events, so every promotion and rollback stays in the store's history.
 */

/**
 * What a registered model is: besides detectors, the scoring adapter, ONNX models and embedders,
 * the planner's success posteriors and the RAG index of past incidents (the engine's learning
 * that survives a restart, src/run/learning.ts).
 */
export type ModelKind = 'detector' | 'scoring-adapter' | 'onnx' | 'embedder' | 'success-rates' | 'rag-index';

/** Where a version came from: enough to rebuild it or to compare it with another. */
export interface ModelLineage {
  /** The version it was trained or tuned from, or null for a first version. */
  parent: number | null;
  /** The telemetry it learnt from, in ticks (null when it learnt from none, e.g. defaults). */
  dataWindow: { from: number; to: number } | null;
  /** Hyper-parameters and settings it was built with. */
  parameters: Record<string, unknown>;
  /** Figures measured when it was registered (e.g. precision, healed rate). */
  metrics: Record<string, number>;
}

/** One stored model version. `createdAt` is wall-clock ms since the epoch. */
export interface ModelVersionRecord {
  /** The model's name, e.g. `detector`. */
  name: string;
  /** 1, 2, 3... per name, in order of registration. */
  version: number;
  /** What the model is. */
  kind: ModelKind;
  /** When it was registered. */
  createdAt: number;
  /** SHA-256 (hex) of the artefact's canonical JSON, so a corrupted version is never restored. */
  digest: string;
  /** The model itself as JSON: detector parameters and state, adapter weights, an ONNX file in base64. */
  artefact: unknown;
  /** Where it came from. */
  lineage: ModelLineage;
  /** Free labels, e.g. the dataset or the experiment. */
  tags: string[];
}

/** One change of an alias: `promote` points it at a version, `rollback` returns to the one before. */
export interface ModelAliasEvent {
  /** The model's name. */
  name: string;
  /** The alias moved, e.g. `champion`. */
  alias: string;
  /** 0, 1, 2... per (name, alias), in order. */
  seq: number;
  /** 'rollback';|Whether the alias was pointed at a version or returned to the one before. */
  action: 'promote' | 'rollback';
  /** The version the alias points at after this event. */
  version: number;
  /** When, wall-clock ms since the epoch. */
  at: number;
  /** Why (an operator's note, or the health status that triggered an automatic rollback). */
  reason?: string;
}

/** Where model versions and alias events are kept (the memory and PGlite stores implement it). */
export interface ModelStore {
  /** Adds a version; false (and nothing written) when (name, version) already exists. */
  addModelVersion(record: ModelVersionRecord): Promise<boolean>;
  /** Versions of `name` (every model's when omitted), by name then version. */
  listModelVersions(name?: string): Promise<ModelVersionRecord[]>;
  /** Adds an alias event; false (and nothing written) when (name, alias, seq) already exists. */
  addModelAliasEvent(event: ModelAliasEvent): Promise<boolean>;
  /** Alias events of `name` (every model's when omitted), by name, alias, then seq. */
  listModelAliasEvents(name?: string): Promise<ModelAliasEvent[]>;
}
