/** Live progress of a run: the snapshot type, the hooks runners call, and how snapshots are taken. */
import type { Clock } from './clock.ts';
import type { LoadRecorder } from './recorder.ts';

/** The live state of a run, reported about once a second while it runs. */
export interface LoadProgress {
  /** The scenario's name. */
  scenario: string;
  /** Run time so far. */
  elapsedMs: number;
  /** Planned length of the whole run. */
  plannedMs: number;
  /** Index of the current stage, from 0. */
  stage: number;
  /** Calls started so far. */
  started: number;
  /** Calls finished so far: succeeded, failed or timed out. */
  completed: number;
  /** Failed plus timed out. */
  errors: number;
  /** Due iterations dropped at the in-flight cap. */
  dropped: number;
  /** Calls started and not yet settled. */
  inFlight: number;
}

/** Hooks a runner calls while a scenario runs, and the clock it reads. */
export interface RunHooks {
  /** Called with a snapshot about every `progressEveryMs` while the run goes on. */
  onProgress?: (progress: LoadProgress) => void;
  /** How often onProgress is called, in ms of run time. Default 1000. */
  progressEveryMs?: number;
  /**
   * Called once per stage when the plan has moved past it and all its calls have settled;
   * returning true stops the run (the rest of the plan is not scheduled).
   */
  onStageSettled?: (stage: number) => boolean;
  /** Time source of an open-model run (default: the system clock); closed-model runs refuse one. */
  clock?: Clock;
}

/** A progress snapshot from the recorder's running totals. */
export function snapshot(
  scenario: string,
  recorder: LoadRecorder,
  elapsedMs: number,
  plannedMs: number,
  stage: number | undefined,
  inFlight: number,
): LoadProgress {
  let started = 0;
  let completed = 0;
  let errors = 0;
  let dropped = 0;
  for (const s of recorder.stages) {
    started += s.started;
    completed += s.ok + s.failed + s.timeouts;
    errors += s.failed + s.timeouts;
    dropped += s.dropped;
  }
  return {
    scenario,
    elapsedMs,
    plannedMs,
    stage: stage ?? recorder.stages.length - 1,
    started,
    completed,
    errors,
    dropped,
    inFlight,
  };
}
