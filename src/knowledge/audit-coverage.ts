/**
 * Cross-checks a store's knowledge against its audit log, which share one database (a log of
 * one chain, or of one chain per run on a PostgreSQL server, read together): every
 * action the store holds must have its audit entries (an `action` entry naming its id, and once
 * it has an outcome a `result` entry with that outcome), and every run the store records its
 * `run.start` entry. Signatures cannot show a log cut back by whole batches; the knowledge that
 * outlived the cut can.
 */
import type { StoredEntry } from '../security/audit-entry.ts';
import type { AuditStore } from '../security/audit-store.ts';
import type { ActionRecord } from './records.ts';
import { RUN_START_KIND, type RunRecord } from './runs.ts';

/** A record the log does not account for. */
export interface CoverageGap {
  /** The action or run id. */
  id: string;
  /** What the log lacks, in words. */
  missing: string;
}

/** What the cross-check saw and the gaps it found (none when the log covers the knowledge). */
export interface AuditCoverage {
  actions: number;
  runs: number;
  gaps: CoverageGap[];
}

const PAGE = 4096;

/** Checks that `audit` (one chain, or every chain) holds the entries of every action and run given (see the file comment). */
export async function auditCoverage(
  actions: readonly ActionRecord[],
  runs: readonly RunRecord[],
  audit: AuditStore | readonly AuditStore[],
): Promise<AuditCoverage> {
  const started = new Set<string>();
  const outcomes = new Map<string, Set<string>>();
  const runStarts = new Set<string>();
  for (const chain of Array.isArray(audit) ? audit : [audit as AuditStore]) {
    const { entries: total } = await chain.size();
    for (let from = 0; from < total; from += PAGE) {
      for (const entry of await chain.entries(from, Math.min(total, from + PAGE))) note(entry);
    }
  }

  function note(entry: StoredEntry): void {
    const data = entry.data as Record<string, unknown> | null;
    if (!data || typeof data !== 'object') return;
    if (entry.kind === 'action' && typeof data.id === 'string') started.add(data.id);
    else if (entry.kind === 'result' && typeof data.id === 'string') {
      const seen = outcomes.get(data.id) ?? new Set<string>();
      seen.add(String(data.outcome));
      outcomes.set(data.id, seen);
    } else if (entry.kind === RUN_START_KIND && typeof data.runId === 'string') runStarts.add(data.runId);
  }

  const gaps: CoverageGap[] = [];
  for (const action of actions) {
    if (!started.has(action.id)) gaps.push({ id: action.id, missing: 'its action entry (intent)' });
    if (action.outcome !== 'pending' && !outcomes.get(action.id)?.has(action.outcome))
      gaps.push({ id: action.id, missing: `a result entry with outcome ${action.outcome}` });
  }
  for (const run of runs) {
    if (!runStarts.has(run.id)) gaps.push({ id: run.id, missing: `its ${RUN_START_KIND} entry` });
  }
  return { actions: actions.length, runs: runs.length, gaps };
}
