/**
 * Scores a run against the simulator's ground truth, from the loop's events alone: what the
 * engine saw, when, what it blamed and what it touched; per fault (`faultOutcomes`, which the
 * playground shows live) and summed per kind (`report`).
 *
 * Definitions (times in ticks):
 * - detected: an incident opened during the fault (or up to `lateTicks` after it ended) whose
 *   nodes include a node the fault perturbed; time to detect = its opening tick - fault start.
 * - root cause top-1/top-3: the fault's root cause (its target node or link, or any link of a
 *   partition's cut) is first / in the first three of that incident's ranking at its first
 *   diagnosis.
 * - diagnosis accuracy: among detected faults whose incident was diagnosed, the share whose
 *   incident's first diagnosis named the fault's kind; top runbook right: the share whose first
 *   diagnosis cited first a runbook about the fault's kind (when the runbooks' kinds are known).
 * - healed: an action of the engine's ended the fault; time to recover = the tick the healing
 *   action completed - the tick the fault was detected.
 * - false alarm: an incident none of whose nodes any fault perturbed while it was open.
 * - action on a healthy target: an action whose target was not the root cause of a fault
 *   active when it started.
 *
 * When faults overlap (src/sim/arrivals.ts):
 * - a cascade's root cause is its first fault's: a fault another set off (`FaultRecord.cause`)
 *   is matched to the incident that detected its first fault, if one did, and is detected when
 *   that incident is (time to detect 0 if it opened before the later fault began).
 * - an incident matched by faults with different root causes (it merged them) counts for each
 *   only if that fault's root cause is in its ranking: a fault whose cause it does not name is
 *   not detected. Their ranks are counted among the other faults' causes: with two faults, the
 *   causes ranked first and second are both top-1.
 * - action against a planned change: an action on a node a planned change worked on (or a link
 *   touching one) while it was under way or within CHANGE_GRACE_TICKS after, that was not also
 *   the root cause of an active fault.
 */
import type { ActionRecord } from '../knowledge/records.ts';
import type { LoopEvents } from '../loop/events.ts';
import { type LinkTarget, type Target, targetKey } from '../domain/targets.ts';
import { CHANGE_GRACE_TICKS } from '../loop/loop.ts';
import type { FaultRecord, PlannedChangeRecord, SimFaultKind, TruthSnapshot } from '../sim/index.ts';

/**
 * Where the ground truth comes from: the simulator of a live run (a MeshSimulator is one), or a
 * run's recorded truth when its exported telemetry is replayed (src/run/truth-file.ts).
 */
export interface GroundTruthSource {
  /** The mesh the faults struck: its size and how ids map to node and link indices. */
  readonly topology: {
    readonly nodeCount: number;
    nodeIndex(id: string): number;
    linkIndex(ends: LinkTarget['link']): number;
  };
  /** Ticks run so far. */
  readonly now: number;
  /** Every fault injected, as of now. */
  groundTruth(): FaultRecord[];
  /** The healing actions' tickets, indexed by the id a fault's `healedBy` names. */
  actions(): ReadonlyArray<{ readonly completes: number; readonly action: { readonly kind: string } }>;
  /** Which nodes and links were the root cause of a fault active at `tick`. */
  truthAt(tick: number): Pick<TruthSnapshot, 'faultyNodes' | 'faultyLinks'>;
  /** The planned changes of the run (none when absent). */
  plannedChanges?(): readonly PlannedChangeRecord[];
}

/** Per fault kind, and overall. */
export interface KindReport {
  /** Faults injected. */
  injected: number;
  /** Faults detected (see the module comment). */
  detected: number;
  /** detected / injected. */
  detectionRate: number;
  /** null;|Median time to detect, ticks; null when none was detected. */
  mttdMedian: number | null;
  /** Share of detected faults whose root cause was ranked first. */
  rootCauseTop1: number;
  /** Share of detected faults whose root cause was in the first three. */
  rootCauseTop3: number;
  /** Detected faults whose incident was diagnosed. */
  diagnosed: number;
  /** Share of `diagnosed` whose first diagnosis named the right fault kind. */
  diagnosisAccuracy: number;
  /** Share of `diagnosed` whose first diagnosis cited first a runbook about the right kind. */
  topRunbookRight: number;
  /** Faults an action of the engine's ended. */
  healed: number;
  /** healed / injected. */
  healedRate: number;
  /** null;|Median time to recover, ticks; null when none was healed. */
  mttrMedian: number | null;
  /** Incidents no fault explains (counted overall only; 0 per kind). */
  falseAlarms: number;
  /** Actions on a target that was not the root cause of an active fault. */
  actionsOnHealthy: number;
}

/** What `x0tta6bl4 run` writes to report.json: the run's figures overall and per fault kind. */
export interface HealingReport {
  /** The run's seed. */
  seed: number;
  /** Mesh size. */
  nodes: number;
  /** Simulated hours. */
  hours: number;
  /** Ticks run. */
  ticks: number;
  /** Every fault together, with the action, false alarm and escalation figures. */
  overall: KindReport & {
    actions: number;
    falseAlarmsPerHour: number;
    actionsOnHealthyShare: number;
    escalations: number;
    /** Actions on a node under a planned change (see the definitions above). */
    actionsOnPlannedChanges: number;
  };
  /** Figures per fault kind. */
  byKind: Record<string, KindReport>;
  /** Diagnoses' cited runbooks for the first incidents, to show what the diagnosis relied on. */
  citations: Array<{ incident: string; kind?: string; citations: string[] }>;
  /** One row per injected fault (kind, target, times, root-cause rank, actions), to plot the run by. */
  faults: FaultOutcome[];
}

/** What became of one injected fault: its ground truth beside what the engine saw and did about it. */
export interface FaultOutcome {
  /** The simulator's fault id. */
  id: number;
  /** The kind of fault injected. */
  kind: SimFaultKind;
  /** The root cause the fault was injected at. */
  target: Target;
  /** Tick the fault began. */
  injectedAt: number;
  /** First tick without the fault (healed or cleared by itself); null while it lasts. */
  endedAt: number | null;
  /** The incident that detected it (see the definitions above), if one did. */
  incident?: string;
  /** Tick that incident opened. */
  detectedAt?: number;
  /** Tick of that incident's first diagnosis. */
  diagnosedAt?: number;
  /** Ranked root causes of that first diagnosis, best first (at most five). */
  rootCauses: Target[];
  /** 1-based rank of the fault's root cause (any link of a partition's cut) in them; null when absent. */
  rootCauseRank: number | null;
  /** Fault kind the first diagnosis named. */
  diagnosedKind?: string;
  /** Runbooks and past incidents the first diagnosis cited, best first. */
  citations: string[];
  /** The engine's actions on that incident, in order. */
  actions: Array<{ id: string; action: string; target: Target; startedAt: number; outcome: string }>;
  /** Tick the action that ended the fault completed, if one did. */
  healedAt?: number;
  /** That action's kind. */
  healedBy?: string;
}

interface SeenIncident {
  id: string;
  openedAt: number;
  closedAt?: number;
  nodes: Set<string>;
  diagnosedAt?: number;
  /** The ranked root causes of the first diagnosis. */
  rootCauses?: Target[];
  kind?: string;
  citations: string[];
  actions: FaultOutcome['actions'];
}

interface SeenAction {
  target: Target;
  startedAt: number;
  healthyTarget: boolean;
  /** On a target a planned change worked on, and not the root cause of an active fault. */
  againstPlannedChange: boolean;
}

/** Collects events during a run; `report()` compares them with the ground truth. */
export class Evaluator {
  readonly #incidents = new Map<string, SeenIncident>();
  readonly #actions: SeenAction[] = [];
  #escalations = 0;

  /**
   * An evaluator following `events` of a run whose ground truth `source` holds (a live run's
   * simulator, or a replayed run's recorded truth), which it scores them against.
   * @param runbookFaults the fault kinds a cited runbook is about (undefined for other citations,
   *   such as past incidents)
   */
  constructor(
    private readonly source: GroundTruthSource,
    events: LoopEvents,
    private readonly runbookFaults: (id: string) => readonly string[] | undefined = () => undefined,
    private readonly lateTicks = 5,
  ) {
    events.addEventListener('incident-opened', (e) => {
      const { incident, ts } = (
        e as unknown as { detail: { incident: { id: string; nodes: string[] }; ts: number } }
      ).detail;
      this.#incidents.set(incident.id, {
        id: incident.id,
        openedAt: ts,
        nodes: new Set(incident.nodes),
        citations: [],
        actions: [],
      });
    });
    const update = (e: Event) => {
      const { incident, ts } = (
        e as unknown as {
          detail: {
            ts: number;
            incident: {
              id: string;
              nodes: string[];
              rootCauses: Array<{ target: Target }>;
              diagnosedKind?: string;
              citations: string[];
              closedAt?: number;
            };
          };
        }
      ).detail;
      const seen = this.#incidents.get(incident.id);
      if (!seen) return;
      for (const n of incident.nodes) seen.nodes.add(n);
      if (e.type === 'diagnosis' && !seen.rootCauses) {
        seen.diagnosedAt = ts;
        seen.rootCauses = incident.rootCauses.map((c) => c.target);
        seen.kind = incident.diagnosedKind;
        seen.citations = incident.citations;
      }
      if (incident.closedAt !== undefined) seen.closedAt = incident.closedAt;
    };
    events.addEventListener('diagnosis', update);
    events.addEventListener('incident-resolved', update);
    events.addEventListener('escalation', () => this.#escalations++);
    const outcome = (e: Event) => {
      const { action } = (e as unknown as { detail: { action: ActionRecord } }).detail;
      const seen = this.#incidents.get(action.incidentId)?.actions.find((a) => a.id === action.id);
      if (seen) seen.outcome = action.outcome;
    };
    events.addEventListener('action-result', outcome);
    events.addEventListener('rollback', outcome);
    events.addEventListener('action-started', (e) => {
      const { action, ts } = (e as unknown as { detail: { action: ActionRecord; ts: number } }).detail;
      this.#incidents.get(action.incidentId)?.actions.push({
        id: action.id,
        action: action.action,
        target: action.target,
        startedAt: ts,
        outcome: action.outcome,
      });
      const truth = this.source.truthAt(ts);
      const topo = this.source.topology;
      const healthy =
        action.target.node !== undefined
          ? !truth.faultyNodes[topo.nodeIndex(action.target.node)]
          : !truth.faultyLinks[topo.linkIndex(action.target.link)];
      this.#actions.push({
        target: action.target,
        startedAt: ts,
        healthyTarget: healthy,
        againstPlannedChange: healthy && this.#underPlannedChange(action.target, ts),
      });
    });
  }

  /** Whether `target` is a node of a planned change (or a link touching one) at `ts`, grace included. */
  #underPlannedChange(target: Target, ts: number): boolean {
    const changes = this.source.plannedChanges?.() ?? [];
    const ends = target.node !== undefined ? [target.node] : target.link;
    return changes.some(
      (c) => c.start <= ts && ts < c.end + CHANGE_GRACE_TICKS && ends.some((id) => c.nodes.includes(id)),
    );
  }

  /** Every fault injected so far, as of now, with what the engine did about it (see the definitions above). */
  faultOutcomes(): FaultOutcome[] {
    const incidents = [...this.#incidents.values()];
    const tickets = this.source.actions();
    const faults = this.source.groundTruth();
    const byId = new Map(faults.map((f) => [f.id, f]));
    // A cascade's root cause is its first fault's.
    const first = (fault: FaultRecord): FaultRecord => {
      let f = fault;
      while (f.cause !== undefined && byId.has(f.cause)) f = byId.get(f.cause)!;
      return f;
    };
    const causeKeys = (fault: FaultRecord): Set<string> => {
      const root = first(fault);
      return new Set((root.cut.length ? root.cut : [root.target]).map(targetKey));
    };
    const matches = new Map<number, SeenIncident | undefined>();
    for (const fault of faults) {
      const root = first(fault);
      const inherited = root === fault ? undefined : matches.get(root.id);
      matches.set(fault.id, inherited ?? this.#detecting(fault, incidents));
    }
    // The causes each incident was matched to, to tell a merged incident's faults apart.
    const causesOf = new Map<SeenIncident, Set<string>>();
    for (const fault of faults) {
      const match = matches.get(fault.id);
      if (!match) continue;
      const keys = causesOf.get(match) ?? new Set<string>();
      keys.add([...causeKeys(fault)].sort().join('|'));
      causesOf.set(match, keys);
    }
    return faults.map((fault) => {
      const cause = causeKeys(fault);
      const own = [...cause].sort().join('|');
      // The cause's rank in an incident's ranking, counted among the causes of the other faults
      // it was matched to (-1 if absent); whether it was matched to others.
      const rankIn = (incident: SeenIncident | undefined): { rank: number; shared: boolean } => {
        const ranking = incident?.rootCauses ?? [];
        const rank = ranking.findIndex((c) => cause.has(targetKey(c)));
        const others = [...(incident ? (causesOf.get(incident) ?? []) : [])]
          .filter((k) => k !== own)
          .map((k) => new Set(k.split('|')));
        const above = ranking
          .slice(0, Math.max(rank, 0))
          .filter((c) => others.some((keys) => keys.has(targetKey(c))));
        return { rank: rank < 0 ? rank : rank - above.length, shared: others.length > 0 };
      };
      let match = matches.get(fault.id);
      let { rank, shared } = rankIn(match);
      if (shared && rank < 0) {
        // A merged incident counts for a fault only if it names its cause; another that caught it and does covers it.
        match = this.#candidates(fault, incidents).find((i) =>
          (i.rootCauses ?? []).some((c) => cause.has(targetKey(c))),
        );
        ({ rank } = rankIn(match));
      }
      const rootCauses = match?.rootCauses?.slice(0, 5) ?? [];
      const healer = fault.healedBy === undefined ? undefined : tickets[fault.healedBy];
      return {
        id: fault.id,
        kind: fault.kind,
        target: fault.target,
        injectedAt: fault.start,
        endedAt: Number.isFinite(fault.end) ? fault.end : null,
        ...(match
          ? {
              incident: match.id,
              detectedAt: Math.max(match.openedAt, fault.start),
              ...(match.diagnosedAt !== undefined ? { diagnosedAt: match.diagnosedAt } : {}),
              ...(match.kind !== undefined ? { diagnosedKind: match.kind } : {}),
            }
          : {}),
        rootCauses,
        rootCauseRank: rank < 0 || !match ? null : rank + 1,
        citations: match?.citations ?? [],
        actions: match?.actions.map((a) => ({ ...a })) ?? [],
        ...(healer ? { healedAt: healer.completes, healedBy: healer.action.kind } : {}),
      };
    });
  }

  /** The incident that detected `fault`: the first opened during it (or just after) on a node it perturbs. */
  #detecting(fault: FaultRecord, incidents: readonly SeenIncident[]): SeenIncident | undefined {
    return this.#candidates(fault, incidents)[0];
  }

  /** The incidents opened during `fault` (or just after) on a node it perturbs, first opened first. */
  #candidates(fault: FaultRecord, incidents: readonly SeenIncident[]): SeenIncident[] {
    const affected = new Set(fault.affectedNodes);
    return incidents
      .filter((i) => i.openedAt >= fault.start && i.openedAt < fault.end + this.lateTicks)
      .filter((i) => [...i.nodes].some((n) => affected.has(n)))
      .sort((a, b) => a.openedAt - b.openedAt);
  }

  /** The figures of the run so far, against the simulator's ground truth. */
  report(options: { seed: number; hours: number }): HealingReport {
    const faults = this.source.groundTruth();
    const incidents = [...this.#incidents.values()];
    const perturbing = new Set<string>();
    for (const fault of faults) {
      const affected = new Set(fault.affectedNodes);
      for (const i of incidents)
        if ([...i.nodes].some((n) => affected.has(n)) && overlaps(i, fault)) perturbing.add(i.id);
    }
    const outcomes = this.faultOutcomes();
    const rows = outcomes.map((o) => {
      const detected = o.incident !== undefined;
      return {
        kind: o.kind,
        detected,
        ttd: detected ? o.detectedAt! - o.injectedAt : undefined,
        top1: o.rootCauseRank === 1,
        top3: o.rootCauseRank !== null && o.rootCauseRank <= 3,
        diagnosed: o.diagnosedAt !== undefined,
        kindRight: o.diagnosedKind === o.kind,
        runbookRight: (
          o.citations.map((id) => this.runbookFaults(id)).find((kinds) => kinds !== undefined) ?? []
        ).includes(o.kind),
        healed: o.healedAt !== undefined,
        ttr: o.healedAt !== undefined && detected ? o.healedAt - o.detectedAt! : undefined,
      };
    });
    const falseAlarms = incidents.filter((i) => !perturbing.has(i.id));

    const kinds = [...new Set(faults.map((f) => f.kind))].sort();
    const byKind: Record<string, KindReport> = {};
    for (const kind of kinds) {
      byKind[kind] = summarize(
        rows.filter((r) => r.kind === kind),
        0,
        countActionsOnHealthy(this.#actions, faults, kind),
      );
    }
    const overall = summarize(rows, falseAlarms.length, this.#actions.filter((a) => a.healthyTarget).length);
    const hours = options.hours;
    return {
      seed: options.seed,
      nodes: this.source.topology.nodeCount,
      hours,
      ticks: this.source.now,
      overall: {
        ...overall,
        actions: this.#actions.length,
        falseAlarmsPerHour: falseAlarms.length / hours,
        actionsOnHealthyShare: this.#actions.length ? overall.actionsOnHealthy / this.#actions.length : 0,
        escalations: this.#escalations,
        actionsOnPlannedChanges: this.#actions.filter((a) => a.againstPlannedChange).length,
      },
      byKind,
      citations: incidents
        .filter((i) => i.citations.length)
        .slice(0, 20)
        .map((i) => ({ incident: i.id, ...(i.kind ? { kind: i.kind } : {}), citations: i.citations })),
      faults: outcomes,
    };
  }
}

type Row = {
  detected: boolean;
  ttd?: number;
  top1: boolean;
  top3: boolean;
  diagnosed: boolean;
  kindRight: boolean;
  runbookRight: boolean;
  healed: boolean;
  ttr?: number;
};

function summarize(rows: Row[], falseAlarms: number, actionsOnHealthy: number): KindReport {
  const detected = rows.filter((r) => r.detected);
  const healed = rows.filter((r) => r.healed);
  const diagnosed = detected.filter((r) => r.diagnosed);
  return {
    injected: rows.length,
    detected: detected.length,
    detectionRate: rows.length ? detected.length / rows.length : 0,
    mttdMedian: median(detected.map((r) => r.ttd!)),
    rootCauseTop1: detected.length ? detected.filter((r) => r.top1).length / detected.length : 0,
    rootCauseTop3: detected.length ? detected.filter((r) => r.top3).length / detected.length : 0,
    diagnosed: diagnosed.length,
    diagnosisAccuracy: diagnosed.length ? diagnosed.filter((r) => r.kindRight).length / diagnosed.length : 0,
    topRunbookRight: diagnosed.length ? diagnosed.filter((r) => r.runbookRight).length / diagnosed.length : 0,
    healed: healed.length,
    healedRate: rows.length ? healed.length / rows.length : 0,
    mttrMedian: median(healed.filter((r) => r.ttr !== undefined).map((r) => r.ttr!)),
    falseAlarms,
    actionsOnHealthy,
  };
}

/** Actions on healthy targets taken while a fault of `kind` was active. */
function countActionsOnHealthy(actions: SeenAction[], faults: FaultRecord[], kind: SimFaultKind): number {
  return actions.filter(
    (a) =>
      a.healthyTarget && faults.some((f) => f.kind === kind && a.startedAt >= f.start && a.startedAt < f.end),
  ).length;
}

function overlaps(i: SeenIncident, f: FaultRecord): boolean {
  return i.openedAt < f.end && (i.closedAt ?? Infinity) >= f.start;
}

function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}
