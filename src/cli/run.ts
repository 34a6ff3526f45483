/**
 * `x0tta6bl4 run`: the main job. Heals a simulated mesh for a simulated day under a seeded fault
 * schedule and prints, per fault kind, how well it detected, diagnosed and healed.
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { ArgumentError } from '../errors.ts';
import type { KnowledgeStore } from '../knowledge/store.ts';
import type { AuditLogSink } from '../loop/audit-sink.ts';
import type { RagStore } from '../rag/store.ts';
import { createEngineParts } from '../run/defaults.ts';
import type { HealingReport, KindReport } from '../run/evaluate.ts';
import { runHealing } from '../run/healing-run.ts';
import { checkOutputFile, intOption, numberOption } from './args.ts';

const USAGE = `usage: x0tta6bl4 run [--nodes 50] [--hours 24] [--faults 20] [--seed 1] [--workers 0]
                     [--store memory|<dir>] [--audit audit.json] [--out report.json] [--json] [--quiet]
--store <dir> keeps the knowledge, the RAG documents and the signed audit log in one PGlite
database there; with --store memory the audit log is written to the --audit file. Check it with
x0tta6bl4 audit verify <dir-or-file>. --workers N scores the series in N worker threads (at most
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
  } catch (error) {
    if (!(error instanceof ArgumentError)) throw error;
    console.error(`${error.message}\n${USAGE}`);
    return 2;
  }
  const store = await openStore(values.store!);
  const audit = await openAudit(store, values.audit!);
  const parts = await createEngineParts({ detectorWorkers: workers, ragStore: await ragStoreOf(store) });
  const started = performance.now();
  const progress = !values.quiet && !values.json && process.stderr.isTTY === true;

  const { report, loop } = await runHealing({
    nodes,
    hours,
    faultsPerKind,
    seed,
    store,
    audit: audit.sink,
    ...parts,
    onProgress: progress
      ? (tick, total, l) => {
          const s = l.stats();
          process.stderr.write(
            `\r  tick ${tick}/${total}  incidents ${s.incidentsOpened}  healed ${s.actionsHealed}  escalated ${s.incidentsEscalated}  ${((performance.now() - started) / 1000).toFixed(1)} s `,
          );
        }
      : undefined,
  });
  if (progress) process.stderr.write('\n');
  await parts.close();
  await audit.close();
  await store.close();

  const output = { ...report, elapsedSeconds: (performance.now() - started) / 1000, loop: loop.stats() };
  writeFileSync(values.out!, `${JSON.stringify(output, null, 2)}\n`);
  if (values.json) console.log(JSON.stringify(output, null, 2));
  else if (!values.quiet) printReport(report, values.out!);
  return 0;
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

async function openStore(spec: string): Promise<KnowledgeStore> {
  if (spec === 'memory') return new (await import('../knowledge/memory-store.ts')).MemoryStore();
  return (await import('../knowledge/pglite-store.ts')).PGliteStore.open(spec);
}

/** The RAG documents live in the knowledge database when that is PGlite; else in memory. */
async function ragStoreOf(store: KnowledgeStore): Promise<RagStore | undefined> {
  const { PGliteStore } = await import('../knowledge/pglite-store.ts');
  if (!(store instanceof PGliteStore)) return undefined;
  const { PGliteRagStore } = await import('../knowledge/pglite-rag-store.ts');
  return PGliteRagStore.fromDatabase(store.database);
}

/**
 * The signed audit log of the run, under a fresh engine identity: in the knowledge database
 * (with the public keys) when that is PGlite, else kept in memory and saved to `file` at close.
 */
async function openAudit(
  store: KnowledgeStore,
  file: string,
): Promise<{ sink: AuditLogSink; close(): Promise<void> }> {
  const [{ NodeKeys }, { AuditLog }, { AuditLogSink }, { PGliteStore }] = await Promise.all([
    import('../security/keys.ts'),
    import('../security/audit-log.ts'),
    import('../loop/audit-sink.ts'),
    import('../knowledge/pglite-store.ts'),
  ]);
  const keys = NodeKeys.generate({ owner: 'engine' });
  if (store instanceof PGliteStore) {
    const { PGliteAuditStore } = await import('../knowledge/pglite-audit-store.ts');
    const auditStore = await PGliteAuditStore.fromDatabase(store.database);
    await auditStore.putKeys(keys.ring());
    const sink = new AuditLogSink(await AuditLog.open(auditStore, keys));
    return { sink, close: () => sink.close() };
  }
  const [{ MemoryAuditStore }, { saveAuditFile }] = await Promise.all([
    import('../security/audit-store.ts'),
    import('./audit.ts'),
  ]);
  const auditStore = new MemoryAuditStore();
  const sink = new AuditLogSink(await AuditLog.open(auditStore, keys));
  return {
    sink,
    async close() {
      await sink.close();
      await saveAuditFile(file, auditStore, keys.ring());
    },
  };
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
