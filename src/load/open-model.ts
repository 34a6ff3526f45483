/**
 * The open-model (constant arrival rate) scheduler. Each wake starts every iteration whose
 * intended time has passed (up to a batch cap, then it yields so completions and timers run),
 * so rates far above the ~1 ms timer granularity hold, and a late wake never shifts the plan:
 * latency is measured from the intended time (coordinated-omission correction, as in wrk2).
 */
import { CallTracker } from './calls.ts';
import { systemClock } from './clock.ts';
import { type RunHooks, snapshot } from './progress.ts';
import type { LoadRecorder } from './recorder.ts';
import type { OpenScenario, ResolvedScenario } from './scenario.ts';
import { ArrivalPlan, totalDurationMs } from './schedule.ts';
import type { LoadTarget } from './target.ts';

/** Starts per wake before yielding, so completions and timeouts get processed at high rates. */
const MAX_BATCH = 512;

/** Runs an open-model scenario to the end (or until a hook stops it); returns its wall time. */
export async function runOpenModel(
  target: LoadTarget,
  resolved: ResolvedScenario,
  recorder: LoadRecorder,
  hooks: RunHooks = {},
): Promise<number> {
  const scenario = resolved.scenario as OpenScenario;
  const { timeoutMs, maxInFlight } = resolved;
  const clock = hooks.clock ?? systemClock;
  const origin = clock.now();
  const tracker = new CallTracker(target, recorder, timeoutMs, resolved.batchSize, clock, origin);
  const plan = new ArrivalPlan(scenario.stages);
  const plannedMs = totalDurationMs(scenario.stages);
  let arrival = plan.next();
  let stageToSettle = 0;
  const progressEveryMs = hooks.progressEveryMs ?? 1000;
  let nextProgressMs = progressEveryMs;
  let stopped = false;

  /** Reports settled stages in order; a hook may stop the plan. */
  const settleStages = (): void => {
    if (stopped) return;
    const current = arrival?.stage ?? scenario.stages.length;
    while (stageToSettle < current && recorder.stages[stageToSettle].pending === 0) {
      if (hooks.onStageSettled?.(stageToSettle++)) {
        plan.stop();
        arrival = undefined;
        stopped = true;
        return;
      }
    }
  };
  const report = (t: number): void => {
    if (!hooks.onProgress || t < nextProgressMs) return;
    nextProgressMs = t + progressEveryMs;
    hooks.onProgress(snapshot(scenario.name, recorder, t, plannedMs, arrival?.stage, tracker.inFlight));
  };

  while (arrival) {
    const t = clock.now() - origin;
    tracker.expire(t);
    for (let budget = MAX_BATCH; arrival && arrival.intendedMs <= t && budget > 0; budget--) {
      const { iteration, stage, intendedMs } = arrival;
      recorder.scheduled(stage, intendedMs);
      // Starting a call already later than its timeout could only produce a timeout.
      if (tracker.inFlight >= maxInFlight || t - intendedMs > timeoutMs) recorder.dropped(stage, intendedMs);
      else tracker.start(iteration, stage, intendedMs);
      arrival = plan.next();
      // End the batch at a stage boundary so a stop-on-break check runs before the next stage.
      if (arrival && arrival.stage !== stage) break;
    }
    settleStages();
    report(t);
    if (!arrival) break;
    const deadline = Math.min(arrival.intendedMs, tracker.nextDeadlineMs() ?? Infinity);
    await clock.waitUntil(origin + deadline);
  }

  while (tracker.inFlight > 0) {
    const deadline = tracker.nextDeadlineMs() ?? 0;
    await clock.waitFor(tracker.whenIdle(), Math.min(deadline - (clock.now() - origin), progressEveryMs));
    const t = clock.now() - origin;
    tracker.expire(t);
    settleStages();
    report(t);
  }
  settleStages();
  return clock.now() - origin;
}
