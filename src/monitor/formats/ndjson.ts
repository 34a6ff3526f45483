/**
 * `POST /v1/samples` and recorded telemetry files: NDJSON lines `{"ts","node","metric","value"}`
 * or one JSON array of them. NDJSON lines are judged one by one (a bad line is refused with its
 * number, the rest accepted); a JSON array is one document, so a body that does not parse as
 * one is unreadable. Built for the ingest path's rate: a batch of well-formed lines is parsed by
 * a single JSON.parse, and only a batch with a bad line falls back to line-by-line parsing.
 */
import type { Sample } from '../ingest.ts';
import { admitRecord, excerpt } from './fields.ts';
import { type LineRefusal, type ParsedTelemetry, UnreadableBodyError } from './telemetry.ts';

/**
 * Parses NDJSON (one JSON object per line; blank lines ignored; `\r\n` accepted) or a JSON array
 * of `{ts, node, metric, value}` objects. `ts` is Unix seconds or an ISO 8601 date-time with a
 * zone; `node` and `metric` non-empty strings; `value` a finite number. Each bad line (or array
 * element, numbered from 1) is refused with a reason: 'bad-json', 'not-an-object',
 * 'missing-field', 'bad-timestamp', 'bad-node', 'bad-metric', 'bad-value'.
 * Throws an UnreadableBodyError for a JSON array that does not parse, and for NDJSON of which no
 * line is JSON at all (not this format).
 */
export function parseSamples(text: string): ParsedTelemetry {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const start = firstNonBlank(body);
  if (start === body.length) return { samples: [], refused: [] };
  if (body.charCodeAt(start) === 0x5b /* [ */) return parseArray(body);
  return parseLines(body);
}

function parseArray(body: string): ParsedTelemetry {
  let records: unknown;
  try {
    records = JSON.parse(body);
  } catch (error) {
    throw new UnreadableBodyError(
      'ndjson',
      `the body starts as a JSON array but does not parse: ${(error as Error).message}`,
    );
  }
  if (!Array.isArray(records))
    throw new UnreadableBodyError('ndjson', 'the body is JSON but not an array of samples');
  return admitAll(records);
}

function parseLines(body: string): ParsedTelemetry {
  const lines = body.split('\n');
  let count = lines.length;
  while (count > 0 && isBlank(lines[count - 1])) count--;
  if (count < lines.length) lines.length = count;
  // The fast path: well-formed NDJSON joined by commas is a JSON array with one element per line.
  // Any blank or bad line makes it fail to parse (or, for a line holding `1,2`, gives a different
  // count), and the lines are then parsed one by one to say which are bad.
  let records: unknown;
  try {
    records = JSON.parse(`[${lines.join(',')}]`);
  } catch {
    records = undefined;
  }
  if (Array.isArray(records) && records.length === count) return admitAll(records);
  const samples: Sample[] = [];
  const refused: LineRefusal[] = [];
  let unparsed = 0;
  for (let i = 0; i < count; i++) {
    const line = lines[i];
    if (isBlank(line)) continue;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch {
      refused.push({ line: i + 1, reason: 'bad-json', detail: `not a JSON value: ${excerpt(line.trim())}` });
      unparsed++;
      continue;
    }
    admitRecord(record, i + 1, samples, refused);
  }
  if (unparsed > 0 && unparsed === refused.length && samples.length === 0)
    throw new UnreadableBodyError('ndjson', `no line of the body is JSON (first: ${refused[0].detail})`);
  return { samples, refused };
}

function admitAll(records: unknown[]): ParsedTelemetry {
  const samples: Sample[] = [];
  const refused: LineRefusal[] = [];
  for (let i = 0; i < records.length; i++) admitRecord(records[i], i + 1, samples, refused);
  return { samples, refused };
}

function isBlank(line: string): boolean {
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d) return false;
  }
  return true;
}

function firstNonBlank(text: string): number {
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d && c !== 0x0a) break;
    i++;
  }
  return i;
}
