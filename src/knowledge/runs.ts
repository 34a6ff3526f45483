/**
 * The runs a store has seen. Each engine run on a store gets a fresh id (src/knowledge/ids.ts)
 * that prefixes the incident and action ids it makes, so history accumulates instead of one
 * run overwriting another's; a finished run records the audit log's sealed state, which every
 * later verification of the store checks.
 */

/** One engine run on a store. Times are wall-clock ms since the epoch (not ticks). */
export interface RunRecord {
  /** The run's id (`isRunId`), the prefix of every incident and action id it made. */
  id: string;
  /** When it started. */
  startedAt: number;
  /** The host and process that ran it. */
  host: string;
  /** The process id of the run. */
  pid: number;
  /** 'running' until it ends; a run that stays 'running' with no live writer crashed. */
  status: 'running' | 'finished' | 'interrupted';
  /** When it ended, if it did. */
  endedAt?: number;
  /**
   * The audit log's sealed state when the run ended: its entry count and head hash, and the
   * chain it signed when the store keeps one per run (a PostgreSQL server; absent: the store's
   * one chain, '').
   */
  audit?: { entries: number; head: string; chain?: string };
}

/** Where runs are recorded (the PGlite and memory stores implement it). */
export interface RunStore {
  /** Inserts or replaces a run by id. */
  putRun(run: RunRecord): Promise<void>;
  /** Every run, oldest first. */
  listRuns(): Promise<RunRecord[]>;
}

/** The audit entry a run writes first; its data holds `runId` (and the host, pid and key ids). */
export const RUN_START_KIND = 'run.start';
/** The audit entry a run writes last; its data holds `runId` and how it ended. */
export const RUN_END_KIND = 'run.end';
