/**
 * Incident stories for the playground's timeline, told from the loop's typed events as they
 * happen, or read back from the knowledge store's records after a reload (with fewer details:
 * the store keeps incidents and actions, not every anomaly or runner-up plan).
 */
import { printTarget } from '../src/domain/targets.ts';
import type { ActionRecord, CauseCandidate, IncidentRecord } from '../src/knowledge/records.ts';
import type { LoopEvents } from '../src/loop/events.ts';
import type { Story, StoryStep } from './protocol.ts';

/** Ticks without an anomaly after which a node's next anomaly starts a new streak. */
const STREAK_GAP = 10;
/** Runner-up plans shown beside the chosen one. */
const ALTERNATIVES = 3;

/** The short form of an incident id: `inc-<n>` without the run prefix. */
export function incidentLabel(id: string): string {
  const at = id.lastIndexOf('inc-');
  return at >= 0 ? id.slice(at) : id;
}

/** Confidence in the top root cause: its score, or the whole cut's for a partition. */
export function confidenceOf(causes: readonly CauseCandidate[]): number {
  const top = causes[0];
  if (!top) return 0;
  return top.cut ? causes.filter((c) => c.cut).reduce((sum, c) => sum + c.score, 0) : top.score;
}

/** A story from stored records: opened, diagnosed, each action and its verdict, the end. */
export function storyFromRecords(incident: IncidentRecord, actions: readonly ActionRecord[]): Story {
  const steps: StoryStep[] = [{ step: 'opened', ts: incident.openedAt, nodes: incident.nodes }];
  const first = actions[0]?.startedAt ?? incident.closedAt ?? incident.openedAt;
  if (incident.rootCauses.length > 0)
    steps.push(rootCauseStep(first, incident.rootCauses), {
      step: 'diagnosis',
      ts: first,
      kind: incident.diagnosedKind,
      citations: incident.citations,
    });
  for (const a of actions) {
    const target = printTarget(a.target);
    steps.push(
      {
        step: 'plan',
        ts: a.startedAt,
        action: a.action,
        target,
        score: a.score,
        explanation: a.explanation,
        alternatives: [],
      },
      { step: 'action', ts: a.startedAt, id: a.id, action: a.action, target },
    );
    if (a.outcome !== 'pending')
      steps.push({
        step: 'verification',
        ts: a.finishedAt ?? a.startedAt,
        id: a.id,
        action: a.action,
        outcome: a.outcome,
      });
  }
  if (incident.status === 'resolved') steps.push({ step: 'resolved', ts: incident.closedAt ?? first });
  if (incident.status === 'escalated') steps.push({ step: 'escalated', ts: incident.closedAt ?? first });
  return {
    id: incident.id,
    label: incidentLabel(incident.id),
    status: incident.status,
    openedAt: incident.openedAt,
    ...(incident.closedAt !== undefined ? { closedAt: incident.closedAt } : {}),
    nodes: incident.nodes,
    steps,
    past: true,
  };
}

function rootCauseStep(ts: number, causes: readonly CauseCandidate[]): StoryStep {
  return {
    step: 'root-cause',
    ts,
    causes: causes.slice(0, 3).map((c) => ({ target: printTarget(c.target), score: c.score })),
    confidence: confidenceOf(causes),
  };
}

/** Listens to a loop's events and keeps each incident's story, in the order things happened. */
export class StoryTeller {
  /** Bumped on every change, so a reader asks again only when something happened. */
  version = 0;
  readonly #stories = new Map<string, Story>();
  /** Per node: the start of its current run of anomalies. */
  readonly #streaks = new Map<string, { ts: number; last: number; score: number; metrics: string[] }>();

  constructor(events: LoopEvents) {
    events.on('anomaly', ({ ts, node, score, metrics }) => {
      const streak = this.#streaks.get(node);
      if (streak && ts - streak.last <= STREAK_GAP) streak.last = ts;
      else this.#streaks.set(node, { ts, last: ts, score, metrics });
    });
    events.on('incident-opened', ({ ts, incident }) => {
      const first = incident.nodes
        .map((node) => ({ node, streak: this.#streaks.get(node) }))
        .filter((s) => s.streak && ts - s.streak.last <= STREAK_GAP)
        .sort((a, b) => a.streak!.ts - b.streak!.ts)[0];
      const steps: StoryStep[] = [];
      if (first)
        steps.push({
          step: 'anomaly',
          ts: first.streak!.ts,
          node: first.node,
          score: first.streak!.score,
          metrics: first.streak!.metrics,
        });
      steps.push({ step: 'opened', ts, nodes: incident.nodes });
      this.#stories.set(incident.id, {
        id: incident.id,
        label: incidentLabel(incident.id),
        status: 'open',
        openedAt: ts,
        nodes: incident.nodes,
        steps,
      });
      this.version++;
    });
    events.on('diagnosis', ({ ts, incident }) =>
      this.#add(incident.id, rootCauseStep(ts, incident.rootCauses), {
        step: 'diagnosis',
        ts,
        kind: incident.diagnosedKind,
        citations: incident.citations,
      }),
    );
    events.on('plan', ({ ts, plan }) => {
      const chosen = plan.chosen;
      if (!chosen) return;
      const alternatives = plan.candidates
        .filter((c) => c !== chosen && c.excluded === undefined)
        .sort((a, b) => b.score - a.score)
        .slice(0, ALTERNATIVES)
        .map((c) => ({ action: c.action, target: printTarget(c.target), score: c.score }));
      this.#add(plan.incidentId, {
        step: 'plan',
        ts,
        action: chosen.action,
        target: printTarget(chosen.target),
        score: chosen.score,
        explanation: chosen.explanation,
        alternatives,
      });
    });
    events.on('action-started', ({ ts, action }) =>
      this.#add(action.incidentId, {
        step: 'action',
        ts,
        id: action.id,
        action: action.action,
        target: printTarget(action.target),
      }),
    );
    events.on('action-result', ({ ts, action }) =>
      this.#add(action.incidentId, {
        step: 'verification',
        ts,
        id: action.id,
        action: action.action,
        outcome: action.outcome,
      }),
    );
    events.on('rollback', ({ ts, action, result }) =>
      this.#add(action.incidentId, {
        step: 'rollback',
        ts,
        id: action.id,
        ok: result.ok,
        ...(result.reason !== undefined ? { reason: result.reason } : {}),
      }),
    );
    events.on('escalation', ({ ts, incident, reason }) => {
      const story = this.#stories.get(incident.id);
      if (story) story.status = 'escalated';
      this.#add(incident.id, { step: 'escalated', ts, reason });
    });
    events.on('incident-resolved', ({ ts, incident }) => {
      const story = this.#stories.get(incident.id);
      if (!story) return;
      story.closedAt = ts;
      story.nodes = incident.nodes;
      if (incident.status === 'resolved') {
        story.status = 'resolved';
        this.#add(incident.id, { step: 'resolved', ts });
      } else this.version++;
    });
  }

  /** The stories, newest first, at most `limit`. */
  stories(limit: number): Story[] {
    return [...this.#stories.values()].reverse().slice(0, limit);
  }

  /** The story of incident `id`, if this session told it. */
  story(id: string): Story | undefined {
    return this.#stories.get(id);
  }

  #add(id: string, ...steps: StoryStep[]): void {
    const story = this.#stories.get(id);
    if (!story) return;
    story.steps.push(...steps);
    this.version++;
  }
}
