/** Loop statistics for tests that stand in for a loop (probes, readiness). */
import type { LoopStats } from '../../../src/loop/loop.ts';

/** The statistics of a loop that has done nothing yet, with `overrides` applied. */
export function idleLoopStats(overrides: Partial<LoopStats> = {}): LoopStats {
  return {
    ticks: 0,
    samplesAccepted: 0,
    samplesRejected: 0,
    incidentsOpened: 0,
    incidentsResolved: 0,
    incidentsEscalated: 0,
    actionsStarted: 0,
    actionsHealed: 0,
    actionsFailed: 0,
    actionsRolledBack: 0,
    rollbacksFailed: 0,
    actionsNotTaken: 0,
    auditFailures: 0,
    storePending: 0,
    storeFailures: 0,
    eventsDropped: 0,
    ...overrides,
  };
}
