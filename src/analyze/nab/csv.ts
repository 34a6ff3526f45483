/** Reading NAB's files: data and result CSVs (`timestamp,value[,...]`) and the windows JSON. */
import { ArgumentError } from '../../errors.ts';

/** A parsed NAB CSV: the timestamp column as text and as epoch ms, and every numeric column. */
export interface NabTable {
  /** Timestamps as written, e.g. `2014-07-01 00:00:00`. */
  readonly stamps: readonly string[];
  /** Timestamps as UTC epoch milliseconds. */
  readonly time: Float64Array;
  /** Every other column by header name (`value`, `anomaly_score`, ...). */
  readonly columns: Readonly<Record<string, Float64Array>>;
}

const STAMP = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(\.\d+)?$/;

/** Parses NAB's `YYYY-MM-DD HH:MM:SS[.ffffff]` (UTC) into epoch milliseconds. */
export function parseTimestamp(text: string, argument = 'timestamp'): number {
  const m = STAMP.exec(text.trim());
  if (!m) throw new ArgumentError(argument, `expected YYYY-MM-DD HH:MM:SS, got '${text}'`);
  const ms = m[7] ? Number(m[7]) * 1000 : 0;
  return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) + ms;
}

/** Parses a NAB CSV whose first column is `timestamp`; `source` names it in errors. */
export function parseNabCsv(text: string, source: string): NabTable {
  const lines = text.split(/\r?\n/).filter((line) => line.length > 0);
  if (lines.length === 0) throw new ArgumentError(source, 'empty CSV');
  const header = lines[0].split(',').map((h) => h.trim());
  if (header[0] !== 'timestamp') {
    throw new ArgumentError(source, `first column must be 'timestamp', got '${header[0]}'`);
  }
  const rows = lines.length - 1;
  const stamps: string[] = new Array(rows);
  const time = new Float64Array(rows);
  const columns: Record<string, Float64Array> = {};
  for (let c = 1; c < header.length; c++) columns[header[c]] = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const cells = lines[r + 1].split(',');
    if (cells.length !== header.length) {
      throw new ArgumentError(source, `line ${r + 2}: expected ${header.length} cells, got ${cells.length}`);
    }
    stamps[r] = cells[0];
    time[r] = parseTimestamp(cells[0], `${source} line ${r + 2}`);
    // Non-decreasing, not strictly: NAB's own files repeat stamps across a DST change.
    if (r > 0 && !(time[r] >= time[r - 1])) {
      throw new ArgumentError(source, `line ${r + 2}: timestamps must not go back in time`);
    }
    for (let c = 1; c < header.length; c++) {
      const v = Number(cells[c]);
      columns[header[c]][r] = cells[c].trim() === '' ? Number.NaN : v;
    }
  }
  return { stamps, time, columns };
}

/** Windows per file, keyed like NAB's `combined_windows.json` (`<category>/<name>.csv`). */
export type WindowMap = ReadonlyMap<string, readonly (readonly [number, number])[]>;

/** Parses NAB's `combined_windows.json` (already JSON-decoded) into epoch-ms windows. */
export function parseWindows(json: unknown): WindowMap {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new ArgumentError('windows', 'expected an object of file name -> [[start, end], ...]');
  }
  const out = new Map<string, (readonly [number, number])[]>();
  for (const [file, list] of Object.entries(json)) {
    if (!Array.isArray(list)) throw new ArgumentError(`windows['${file}']`, 'expected an array');
    out.set(
      file,
      list.map((pair, i) => {
        const arg = `windows['${file}'][${i}]`;
        if (!Array.isArray(pair) || pair.length !== 2) throw new ArgumentError(arg, 'expected [start, end]');
        return [parseTimestamp(String(pair[0]), arg), parseTimestamp(String(pair[1]), arg)] as const;
      }),
    );
  }
  return out;
}
