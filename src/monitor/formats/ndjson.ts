/**
 * `POST /v1/samples` and recorded telemetry files: NDJSON lines `{"ts","node","metric","value"}`
 * or one JSON array of them. NDJSON lines are judged one by one (a bad line is refused with its
 * number, the rest accepted); a JSON array is one document, so a body that does not parse as
 * one is unreadable. Built for the ingest path's rate: a body whose every line is written as
 * senders write it, `{"ts":<number>,"node":"<text>","metric":"<text>","value":<number>}` (those
 * keys in that order, no spaces, no escapes in the strings), is read by a scanner that makes each
 * sample directly, with no record object in between; any other well-formed body by a single
 * JSON.parse; and only a body with a bad line line by line. Every path gives what the last would.
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
  const canonical = scanCanonicalLines(body);
  if (canonical) return { samples: canonical, refused: [] };
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

/**
 * The samples of a body whose every line is canonical (see the module's comment; trailing newlines
 * allowed), or undefined at the first thing that is not. A canonical line is well-formed JSON that
 * admitRecord accepts, and the scanner reads it as JSON.parse does: strings without escapes are
 * their code units, and numbers, checked against JSON's grammar, are read by Number, which rounds
 * as JSON.parse does.
 */
function scanCanonicalLines(body: string): Sample[] | undefined {
  const samples: Sample[] = [];
  const length = body.length;
  let at = 0;
  while (at < length) {
    if (!body.startsWith('{"ts":', at)) return undefined;
    const tsEnd = numberEnd(body, at + 6);
    if (tsEnd < 0 || !body.startsWith(',"node":"', tsEnd)) return undefined;
    const nodeEnd = stringEnd(body, tsEnd + 9);
    if (nodeEnd < 0 || !body.startsWith(',"metric":"', nodeEnd + 1)) return undefined;
    const metricEnd = stringEnd(body, nodeEnd + 12);
    if (metricEnd < 0 || !body.startsWith(',"value":', metricEnd + 1)) return undefined;
    const valueEnd = numberEnd(body, metricEnd + 10);
    if (valueEnd < 0 || body.charCodeAt(valueEnd) !== 0x7d /* } */) return undefined;
    const ts = Number(body.slice(at + 6, tsEnd));
    const value = Number(body.slice(metricEnd + 10, valueEnd));
    // A number past the doubles' range parses as an infinity, which admitRecord refuses.
    if (!Number.isFinite(ts) || !Number.isFinite(value)) return undefined;
    samples.push({
      source: body.slice(tsEnd + 9, nodeEnd),
      metric: body.slice(nodeEnd + 12, metricEnd),
      ts,
      value,
    });
    at = valueEnd + 1;
    if (at < length) {
      if (body.charCodeAt(at) !== 0x0a) return undefined;
      at++;
      while (at < length && body.charCodeAt(at) === 0x0a) at++;
      // Newlines between lines are blank lines: the line-by-line path numbers what follows them.
      if (at < length && body.charCodeAt(at - 2) === 0x0a) return undefined;
    }
  }
  return samples;
}

/** Where a JSON number starting at `start` ends, or -1 when none starts there. */
function numberEnd(text: string, start: number): number {
  let i = start;
  if (text.charCodeAt(i) === 0x2d /* - */) i++;
  const first = text.charCodeAt(i);
  if (first === 0x30 /* 0 */) i++;
  else if (first > 0x30 && first <= 0x39) i = digitsEnd(text, i + 1);
  else return -1;
  if (text.charCodeAt(i) === 0x2e /* . */) {
    const end = digitsEnd(text, i + 1);
    if (end === i + 1) return -1;
    i = end;
  }
  const e = text.charCodeAt(i);
  if (e === 0x65 || e === 0x45 /* e E */) {
    i++;
    const sign = text.charCodeAt(i);
    if (sign === 0x2b || sign === 0x2d /* + - */) i++;
    const end = digitsEnd(text, i);
    if (end === i) return -1;
    i = end;
  }
  return i;
}

function digitsEnd(text: string, start: number): number {
  let i = start;
  for (let c = text.charCodeAt(i); c >= 0x30 && c <= 0x39; c = text.charCodeAt(++i));
  return i;
}

/** Where a non-empty string without escapes or control characters, its opening quote before `start`, ends (its closing quote), or -1. */
function stringEnd(text: string, start: number): number {
  let i = start;
  for (;;) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) return i === start ? -1 : i;
    // An escape, a control character, or the end of the text (NaN).
    if (c === 0x5c || !(c >= 0x20)) return -1;
    i++;
  }
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
