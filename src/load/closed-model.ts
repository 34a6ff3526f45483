/**
 * The closed-model runner: N loops, each calling the target again as soon as its previous call
 * settles (or times out). Latency is from the actual start, so it carries the coordinated
 * omission every closed-loop tester has; use the open model for latency figures.
 */
import { CallTracker } from './calls.ts';
import { now, sleep, systemClock, yieldToEventLoop } from './clock.ts';
import { type RunHooks, snapshot } from './progress.ts';
import type { LoadRecorder } from './recorder.ts';
import type { ClosedScenario, ResolvedScenario } from './scenario.ts';
import { totalDurationMs } from './schedule.ts';
import type { LoadTarget } from './target.ts';

/** Loops whose calls resolve in microtasks would starve timers: yield at least this often. */
const YIELD_EVERY_MS = 4;

/** Runs a closed-model scenario to the end; returns its wall time in ms. */
export async function runClosedModel(
  target: LoadTarget,
  resolved: ResolvedScenario,
  recorder: LoadRecorder,
  hooks: RunHooks = {},
): Promise<number> {
  const scenario = resolved.scenario as ClosedScenario;
  const origin = now();
  const tracker = new CallTracker(
    target,
    recorder,
    resolved.timeoutMs,
    resolved.batchSize,
    systemClock,
    origin,
  );
  const plannedMs = totalDurationMs(scenario.stages);
  const progressEveryMs = hooks.progressEveryMs ?? 1000;
  const running: boolean[] = [];
  const loops: Promise<void>[] = [];
  let stage = 0;
  let concurrency = 0;
  let stopped = false;
  let iteration = 0;
  let lastYield = now();

  const loop = async (id: number): Promise<void> => {
    running[id] = true;
    while (!stopped && id < concurrency) {
      const startMs = now() - origin;
      const callStage = stage;
      recorder.scheduled(callStage, startMs);
      await new Promise<void>((settled) => tracker.start(iteration++, callStage, startMs, settled));
      if (now() - lastYield > YIELD_EVERY_MS) {
        await yieldToEventLoop();
        lastYield = now();
      }
    }
    running[id] = false;
  };

  // Timeouts are enforced by this watchdog, since a loop waits on its own call.
  const watchdog = setInterval(
    () => tracker.expire(now() - origin),
    Math.max(1, Math.min(resolved.timeoutMs / 4, 25)),
  );
  try {
    let stageEndMs = 0;
    for (stage = 0; stage < scenario.stages.length; stage++) {
      concurrency = scenario.stages[stage].concurrency;
      for (let id = 0; id < concurrency; id++) if (!running[id]) loops.push(loop(id));
      stageEndMs += scenario.stages[stage].durationMs;
      for (let t = now() - origin; t < stageEndMs; t = now() - origin) {
        await sleep(Math.min(stageEndMs - t, progressEveryMs));
        hooks.onProgress?.(
          snapshot(scenario.name, recorder, now() - origin, plannedMs, stage, tracker.inFlight),
        );
      }
    }
    stage = scenario.stages.length - 1;
    stopped = true;
    await Promise.all(loops);
  } finally {
    clearInterval(watchdog);
  }
  return now() - origin;
}
