/**
 * `x0tta6bl4 run`: the main job. Heals a simulated mesh for a simulated day under a seeded fault
 * schedule and prints, per fault kind, how well it detected, diagnosed and healed. SIGINT and
 * SIGTERM stop it cleanly: the audit log is sealed, the store closed and the report written
 * (marked interrupted) before it exits 130 or 143; a second signal stops it at once.
 */
import process from 'node:process';
import { ArgumentError, X0ttaError } from '../errors.ts';
import { IdSource } from '../knowledge/ids.ts';
import type { RagDocument } from '../rag/document.ts';
import { loadRunbookFolder } from '../rag/folder.ts';
import { createEngineParts, WORKER_MIN_SERIES } from '../run/defaults.ts';
import type { HealingReport, KindReport } from '../run/evaluate.ts';
import { runReportHtml } from '../report/html.ts';
import { runHealing } from '../run/healing-run.ts';
import { telemetryWithLoss, type WorldOptions } from '../run/world.ts';
import { DEFAULT_FAULT_RATE } from '../sim/arrivals.ts';
import { SIM_METRICS } from '../run/mesh-loop.ts';
import { maxFaultsPerKind } from '../sim/schedule.ts';
import { checkWorldChange, type WorldChange } from '../sim/world-change.ts';
import type { TopologyKind } from '../sim/topology.ts';
import { MAX_NODES, MIN_NODES } from '../sim/topology.ts';
import {
  asUsageError,
  type OptionValues,
  UsageError,
  checkOutputFile,
  consoleIo,
  defineCommand,
  runCommandSpec,
} from './args.ts';
import { writeFileAtomic, writeJsonAtomic } from './atomic-write.ts';
import { ExportFolder } from './run-export.ts';
import { RUN_SESSION_OPTIONS, RunSession, sessionOptionsFrom, type RunEnd } from './run-session.ts';
import { type Column, formatTable } from './table.ts';
import {
  auditedShadow,
  SHADOW_DETAILS,
  SHADOW_OPTIONS,
  SHADOW_USAGE,
  type ShadowSettings,
  shadowSettings,
} from './shadow-option.ts';
import { Progress } from './terminal.ts';
import { parseWorkers, resolveWorkers, WORKERS_OPTION } from './workers-option.ts';

/** The columns of the terminal table, with the glossary `run --help` and the README print. */
const COLUMNS: ReadonlyArray<Column & { readonly means: string }> = [
  { title: 'kind', align: 'left', means: 'fault kind (overall: all kinds)' },
  { title: 'injected', align: 'right', means: 'faults injected' },
  {
    title: 'detected',
    align: 'right',
    means: 'faults an incident caught while they lasted (share of injected)',
  },
  { title: 'ttd p50', align: 'right', means: 'median time to detect, simulated seconds' },
  {
    title: 'cause top1',
    align: 'right',
    means: 'detected faults whose root cause the diagnosis ranked first',
  },
  { title: 'cause top3', align: 'right', means: '... ranked in its first three' },
  { title: 'kind right', align: 'right', means: 'diagnosed faults whose diagnosis named the right kind' },
  { title: 'runbook right', align: 'right', means: '... whose first cited runbook is about that kind' },
  { title: 'healed', align: 'right', means: 'faults an engine action ended (share of injected)' },
  { title: 'ttr p50', align: 'right', means: 'median time from detection to the healing action, seconds' },
  { title: 'false alarms', align: 'right', means: 'incidents on nodes no fault touched' },
  {
    title: 'on healthy',
    align: 'right',
    means: 'actions on a target that was not the root cause of a fault',
  },
];

/** The command's declaration: usage, options, the table's glossary and exit codes. */
export const RUN_COMMAND = defineCommand({
  name: 'run',
  summary: 'run the self-healing loop over a simulated mesh and print the healing report',
  usage: [
    '[--nodes 50] [--hours 24] [--faults 20] [--seed 1] [--workers auto] [--topology geometric]',
    '    [--overlap [--fault-rate 0.1] [--changes 1]] [--telemetry-loss 0]',
    '    [--world-change KIND:STOPS:STARTS@HOUR]',
    `    ${SHADOW_USAGE}`,
    '    [--store memory|<dir>|postgres://...] [--audit audit.json] [--out report.json] [--json] [--quiet]',
    '    [--keys <keyfile> [--passphrase-env VAR]] [--checkpoint <file>]',
    '    [--min-detection 0.95] [--min-healed 0.9] [--export <dir> [--export-format ndjson|csv]]',
  ],
  details: [
    'Heals a simulated mesh under a seeded fault schedule, writes the report (--out) and the signed',
    'audit log, and prints per fault kind how well it detected, diagnosed and healed:',
    ...COLUMNS.map((c) => `  ${c.title.padEnd(13)}  ${c.means}`),
    '',
    '--store <dir> keeps the knowledge, the RAG documents and the signed audit log in one PGlite',
    'database there (one process writes a store at a time), and what the engine learns: a run starts',
    'from the models the last one registered (success rates, scoring adapter, detector state, past',
    'incidents; x0tta6bl4 models list) and registers its own as their next versions. With',
    '--store memory the audit log is written to the --audit file. Check it with x0tta6bl4 audit',
    "verify <dir-or-file>. The run ends by printing the log's entry count and head (also in the",
    'report). --min-detection and --min-healed make the exit code fail a run whose overall figures',
    'fall short.',
    '',
    'By default every fault has its own time slot (--faults of each kind, as many as fit in --hours).',
    '--overlap makes faults arrive at random, --fault-rate per node per hour (0.1 by default: about',
    '0.009 active per node at a time), so they overlap in time and place, and a crash or a leak may set',
    'off a cascade (its root cause is the first fault); --changes planned changes an hour (a rolling',
    'deploy, a maintenance, a traffic shift) are announced to the engine, which must not act against',
    'them (the report counts actionsOnPlannedChanges). --fault-rate alone implies --overlap.',
    '--telemetry-loss F loses that share of samples on the way, delivers a quarter as many late and',
    'as many twice, skews node clocks by up to half a second and silences an agent now and then.',
    '--world-change bad-config:rollback-config:failover@12 makes rollback-config stop healing',
    'bad-config and failover start to from hour 12 on; the engine is not told.',
    '',
    ...SHADOW_DETAILS,
    "The report's shadow section gives the incidents scored, wins, losses, promotions and rollbacks.",
    '',
    '--workers auto (the default) scores the detectors in worker threads once the mesh is large',
    `enough for that to pay (${WORKER_MIN_SERIES} series: ${WORKER_MIN_SERIES / SIM_METRICS.length} nodes), one per core at most; --workers 0 keeps`,
    'them on the main thread. The report is the same for any count, and a worker that dies is',
    "replaced from its detectors' last checkpoint.",
    '',
    '--export <dir> writes the run for replay and rca: telemetry.ndjson (or .csv) with one',
    '{"ts","node","metric","value"} sample per reporting node, metric and tick (ts = the tick in',
    "seconds), topology.json (nodes, links, gateways, the first tick's routes), routes.ndjson (each",
    'change of a next hop: {"ts","node","nextHop"}) and truth.json (every fault\'s kind, target,',
    'start and end). A day of 50 nodes is some 35 million samples (2.5 GB as NDJSON).',
  ].join('\n'),
  options: {
    nodes: { type: 'integer', min: MIN_NODES, max: MAX_NODES, default: 50, help: 'mesh size' },
    hours: {
      type: 'number',
      min: 0,
      aboveMin: true,
      max: 8760,
      default: 24,
      help: 'simulated hours (one tick a second; at most a year)',
    },
    faults: {
      type: 'integer',
      min: 1,
      max: Number.MAX_SAFE_INTEGER,
      help: 'faults of each kind (default 20, or as many as fit in --hours)',
    },
    topology: {
      type: 'string',
      choices: ['geometric', 'scale-free', 'grid'],
      default: 'geometric',
      help: 'how the mesh is generated',
    },
    overlap: { type: 'boolean', help: 'faults arrive at random and overlap; cascades; planned changes' },
    'fault-rate': {
      type: 'number',
      min: 0,
      aboveMin: true,
      max: 3600,
      help: `faults per node per hour with --overlap (default ${DEFAULT_FAULT_RATE})`,
    },
    changes: {
      type: 'number',
      min: 0,
      max: 3600,
      help: 'planned changes per hour with --overlap (default 1)',
    },
    'telemetry-loss': {
      type: 'number',
      min: 0,
      max: 0.8,
      default: 0,
      help: 'share of samples lost on the way (with late, duplicated and skewed ones)',
    },
    'world-change': {
      type: 'string',
      value: 'KIND:STOPS:STARTS@HOUR',
      help: 'from HOUR on, action STOPS no longer heals fault KIND and action STARTS does',
    },
    ...SHADOW_OPTIONS,
    seed: { type: 'integer', min: 0, max: 2 ** 32 - 1, default: 1, help: 'seed of the mesh and the faults' },
    workers: WORKERS_OPTION,
    ...RUN_SESSION_OPTIONS,
    checkpoint: { type: 'output', help: "save the log's final entry count and head, for audit verify" },
    runbooks: {
      type: 'string',
      value: 'DIR',
      help: 'also cite your runbooks in DIR (any Markdown or text, sub-folders too; labels inferred)',
    },
    out: { type: 'output', default: 'report.json', help: 'the report (rewritten as the run goes)' },
    html: {
      type: 'output',
      help: 'also write the report as one self-contained page: the mesh, a swimlane per fault, charts',
    },
    export: {
      type: 'string',
      value: 'DIR',
      help: "write the run's telemetry, topology, route changes and ground truth to DIR",
    },
    'export-format': {
      type: 'string',
      choices: ['ndjson', 'csv'],
      default: 'ndjson',
      help: "the exported telemetry's format",
    },
    json: { type: 'boolean', help: 'print the report as JSON on stdout instead of the table' },
    quiet: { type: 'boolean', help: 'print neither the table nor notices and progress' },
    'min-detection': {
      type: 'number',
      min: 0,
      max: 1,
      help: 'exit 1 when the overall detection rate is below this',
    },
    'min-healed': {
      type: 'number',
      min: 0,
      max: 1,
      help: 'exit 1 when the overall healed rate is below this',
    },
  },
  exitCodes: '0 done, 1 a --min-* gate failed or an unexpected error, 2 usage error, 130/143 SIGINT/SIGTERM',
});

type RunOptions = OptionValues<typeof RUN_COMMAND.options>;

/** Runs `x0tta6bl4 run` with `argv` (the arguments after `run`); resolves to the exit code. */
export function runCommand(argv: string[]): Promise<number> {
  return runCommandSpec(RUN_COMMAND, argv, consoleIo, async ({ values }) => {
    if (values.store === 'memory') checkOutputFile('--audit', values.audit);
    const overlap = values.overlap === true || values['fault-rate'] !== undefined;
    if (overlap && values.faults !== undefined)
      throw new UsageError('--faults', 'does not go with --overlap: faults arrive at --fault-rate');
    if (!overlap && values.changes !== undefined) throw new UsageError('--changes', 'needs --overlap');
    const fit = maxFaultsPerKind(values.hours);
    if (!overlap && fit === 0)
      throw new UsageError(
        '--hours',
        `no fault fits in ${values.hours} h after the warm-up: give more --hours`,
      );
    if (values.faults !== undefined && values.faults > fit)
      throw new UsageError(
        '--faults',
        `at most ${fit} faults of each kind fit in ${values.hours} h, got ${values.faults}`,
      );
    const shadow = shadowSettings(values);
    const worldChange =
      values['world-change'] === undefined
        ? undefined
        : parseWorldChange(values['world-change'], values.hours);
    const exported =
      values.export === undefined
        ? undefined
        : new ExportFolder(values.export, values['export-format'] as 'ndjson' | 'csv');
    try {
      return await run(values, exported, worldChange, shadow);
    } finally {
      exported?.close();
    }
  });
}

/** `KIND:STOPS:STARTS@HOUR` as the simulator's world change; UsageError naming --world-change otherwise. */
function parseWorldChange(text: string, hours: number): WorldChange {
  const match = /^([a-z-]+):([a-z-]+):([a-z-]+)@([0-9]+(?:\.[0-9]+)?)$/.exec(text);
  if (!match)
    throw new UsageError('--world-change', `expected KIND:STOPS:STARTS@HOUR, got ${JSON.stringify(text)}`);
  const hour = Number(match[4]);
  if (hour >= hours)
    throw new UsageError('--world-change', `hour ${hour} is not within the run's ${hours} h`);
  try {
    return checkWorldChange(
      { atTick: Math.round(hour * 3600), kind: match[1], stops: match[2], starts: match[3] } as WorldChange,
      '--world-change',
    );
  } catch (error) {
    throw error instanceof ArgumentError ? asUsageError(error) : error;
  }
}

async function run(
  values: RunOptions,
  exported: ExportFolder | undefined,
  worldChange: WorldChange | undefined,
  shadowed: ShadowSettings | undefined,
): Promise<number> {
  const { nodes, hours, seed } = values;
  const overlap = values.overlap === true || values['fault-rate'] !== undefined;
  const faultsPerKind = values.faults ?? Math.min(20, maxFaultsPerKind(hours));
  const loss = values['telemetry-loss']!;
  const world: WorldOptions = {
    ...(overlap
      ? {
          overlap,
          faultRate: values['fault-rate'] ?? DEFAULT_FAULT_RATE,
          changesPerHour: values.changes ?? 1,
        }
      : {}),
    ...(loss > 0 ? { telemetry: telemetryWithLoss(loss) } : {}),
  };
  const notice = (line: string): void => {
    if (!values.quiet) console.error(`run: ${line}`);
  };
  const series = nodes * SIM_METRICS.length;
  const workers = resolveWorkers(
    parseWorkers(values.workers!, (line) => console.error(line)),
    series,
  );
  notice(
    workers === 0
      ? `scoring ${series} series on the main thread`
      : `scoring ${series} series in ${workers} worker threads`,
  );
  let runbooks: RagDocument[] | undefined;
  if (values.runbooks !== undefined) {
    try {
      runbooks = await loadRunbookFolder(values.runbooks);
    } catch (error) {
      if (!(error instanceof X0ttaError)) throw error;
      console.error(`run: --runbooks: ${error.message}`);
      return 2;
    }
    notice(`${runbooks.length} runbooks from ${values.runbooks} indexed beside the shipped ones`);
  }
  let session: RunSession;
  try {
    session = await RunSession.open({
      ...sessionOptionsFrom(values),
      checkpointFile: values.checkpoint,
      notice,
    });
  } catch (error) {
    if (!(error instanceof X0ttaError)) throw error;
    console.error(`run: ${error.message}`);
    return 2;
  }
  const stop = stopOnSignals();
  notice(`run ${session.runId} started: store ${values.store}, audit log signed by ${session.signer}`);
  const started = performance.now();
  const progress = new Progress({ shown: !values.quiet && !values.json });
  let end: RunEnd = 'failed';
  // Report checkpoints are written one after another, and all before the final report.
  let reportWrites: Promise<void> = Promise.resolve();
  try {
    const parts = await createEngineParts({
      detectorWorkers: workers,
      ragStore: session.ragStore,
      ...(runbooks ? { runbooks } : {}),
    });
    // A store directory carries what earlier runs learnt; this run starts from it and adds to it.
    const learning = await session.restoreLearning(notice);
    const { report, loop, topology, groundTruth, learnt, shadow } = await runHealing({
      nodes,
      hours,
      faultsPerKind,
      seed,
      topology: values.topology as TopologyKind,
      world,
      ...(worldChange ? { worldChange } : {}),
      ...(shadowed ? { shadow: auditedShadow(shadowed, session.modelAudit, `run:${session.runId}`) } : {}),
      store: session.knowledge,
      audit: session.sink,
      // Incident and action ids under the run's own id: a store's history accumulates across runs.
      ids: new IdSource(session.runId),
      signal: stop.signal,
      ...(exported ? { onFrame: exported.onFrame } : {}),
      ...(learning ? { learning, keepLearning: true } : {}),
      ...parts,
      onProgress: (tick, total, l) => {
        const s = l.stats();
        progress.update(
          tick,
          total,
          `tick ${tick}/${total}, incidents ${s.incidentsOpened}, healed ${s.actionsHealed}, escalated ${s.incidentsEscalated}`,
        );
        // A checkpoint of the report: a run killed before its end still leaves what it did.
        const partial = {
          status: 'running',
          runId: session.runId,
          tick,
          ticks: total,
          elapsedSeconds: (performance.now() - started) / 1000,
          loop: s,
          audit: session.checkpoint(),
        };
        reportWrites = reportWrites
          .then(() => writeJsonAtomic(values.out!, partial))
          .catch((error) => notice(`cannot write ${values.out}: ${(error as Error).message}`));
      },
    });
    progress.clear();
    await parts.close();
    if (learning && learnt) {
      const o = report.overall;
      const versions = await session.saveLearning(learnt, learning, {
        dataWindow: { from: 0, to: report.ticks },
        metrics: {
          detectionRate: o.detectionRate,
          healedRate: o.healedRate,
          ...(o.mttrMedian === null ? {} : { mttrMedian: o.mttrMedian }),
          falseAlarmsPerHour: o.falseAlarmsPerHour,
          actions: o.actions,
        },
      });
      notice(`learning registered: ${versions.map((v) => `${v.name}@${v.version}`).join(', ')}`);
    }
    end = stop.signal.aborted ? 'interrupted' : 'finished';
    const audit = await session.finish(end);
    const output = {
      ...report,
      status: end,
      runId: session.runId,
      elapsedSeconds: (performance.now() - started) / 1000,
      loop: loop.stats(),
      ...(shadow ? { shadow: shadow.summary() } : {}),
      audit,
    };
    await reportWrites;
    await writeJsonAtomic(values.out!, output);
    if (values.html !== undefined) await writeFileAtomic(values.html, runReportHtml(output, topology));
    if (exported) {
      await exported.finish({ seed, ticks: report.ticks, topology, groundTruth, outcomes: report.faults });
      notice(`exported the run's telemetry, topology, routes and ground truth to ${exported.dir}`);
    }
    if (shadow) {
      const { scored, promotions, rollbacks } = output.shadow!;
      notice(
        `shadow: ${scored.incidents} incidents scored, challenger won ${scored.wins} and lost ${scored.losses}; ${promotions} promotions, ${rollbacks} rollbacks`,
      );
    }
    if (values.json) console.log(JSON.stringify(output, null, 2));
    else if (!values.quiet) printReport(report, values.out!, overlap);
    notice(
      `${end === 'interrupted' ? `interrupted by ${stop.signal.reason}; ` : ''}audit log: ${audit.entries} entries in ${audit.batches} sealed batches, head ${audit.head}`,
    );
    const shortfalls = end === 'finished' ? gateShortfalls(report, values) : [];
    for (const line of shortfalls) console.error(`run: ${line}`);
    return shortfalls.length > 0 ? 1 : stop.exitCode();
  } catch (error) {
    if (end === 'failed') await session.finish('failed').catch(() => {});
    throw error;
  } finally {
    stop.dispose();
  }
}

/**
 * SIGINT and SIGTERM abort the run (it then seals, records and exits 128 + the signal number);
 * a second signal exits at once: the log's unsealed tail is durable and sealed by the next run.
 */
function stopOnSignals(): { signal: AbortSignal; exitCode(): number; dispose(): void } {
  const controller = new AbortController();
  const codes: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143 };
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(codes[signal]);
    process.stderr.write(
      `\nrun: ${signal}: stopping after this tick, sealing the audit log (again to stop at once)\n`,
    );
    controller.abort(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    exitCode: () =>
      controller.signal.aborted ? (codes[controller.signal.reason as NodeJS.Signals] ?? 1) : 0,
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

/** What falls short of the --min-detection and --min-healed gates, one line each. */
function gateShortfalls(report: HealingReport, values: RunOptions): string[] {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const gates = [
    ['detection rate', report.overall.detectionRate, values['min-detection'], '--min-detection'],
    ['healed rate', report.overall.healedRate, values['min-healed'], '--min-healed'],
  ] as const;
  return gates
    .filter(([, figure, minimum]) => minimum !== undefined && figure < minimum)
    .map(([name, figure, minimum, flag]) => `${name} ${pct(figure)} is below ${flag} ${pct(minimum!)}`);
}

function printReport(report: HealingReport, out: string, planned: boolean): void {
  const pct = (x: number) => `${(x * 100).toFixed(0)}%`;
  const ticks = (x: number | null) => (x === null ? '-' : String(x));
  const row = (name: string, r: KindReport) => [
    name,
    String(r.injected),
    `${r.detected} (${pct(r.detectionRate)})`,
    ticks(r.mttdMedian),
    pct(r.rootCauseTop1),
    pct(r.rootCauseTop3),
    pct(r.diagnosisAccuracy),
    pct(r.topRunbookRight),
    `${r.healed} (${pct(r.healedRate)})`,
    ticks(r.mttrMedian),
    String(r.falseAlarms),
    String(r.actionsOnHealthy),
  ];
  console.log(`\nx0tta6bl4: ${report.nodes} nodes, ${report.hours} h simulated, seed ${report.seed}\n`);
  console.log(
    formatTable(COLUMNS, [
      ...Object.entries(report.byKind).map(([k, r]) => row(k, r)),
      row('overall', report.overall),
    ]),
  );
  const o = report.overall;
  console.log(
    `\nactions ${o.actions}, on healthy targets ${pct(o.actionsOnHealthyShare)}, ` +
      `false alarms ${o.falseAlarmsPerHour.toFixed(2)}/h, escalations ${o.escalations}` +
      `${planned ? `, against planned changes ${o.actionsOnPlannedChanges}` : ''}; report written to ${out}`,
  );
}
