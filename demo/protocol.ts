/**
 * What the playground's engine worker and its page say to each other: plain data that
 * structured clone carries (typed arrays, arrays, records), no classes.
 */
import type { MeshLayout } from '../src/report/mesh.ts';
import type { FaultOutcome } from '../src/run/evaluate.ts';

/** How to start a mesh. */
export interface StartOptions {
  seed: number;
  /** 10..1,000 nodes. */
  nodes: number;
  /** Simulated seconds per real second; Infinity runs as fast as the engine can. */
  speed: number;
  /** Start paused: the warm-up runs, then the clock stops at its last tick until resumed. */
  paused?: boolean;
}

/** The mesh a session runs, as the page draws it, and what its faults and metrics are called. */
export interface MeshInfo extends MeshLayout {
  seed: number;
  /** Fault kinds that strike a node, then those that strike a link. */
  nodeKinds: readonly string[];
  linkKinds: readonly string[];
  metrics: readonly string[];
  /** Anomaly score at or above which the detector raises an alarm. */
  threshold: number;
  /** Ticks the detectors learn the mesh's normal before faults can be injected. */
  warmupTicks: number;
  /** Learnt success rates the planner started from (read back from the store: earlier meshes and visits). */
  learntRates: number;
}

/** Where the playground keeps its database: IndexedDB (kept across reloads) or memory (gone with the page). */
export type Storage = 'indexeddb' | 'memory';

/** Where the session stands. */
export type Phase = 'warming-up' | 'running' | 'paused';

/** The playground's counters, from the run's evaluator (the numbers `x0tta6bl4 run` prints). */
export interface Counters {
  injected: number;
  detected: number;
  healed: number;
  escalated: number;
  falseAlarms: number;
  actions: number;
  /** Median ticks from injection to detection, and from detection to the healing action's completion. */
  ttdMedian: number | null;
  ttrMedian: number | null;
}

/** One frame of the live view: health per node and link, open incidents, counters. */
export interface View {
  tick: number;
  phase: Phase;
  /** Simulated seconds per real second over the last second. */
  ticksPerSecond: number;
  /** Per node: index into NODE_HEALTH; per node and link: MARK bits; per link: index into LINK_HEALTH. */
  nodeHealth: Uint8Array;
  nodeMarks: Uint8Array;
  linkHealth: Uint8Array;
  linkMarks: Uint8Array;
  incidents: Array<{ id: string; label: string; nodes: number[]; escalated: boolean }>;
  counters: Counters;
  /** Changes whenever a story or a fault's outcome changes: ask for `stories()` and `faults()` then. */
  version: number;
}

/** One step of an incident's story, as the timeline shows it. */
export type StoryStep =
  | { step: 'anomaly'; ts: number; node: string; score: number; metrics: string[] }
  | { step: 'opened'; ts: number; nodes: string[] }
  | { step: 'root-cause'; ts: number; causes: Array<{ target: string; score: number }>; confidence: number }
  | { step: 'diagnosis'; ts: number; kind?: string; citations: string[] }
  | {
      step: 'plan';
      ts: number;
      action: string;
      target: string;
      score: number;
      explanation: string;
      /** The runners-up, best first. */
      alternatives: Array<{ action: string; target: string; score: number }>;
    }
  | { step: 'action'; ts: number; id: string; action: string; target: string }
  | { step: 'verification'; ts: number; id: string; action: string; outcome: string; reason?: string }
  | { step: 'rollback'; ts: number; id: string; ok: boolean; reason?: string }
  | { step: 'resolved'; ts: number }
  | { step: 'escalated'; ts: number; reason?: string };

/** An incident from its first anomaly to its end, step by step. */
export interface Story {
  id: string;
  /** `inc-<n>`: the id without its run prefix. */
  label: string;
  status: 'open' | 'resolved' | 'escalated';
  openedAt: number;
  closedAt?: number;
  nodes: string[];
  steps: StoryStep[];
  /** From an earlier session (read back from the store). */
  past?: boolean;
}

/** A node's recent telemetry and anomaly scores, one point per tick. */
export interface NodeSeries {
  node: string;
  ticks: number[];
  /** Per metric: its values (NaN where the node sent nothing) and its anomaly scores. */
  values: Record<string, number[]>;
  scores: Record<string, number[]>;
}

export type { FaultOutcome };

/** A runbook (or past incident) the RAG analyzer retrieved for a query, with its score and why. */
export interface RagHit {
  id: string;
  title: string;
  source: 'runbook' | 'incident';
  faults: string[];
  /** Fused score in [0, 1] (1 = first in both the lexical and the vector ranking). */
  score: number;
  /** Query words and concepts the document shares. */
  matched: string[];
  lexicalRank?: number;
  vectorRank?: number;
}

/** One audit log entry as the panel lists it. */
export interface AuditRow {
  seq: number;
  kind: string;
  /** Wall-clock ms of the append. */
  at: number;
  tick?: number;
  incident?: string;
  what: string;
  /** Covered by a signed batch seal (else durable but not signed yet). */
  sealed: boolean;
}

/** The audit log's size and its latest entries, newest first. */
export interface AuditState {
  entries: number;
  batches: number;
  /** Id of the key this page signs with. */
  signer: string;
  rows: AuditRow[];
}

/** What verifying the audit log found. */
export type AuditVerdict =
  | { ok: true; entries: number; batches: number; unsealed: number; head: string }
  | { ok: false; reason: string; position: number; detail: string; verifiedEntries: number };
