/**
 * Counts and HDR latency histograms for a load run: per stage (overall is their merge) and per
 * second of wall time. Latencies are recorded in microseconds twice: from the intended start
 * (coordinated-omission corrected) and from the actual start (what a naive tester reports).
 * Timed-out calls have no latency, so they are counted, never recorded in the histograms.
 */
import { build, type Histogram } from 'hdr-histogram-js';

/** Histogram range: 1 us to 1 hour, 3 significant digits (0.1 % value resolution). */
function latencyHistogram(digits: 2 | 3 = 3): Histogram {
  return build({
    bitBucketSize: digits === 3 ? 32 : 'packed',
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000_000,
    numberOfSignificantValueDigits: digits,
    autoResize: true,
    useWebAssembly: false,
  });
}

const toMicros = (ms: number): number => Math.max(1, Math.round(ms * 1000));

/** Counters and histograms for one stage (or for the merged run). */
export class Tally {
  scheduled = 0;
  started = 0;
  dropped = 0;
  ok = 0;
  failed = 0;
  timeouts = 0;
  firstIntendedMs = Infinity;
  lastIntendedMs = -Infinity;
  firstStartMs = Infinity;
  lastStartMs = -Infinity;
  readonly errorsByKind = new Map<string, number>();
  readonly corrected = latencyHistogram();
  readonly uncorrected = latencyHistogram();

  /** Calls started and not yet completed or timed out. */
  get pending(): number {
    return this.started - this.ok - this.failed - this.timeouts;
  }

  /** Adds another tally into this one (used to build the overall figures). */
  merge(other: Tally): void {
    this.scheduled += other.scheduled;
    this.started += other.started;
    this.dropped += other.dropped;
    this.ok += other.ok;
    this.failed += other.failed;
    this.timeouts += other.timeouts;
    this.firstIntendedMs = Math.min(this.firstIntendedMs, other.firstIntendedMs);
    this.lastIntendedMs = Math.max(this.lastIntendedMs, other.lastIntendedMs);
    this.firstStartMs = Math.min(this.firstStartMs, other.firstStartMs);
    this.lastStartMs = Math.max(this.lastStartMs, other.lastStartMs);
    for (const [kind, n] of other.errorsByKind)
      this.errorsByKind.set(kind, (this.errorsByKind.get(kind) ?? 0) + n);
    this.corrected.add(other.corrected);
    this.uncorrected.add(other.uncorrected);
  }
}

/** Activity within one second of wall time; each event is filed under the second it happened. */
export class SecondTally {
  scheduled = 0;
  started = 0;
  dropped = 0;
  completed = 0;
  errors = 0;
  targetRate: number | null = null;
  readonly latency = latencyHistogram(2);
}

/** Receives every event of a run; times are ms since the run's start. */
export class LoadRecorder {
  readonly stages: Tally[];
  readonly seconds: SecondTally[] = [];

  constructor(stageCount: number) {
    this.stages = Array.from({ length: stageCount }, () => new Tally());
  }

  private second(ms: number): SecondTally {
    const index = Math.max(0, Math.floor(ms / 1000));
    while (this.seconds.length <= index) this.seconds.push(new SecondTally());
    return this.seconds[index];
  }

  /** An iteration became due (open model) or was about to start (closed model). */
  scheduled(stage: number, intendedMs: number): void {
    const tally = this.stages[stage];
    tally.scheduled++;
    if (intendedMs < tally.firstIntendedMs) tally.firstIntendedMs = intendedMs;
    if (intendedMs > tally.lastIntendedMs) tally.lastIntendedMs = intendedMs;
    this.second(intendedMs).scheduled++;
  }

  /** A due iteration was not started (in-flight cap reached, or already later than the timeout). */
  dropped(stage: number, intendedMs: number): void {
    this.stages[stage].dropped++;
    this.second(intendedMs).dropped++;
  }

  /** A call was handed to the target. */
  started(stage: number, startMs: number): void {
    const tally = this.stages[stage];
    tally.started++;
    if (startMs < tally.firstStartMs) tally.firstStartMs = startMs;
    if (startMs > tally.lastStartMs) tally.lastStartMs = startMs;
    this.second(startMs).started++;
  }

  /** A call settled; `kind` is undefined on success. Failed calls' latency is recorded too. */
  completed(stage: number, intendedMs: number, startMs: number, endMs: number, kind?: string): void {
    const tally = this.stages[stage];
    if (kind === undefined) tally.ok++;
    else {
      tally.failed++;
      tally.errorsByKind.set(kind, (tally.errorsByKind.get(kind) ?? 0) + 1);
    }
    tally.corrected.recordValue(toMicros(endMs - intendedMs));
    tally.uncorrected.recordValue(toMicros(endMs - startMs));
    const second = this.second(endMs);
    second.completed++;
    if (kind !== undefined) second.errors++;
    second.latency.recordValue(toMicros(endMs - intendedMs));
  }

  /** A call ran past its timeout; it is abandoned and its slot freed. */
  timedOut(stage: number, atMs: number): void {
    const tally = this.stages[stage];
    tally.timeouts++;
    tally.errorsByKind.set('timeout', (tally.errorsByKind.get('timeout') ?? 0) + 1);
    const second = this.second(atMs);
    second.completed++;
    second.errors++;
  }

  /** All stages merged. */
  overall(): Tally {
    const total = new Tally();
    for (const stage of this.stages) total.merge(stage);
    return total;
  }
}
