/**
 * Reading recorded telemetry for `replay` and `rca`: NDJSON (or one JSON array) or long CSV, told
 * apart by the file's extension or else by its first character, from a file or standard input.
 * A day of a mesh's telemetry runs to gigabytes, so a file is read in pieces of whole lines (whole
 * records for CSV, whose quoted fields may hold line breaks) and each piece parsed and handed on
 * before the next is read; line numbers in refusals count from the file's start. A JSON array is
 * one document and is read whole.
 */
import { createReadStream } from 'node:fs';
import process from 'node:process';
import { parseCsv } from '../monitor/formats/csv.ts';
import { parseSamples } from '../monitor/formats/ndjson.ts';
import { type LineRefusal, type ParsedTelemetry, UnreadableBodyError } from '../monitor/formats/telemetry.ts';
import type { Sample } from '../monitor/ingest.ts';
import { UsageError } from './args.ts';
import { inputName } from './input.ts';

/** The recorded-telemetry formats. */
export type RecordingFormat = 'ndjson' | 'csv';

/** Characters parsed at a time. */
const PIECE = 4 << 20;

/** What was refused while reading a recording: counts by reason and the first few lines. */
export class Refusals {
  /** Refused lines by reason. */
  readonly byReason: Record<string, number> = {};
  /** The first refusals, with their lines. */
  readonly first: LineRefusal[] = [];
  /** Lines refused in all. */
  count = 0;

  /** Counts `refused`, whose lines are `offset` after the file's first. */
  add(refused: readonly LineRefusal[], offset: number): void {
    for (const r of refused) {
      this.count++;
      this.byReason[r.reason] = (this.byReason[r.reason] ?? 0) + 1;
      if (this.first.length < 5) this.first.push({ ...r, line: r.line + offset });
    }
  }
}

/** The format of `path` by its extension; undefined when it does not say. */
function formatByName(path: string): RecordingFormat | undefined {
  const lower = path.toLowerCase();
  if (lower.endsWith('.csv')) return 'csv';
  if (/\.(ndjson|jsonl|json)$/.test(lower)) return 'ndjson';
  return undefined;
}

/** The format of a recording that starts with `text` (first non-blank character `{` or `[`: NDJSON). */
function formatByContent(text: string): RecordingFormat {
  const first = text.replace(/^\uFEFF/, '').trimStart()[0];
  return first === '{' || first === '[' ? 'ndjson' : 'csv';
}

/**
 * Reads the recording at `path` (`-` for standard input) and calls `take` with each piece's
 * samples, in file order, awaiting it before reading on. Refused lines are counted in the
 * returned Refusals. Throws a UsageError naming `argument` for a file that cannot be read or is
 * not telemetry at all.
 */
export async function readRecording(
  argument: string,
  path: string,
  take: (samples: Sample[]) => Promise<void> | void,
): Promise<{ format: RecordingFormat; refusals: Refusals; samples: number }> {
  const refusals = new Refusals();
  let format = formatByName(path);
  let pending = '';
  let line = 0;
  let header: string | undefined;
  let samples = 0;
  let wholeArray = false;
  const parse = async (text: string, lines: number) => {
    const fmt = format as RecordingFormat;
    let parsed: ParsedTelemetry;
    // A CSV header names the columns' order: later pieces are read with it.
    const prefix = fmt === 'csv' && header !== undefined ? `${header}\n` : '';
    try {
      parsed = fmt === 'csv' ? parseCsv(prefix + text) : parseSamples(text);
    } catch (error) {
      if (!(error instanceof UnreadableBodyError)) throw error;
      throw new UsageError(
        argument,
        `${inputName(path)} is not ${fmt === 'csv' ? 'CSV' : 'NDJSON'} telemetry: ${error.message}`,
      );
    }
    if (fmt === 'csv' && header === undefined) header = csvHeader(text);
    refusals.add(parsed.refused, line - (prefix ? 1 : 0));
    line += lines;
    samples += parsed.samples.length;
    if (parsed.samples.length) await take(parsed.samples);
  };
  if (path === '-' && process.stdin.readableEnded)
    throw new UsageError(argument, 'standard input (-) was already read for another argument');
  try {
    for await (const chunk of source(path)) {
      if (format === undefined) format = formatByContent(chunk);
      if (format === 'ndjson' && pending === '' && /^\uFEFF?\s*\[/.test(chunk)) wholeArray = true;
      pending += chunk;
      if (wholeArray || pending.length < PIECE) continue;
      const cut = format === 'csv' ? csvCut(pending) : pending.lastIndexOf('\n');
      if (cut < 0) continue;
      const piece = pending.slice(0, cut + 1);
      pending = pending.slice(cut + 1);
      await parse(piece, countLines(piece));
    }
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === undefined) throw error;
    throw new UsageError(argument, `cannot read ${inputName(path)}: ${(error as Error).message}`);
  }
  if (pending.trim() !== '') await parse(pending, countLines(pending));
  if (samples === 0) {
    const first = refusals.first[0];
    throw new UsageError(
      argument,
      `${inputName(path)} holds no readable telemetry${first ? `: every line refused (line ${first.line}: ${first.reason}, ${first.detail})` : ''}`,
    );
  }
  return { format: format ?? 'ndjson', refusals, samples };
}

/** The file's text in chunks, or standard input's when `path` is `-`. */
async function* source(path: string): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  const stream = path === '-' ? process.stdin : createReadStream(path, { highWaterMark: 1 << 20 });
  for await (const chunk of stream as AsyncIterable<Uint8Array | string>)
    yield typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
  const rest = decoder.decode();
  if (rest) yield rest;
}

/** Line breaks in `text`, plus one for a last line without its break. */
function countLines(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return text.endsWith('\n') ? n : n + 1;
}

/** The last line break of `text` outside a quoted field (`text` starts outside one), or -1. */
function csvCut(text: string): number {
  let quoted = false;
  let at = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) quoted = !quoted;
    else if (c === 0x0a && !quoted) at = i;
  }
  return at;
}

/** The first record of a CSV piece when it is the header (`ts,node,metric,value` in any order). */
function csvHeader(text: string): string | undefined {
  const first = text
    .replace(/^\uFEFF/, '')
    .split('\n', 1)[0]
    .replace(/\r$/, '');
  const names = first.split(',').map((f) => f.trim().toLowerCase());
  const isHeader = names.length === 4 && ['ts', 'node', 'metric', 'value'].every((c) => names.includes(c));
  return isHeader ? first : undefined;
}
