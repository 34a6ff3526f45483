/**
 * `x0tta6bl4 run`: the main job. Heals a simulated mesh for a simulated day under a seeded fault
 * schedule and prints, per fault kind, how well it detected, diagnosed and healed. SIGINT and
 * SIGTERM stop it cleanly: the audit log is sealed, the store closed and the report written
 * (marked interrupted) before it exits 130 or 143; a second signal stops it at once.
 */
import { availableParallelism } from 'node:os';
import process from 'node:process';
import { parseArgs } from 'node:util';
import { ArgumentError, X0ttaError } from '../errors.ts';
import { IdSource } from '../knowledge/ids.ts';
import { createEngineParts } from '../run/defaults.ts';
import type { HealingReport, KindReport } from '../run/evaluate.ts';
import { runHealing } from '../run/healing-run.ts';
import { checkOutputFile, intOption, numberOption } from './args.ts';
import { writeJsonAtomic } from './atomic-write.ts';
import { RunSession, type RunEnd } from './run-session.ts';

const USAGE = `usage: x0tta6bl4 run [--nodes 50] [--hours 24] [--faults 20] [--seed 1] [--workers 0]
                     [--store memory|<dir>] [--audit audit.json] [--out report.json] [--json] [--quiet]
                     [--keys <keyfile> [--passphrase-env VAR]] [--checkpoint <file>]
--store <dir> keeps the knowledge, the RAG documents and the signed audit log in one PGlite
database there; with --store memory the audit log is written to the --audit file. Check it with
x0tta6bl4 audit verify <dir-or-file>. One process writes a store at a time. --keys signs the log
with your key file (x0tta6bl4 keys generate); without it the key dies with the run. The run ends
by printing the log's entry count and head (also in the report); --checkpoint saves them to a
file for audit verify --checkpoint. --workers N scores the series in N worker threads (at most
one per core).`;

/** Runs `x0tta6bl4 run` with `argv` (the arguments after `run`); resolves to the exit code. */
export async function runCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      nodes: { type: 'string' },
      hours: { type: 'string' },
      faults: { type: 'string' },
      seed: { type: 'string' },
      store: { type: 'string', default: 'memory' },
      audit: { type: 'string', default: 'audit.json' },
      keys: { type: 'string' },
      'passphrase-env': { type: 'string' },
      checkpoint: { type: 'string' },
      workers: { type: 'string' },
      out: { type: 'string', default: 'report.json' },
      json: { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  let nodes: number, hours: number, faultsPerKind: number, seed: number, workers: number;
  try {
    nodes = intOption('nodes', values.nodes, 50, 5);
    hours = numberOption('hours', values.hours, 24);
    faultsPerKind = intOption('faults', values.faults, 20);
    seed = intOption('seed', values.seed, 1, 0);
    workers = workerCount(intOption('workers', values.workers, 0, 0));
    // The outputs are written at the end: a path that cannot be written must fail now.
    checkOutputFile('--out', values.out!);
    if (values.store === 'memory') checkOutputFile('--audit', values.audit!);
    if (values.checkpoint !== undefined) checkOutputFile('--checkpoint', values.checkpoint);
  } catch (error) {
    if (!(error instanceof ArgumentError)) throw error;
    console.error(`${error.message}\n${USAGE}`);
    return 2;
  }
  const notice = (line: string): void => {
    if (!values.quiet) console.error(`run: ${line}`);
  };
  let session: RunSession;
  try {
    session = await RunSession.open({
      store: values.store!,
      auditFile: values.audit!,
      keyFile: values.keys,
      passphraseEnv: values['passphrase-env'],
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
  const progress = !values.quiet && !values.json && process.stderr.isTTY === true;
  let end: RunEnd = 'failed';
  // Report checkpoints are written one after another, and all before the final report.
  let reportWrites: Promise<void> = Promise.resolve();
  try {
    const parts = await createEngineParts({ detectorWorkers: workers, ragStore: session.ragStore });
    const { report, loop } = await runHealing({
      nodes,
      hours,
      faultsPerKind,
      seed,
      store: session.knowledge,
      audit: session.sink,
      // Incident and action ids under the run's own id: a store's history accumulates across runs.
      ids: new IdSource(session.runId),
      signal: stop.signal,
      ...parts,
      onProgress: (tick, total, l) => {
        const s = l.stats();
        if (progress)
          process.stderr.write(
            `\r  tick ${tick}/${total}  incidents ${s.incidentsOpened}  healed ${s.actionsHealed}  escalated ${s.incidentsEscalated}  ${((performance.now() - started) / 1000).toFixed(1)} s `,
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
    if (progress) process.stderr.write('\n');
    await parts.close();
    end = stop.signal.aborted ? 'interrupted' : 'finished';
    const audit = await session.finish(end);
    const output = {
      ...report,
      status: end,
      runId: session.runId,
      elapsedSeconds: (performance.now() - started) / 1000,
      loop: loop.stats(),
      audit,
    };
    await reportWrites;
    await writeJsonAtomic(values.out!, output);
    if (values.json) console.log(JSON.stringify(output, null, 2));
    else if (!values.quiet) printReport(report, values.out!);
    notice(
      `${end === 'interrupted' ? `interrupted by ${stop.signal.reason}; ` : ''}audit log: ${audit.entries} entries in ${audit.batches} sealed batches, head ${audit.head}`,
    );
    return stop.exitCode();
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

/**
 * Caps the worker count at the cores available: scoring is CPU-bound, so more workers only cost
 * memory (some 7 MB each before any work), and 500 of them took 3.6 GB.
 */
function workerCount(asked: number): number {
  const cores = availableParallelism();
  if (asked <= cores) return asked;
  console.error(`--workers ${asked}: using ${cores}, the number of cores available`);
  return cores;
}

function printReport(report: HealingReport, out: string): void {
  const pct = (x: number) => `${(x * 100).toFixed(0)}%`;
  const ticks = (x: number | null) => (x === null ? '-' : String(x));
  const row = (name: string, r: KindReport) => ({
    kind: name,
    injected: r.injected,
    detected: `${r.detected} (${pct(r.detectionRate)})`,
    'ttd p50': ticks(r.mttdMedian),
    'cause top1': pct(r.rootCauseTop1),
    'cause top3': pct(r.rootCauseTop3),
    'kind right': pct(r.diagnosisAccuracy),
    'runbook right': pct(r.topRunbookRight),
    healed: `${r.healed} (${pct(r.healedRate)})`,
    'ttr p50': ticks(r.mttrMedian),
    'false alarms': r.falseAlarms,
    'on healthy': r.actionsOnHealthy,
  });
  console.log(`\nx0tta6bl4: ${report.nodes} nodes, ${report.hours} h simulated, seed ${report.seed}`);
  console.table([
    ...Object.entries(report.byKind).map(([k, r]) => row(k, r)),
    row('overall', report.overall),
  ]);
  const o = report.overall;
  console.log(
    `actions ${o.actions}, on healthy targets ${pct(o.actionsOnHealthyShare)}, ` +
      `false alarms ${o.falseAlarmsPerHour.toFixed(2)}/h, escalations ${o.escalations}; report written to ${out}`,
  );
}
