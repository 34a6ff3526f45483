/**
 * Runs one scenario against one target and turns the recorder's tallies into a LoadResult:
 * summaries overall and per stage, the per-second series, the percentile curve, threshold
 * verdicts (the scenario's own and {@link SOME_CALL_SUCCEEDED}), and for stop-on-break ramps the
 * stable rate and knee.
 */
import { ArgumentError } from '../errors.ts';
import { runClosedModel } from './closed-model.ts';
import { analyzeSteps, type StressAnalysis } from './knee.ts';
import { runOpenModel } from './open-model.ts';
import type { RunHooks } from './progress.ts';
import { LoadRecorder } from './recorder.ts';
import { type ResolvedScenario, resolveScenario, type Scenario } from './scenario.ts';
import { totalDurationMs } from './schedule.ts';
import {
  type LoadSummary,
  type PercentilePoint,
  percentileCurve,
  type SecondPoint,
  secondSeries,
  summarize,
} from './summary.ts';
import type { LoadTarget } from './target.ts';
import { evaluateThreshold, SOME_CALL_SUCCEEDED, type ThresholdResult } from './thresholds.ts';

/** Figures for one stage of a run. */
export interface StageResult {
  /** The stage's index in the scenario, from 0. */
  index: number;
  /** How the stage reads: `200 ops/s`, `25->200 ops/s` or `8 loops`. */
  label: string;
  /** Planned length of the stage. */
  durationMs: number;
  /** Target rate (ops/s; the mean for a ramp) or concurrency of the stage. */
  target: number;
  /** False for a stage cut short or never reached because the run stopped on a broken threshold. */
  complete: boolean;
  /** The stage's own figures. */
  summary: LoadSummary;
}

/** Everything a load run measured: what the JSON report contains. */
export interface LoadResult {
  /** The scenario's name. */
  scenario: string;
  /** 'closed';|Arrival rate (open) or concurrent loops (closed). */
  model: 'open' | 'closed';
  /** Wall-clock start, ISO 8601. */
  startedAt: string;
  /** Planned length of the run. */
  plannedMs: number;
  /** Measured length of the run. */
  durationMs: number;
  /** The call timeout in force. */
  timeoutMs: number;
  /** Units of work per call. */
  batchSize: number;
  /** null;|The in-flight cap (open model); null for the closed model. */
  maxInFlight: number | null;
  /** Figures of the whole run. */
  summary: LoadSummary;
  /** achievedRate * batchSize: e.g. samples/s for an ingest target. */
  unitsPerSecond: number;
  /** Figures per stage, in order. */
  stages: StageResult[];
  /** Figures per second of the run. */
  series: SecondPoint[];
  /** The latency percentile curves of the whole run. */
  distribution: PercentilePoint[];
  /** Every threshold, checked on the whole run and on each stage. */
  thresholds: ThresholdResult[];
  /** Whether every threshold passed. */
  passed: boolean;
  /** Present for stop-on-break ramps. */
  stress?: StressAnalysis;
}

function stageTarget(resolved: ResolvedScenario, index: number): { target: number; label: string } {
  const scenario = resolved.scenario;
  if (scenario.model === 'closed') {
    const concurrency = scenario.stages[index].concurrency;
    return { target: concurrency, label: `${concurrency} loops` };
  }
  const { rate, fromRate } = scenario.stages[index];
  return fromRate === undefined || fromRate === rate
    ? { target: rate, label: `${rate} ops/s` }
    : { target: (fromRate + rate) / 2, label: `${fromRate}->${rate} ops/s` };
}

function checkStage(resolved: ResolvedScenario, stage: StageResult): ThresholdResult[] {
  return resolved.thresholds.map((t) => evaluateThreshold(t, stage.summary, stage.label));
}

/**
 * Runs `scenario` against `target`. Throws ArgumentError for a bad target or scenario; the
 * target's own failures are counted, never thrown.
 */
export async function runScenario(
  target: LoadTarget,
  scenario: Scenario,
  hooks: RunHooks = {},
): Promise<LoadResult> {
  if (typeof target !== 'function') throw new ArgumentError('target', 'must be a function');
  const resolved = resolveScenario(scenario);
  if (hooks.clock && scenario.model === 'closed')
    throw new ArgumentError('hooks.clock', 'only an open-model run takes a clock');
  const recorder = new LoadRecorder(scenario.stages.length);
  const open = scenario.model === 'open';
  const stageResult = (index: number, complete: boolean): StageResult => {
    const { target: stageGoal, label } = stageTarget(resolved, index);
    const summary = summarize(recorder.stages[index], open, open ? stageGoal : undefined);
    return {
      index,
      label,
      durationMs: scenario.stages[index].durationMs,
      target: stageGoal,
      complete,
      summary,
    };
  };

  let lastComplete = scenario.stages.length - 1;
  const stopOnBreak = open && scenario.stopOnBreak === true;
  const runHooks: RunHooks = {
    onProgress: hooks.onProgress,
    progressEveryMs: hooks.progressEveryMs,
    clock: hooks.clock,
    onStageSettled: (index) => {
      const broke = stopOnBreak && checkStage(resolved, stageResult(index, true)).some((r) => !r.passed);
      if (broke) lastComplete = index;
      return broke;
    },
  };
  const startedAt = new Date().toISOString();
  const durationMs = open
    ? await runOpenModel(target, resolved, recorder, runHooks)
    : await runClosedModel(target, resolved, recorder, runHooks);

  const stages = scenario.stages.map((_, i) => stageResult(i, i <= lastComplete));
  const overall = recorder.overall();
  const summary = summarize(overall, open);
  const thresholds = [...resolved.thresholds, SOME_CALL_SUCCEEDED].map((t) => evaluateThreshold(t, summary));
  if (stages.length > 1)
    for (const stage of stages) if (stage.complete) thresholds.push(...checkStage(resolved, stage));

  const result: LoadResult = {
    scenario: scenario.name,
    model: scenario.model,
    startedAt,
    plannedMs: totalDurationMs(scenario.stages),
    durationMs,
    timeoutMs: resolved.timeoutMs,
    batchSize: resolved.batchSize,
    maxInFlight: open ? resolved.maxInFlight : null,
    summary,
    unitsPerSecond: summary.achievedRate * resolved.batchSize,
    stages,
    series: secondSeries(recorder.seconds),
    distribution: percentileCurve(overall),
    thresholds,
    passed: thresholds.every((r) => r.passed),
  };
  if (stopOnBreak) {
    result.stress = analyzeSteps(
      stages
        .filter((s) => s.complete)
        .map((s) => ({
          rate: s.target,
          p99: s.summary.latency.p99,
          passed: thresholds.every((r) => r.scope !== s.label || r.passed),
        })),
    );
  }
  return result;
}
