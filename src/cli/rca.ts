/**
 * `x0tta6bl4 rca`: the root causes of one incident window of recorded telemetry, as an operator
 * asks after the fact. Each series' normal comes from `--baseline` (and from whatever the
 * recording holds before `--from`), the window is judged against it and ranked by the engine's
 * own root-cause ranking (src/analyze/rca.ts), so coarse, short windows work: a dozen 5-minute
 * points after a day of normal.
 */
import {
  type NormalModel,
  type RcaResult,
  describeRankedCause,
  learnNormal,
  rankCauses,
} from '../analyze/rca.ts';
import { ArgumentError } from '../errors.ts';
import { parseIsoSeconds } from '../monitor/formats/fields.ts';
import type { Sample } from '../monitor/ingest.ts';
import { rcaMetrics, splitSeriesArgument } from '../serve/config.ts';
import { topologyGraph } from '../serve/topology.ts';
import {
  asUsageError,
  consoleIo,
  defineCommand,
  type OptionValues,
  runCommandSpec,
  UsageError,
} from './args.ts';
import { readEngineFiles } from './recording.ts';
import { readRecording, type Refusals } from './telemetry-input.ts';

/** The command's declaration. */
export const RCA_COMMAND = defineCommand({
  name: 'rca',
  summary: 'rank the root causes of one incident window of recorded telemetry, after the fact',
  usage: [
    '--telemetry <file|-> --topology topology.json [--config engine.json] [--baseline <file>]',
    '    [--target node:metric] [--from <time>] [--to <time>] [--json]',
  ],
  details: [
    "Learns each series' normal (median and median absolute deviation) from --baseline and from",
    'the telemetry before --from, judges how far each series of the window (--from..--to, default',
    'the whole --telemetry) lies from it in its harmful direction, groups the anomalous nodes that',
    'lie within two hops of each other, and ranks the nodes and links of the incident (the one',
    "around --target's node, else the strongest) with the engine's root-cause ranking. Times are",
    'Unix seconds or ISO 8601 with a zone. A node id may hold colons: --target splits at the last.',
  ].join('\n'),
  options: {
    telemetry: { type: 'input', help: 'the recording holding the incident window (NDJSON or CSV)' },
    topology: {
      type: 'input',
      standardInput: false,
      help: 'the topology file (schema/topology.schema.json)',
    },
    config: {
      type: 'input',
      standardInput: false,
      help: "the engine config: metrics' ranges, directions and roles",
    },
    baseline: { type: 'input', standardInput: false, help: 'normal telemetry from before the window' },
    target: { type: 'string', value: 'NODE:METRIC', help: 'the series the question is about' },
    from: { type: 'string', value: 'TIME', help: 'start of the window (earlier samples join the baseline)' },
    to: { type: 'string', value: 'TIME', help: 'end of the window (later samples are not used)' },
    json: { type: 'boolean', help: 'print one JSON document instead of the text answer' },
  },
  exitCodes: '0 answered (also when the window shows no anomaly), 1 an unexpected error, 2 usage error',
});

type RcaValues = OptionValues<typeof RCA_COMMAND.options>;

/** Runs `x0tta6bl4 rca` with `argv`; resolves to the exit code. */
export function runRcaCommand(argv: string[]): Promise<number> {
  return runCommandSpec(RCA_COMMAND, argv, consoleIo, ({ values }) => {
    if (values.telemetry === undefined)
      throw new UsageError('--telemetry', 'missing (the recording to judge)');
    if (values.topology === undefined) throw new UsageError('--topology', 'missing (the topology file)');
    if (values.baseline === undefined && values.from === undefined)
      throw new UsageError(
        '--baseline',
        'missing: give --baseline, or --from to learn normal from what comes before it',
      );
    return rca(values, values.telemetry, values.topology);
  });
}

/** The JSON document `rca --json` prints. */
export interface RcaOutput extends RcaResult {
  /** Baseline samples used, and refused lines of both files. */
  baseline: { samples: number; unknown: number };
  /** Lines of the files that could not be read. */
  refused: { baseline?: RefusalCounts; telemetry: RefusalCounts };
  /** Telemetry samples after --to, not used. */
  after: number;
}

interface RefusalCounts {
  count: number;
  byReason: Record<string, number>;
  first: Refusals['first'];
}

async function rca(values: RcaValues, telemetry: string, topologyFile: string): Promise<number> {
  const { topology, config } = await readEngineFiles(topologyFile, values.config);
  const graph = topologyGraph(topology);
  const metrics = rcaMetrics(config);
  const target =
    values.target === undefined ? undefined : readTarget(values.target, graph.nodeIds, metrics.names);
  const from = values.from === undefined ? Number.NEGATIVE_INFINITY : readTime('--from', values.from);
  const to = values.to === undefined ? Number.POSITIVE_INFINITY : readTime('--to', values.to);
  if (from > to) throw new UsageError('--from', `${values.from} is after --to ${values.to}`);

  const baseline: Sample[] = [];
  let baselineRefused: Refusals | undefined;
  if (values.baseline !== undefined)
    baselineRefused = (
      await readRecording('--baseline', values.baseline, (samples) => {
        for (const s of samples) baseline.push(s);
      })
    ).refusals;
  const window: Sample[] = [];
  let after = 0;
  const read = await readRecording('--telemetry', telemetry, (samples) => {
    for (const s of samples) {
      if (s.ts < from) baseline.push(s);
      else if (s.ts > to) after++;
      else window.push(s);
    }
  });
  if (baseline.length === 0)
    throw new UsageError(
      values.baseline === undefined ? '--from' : '--baseline',
      'no baseline samples to learn normal from',
    );
  if (window.length === 0) throw new UsageError('--telemetry', 'no samples in the window to judge');

  let model: NormalModel;
  let result: RcaResult;
  try {
    model = learnNormal(graph, metrics, baseline);
    result = rankCauses(model, window, target ? { target } : {});
  } catch (error) {
    if (error instanceof ArgumentError) throw asUsageError(error);
    throw error;
  }
  const counts = (r: Refusals): RefusalCounts => ({ count: r.count, byReason: r.byReason, first: r.first });
  const output: RcaOutput = {
    ...result,
    baseline: { samples: baseline.length, unknown: model.unknown },
    refused: {
      ...(baselineRefused ? { baseline: counts(baselineRefused) } : {}),
      telemetry: counts(read.refusals),
    },
    after,
  };
  if (values.json) console.log(JSON.stringify(output, null, 2));
  else printRca(output);
  return 0;
}

/** `node:metric` split at the last colon, both known; a UsageError naming --target otherwise. */
function readTarget(
  text: string,
  nodes: readonly string[],
  metrics: readonly string[],
): { node: string; metric: string } {
  let target: { node: string; metric: string };
  try {
    target = splitSeriesArgument(text, '--target');
  } catch (error) {
    if (error instanceof ArgumentError) throw asUsageError(error);
    throw error;
  }
  if (!nodes.includes(target.node))
    throw new UsageError('--target', `node ${JSON.stringify(target.node)} is not in the topology`);
  if (!metrics.includes(target.metric))
    throw new UsageError(
      '--target',
      `metric ${JSON.stringify(target.metric)} is not one of ${metrics.join(', ')}`,
    );
  return target;
}

/** Unix seconds or an ISO 8601 date-time with a zone. */
function readTime(option: string, text: string): number {
  const seconds = /^[+-]?\d+(\.\d+)?$/.test(text) ? Number(text) : parseIsoSeconds(text);
  if (!Number.isFinite(seconds))
    throw new UsageError(option, `expected Unix seconds or an ISO 8601 date-time with a zone, got "${text}"`);
  return seconds;
}

function printRca(output: RcaOutput): void {
  const { window } = output;
  const time = (ts: number) => `${new Date(ts * 1000).toISOString()} (${ts})`;
  console.log(
    `rca: window ${time(window.from)} to ${time(window.to)}, ${window.points} points of ${window.interval} s; baseline ${output.baseline.samples.toLocaleString('en-US')} samples`,
  );
  const refused = output.refused.telemetry.count + (output.refused.baseline?.count ?? 0);
  const unknown = output.unknown + output.baseline.unknown;
  if (refused || unknown)
    console.log(
      `not used: ${refused} unreadable lines, ${unknown} samples of nodes or metrics the topology and config do not know`,
    );
  if (output.target) {
    const t = output.target;
    const how =
      t.deviations === undefined
        ? 'has no samples in the window'
        : `${t.moved ? 'moved' : 'stayed within its normal range'} (now ${t.deviations.toFixed(1)} deviations out in its harmful direction)`;
    console.log(`target ${t.node}:${t.metric} ${how}`);
  }
  if (output.causes.length === 0) {
    console.log(
      output.anomalous.length === 0
        ? 'no anomaly in the window: no series went past its normal range, and no node went silent'
        : `no anomaly near the target in the window (anomalous elsewhere: ${output.anomalous.map((a) => a.node).join(', ')})`,
    );
    return;
  }
  console.log(`incident: ${output.incident.join(', ')}`);
  if (output.otherGroups.length)
    console.log(`also anomalous, apart: ${output.otherGroups.map((g) => g.join(', ')).join('; ')}`);
  console.log('root causes (deviations from normal in the harmful direction):');
  output.causes.slice(0, 10).forEach((cause, i) => console.log(`  ${i + 1}. ${describeRankedCause(cause)}`));
}
