/** Reading NAB's files: data and result CSVs (`timestamp,value[,...]`) and the windows JSON. */
import { ArgumentError } from '../../errors.ts';

/** What a NAB CSV holds besides clean data, counted per file by {@link parseNabCsv}. */
export interface NabCsvIssues {
  /**
   * Cells that could not be read, per column: not a decimal number (empty, `NaN`, `1,5`...), or
   * in the timestamp column not a `YYYY-MM-DD HH:MM:SS` stamp. They are read as NaN.
   */
  readonly unreadable: Readonly<Record<string, number>>;
  /** Rows with at least one unreadable cell. */
  readonly unreadableRows: number;
  /** File line numbers (header = 1) of the first rows with an unreadable cell, at most 10. */
  readonly unreadableLines: readonly number[];
  /** Rows stamped earlier than the latest stamp before them (a clock set back, e.g. at a DST change). */
  readonly backwards: number;
  /** Rows stamped the same as the row before (e.g. the repeated hour of a DST change). */
  readonly repeated: number;
}

/** A parsed NAB CSV: the timestamp column as text and as epoch ms, and every numeric column. */
export interface NabTable {
  /** Timestamps as written, e.g. `2014-07-01 00:00:00`. */
  readonly stamps: readonly string[];
  /** Timestamps as UTC epoch milliseconds (NaN where unreadable), in file order. */
  readonly time: Float64Array;
  /** Every other column by header name (`value`, `anomaly_score`, ...); NaN where unreadable. */
  readonly columns: Readonly<Record<string, Float64Array>>;
  /** What could not be read, counted rather than thrown. */
  readonly issues: NabCsvIssues;
}

/** Options of {@link parseNabCsv}. */
export interface NabCsvOptions {
  /** Throw on the first unreadable cell instead of counting it (default false). */
  readonly strict?: boolean;
}

const STAMP = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(\.\d+)?$/;
/** A decimal number as NAB's files write them; `Number` alone would take '', ' ', '0x1f' or 'Infinity'. */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const LINES_KEPT = 10;

/** Parses NAB's `YYYY-MM-DD HH:MM:SS[.ffffff]` (UTC) into epoch milliseconds. */
export function parseTimestamp(text: string, argument = 'timestamp'): number {
  const m = STAMP.exec(text.trim());
  if (!m) throw new ArgumentError(argument, `expected YYYY-MM-DD HH:MM:SS, got '${text}'`);
  const ms = m[7] ? Number(m[7]) * 1000 : 0;
  return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) + ms;
}

/**
 * Splits CSV text into rows of cells (RFC 4180: fields may be quoted, `""` is a quote inside a
 * quoted field, which may also hold commas and line breaks). Blank lines are skipped; `line`
 * gives each row's first line number.
 */
function csvRows(text: string, source: string): { cells: string[]; line: number }[] {
  const rows: { cells: string[]; line: number }[] = [];
  let cells: string[] = [];
  let cell = '';
  let line = 1;
  let rowLine = 1;
  let i = 0;
  const endRow = () => {
    cells.push(cell);
    if (cells.length > 1 || cells[0] !== '') rows.push({ cells, line: rowLine });
    cells = [];
    cell = '';
  };
  while (i < text.length) {
    const c = text[i];
    if (c === '"' && cell.trim() === '') {
      const open = line;
      cell = '';
      i++;
      for (;;) {
        if (i >= text.length) throw new ArgumentError(source, `line ${open}: quoted field never closed`);
        if (text[i] === '"') {
          if (text[i + 1] !== '"') break;
          i++;
        } else if (text[i] === '\n') line++;
        cell += text[i++];
      }
      i++;
      while (i < text.length && (text[i] === ' ' || text[i] === '\t')) i++;
      if (i < text.length && text[i] !== ',' && text[i] !== '\r' && text[i] !== '\n')
        throw new ArgumentError(source, `line ${line}: text after a closing quote`);
    } else if (c === ',') {
      cells.push(cell);
      cell = '';
      i++;
    } else if (c === '\r' || c === '\n') {
      endRow();
      i += c === '\r' && text[i + 1] === '\n' ? 2 : 1;
      rowLine = ++line;
    } else {
      cell += c;
      i++;
    }
  }
  if (cell !== '' || cells.length > 0) endRow();
  return rows;
}

/**
 * Parses a NAB CSV whose first column is `timestamp`; `source` names it in errors. Values are
 * read strictly (quoted numbers such as `"1.5"` are numbers; anything else that is not a decimal
 * number is unreadable), and what cannot be read is counted in `issues` (or, with `strict`,
 * thrown). Rows stay in file order even where the stamps go back or repeat, as NAB's own files
 * do across daylight-saving changes; those rows are counted too. A header naming a column twice,
 * or a row with a different number of cells than the header, is an error.
 */
export function parseNabCsv(text: string, source: string, options: NabCsvOptions = {}): NabTable {
  const all = csvRows(text, source);
  if (all.length === 0) throw new ArgumentError(source, 'empty CSV');
  const header = all[0].cells.map((h) => h.trim());
  if (header[0] !== 'timestamp') {
    throw new ArgumentError(source, `first column must be 'timestamp', got '${header[0]}'`);
  }
  const twice = header.find((name, c) => header.indexOf(name) !== c);
  if (twice !== undefined) throw new ArgumentError(source, `column '${twice}' appears more than once`);
  const rows = all.length - 1;
  const stamps: string[] = new Array(rows);
  const time = new Float64Array(rows);
  const columns: Record<string, Float64Array> = {};
  for (let c = 1; c < header.length; c++) columns[header[c]] = new Float64Array(rows);
  const unreadable: Record<string, number> = {};
  const unreadableLines: number[] = [];
  let unreadableRows = 0;
  let backwards = 0;
  let repeated = 0;
  let latest = Number.NaN;
  let previous = Number.NaN;
  for (let r = 0; r < rows; r++) {
    const { cells, line } = all[r + 1];
    if (cells.length !== header.length) {
      throw new ArgumentError(source, `line ${line}: expected ${header.length} cells, got ${cells.length}`);
    }
    let clean = true;
    const bad = (column: string, cell: string, expected: string) => {
      if (options.strict)
        throw new ArgumentError(source, `line ${line}: ${column}: expected ${expected}, got '${cell}'`);
      unreadable[column] = (unreadable[column] ?? 0) + 1;
      clean = false;
    };
    stamps[r] = cells[0];
    const m = STAMP.test(cells[0].trim());
    time[r] = m ? parseTimestamp(cells[0]) : Number.NaN;
    if (!m) bad('timestamp', cells[0], 'YYYY-MM-DD HH:MM:SS');
    else {
      if (time[r] < latest) backwards++;
      else if (time[r] === previous) repeated++;
      if (!(time[r] <= latest)) latest = time[r];
      previous = time[r];
    }
    for (let c = 1; c < header.length; c++) {
      const cell = cells[c].trim();
      if (DECIMAL.test(cell)) columns[header[c]][r] = Number(cell);
      else {
        columns[header[c]][r] = Number.NaN;
        bad(header[c], cells[c], 'a number');
      }
    }
    if (!clean && unreadableRows++ < LINES_KEPT) unreadableLines.push(line);
  }
  return {
    stamps,
    time,
    columns,
    issues: { unreadable, unreadableRows, unreadableLines, backwards, repeated },
  };
}

/** One line about a file's issues, e.g. `3 unreadable cells (value 3; lines 5, 9, 12)`; '' when clean. */
export function describeIssues(issues: NabCsvIssues): string {
  const parts: string[] = [];
  const counts = Object.entries(issues.unreadable);
  if (counts.length > 0) {
    const total = counts.reduce((n, [, k]) => n + k, 0);
    const lines = issues.unreadableLines.join(', ');
    const more = issues.unreadableRows > issues.unreadableLines.length ? ', ...' : '';
    parts.push(
      `${total} unreadable cell${total === 1 ? '' : 's'} (${counts.map(([c, k]) => `${c} ${k}`).join(', ')}; line${issues.unreadableLines.length === 1 ? '' : 's'} ${lines}${more}), read as missing`,
    );
  }
  if (issues.backwards > 0)
    parts.push(`${issues.backwards} timestamp${issues.backwards === 1 ? '' : 's'} going back`);
  if (issues.repeated > 0)
    parts.push(`${issues.repeated} repeated timestamp${issues.repeated === 1 ? '' : 's'}`);
  return parts.join(', ');
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
