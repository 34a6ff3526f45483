/**
 * What the service reports about incidents and actions, followed from the loop's events rather
 * than asked of the store: the incidents open now, the time to detect (a node's first anomaly of
 * its streak to its incident opening) and to recover (opening to closing), both in the
 * telemetry's seconds, and actions counted by outcome. Kept apart from ServeEngine, which feeds
 * the loop, because it only listens to it.
 */
import type { IncidentRecord } from '../knowledge/records.ts';
import type { MapeKLoop } from '../loop/loop.ts';
import type { TickClock } from '../monitor/ticks.ts';
import { ServeHistogram } from './histogram.ts';

/** Bounds of the time-to-detect and time-to-recover histograms, seconds. */
export const INCIDENT_TIME_BOUNDS_SECONDS: readonly number[] = [
  1, 5, 10, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 21600, 86400,
];

/** A node's anomalies belong to one streak until this many tick intervals pass without one. */
const STREAK_GAP_TICKS = 5;

/** The loop's incidents and actions as the service reports them (see the module's comment). */
export class IncidentWatch {
  /** Seconds from a node's first anomaly of its streak to its incident opening. */
  readonly timeToDetect = new ServeHistogram(INCIDENT_TIME_BOUNDS_SECONDS, 1000);
  /** Seconds from an incident opening to its closing. */
  readonly timeToRecover = new ServeHistogram(INCIDENT_TIME_BOUNDS_SECONDS, 1000);
  readonly #open = new Map<string, IncidentRecord>();
  /** Per node, the tick times of the first and the latest anomaly of its current streak. */
  readonly #streaks = new Map<string, { first: number; last: number }>();
  readonly #actions = new Map<string, number>();

  /** Incidents announced and not yet closed, as last reported by the loop (times in ticks). */
  get open(): IterableIterator<IncidentRecord> {
    return this.#open.values();
  }

  /** How many incidents are open. */
  get openCount(): number {
    return this.#open.size;
  }

  /** Actions finished so far, by outcome. */
  actionsBy(): Record<string, number> {
    return Object.fromEntries(this.#actions);
  }

  /** Follows `loop`'s events, turning its tick times into seconds with `time`; returns the unsubscribe. */
  watch(loop: MapeKLoop, time: TickClock): () => void {
    const seconds = (ticks: number) => time.seconds(ticks);
    const unsubscribe = [
      loop.on('anomaly', ({ ts, node }) => {
        const streak = this.#streaks.get(node);
        if (!streak || ts - streak.last > STREAK_GAP_TICKS) this.#streaks.set(node, { first: ts, last: ts });
        else streak.last = ts;
      }),
      loop.on('incident-opened', ({ ts, incident }) => {
        this.#open.set(incident.id, incident);
        let first = ts;
        for (const node of incident.nodes) {
          const streak = this.#streaks.get(node);
          if (streak && streak.first < first) first = streak.first;
          this.#streaks.delete(node);
        }
        this.timeToDetect.record(seconds(ts - first));
      }),
      loop.on('diagnosis', ({ incident }) => this.#update(incident)),
      loop.on('escalation', ({ incident }) => this.#update(incident)),
      loop.on('incident-resolved', ({ ts, incident }) => {
        if (!this.#open.delete(incident.id)) return;
        this.timeToRecover.record(seconds((incident.closedAt ?? ts) - incident.openedAt));
      }),
      loop.on('action-result', ({ action }) => this.#countAction(action.outcome)),
      loop.on('rollback', ({ result }) => this.#countAction(result.ok ? 'rolled-back' : 'rollback-failed')),
    ];
    return () => {
      for (const off of unsubscribe) off();
    };
  }

  #update(incident: IncidentRecord): void {
    if (this.#open.has(incident.id)) this.#open.set(incident.id, incident);
  }

  #countAction(outcome: string): void {
    this.#actions.set(outcome, (this.#actions.get(outcome) ?? 0) + 1);
  }
}
