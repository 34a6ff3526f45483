/**
 * Scraping: `serve` fetches text-exposition targets (node_exporter and the like) every interval,
 * as a Prometheus would, and hands each scrape's samples to the engine. A target that is down,
 * slow or serving something else is counted and reported through `onError`; nothing a target
 * does can throw out of the timer or stop the other targets.
 */
import { ArgumentError } from '../errors.ts';
import { parseExposition } from '../monitor/formats/exposition.ts';
import type { ParsedTelemetry } from '../monitor/formats/telemetry.ts';

const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;

/** One target to scrape. */
export interface ScrapeTarget {
  /** The exposition URL, e.g. `http://10.0.0.7:9100/metrics`. */
  url: string;
  /** The node its samples belong to (default: the node label on its lines, else the URL's host:port). */
  node?: string;
}

/** Options of a Scraper. */
export interface ScraperOptions {
  /** The targets to scrape. */
  targets: readonly ScrapeTarget[];
  /** Seconds between scrapes. */
  intervalSeconds: number;
  /** The label naming a line's node when its target names none (default 'instance'). */
  nodeLabel?: string;
  /** Milliseconds a scrape may take before it is abandoned (default: the interval, at most 10 s). */
  timeoutMs?: number;
  /** The most bytes a target's answer may have (default 16 MiB); a larger one fails the scrape. */
  maxBodyBytes?: number;
  /** The fetch to use (default: the global one). */
  fetch?: typeof fetch;
  /** The clock stamping samples without their own timestamp, in Unix seconds (default: Date.now() / 1000). */
  now?: () => number;
  /** Receives each successful scrape's samples and refusals. */
  onSamples(parsed: ParsedTelemetry, target: ScrapeTarget): void;
  /** Receives each failed scrape's error (unreachable, timeout, non-2xx, unreadable body, or onSamples throwing). */
  onError(target: ScrapeTarget, error: unknown): void;
}

/** What one target's scrapes came to so far. */
export interface TargetStats {
  /** The target's URL. */
  url: string;
  /** Scrapes attempted. */
  scrapes: number;
  /** Scrapes that failed. */
  failures: number;
  /** Samples handed on. */
  samples: number;
  /** Lines refused by the parser. */
  refused: number;
  /** Scrapes skipped because the previous one of this target was still running. */
  skipped: number;
  /** The last failure's message, if any. */
  lastError?: string;
}

/** Scrapes text-exposition targets on an interval. */
export class Scraper {
  readonly #options: ScraperOptions;
  readonly #nodeLabel: string;
  readonly #timeoutMs: number;
  readonly #maxBodyBytes: number;
  readonly #fetch: typeof fetch;
  readonly #now: () => number;
  readonly #stats: TargetStats[];
  readonly #running: boolean[];
  #timer: ReturnType<typeof setInterval> | undefined;
  #stopping = new AbortController();

  /** Throws an ArgumentError for a bad interval, timeout or target URL. */
  constructor(options: ScraperOptions) {
    const { targets, intervalSeconds } = options ?? ({} as ScraperOptions);
    if (typeof intervalSeconds !== 'number' || !Number.isFinite(intervalSeconds) || intervalSeconds <= 0)
      throw new ArgumentError('intervalSeconds', `expected seconds > 0, got ${String(intervalSeconds)}`);
    if (!Array.isArray(targets)) throw new ArgumentError('targets', 'expected an array of { url, node? }');
    targets.forEach((target, i) => {
      if (
        typeof target?.url !== 'string' ||
        !URL.canParse(target.url) ||
        !/^https?:$/.test(new URL(target.url).protocol)
      )
        throw new ArgumentError(`targets[${i}].url`, `expected an http(s) URL, got ${String(target?.url)}`);
    });
    const timeoutMs = options.timeoutMs ?? Math.min(intervalSeconds * 1000, 10_000);
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0)
      throw new ArgumentError('timeoutMs', `expected milliseconds > 0, got ${timeoutMs}`);
    const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    if (!Number.isInteger(maxBodyBytes) || maxBodyBytes <= 0)
      throw new ArgumentError('maxBodyBytes', `expected a positive integer, got ${maxBodyBytes}`);
    this.#maxBodyBytes = maxBodyBytes;
    this.#options = options;
    this.#nodeLabel = options.nodeLabel ?? 'instance';
    this.#timeoutMs = timeoutMs;
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#now = options.now ?? (() => Date.now() / 1000);
    this.#stats = targets.map((t) => ({
      url: t.url,
      scrapes: 0,
      failures: 0,
      samples: 0,
      refused: 0,
      skipped: 0,
    }));
    this.#running = targets.map(() => false);
  }

  /** Each target's counts, in the order of `targets`. */
  get stats(): readonly Readonly<TargetStats>[] {
    return this.#stats;
  }

  /** Scrapes now, then every interval, until stop(). Calling it while started does nothing. */
  start(): void {
    if (this.#timer !== undefined) return;
    this.#stopping = new AbortController();
    void this.scrapeOnce();
    this.#timer = setInterval(() => void this.scrapeOnce(), this.#options.intervalSeconds * 1000);
  }

  /** Stops the interval and abandons scrapes in flight (their results are not handed on). */
  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#stopping.abort();
  }

  /**
   * Scrapes every target once, in parallel, and resolves when all are done. Never rejects: each
   * failure goes to onError and the target's stats. A target whose previous scrape is still
   * running is skipped (counted), so a slow target never piles up requests.
   */
  async scrapeOnce(): Promise<void> {
    await Promise.all(this.#options.targets.map((target, i) => this.#scrape(target, i)));
  }

  async #scrape(target: ScrapeTarget, index: number): Promise<void> {
    const stats = this.#stats[index];
    if (this.#running[index]) {
      stats.skipped++;
      return;
    }
    this.#running[index] = true;
    stats.scrapes++;
    const stopping = this.#stopping.signal;
    try {
      const ts = this.#now();
      const response = await this.#fetch(target.url, {
        headers: { accept: 'text/plain;version=0.0.4;q=1,*/*;q=0.1' },
        signal: AbortSignal.any([stopping, AbortSignal.timeout(this.#timeoutMs)]),
      });
      if (!response.ok) {
        await response.body?.cancel();
        throw new Error(`${target.url} answered ${response.status} ${response.statusText}`);
      }
      const body = await readText(response, this.#maxBodyBytes, target.url);
      if (stopping.aborted) return;
      const parsed = parseExposition(body, {
        node: target.node,
        nodeLabel: this.#nodeLabel,
        fallbackNode: new URL(target.url).host,
        ts,
      });
      stats.samples += parsed.samples.length;
      stats.refused += parsed.refused.length;
      this.#options.onSamples(parsed, target);
    } catch (error) {
      if (stopping.aborted) return;
      stats.failures++;
      stats.lastError = error instanceof Error ? error.message : String(error);
      try {
        this.#options.onError(target, error);
      } catch {
        // A throwing onError must not escape the timer; the failure is already in the stats.
      }
    } finally {
      this.#running[index] = false;
    }
  }
}

/** A response's text, refused once it passes `maxBytes` (a target cannot make the engine hold an unbounded answer). */
async function readText(response: Response, maxBytes: number, url: string): Promise<string> {
  const tooLarge = () => new Error(`${url} answered more than ${maxBytes} bytes`);
  if (Number(response.headers.get('content-length')) > maxBytes) {
    await response.body?.cancel();
    throw tooLarge();
  }
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let received = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return text + decoder.decode();
    received += value.byteLength;
    if (received > maxBytes) {
      await reader.cancel();
      throw tooLarge();
    }
    text += decoder.decode(value, { stream: true });
  }
}
