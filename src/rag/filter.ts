/**
 * Metadata filters applied by every retriever before ranking: fault kind, severity, source and
 * time. Checked once at the boundary, then compiled into a predicate.
 */
import { ArgumentError } from '../errors.ts';
import { SEVERITIES, type RagDocument, type Severity } from './document.ts';

/** Restricts retrieval to matching documents; every given field must match. */
export interface RetrievalFilter {
  /** Keep documents about at least one of these fault kinds. */
  faults?: readonly string[];
  /** Keep documents with one of these severities. */
  severity?: readonly Severity[];
  /** Keep only runbooks or only incidents. */
  source?: 'runbook' | 'incident';
  /** Keep documents with `timestamp >= since` (ms); documents without a timestamp fail. */
  since?: number;
  /** Keep documents with `timestamp < until` (ms); documents without a timestamp fail. */
  until?: number;
}

/** A compiled filter; `undefined` accepts everything. */
export type DocumentPredicate = ((doc: RagDocument) => boolean) | undefined;

/** Validates `filter` (errors name the field) and compiles it. */
export function compileFilter(filter: RetrievalFilter | undefined, name = 'filter'): DocumentPredicate {
  if (filter === undefined) return undefined;
  if (typeof filter !== 'object' || filter === null) throw new ArgumentError(name, 'expected an object');
  const { faults, severity, source, since, until } = filter;
  if (faults !== undefined && !(Array.isArray(faults) && faults.every((f) => typeof f === 'string'))) {
    throw new ArgumentError(`${name}.faults`, 'expected an array of fault kinds');
  }
  if (
    severity !== undefined &&
    !(Array.isArray(severity) && severity.every((s) => (SEVERITIES as readonly string[]).includes(s)))
  ) {
    throw new ArgumentError(`${name}.severity`, `expected an array of ${SEVERITIES.join(', ')}`);
  }
  if (source !== undefined && source !== 'runbook' && source !== 'incident') {
    throw new ArgumentError(`${name}.source`, `expected 'runbook' or 'incident', got ${String(source)}`);
  }
  for (const [key, value] of [
    ['since', since],
    ['until', until],
  ] as const) {
    if (value !== undefined && (typeof value !== 'number' || Number.isNaN(value))) {
      throw new ArgumentError(`${name}.${key}`, `expected a time in ms, got ${String(value)}`);
    }
  }
  const faultSet = faults && new Set(faults);
  const severitySet = severity && new Set<string>(severity);
  return (doc) =>
    (!faultSet || doc.faults.some((f) => faultSet.has(f))) &&
    (!severitySet || severitySet.has(doc.severity)) &&
    (source === undefined || doc.source === source) &&
    (since === undefined || (doc.timestamp !== undefined && doc.timestamp >= since)) &&
    (until === undefined || (doc.timestamp !== undefined && doc.timestamp < until));
}
