/**
 * Why the engine acts on healthy targets in the messy world (issue 17 §3): runs the messy-world
 * benchmark's mesh (bench/messy.bench.ts) for one seed and topology, and classifies each action
 * whose target was not the root cause of a fault active when it started (the evaluator's
 * definition) from the run's own events and the ground truth:
 * - 'no fault near': no active fault within NEAR hops of the target (a false alarm acted on;
 *   `endedNear` lists the faults that ended nearby shortly before: a fault's end moves traffic);
 * - 'partition near': the nearest active fault is a partition (its cut blamed on other links);
 * - 'link fault, node blamed': a link fault at the target node (the node taken for the cause);
 * - 'tie': the incident's first two causes were equally likely and the planner took the wrong one;
 * - 'fault next door': the nearest active fault is at another node or link, the target its neighbour.
 * A `retry` is a further action on the target of the incident's previous action (it did not heal).
 * Each row carries what the analyzer blamed (its ranking at the last diagnosis before the action)
 * and the planner's best candidates and explanation, i.e. which features chose it.
 *
 *   npx tsx bench/messy-classify.ts --seed 1 --topology geometric [--out rows.json]
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { type Target, targetKey } from '../src/domain/targets.ts';
import type { CauseCandidate } from '../src/knowledge/records.ts';
import type { Candidate } from '../src/plan/decision.ts';
import { createEngineParts } from '../src/run/defaults.ts';
import { runHealing } from '../src/run/healing-run.ts';
import type { FaultRecord, Topology, TopologyKind } from '../src/sim/index.ts';
import { MESSY_HOURS, MESSY_NODES, MESSY_WORLD } from './messy.bench.ts';

/** Hops within which an active fault counts as near an action's target. */
const NEAR = 3;
/** Ticks before an action within which a fault that ended nearby is listed. */
const ENDED_WITHIN = 300;

/** One action on a healthy target, with what led to it. */
export interface HealthyAction {
  /** Tick the action started. */
  ts: number;
  /** The action and its target. */
  action: string;
  target: string;
  /** Why, in the classes of the module comment. */
  category: 'no fault near' | 'partition near' | 'link fault, node blamed' | 'tie' | 'fault next door';
  /** A further action on the target of the incident's previous action. */
  retry: boolean;
  /** The incident: its nodes and metrics, the diagnosed kind and the ranked causes. */
  incident: string;
  nodes: number;
  metrics: string[];
  kind?: string;
  causes: string[];
  /** The planner's best candidates (score or exclusion) and the chosen one's explanation. */
  candidates: string[];
  explanation: string;
  /** The nearest active faults: kind, target, hops from the action's target. */
  nearest: string[];
  /** Faults that ended within ENDED_WITHIN ticks before, within NEAR hops. */
  endedNear: string[];
}

/** What the incident's last diagnosis said. */
interface Diagnosed {
  nodes: number;
  metrics: string[];
  kind?: string;
  causes: CauseCandidate[];
}

/** Runs the messy world for `seed` on `topology` and classifies its actions on healthy targets. */
export async function classifyHealthyActions(
  seed: number,
  topology: TopologyKind,
): Promise<{ actions: number; rows: HealthyAction[] }> {
  const parts = await createEngineParts();
  const diagnosed = new Map<string, Diagnosed>();
  const planned = new Map<string, Candidate[]>();
  const started: Array<{
    ts: number;
    id: string;
    action: string;
    target: Target;
    incidentId: string;
    explanation: string;
  }> = [];
  const context = new Map<string, { diagnosis?: Diagnosed; plan?: Candidate[] }>();
  let listening = false;
  const {
    report,
    groundTruth,
    topology: mesh,
  } = await runHealing({
    nodes: MESSY_NODES,
    hours: MESSY_HOURS,
    seed,
    topology,
    world: MESSY_WORLD,
    ...parts,
    // Listen from the first tick (the warm-up has no faults, so nothing is missed before it).
    progressEvery: 1,
    onProgress: (_tick, _total, loop) => {
      if (listening) return;
      listening = true;
      loop.on('diagnosis', ({ incident }) =>
        diagnosed.set(incident.id, {
          nodes: incident.nodes.length,
          metrics: incident.metrics,
          kind: incident.diagnosedKind,
          causes: incident.rootCauses,
        }),
      );
      loop.on('plan', ({ plan }) => planned.set(plan.incidentId, plan.candidates));
      loop.on('action-started', ({ ts, action }) => {
        started.push({ ts, ...action });
        context.set(action.id, {
          diagnosis: diagnosed.get(action.incidentId),
          plan: planned.get(action.incidentId),
        });
      });
    },
  });
  await parts.close();
  const rows: HealthyAction[] = [];
  const lastTarget = new Map<string, string>();
  for (const a of started) {
    const key = targetKey(a.target);
    const retry = lastTarget.get(a.incidentId) === key;
    lastTarget.set(a.incidentId, key);
    if (isRootCauseAt(groundTruth, a.target, a.ts)) continue;
    const hops = hopsFrom(mesh, a.target);
    const distance = (t: Target) => Math.min(...endsOf(t).map((id) => hops[mesh.nodeIndex(id)]));
    const active = groundTruth
      .filter((f) => f.start <= a.ts && a.ts < f.end)
      .map((f) => ({ f, hops: distance(f.target) }))
      .sort((x, y) => x.hops - y.hops);
    const near = active.filter((x) => x.hops <= NEAR);
    const { diagnosis, plan } = context.get(a.id) ?? {};
    const causes = diagnosis?.causes ?? [];
    rows.push({
      ts: a.ts,
      action: a.action,
      target: key,
      category: categorize(a.target, near, causes),
      retry,
      incident: a.incidentId,
      nodes: diagnosis?.nodes ?? 0,
      metrics: diagnosis?.metrics ?? [],
      ...(diagnosis?.kind ? { kind: diagnosis.kind } : {}),
      causes: causes.slice(0, 4).map((c) => `${targetKey(c.target)} ${c.score.toFixed(2)}`),
      candidates: (plan ?? [])
        .slice(0, 4)
        .map((c) => `${c.action}@${targetKey(c.target)} ${c.excluded ?? c.score.toFixed(2)}`),
      explanation: a.explanation,
      nearest: active.slice(0, 3).map(({ f, hops }) => `${f.kind} at ${targetKey(f.target)}, ${hops} hops`),
      endedNear: groundTruth
        .filter((f) => f.end <= a.ts && f.end > a.ts - ENDED_WITHIN && distance(f.target) <= NEAR)
        .map((f) => `${f.kind} at ${targetKey(f.target)} ended ${a.ts - f.end} ticks before`),
    });
  }
  return { actions: report.overall.actions, rows };
}

function categorize(
  target: Target,
  near: ReadonlyArray<{ f: FaultRecord; hops: number }>,
  causes: readonly CauseCandidate[],
): HealthyAction['category'] {
  if (near.length === 0) return 'no fault near';
  const { f, hops } = near[0];
  if (f.kind === 'partition') return 'partition near';
  if (f.target.link !== undefined && hops === 0 && target.node !== undefined)
    return 'link fault, node blamed';
  if (causes.length > 1 && causes[0].score.toFixed(2) === causes[1].score.toFixed(2)) return 'tie';
  return 'fault next door';
}

/** Whether `target` was the root cause (target, or a link of a partition's cut) of a fault active at `ts`. */
function isRootCauseAt(faults: readonly FaultRecord[], target: Target, ts: number): boolean {
  const key = targetKey(target);
  return faults.some(
    (f) =>
      f.start <= ts && ts < f.end && (targetKey(f.target) === key || f.cut.some((c) => targetKey(c) === key)),
  );
}

function endsOf(target: Target): readonly string[] {
  return target.node !== undefined ? [target.node] : target.link;
}

/** Hops from the nearest end of `target` to every node. */
function hopsFrom(mesh: Topology, target: Target): Int32Array {
  const hops = new Int32Array(mesh.nodeIds.length).fill(-1);
  const queue = endsOf(target).map((id) => mesh.nodeIndex(id));
  for (const i of queue) hops[i] = 0;
  for (let k = 0; k < queue.length; k++)
    for (const n of mesh.neighbors(queue[k]))
      if (hops[n] < 0) {
        hops[n] = hops[queue[k]] + 1;
        queue.push(n);
      }
  return hops;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      seed: { type: 'string', default: '1' },
      topology: { type: 'string', default: 'geometric' },
      out: { type: 'string' },
    },
  });
  const { actions, rows } = await classifyHealthyActions(
    Number(values.seed),
    values.topology as TopologyKind,
  );
  const counts = new Map<string, number>();
  for (const r of rows) {
    const key = `${r.category}${r.retry ? ' (retry)' : ''}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  console.log(
    `${rows.length} of ${actions} actions on healthy targets (seed ${values.seed}, ${values.topology})`,
  );
  for (const [key, n] of [...counts].sort((a, b) => b[1] - a[1]))
    console.log(`  ${String(n).padStart(3)}  ${key}`);
  if (values.out) writeFileSync(values.out, `${JSON.stringify(rows, null, 1)}\n`);
}
