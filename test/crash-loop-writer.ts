/**
 * The process test/security-crash.test.ts kills mid-action: the MAPE-K loop over a line of nodes
 * whose cpu faults come and go, writing to a store directory through a RunSession (knowledge,
 * signed audit log, run record) as `x0tta6bl4 run --store` does. Its executor appends `apply <id>`
 * or `rollback <id>` to a marker file, synchronously, as each call is made, and kills its own
 * process (SIGKILL) right after writing the marker of call number `killAt`: the moment an executor
 * is called is the moment the action's intent must already be durable in the log.
 *
 * Usage: node --import tsx test/crash-loop-writer.ts <store-dir> <marker-file> <kill-at-call>
 */
import { appendFileSync } from 'node:fs';
import process from 'node:process';
import { MeshGraph } from '../src/analyze/graph.ts';
import { RunSession } from '../src/cli/run-session.ts';
import type { ActionRequest, Executor } from '../src/execute/executor.ts';
import { IdSource } from '../src/knowledge/ids.ts';
import type { BatchScorer } from '../src/loop/contracts.ts';
import { MapeKLoop } from '../src/loop/loop.ts';
import { UtilityPlanner } from '../src/plan/decision.ts';

const [store, markers, killAtArgument] = process.argv.slice(2);
const killAt = Number(killAtArgument);
if (!store || !markers || !Number.isInteger(killAt) || killAt < 1)
  throw new Error('usage: crash-loop-writer.ts <store-dir> <marker-file> <kill-at-call (>= 1)>');

const NODES = Array.from({ length: 12 }, (_, i) => `n${i}`);
/** A fault every 25 ticks from tick 30, each on the next node, hot for 15 ticks. */
const hotNode = (tick: number) =>
  tick >= 30 && (tick - 30) % 25 < 15 ? Math.floor((tick - 30) / 25) % NODES.length : -1;

let calls = 0;
/** Writes the call's marker to disk before anything else, and dies on call number `killAt`. */
function called(kind: 'apply' | 'rollback', request: ActionRequest): void {
  appendFileSync(markers, `${kind} ${request.id}\n`);
  if (++calls === killAt) process.kill(process.pid, 'SIGKILL');
}

/** Acts without curing anything, so each action is rolled back: two executor calls per fault. */
const executor: Executor = {
  async dryRun() {
    return { ok: true };
  },
  async apply(request) {
    called('apply', request);
    return { ok: true };
  },
  async rollback(request) {
    called('rollback', request);
    return { ok: true };
  },
};

/** Scores a series 1 while its cpu is far above the steady level. */
const detector: BatchScorer = {
  size: NODES.length,
  update(_ts, values, scores) {
    for (let i = 0; i < values.length; i++) scores[i] = values[i] > 50 ? 1 : 0;
  },
};

const session = await RunSession.open({ store, auditFile: '', notice: () => {} });
const loop = new MapeKLoop({
  graph: new MeshGraph(
    NODES,
    NODES.slice(1).map((id, i) => [NODES[i], id] as const),
  ),
  metrics: [{ name: 'cpu', min: 0, max: 100 }],
  localMetrics: ['cpu'],
  detector,
  threshold: 0.5,
  planner: await UtilityPlanner.create({
    backend: 'ts',
    actions: [{ name: 'restart-service', scope: 'node', cost: 0.2, risk: 0.1, duration: 1 }],
  }),
  executor,
  store: session.knowledge,
  audit: session.sink,
  ids: new IdSource(session.runId),
  rails: { cooldown: 0, backoffBase: 0 },
  settleTicks: 1,
  patienceTicks: 3,
  maxAttempts: 1,
});
for (let tick = 0; ; tick++) {
  const cpu = Float64Array.from(NODES, (_, i) =>
    i === hotNode(tick) ? 95 : 20 + ((tick * 7 + i * 3) % 5) * 0.5,
  );
  await loop.tick(tick, { ts: tick, columns: { cpu } });
}
