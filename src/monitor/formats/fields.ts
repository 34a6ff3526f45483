/**
 * The checks every text format makes of a sample's fields (timestamp, node, metric, value), in
 * one place so NDJSON, CSV and the rest refuse the same things with the same reason codes.
 */
import type { Sample } from '../ingest.ts';
import type { LineRefusal } from './telemetry.ts';

// Date and time with a zone, as RFC 3339 (the ISO 8601 profile the internet uses) spells it;
// local times without a zone are refused, because the sender's zone cannot be guessed.
const ISO_8601 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(?:([Zz])|([+-])(\d{2}):?(\d{2}))$/;

/**
 * Unix seconds of an ISO 8601 date-time with a zone (`2026-12-07T05:00:00Z`,
 * `2026-12-07T06:00:00.250+01:00`), or NaN for anything else, including impossible dates such as
 * February 30th. Parsed by hand rather than by Date.parse, which accepts other formats and
 * differs between runtimes.
 */
export function parseIsoSeconds(text: string): number {
  const m = ISO_8601.exec(text);
  if (m === null) return Number.NaN;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return Number.NaN;
  if (day > daysInMonth(year, month)) return Number.NaN;
  const epochMs = Date.UTC(year, month - 1, day, hour, minute, second);
  let offsetMinutes = 0;
  if (m[8] === undefined) {
    const zoneHours = Number(m[10]);
    const zoneMinutes = Number(m[11]);
    if (zoneHours > 23 || zoneMinutes > 59) return Number.NaN;
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (zoneHours * 60 + zoneMinutes);
  }
  const fraction = m[7] === undefined ? 0 : Number(m[7]);
  return epochMs / 1000 - offsetMinutes * 60 + fraction;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * Reads a JSON-ish timestamp: a finite number of Unix seconds or an ISO 8601 string. Returns
 * the seconds, or a detail saying what was wrong.
 */
function readTimestamp(ts: unknown): number | string {
  if (typeof ts === 'number') return Number.isFinite(ts) ? ts : `ts ${String(ts)} is not finite`;
  if (typeof ts === 'string') {
    const seconds = parseIsoSeconds(ts);
    return Number.isNaN(seconds)
      ? `ts ${JSON.stringify(ts)} is not an ISO 8601 date-time with a zone`
      : seconds;
  }
  return `ts must be Unix seconds or an ISO 8601 string, got ${describe(ts)}`;
}

/**
 * Validates one decoded record `{ ts, node, metric, value }` and either appends its sample or
 * its refusal (with `line`). Used by the JSON formats, whose fields arrive already typed.
 */
export function admitRecord(record: unknown, line: number, samples: Sample[], refused: LineRefusal[]): void {
  const checked = checkRecord(record);
  if ('reason' in checked) refused.push({ line, ...checked });
  else samples.push(checked);
}

/** The record's sample, or the first thing wrong with it (in the order the fields are checked). */
function checkRecord(record: unknown): Sample | Omit<LineRefusal, 'line'> {
  if (typeof record !== 'object' || record === null || Array.isArray(record))
    return {
      reason: 'not-an-object',
      detail: `expected {"ts","node","metric","value"}, got ${describe(record)}`,
    };
  const fields = record as Record<string, unknown>;
  const { ts, node, metric, value } = fields;
  if (ts === undefined || node === undefined || metric === undefined || value === undefined) {
    const missing = (['ts', 'node', 'metric', 'value'] as const).filter((k) => fields[k] === undefined);
    return { reason: 'missing-field', detail: `missing ${missing.join(', ')}` };
  }
  if (typeof node !== 'string' || node.length === 0)
    return { reason: 'bad-node', detail: `node must be a non-empty string, got ${describe(node)}` };
  if (typeof metric !== 'string' || metric.length === 0)
    return { reason: 'bad-metric', detail: `metric must be a non-empty string, got ${describe(metric)}` };
  if (typeof value !== 'number' || !Number.isFinite(value))
    return { reason: 'bad-value', detail: `value must be a finite number, got ${describe(value)}` };
  const seconds = typeof ts === 'number' && Number.isFinite(ts) ? ts : readTimestamp(ts);
  if (typeof seconds === 'string') return { reason: 'bad-timestamp', detail: seconds };
  return { source: node, metric, ts: seconds, value };
}

/** A short, bounded description of a value for a refusal's detail. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return `${typeof value} ${String(value)}`;
}

/** A bounded excerpt of a bad line for a refusal's detail. */
export function excerpt(text: string): string {
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text);
}
