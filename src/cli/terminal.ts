/**
 * What the commands show on a terminal besides their results: whether to colour text (the
 * NO_COLOR, FORCE_COLOR and TERM=dumb conventions) and a progress line on stderr, shown only
 * when stderr is a terminal, with a percentage and an estimate of the time left.
 */
import process from 'node:process';

type Env = Readonly<Record<string, string | undefined>>;

/** A stream that may be a terminal. */
export interface TerminalStream {
  readonly isTTY?: boolean;
  readonly columns?: number;
  write(text: string): unknown;
}

/**
 * Whether text written to `stream` should carry ANSI colours. FORCE_COLOR set to anything but
 * `0` or `false` forces them (Node's own rule: it wins over NO_COLOR); FORCE_COLOR `0`/`false`,
 * a non-empty NO_COLOR (no-color.org) or TERM=dumb turns them off; else only on a terminal.
 */
export function useColour(stream: { readonly isTTY?: boolean }, env: Env = process.env): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== '0' && force !== 'false';
  if (env.NO_COLOR) return false;
  if (env.TERM === 'dumb') return false;
  return stream.isTTY === true;
}

/** `1 h 02 min`, `4 min 05 s`, `12 s`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const pad = (n: number) => String(n).padStart(2, '0');
  if (s < 3600) return `${Math.floor(s / 60)} min ${pad(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${pad(Math.floor((s % 3600) / 60))} min`;
}

/**
 * The progress line for `done` of `total` after `elapsedMs`: percentage, `detail`, and the time
 * left at the rate so far (absent until there is a rate to go by).
 */
export function progressLine(done: number, total: number, elapsedMs: number, detail: string): string {
  const share = total > 0 ? Math.min(1, done / total) : 1;
  const left =
    done > 0 && elapsedMs > 0 && share < 1
      ? `, about ${formatDuration((elapsedMs * (total - done)) / done)} left`
      : '';
  return `${(share * 100).toFixed(0).padStart(3)}% ${detail}${left}`;
}

/** Redraws at most this often: a terminal is slower than a tight loop. */
const REDRAW_MS = 100;

/** A progress line rewritten in place on stderr; it does nothing when stderr is not a terminal. */
export class Progress {
  readonly #stream: TerminalStream;
  readonly #now: () => number;
  readonly #started: number;
  readonly #shown: boolean;
  #drawnAt = Number.NEGATIVE_INFINITY;
  #width = 0;

  /** `shown: false` (e.g. for --quiet or --json) keeps it silent even on a terminal. */
  constructor(options: { shown?: boolean; stream?: TerminalStream; now?: () => number } = {}) {
    this.#stream = options.stream ?? process.stderr;
    this.#now = options.now ?? (() => performance.now());
    this.#started = this.#now();
    this.#shown = (options.shown ?? true) && this.#stream.isTTY === true;
  }

  /** Whether the line is drawn at all. */
  get shown(): boolean {
    return this.#shown;
  }

  /** Shows `done` of `total` with `detail` (e.g. `tick 600/86400, 3 incidents`). */
  update(done: number, total: number, detail: string): void {
    if (!this.#shown) return;
    const now = this.#now();
    if (now - this.#drawnAt < REDRAW_MS && done < total) return;
    this.#drawnAt = now;
    this.#draw(progressLine(done, total, now - this.#started, detail));
  }

  /** Removes the line, leaving the cursor at the start of an empty line. */
  clear(): void {
    if (this.#shown && this.#width > 0) this.#draw('');
  }

  // '\r' and spaces rather than an erase sequence: a dumb terminal understands them too.
  #draw(text: string): void {
    // A line wider than the terminal wraps, and '\r' would then rewrite only its last row.
    const line = text.slice(0, Math.max(20, (this.#stream.columns ?? 80) - 1));
    this.#stream.write(`\r${line.padEnd(this.#width)}${line === '' ? '\r' : ''}`);
    this.#width = line.length;
  }
}
