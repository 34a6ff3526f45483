/**
 * Recorded telemetry as long CSV, one sample per record: `ts,node,metric,value` (RFC 4180, so a
 * node id holding commas, quotes or spaces is quoted). The header is optional; when present it
 * may name the four columns in any order. Each bad record is refused with the line it starts on.
 */
import type { Sample } from '../ingest.ts';
import { excerpt, parseIsoSeconds } from './fields.ts';
import type { LineRefusal, ParsedTelemetry } from './telemetry.ts';

const COLUMNS = ['ts', 'node', 'metric', 'value'] as const;
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Parses long CSV `ts,node,metric,value`: `ts` Unix seconds or an ISO 8601 date-time with a
 * zone, `value` a finite decimal number, `node` and `metric` non-empty (kept exactly as written,
 * spaces included). Blank lines are ignored. A first record naming the four columns is a header
 * and sets their order. Bad records are refused with the 1-based line they start on and a reason:
 * 'bad-quote', 'bad-columns', 'bad-timestamp', 'bad-node', 'bad-metric', 'bad-value'.
 */
export function parseCsv(text: string): ParsedTelemetry {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const samples: Sample[] = [];
  const refused: LineRefusal[] = [];
  let order: readonly number[] = [0, 1, 2, 3];
  let first = true;
  const reader = new RecordReader(body);
  for (let record = reader.next(); record !== undefined; record = reader.next()) {
    const { line, fields } = record;
    if (typeof fields === 'string') {
      refused.push({ line, reason: 'bad-quote', detail: fields });
      continue;
    }
    if (fields.length === 1 && fields[0].trim() === '') continue;
    if (first) {
      first = false;
      const header = headerOrder(fields);
      if (header !== undefined) {
        order = header;
        continue;
      }
    }
    if (fields.length !== 4) {
      refused.push({
        line,
        reason: 'bad-columns',
        detail: `expected 4 fields (ts,node,metric,value), got ${fields.length}`,
      });
      continue;
    }
    const ts = fields[order[0]];
    const node = fields[order[1]];
    const metric = fields[order[2]];
    const value = fields[order[3]].trim();
    const seconds = readCsvTimestamp(ts.trim());
    if (Number.isNaN(seconds)) {
      refused.push({
        line,
        reason: 'bad-timestamp',
        detail: `ts ${excerpt(ts)} is neither Unix seconds nor an ISO 8601 date-time with a zone`,
      });
      continue;
    }
    if (node.length === 0) {
      refused.push({ line, reason: 'bad-node', detail: 'node is empty' });
      continue;
    }
    if (metric.length === 0) {
      refused.push({ line, reason: 'bad-metric', detail: 'metric is empty' });
      continue;
    }
    const number = DECIMAL.test(value) ? Number(value) : Number.NaN;
    if (!Number.isFinite(number)) {
      refused.push({
        line,
        reason: 'bad-value',
        detail: `value ${excerpt(value)} is not a finite decimal number`,
      });
      continue;
    }
    samples.push({ source: node, metric, ts: seconds, value: number });
  }
  return { samples, refused };
}

/** The column order a header record gives, or undefined when the record is not a header. */
function headerOrder(fields: readonly string[]): readonly number[] | undefined {
  if (fields.length !== 4) return undefined;
  const names = fields.map((f) => f.trim().toLowerCase());
  const order = COLUMNS.map((c) => names.indexOf(c));
  return order.every((i) => i >= 0) ? order : undefined;
}

function readCsvTimestamp(ts: string): number {
  if (DECIMAL.test(ts)) {
    const n = Number(ts);
    return Number.isFinite(n) ? n : Number.NaN;
  }
  return parseIsoSeconds(ts);
}

/** One record: the line it starts on and its fields, or a string saying why it could not be split. */
interface CsvRecord {
  line: number;
  fields: string[] | string;
}

/** Splits RFC 4180 text into records; a quoted field may span lines. */
class RecordReader {
  readonly #text: string;
  #pos = 0;
  #line = 1;

  constructor(text: string) {
    this.#text = text;
  }

  next(): CsvRecord | undefined {
    const text = this.#text;
    if (this.#pos >= text.length) return undefined;
    const line = this.#line;
    let end = text.indexOf('\n', this.#pos);
    if (end < 0) end = text.length;
    const raw = text.slice(this.#pos, end > this.#pos && text.charCodeAt(end - 1) === 0x0d ? end - 1 : end);
    if (!raw.includes('"')) {
      this.#pos = end + 1;
      this.#line++;
      return { line, fields: raw.split(',') };
    }
    return this.#quoted(line);
  }

  /** The slow path, for a record with quotes: a character scanner. */
  #quoted(line: number): CsvRecord {
    const text = this.#text;
    const fields: string[] = [];
    const start = this.#pos;
    let field = '';
    let i = start;
    let problem: string | undefined;
    for (;;) {
      if (text.charCodeAt(i) === 0x22 /* " */) {
        const closed = this.#closingQuote(i + 1);
        if (closed < 0) {
          // An unterminated quote swallows the rest of the body: refuse it as one record.
          this.#pos = text.length;
          return { line, fields: 'a quoted field is never closed' };
        }
        field = text.slice(i + 1, closed).replaceAll('""', '"');
        i = closed + 1;
        const c = text.charCodeAt(i);
        if (i < text.length && c !== 0x2c && c !== 0x0a && !(c === 0x0d && text.charCodeAt(i + 1) === 0x0a)) {
          problem ??= `text after a closing quote in field ${fields.length + 1}`;
          while (i < text.length && text.charCodeAt(i) !== 0x2c && text.charCodeAt(i) !== 0x0a) i++;
        }
      } else {
        let j = i;
        while (j < text.length && text.charCodeAt(j) !== 0x2c && text.charCodeAt(j) !== 0x0a) j++;
        field = text.slice(i, j);
        if (field.endsWith('\r') && text.charCodeAt(j) === 0x0a) field = field.slice(0, -1);
        if (field.includes('"')) problem ??= `a quote inside unquoted field ${fields.length + 1}`;
        i = j;
      }
      fields.push(field);
      if (i < text.length && text.charCodeAt(i) === 0x2c) {
        i++;
        continue;
      }
      if (text.charCodeAt(i) === 0x0d) i++;
      break;
    }
    this.#pos = i + 1;
    this.#line = line + countNewlines(text, start, i) + 1;
    return { line, fields: problem ?? fields };
  }

  #closingQuote(from: number): number {
    const text = this.#text;
    let i = from;
    for (;;) {
      const q = text.indexOf('"', i);
      if (q < 0) return -1;
      if (text.charCodeAt(q + 1) !== 0x22) return q;
      i = q + 2;
    }
  }
}

function countNewlines(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = text.indexOf('\n', from); i >= 0 && i < to; i = text.indexOf('\n', i + 1)) n++;
  return n;
}
