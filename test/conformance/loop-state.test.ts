/**
 * A loop's state saved and taken up by another loop (MapeKLoop.save / restore, src/loop/state.ts):
 * the second loop finishes the first one's open incidents under their ids, an action under way
 * included, and a state that does not fit is refused with an error naming the field, changing
 * nothing. Also the rails' own save and restore.
 */
import { describe, expect, it } from 'vitest';
import type { NormalRanges } from '../../src/analyze/analyzer.ts';
import { MeshGraph } from '../../src/analyze/graph.ts';
import { printTarget } from '../../src/domain/targets.ts';
import { ArgumentError, DimensionError } from '../../src/errors.ts';
import type { ActionRequest, ExecutionResult, Executor } from '../../src/execute/executor.ts';
import { SafetyRails } from '../../src/execute/rails.ts';
import { IdSource } from '../../src/knowledge/ids.ts';
import type { BatchScorer } from '../../src/loop/contracts.ts';
import type { LoopEvent } from '../../src/loop/events.ts';
import { type LoopState, MapeKLoop } from '../../src/loop/loop.ts';
import { UtilityPlanner } from '../../src/plan/decision.ts';
import { cpu, zScorer } from './helpers/z-scorer.ts';

const LINE = 6;
const IDS = Array.from({ length: LINE }, (_, i) => `n${i}`);
const RUN_A = '01HF7YAT00AAAAAAAAAAAAAAAA';
const RUN_B = '01HF7YAT00BBBBBBBBBBBBBBBB';

/**
 * Records each call; `answer` says whether apply answers (curing the target when it restarts
 * it) or never does (its answer went to a loop that died).
 */
class World implements Executor {
  readonly hot = new Set<number>();
  readonly applied: string[] = [];
  answer: 'cure' | 'never' = 'cure';
  async dryRun(): Promise<ExecutionResult> {
    return { ok: true };
  }
  apply(request: ActionRequest): Promise<ExecutionResult> {
    this.applied.push(`${request.incidentId} ${request.action}@${printTarget(request.target)}`);
    if (this.answer === 'never') return new Promise(() => {});
    this.hot.delete(Number(request.target.node?.slice(1)));
    return Promise.resolve({ ok: true });
  }
  async rollback(): Promise<ExecutionResult> {
    return { ok: true };
  }
}

/** A loop over the line world (started from `learnt`, if given), its events, and a runner of ticks. */
async function lineLoop(
  executor: Executor,
  learnt: { detector: BatchScorer; normal?: NormalRanges },
  run: string,
  confidence?: number,
) {
  const graph = new MeshGraph(
    IDS,
    IDS.slice(1).map((id, i) => [IDS[i], id] as const),
  );
  const loop = new MapeKLoop({
    graph,
    metrics: [{ name: 'cpu', min: 0, max: 100 }],
    localMetrics: ['cpu'],
    detector: learnt.detector,
    threshold: 0.5,
    planner: await UtilityPlanner.create({ backend: 'ts' }),
    executor,
    diagnoser: {
      diagnose: () => ({
        kind: 'cpu-exhaustion',
        scope: 'node',
        citations: ['test'],
        recommended: [{ action: 'restart-service', support: 1 }],
      }),
    },
    ids: new IdSource(run),
    rails: { cooldown: 0, backoffBase: 0 },
    settleTicks: 1,
    patienceTicks: 3,
    confidence,
  });
  if (learnt.normal) loop.restoreNormalRanges(learnt.normal);
  const events: LoopEvent[] = [];
  for (const type of [
    'incident-opened',
    'action-started',
    'action-result',
    'incident-resolved',
    'escalation',
  ])
    loop.events.addEventListener(type, (e) => events.push((e as unknown as { detail: LoopEvent }).detail));
  const ticks = async (from: number, to: number, hot: ReadonlySet<number>) => {
    for (let t = from; t < to; t++) {
      await loop.tick(t, {
        ts: t,
        columns: { cpu: Float64Array.from(IDS, (_, i) => (hot.has(i) ? 95 : cpu(i, t))) },
      });
      await Promise.resolve();
    }
  };
  return { loop, events, ticks };
}

/**
 * The state of a loop with an incident on n3 open, saved once it is announced or once an action
 * on it started (whose executor never answers), and what the loop learnt apart from it (the
 * detector, the normal ranges), which another loop starts from as an engine does.
 */
async function savedMidIncident(stopAt: 'announced' | 'acting'): Promise<{
  state: LoopState;
  learnt: { detector: BatchScorer; normal: NormalRanges };
  incident: string;
}> {
  const world = new World();
  world.answer = 'never';
  const detector = zScorer(LINE);
  // Announced only: the first loop asks for more confidence than it gets, so it waits to diagnose.
  const a = await lineLoop(world, { detector }, RUN_A, stopAt === 'announced' ? 1.1 : undefined);
  await a.ticks(0, 100, world.hot);
  world.hot.add(3);
  for (let t = 100; t < 130; t++) {
    await a.ticks(t, t + 1, world.hot);
    const opened = a.events.find((e) => e.type === 'incident-opened');
    const acting = a.events.some((e) => e.type === 'action-started');
    if (opened && (stopAt === 'announced' || acting)) {
      const state = JSON.parse(JSON.stringify(a.loop.save())) as LoopState;
      const learnt = { detector, normal: a.loop.normalRanges() };
      return { state, learnt, incident: opened.type === 'incident-opened' ? opened.incident.id : '' };
    }
  }
  throw new Error(`no incident reached ${stopAt}`);
}

describe('a loop state taken up by another loop', () => {
  it('finishes an action under way whose answer was lost: judged from telemetry, the incident resolved under its id', async () => {
    const { state, learnt, incident } = await savedMidIncident('acting');
    expect(state.incidents).toHaveLength(1);
    expect(state.incidents[0]).toMatchObject({ id: incident, progress: 'acting', attempts: 1 });
    expect(state.incidents[0].flight?.result).toBeUndefined();
    // The action took effect in the world; its answer went to the first loop, which died.
    const world = new World();
    const b = await lineLoop(world, learnt, RUN_B);
    b.loop.restore(state);
    expect(b.loop.openIncidents.map((r) => r.id)).toEqual([incident]);
    const last = state.now!;
    await b.ticks(last + 1, last + 40, world.hot);
    expect(world.applied).toEqual([]);
    const result = b.events.find((e) => e.type === 'action-result');
    expect(result?.type === 'action-result' && result.action).toMatchObject({
      id: `${RUN_A}-act-1`,
      incidentId: incident,
      outcome: 'healed',
    });
    const resolved = b.events.find((e) => e.type === 'incident-resolved');
    expect(resolved?.type === 'incident-resolved' && resolved.incident).toMatchObject({
      id: incident,
      status: 'resolved',
    });
    expect(b.events.some((e) => e.type === 'incident-opened')).toBe(false);
    expect(b.loop.stats()).toMatchObject({ incidentsResolved: 1, actionsHealed: 1, incidentsOpened: 0 });
  });

  it('acts on an announced incident it took up, under the incident id, and resolves it', async () => {
    const { state, learnt, incident } = await savedMidIncident('announced');
    expect(state.incidents[0]).toMatchObject({ id: incident, progress: 'announced', attempts: 0 });
    const world = new World();
    world.hot.add(3);
    const b = await lineLoop(world, learnt, RUN_B);
    b.loop.restore(state);
    const last = state.now!;
    await b.ticks(last + 1, last + 40, world.hot);
    expect(world.applied).toEqual([`${incident} restart-service@n3`]);
    const resolved = b.events.find((e) => e.type === 'incident-resolved');
    expect(resolved?.type === 'incident-resolved' && resolved.incident).toMatchObject({
      id: incident,
      status: 'resolved',
    });
  });

  it('saves again what it restored: the state round-trips', async () => {
    const { state, learnt } = await savedMidIncident('acting');
    const b = await lineLoop(new World(), learnt, RUN_B);
    b.loop.restore(state);
    expect(b.loop.save()).toEqual({
      ...state,
      incidents: state.incidents.map((p) => ({
        ...p,
        flight: {
          ...p.flight,
          result: {
            ok: true,
            reason: 'its executor answered the loop that started it; judged from telemetry',
          },
        },
      })),
    });
  });

  it('refuses a state that does not fit, naming the field, and takes nothing of it', async () => {
    const { state, learnt } = await savedMidIncident('acting');
    const refused = async (damage: (s: LoopState) => void, error: typeof ArgumentError, field: RegExp) => {
      const copy = JSON.parse(JSON.stringify(state)) as LoopState;
      damage(copy);
      const b = await lineLoop(new World(), learnt, RUN_B);
      let thrown: unknown;
      try {
        b.loop.restore(copy);
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBeInstanceOf(error);
      expect((thrown as ArgumentError).argument).toMatch(field);
      expect(b.loop.openIncidents).toEqual([]);
      expect(b.loop.save().rails.busyIncidents).toEqual([]);
      // The same loop still takes a good state.
      b.loop.restore(state);
      expect(b.loop.openIncidents).toHaveLength(1);
    };
    await refused((s) => (s.version = 2), ArgumentError, /^state\.version$/);
    await refused((s) => s.analyzer.active.pop(), DimensionError, /^state\.active$/);
    await refused((s) => (s.analyzer.incidents[0].nodes[0].node = LINE), ArgumentError, /nodes\[0\]\.node$/);
    await refused((s) => (s.incidents[0].id = 'other'), ArgumentError, /^state\.incidents/);
    await refused((s) => (s.incidents[0].progress = 'announced'), ArgumentError, /flight$/);
    await refused(
      (s) => (s.incidents[0].flight!.record.target = { node: '' }),
      ArgumentError,
      /record\.target\.node$/,
    );
    await refused(
      (s) => (s.rails.starts = ['x' as unknown as number]),
      ArgumentError,
      /^state\.starts\[0\]$/,
    );
    await refused((s) => (s.routes = [0, 0, 0]), ArgumentError, /^state\.routes$/);
  });

  it('takes a state only before its first tick', async () => {
    const { state, learnt } = await savedMidIncident('acting');
    const b = await lineLoop(new World(), learnt, RUN_B);
    await b.ticks(0, 1, new Set());
    expect(() => b.loop.restore(state)).toThrow(ArgumentError);
  });
});

describe('safety rails saved and restored', () => {
  it('go on with their cooldowns, back-offs, busy incidents and breaker', () => {
    const rails = new SafetyRails({ breakerThreshold: 2, cooldown: 10 });
    rails.started('i1', { node: 'a' }, 0);
    rails.finished('i1', 1, false);
    rails.finished('i2', 2, false);
    rails.started('i3', { node: 'b' }, 3);
    const saved = JSON.parse(JSON.stringify(rails.save()));
    const other = new SafetyRails({ breakerThreshold: 2, cooldown: 10 });
    other.restore(saved);
    expect(other.save()).toEqual(rails.save());
    expect(other.breakerOpen(5)).toBe(true);
    expect(other.check('i3', { node: 'c' }, 100, 1)).toEqual({ allowed: false, reason: 'busy' });
    expect(other.check('i4', { node: 'b' }, 5, 1)).toMatchObject({ allowed: false });
    expect(() => other.restore({ ...saved, consecutiveFailures: -1 })).toThrow(/consecutiveFailures/);
    expect(() => other.restore({ ...saved, targetFreeAt: [[1, 2]] })).toThrow(/targetFreeAt\[0\]/);
    expect(other.save()).toEqual(rails.save());
  });
});
