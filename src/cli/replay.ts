/**
 * `x0tta6bl4 replay`: recorded telemetry through the operator's loop (createOperatorLoop, the
 * same wiring as `serve`) with a plan-only executor in dry-run mode, so nothing is acted on.
 * The loop first learns normal from `--baseline`, whose ticks run before the recording's; the
 * incidents it opens there are reported apart (a baseline is meant to be normal: an incident in
 * it says it was not) and are never scored. With `--truth` (a `run --export`'s truth.json) the
 * replay is scored by the live run's evaluator, so its root-cause figures compare with the run's.
 * See src/run/replay.ts for how ticks and route changes are fed.
 */
import { PlanOnlyExecutor } from '../execute/plan-only.ts';
import type { Sample } from '../monitor/ingest.ts';
import { DEFAULT_ACTIONS } from '../plan/actions.ts';
import { RUNBOOKS } from '../rag/runbooks.generated.ts';
import { Evaluator, type HealingReport } from '../run/evaluate.ts';
import {
  describeCause,
  parseRouteChanges,
  ReplayRecorder,
  type ReplayIncident,
  type RouteChange,
  TelemetryReplay,
} from '../run/replay.ts';
import { RecordedTruth } from '../run/truth-file.ts';
import { printTarget } from '../domain/targets.ts';
import { replayReportHtml } from '../report/html.ts';
import { topologyLayout } from '../report/layout.ts';
import { createOperatorLoop, type OperatorLoop } from '../serve/operator-loop.ts';
import { topologyGraph } from '../serve/topology.ts';
import { consoleIo, defineCommand, type OptionValues, runCommandSpec, UsageError } from './args.ts';
import { writeFileAtomic } from './atomic-write.ts';
import { readInput, readJsonInput } from './input.ts';
import { type Refusals, readRecording } from './telemetry-input.ts';
import { asUsage, inferInterval, readEngineFiles } from './recording.ts';

/** The command's declaration. */
export const REPLAY_COMMAND = defineCommand({
  name: 'replay',
  summary: 'run the loop over recorded telemetry (dry run): incidents, root causes, diagnoses, plans',
  usage: [
    '--telemetry <file|-> --topology topology.json [--config engine.json] [--baseline <file>]',
    '    [--routes routes.ndjson] [--tick <seconds>] [--truth truth.json] [--json] [--html report.html]',
  ],
  details: [
    'Reads NDJSON {"ts","node","metric","value"} lines (or a JSON array of them) or long CSV',
    'ts,node,metric,value (by the extension, else the first character); ts in Unix seconds or ISO',
    '8601. Samples are grouped into ticks of --tick seconds (default: the median spacing of a',
    "series' timestamps). The loop learns normal from --baseline first, then runs the recording",
    'with a plan-only executor in dry-run mode: nothing is applied. It prints each incident, its',
    'ranked root causes with the symptoms behind them, the diagnosis with the runbooks it cites',
    'and the plans it would apply; incidents during the baseline are listed apart.',
    '--routes applies recorded next-hop changes ({"ts","node","nextHop"} lines) at their time.',
    "--truth scores the root causes against a run's ground truth (run --export writes all of these).",
    '--html writes one self-contained page: with --truth the per-fault view of run --html, else the',
    "incidents on the mesh (the topology's x and y, or a layout of its links), then a timeline per",
    'incident with its root causes, diagnosis and plans.',
  ].join('\n'),
  options: {
    telemetry: { type: 'input', help: 'the recording (NDJSON or CSV)' },
    topology: {
      type: 'input',
      standardInput: false,
      help: 'the topology file (schema/topology.schema.json)',
    },
    config: { type: 'input', standardInput: false, help: 'the engine config (schema/config.schema.json)' },
    baseline: { type: 'input', standardInput: false, help: 'normal telemetry from before the recording' },
    routes: { type: 'input', standardInput: false, help: 'next-hop changes during the recording (NDJSON)' },
    tick: { type: 'number', min: 0, aboveMin: true, max: 86_400, help: 'seconds per tick' },
    truth: { type: 'input', standardInput: false, help: "a run's truth.json: score the root causes" },
    json: { type: 'boolean', help: 'print one JSON document instead of the text report' },
    html: {
      type: 'output',
      help: 'also write the replay as one self-contained page: the mesh, a timeline per incident',
    },
  },
  exitCodes:
    '0 done, 1 an unexpected error, 2 usage error (a missing or unreadable file, a bad topology or config)',
});

type ReplayValues = OptionValues<typeof REPLAY_COMMAND.options>;

/** Runs `x0tta6bl4 replay` with `argv`; resolves to the exit code. */
export function runReplayCommand(argv: string[]): Promise<number> {
  return runCommandSpec(REPLAY_COMMAND, argv, consoleIo, ({ values }) => {
    if (values.telemetry === undefined)
      throw new UsageError('--telemetry', 'missing (the recording to replay)');
    if (values.topology === undefined) throw new UsageError('--topology', 'missing (the topology file)');
    return replay(values, values.telemetry, values.topology);
  });
}

/** The JSON document `replay --json` prints. */
export interface ReplayOutput {
  /** Seconds per tick, and whether it was given or inferred. */
  tick: { seconds: number; source: 'option' | 'inferred' | 'config' };
  /** The baseline's ticks, samples and refused lines, and the incidents it opened. */
  baseline?: { ticks: number; samples: number; refused: RefusalSummary; incidents: ReplayIncident[] };
  /** The recording's ticks, samples and refused lines. */
  recording: { format: string; ticks: number; samples: number; refused: RefusalSummary };
  /** Samples the loop's monitor refused (unknown node or metric, out of range, out of order), by reason. */
  rejected: { byReason: Record<string, number>; first: ReplayRecorder['rejectedExamples'] };
  /** Incidents of the recording, in the order they opened. */
  incidents: ReplayIncident[];
  /** With --truth: the live run's evaluator on the replay. */
  score?: Pick<HealingReport, 'overall' | 'byKind' | 'faults'>;
}

/** Refused lines of a recording. */
interface RefusalSummary {
  count: number;
  byReason: Record<string, number>;
  first: Refusals['first'];
}

async function replay(values: ReplayValues, telemetry: string, topologyFile: string): Promise<number> {
  const { topology, config } = await readEngineFiles(topologyFile, values.config);
  const routesText = values.routes === undefined ? undefined : await readInput('--routes', values.routes);
  const graph = topologyGraph(topology);
  const routes =
    routesText === undefined
      ? []
      : asUsage('--routes', () => parseRouteChanges(routesText, graph, values.routes));
  const truthValue =
    values.truth === undefined
      ? undefined
      : await readJsonInput<unknown>('--truth', values.truth, 'truth file');
  if (truthValue !== undefined)
    asUsage('--truth', () => RecordedTruth.parse(truthValue, graph, 1, values.truth));

  let state: Started | undefined;
  let tickSource: ReplayOutput['tick']['source'] = 'option';
  const start = async (first: readonly Sample[]): Promise<Started> => {
    let interval = values.tick;
    if (interval === undefined) {
      interval = inferInterval(first);
      tickSource = interval === undefined ? 'config' : 'inferred';
      interval ??= config.tickSeconds;
    }
    return startReplay(topology, config, interval, routes);
  };
  try {
    let baseline: ReplayOutput['baseline'];
    let baselineEnd = Number.NEGATIVE_INFINITY;
    if (values.baseline !== undefined) {
      const read = await readRecording('--baseline', values.baseline, async (samples) => {
        state ??= await start(samples);
        state.recorder.phase = 'baseline';
        for (const s of samples) if (s.ts > baselineEnd) baselineEnd = s.ts;
        await state.replay.add(samples);
      });
      await state!.replay.finish();
      baseline = {
        ticks: state!.replay.ticks,
        samples: read.samples,
        refused: summary(read.refusals),
        incidents: [],
      };
    }
    let evaluator: Evaluator | undefined;
    let checked = false;
    const recording = await readRecording('--telemetry', telemetry, async (samples) => {
      state ??= await start(samples);
      if (!checked) {
        checked = true;
        checkOrder(samples, baselineEnd, values.baseline);
        state.recorder.phase = 'recording';
        if (truthValue !== undefined) {
          const truth = RecordedTruth.parse(truthValue, state.operator.graph, state.interval, values.truth);
          const runbookFaults = new Map(RUNBOOKS.map((r) => [r.id, r.faults]));
          evaluator = new Evaluator(truth, state.operator.loop.events, (id) => runbookFaults.get(id));
        }
      }
      await state.replay.add(samples);
    });
    const { operator, recorder, interval } = state!;
    const before = baseline?.ticks ?? 0;
    await state!.replay.finish();
    // Closing waits for the dry runs still answering, so every plan is in the report.
    await operator.close();
    const ticks = state!.replay.ticks - before;
    const incidents = recorder.incidents();
    if (baseline) baseline.incidents = incidents.filter((i) => i.phase === 'baseline');
    const report = evaluator?.report({ seed: 0, hours: Math.max(ticks * interval, 1) / 3600 });
    const output: ReplayOutput = {
      tick: { seconds: interval, source: tickSource },
      ...(baseline ? { baseline } : {}),
      recording: {
        format: recording.format,
        ticks,
        samples: recording.samples,
        refused: summary(recording.refusals),
      },
      rejected: { byReason: recorder.rejected, first: recorder.rejectedExamples },
      incidents: incidents.filter((i) => i.phase === 'recording'),
      ...(report ? { score: { overall: report.overall, byKind: report.byKind, faults: report.faults } } : {}),
    };
    if (values.html !== undefined)
      await writeFileAtomic(values.html, replayReportHtml(output, topologyLayout(topology)));
    if (values.json) console.log(JSON.stringify(output, null, 2));
    else printReplay(output);
    return 0;
  } finally {
    // After a failure too (a second close waits for the first).
    await state?.operator.close();
  }
}

interface Started {
  operator: OperatorLoop;
  replay: TelemetryReplay;
  recorder: ReplayRecorder;
  interval: number;
}

async function startReplay(
  topology: Parameters<typeof createOperatorLoop>[0]['topology'],
  config: Parameters<typeof createOperatorLoop>[0]['config'],
  interval: number,
  routes: readonly RouteChange[],
): Promise<Started> {
  const known = new Set(topology.nodes.map((n) => n.id));
  const operator = await createOperatorLoop({
    topology,
    config,
    executor: new PlanOnlyExecutor(DEFAULT_ACTIONS, { isNode: (id) => known.has(id) }),
    dryRun: true,
  });
  const recorder = new ReplayRecorder(operator.loop, operator.graph, interval);
  const replay = new TelemetryReplay({
    loop: operator.loop,
    graph: operator.graph,
    interval,
    lateness: Math.min(interval, config.latenessSeconds),
    routes,
  });
  return { operator, replay, recorder, interval };
}

/** The recording must start after the baseline ends: the loop takes each series' samples in time order. */
function checkOrder(samples: readonly Sample[], baselineEnd: number, baseline: string | undefined): void {
  let first = Number.POSITIVE_INFINITY;
  for (const s of samples) if (s.ts < first) first = s.ts;
  if (baseline !== undefined && first <= baselineEnd)
    throw new UsageError(
      '--baseline',
      `${baseline} ends at ${baselineEnd}, not before the recording starts (${first}): the baseline must come first`,
    );
}

function summary(refusals: Refusals): RefusalSummary {
  return { count: refusals.count, byReason: refusals.byReason, first: refusals.first };
}

function printReplay(output: ReplayOutput): void {
  const { recording, baseline, tick } = output;
  const count = (n: number) => n.toLocaleString('en-US');
  const refused = (r: RefusalSummary) =>
    r.count === 0
      ? 'none refused'
      : `${count(r.count)} lines refused (${Object.entries(r.byReason)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}; first: line ${r.first[0].line} ${r.first[0].detail})`;
  console.log(
    `replay: ${count(recording.samples)} samples in ${count(recording.ticks)} ticks of ${tick.seconds} s (${tick.source}), ${recording.format}; ${refused(recording.refused)}`,
  );
  if (baseline)
    console.log(
      `baseline: ${count(baseline.samples)} samples in ${count(baseline.ticks)} ticks; ${refused(baseline.refused)}; ${baseline.incidents.length} incidents while learning normal${baseline.incidents.length ? ` (${baseline.incidents.map((i) => i.id).join(', ')})` : ''}`,
    );
  const rejected = Object.entries(output.rejected.byReason);
  if (rejected.length) {
    const first = output.rejected.first[0];
    console.log(
      `the loop refused samples: ${rejected.map(([k, v]) => `${k} ${count(v)}`).join(', ')} (first: ${first.reason} ${first.node ?? ''} ${first.metric ?? ''})`,
    );
  }
  console.log(`\n${output.incidents.length} incidents`);
  for (const incident of output.incidents) {
    const closed =
      incident.closedAt === undefined ? incident.status : `${incident.status} at ${incident.closedAt} s`;
    console.log(
      `\n${incident.id}: opened at ${incident.openedAt} s, ${closed}; nodes ${incident.nodes.join(', ')}; metrics ${incident.metrics.join(', ')}`,
    );
    incident.rootCauses.forEach((cause, i) => {
      console.log(`  ${i === 0 ? 'root causes:' : '            '} ${i + 1}. ${describeCause(cause)}`);
    });
    if (incident.diagnosis)
      console.log(
        `  diagnosis at ${incident.diagnosis.at} s: ${incident.diagnosis.kind ?? 'no kind'}; cites ${incident.diagnosis.citations.join(', ') || 'nothing'}`,
      );
    for (const plan of incident.plans)
      console.log(
        `  plan (${plan.outcome}): ${plan.action} on ${printTarget(plan.target)} at ${plan.at} s (${plan.explanation})`,
      );
    if (incident.escalation) console.log(`  to a human: ${incident.escalation}`);
  }
  if (output.score) {
    const o = output.score.overall;
    const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
    console.log(
      `\nscored against the truth: detected ${o.detected}/${o.injected} (${pct(o.detectionRate)}), root cause top-1 ${pct(o.rootCauseTop1)}, top-3 ${pct(o.rootCauseTop3)}, kind right ${pct(o.diagnosisAccuracy)}, false alarms ${o.falseAlarms}`,
    );
    for (const [kind, r] of Object.entries(output.score.byKind))
      console.log(
        `  ${kind}: detected ${r.detected}/${r.injected}, top-1 ${pct(r.rootCauseTop1)}, top-3 ${pct(r.rootCauseTop3)}`,
      );
  }
}
