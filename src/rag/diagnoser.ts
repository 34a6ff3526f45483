/**
 * The RAG analyzer as the loop's diagnoser: it matches the loop's `Diagnoser` contract
 * (src/loop/contracts.ts) structurally, so this stage does not import the loop. Diagnoses name
 * the fault kind the retrieved runbooks and past incidents point to, cite them, and pass their
 * recommended actions to the planner; resolved incidents are indexed so later diagnoses learn.
 */
import { FAULT_SCOPE, isFaultKind } from '../domain/faults.ts';
import { type Target, type TargetScope, targetScope } from '../domain/targets.ts';
import { ArgumentError } from '../errors.ts';
import { RAGAnalyzer, type Citation, type IncidentCitation, type RAGAnalyzerOptions } from './analyzer.ts';

/** Confidence of the top root cause above which its type (node or link) constrains the diagnosed kind. */
const CONFIDENT_CAUSE = 0.5;

/** What the diagnoser reads of the loop's incident record. */
export interface DiagnosedIncident {
  /** The incident's id. */
  readonly id: string;
  /** Nodes involved, by id. */
  readonly nodes?: readonly string[];
  /** Anomalous metrics, most anomalous first. */
  readonly metrics?: readonly string[];
  /** Fault kind the diagnosis settled on (set by the loop from our answer). */
  readonly diagnosedKind?: string;
  /** When the incident closed, in the loop's clock. */
  readonly closedAt?: number;
  /** When the incident opened, in the loop's clock. */
  readonly openedAt?: number;
}

/** The diagnosis answer, in the loop's terms. */
export interface DiagnoserAnswer {
  /** The fault kind settled on, if any. */
  kind?: string;
  /** Whether that kind of fault lives on a node or on a link. */
  scope?: TargetScope;
  /** Runbook and past-incident ids, best first. */
  citations: string[];
  /** Recommended actions, support in 0..1 relative to the best-supported one. */
  recommended: Array<{ action: string; support: number }>;
}

/** Options of {@link RagDiagnoser.create}. */
export interface RagDiagnoserOptions extends RAGAnalyzerOptions {
  /** Only consider runbooks about these fault kinds (e.g. the ones the simulator injects). */
  kinds?: readonly string[];
  /** Runbooks and incidents retrieved per diagnosis (default 3). */
  k?: number;
}

/** Adapter from RAGAnalyzer to the loop's diagnoser contract. */
export class RagDiagnoser {
  /** Descriptions of incidents diagnosed and not yet resolved, to index on resolution. */
  readonly #pending = new Map<string, string>();

  private constructor(
    readonly analyzer: RAGAnalyzer,
    private readonly kinds: readonly string[] | undefined,
    private readonly k: number,
  ) {}

  /** Creates the analyzer (indexing the shipped runbooks on first use) and the adapter. */
  static async create(options: RagDiagnoserOptions = {}): Promise<RagDiagnoser> {
    const k = options.k ?? 3;
    if (!Number.isInteger(k) || k < 1)
      throw new ArgumentError('options.k', `expected an integer >= 1, got ${String(k)}`);
    if (
      options.kinds !== undefined &&
      !(Array.isArray(options.kinds) && options.kinds.every((x) => typeof x === 'string'))
    ) {
      throw new ArgumentError('options.kinds', 'expected an array of fault kinds');
    }
    return new RagDiagnoser(await RAGAnalyzer.create(options), options.kinds, k);
  }

  /**
   * Diagnoses an incident from the loop's operator-language description of its symptoms. When
   * the root-cause ranking is confident that the cause is a link (or a node), only kinds of fault
   * that live there are considered, and a partition's cut makes it a partition: where the
   * evidence puts the cause outweighs what the words resemble.
   */
  async diagnose(
    incident: DiagnosedIncident,
    context: {
      description: string;
      rootCauses?: ReadonlyArray<{ target: Target; score: number; cut?: boolean }>;
    },
  ): Promise<DiagnoserAnswer> {
    if (typeof context?.description !== 'string')
      throw new ArgumentError('context.description', 'expected a string');
    const summary = [
      context.description,
      ...(incident.metrics ?? []).map((m) => m.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase()),
    ].join('. ');
    this.#pending.set(incident.id, summary);
    const top = context.rootCauses?.[0];
    const where = top && top.score >= CONFIDENT_CAUSE ? targetScope(top.target) : undefined;
    // A runbook may cover kinds besides those asked for: only those count.
    const allowed = (kind: string) => !this.kinds || this.kinds.includes(kind);
    // A cut that strands a region is a partition, whatever else the words resemble.
    const fits = (kind: string) =>
      allowed(kind) && (top?.cut ? kind === 'partition' : !where || scopeOf(kind) === where);
    const kinds = this.kinds?.filter(fits);
    const d = await this.analyzer.augmentAnalysis(
      { id: incident.id, summary, nodes: incident.nodes },
      { k: this.k, faults: kinds?.length ? kinds : this.kinds },
    );
    const kind = (d.likelyFaults.find((f) => fits(f.fault)) ?? d.likelyFaults.find((f) => allowed(f.fault)))
      ?.fault;
    return {
      kind,
      ...(kind ? { scope: scopeOf(kind) } : {}),
      citations: [...d.runbooks, ...d.similarIncidents].map((c) => c.id),
      recommended: kind ? recommendFor(kind, d.runbooks, d.similarIncidents) : [],
    };
  }

  /** Indexes a resolved incident with its outcome (healed by an action, or not). */
  async learn(
    incident: DiagnosedIncident,
    healedBy: { action: string; target: Target } | undefined,
  ): Promise<void> {
    const summary = this.#pending.get(incident.id);
    this.#pending.delete(incident.id);
    if (!summary || !incident.diagnosedKind) return; // nothing to learn from without a diagnosis
    await this.analyzer.recordResolved({
      id: incident.id,
      summary,
      fault: incident.diagnosedKind,
      actions: healedBy ? [healedBy.action] : [],
      resolvedBy: healedBy?.action,
      resolvedAt: incident.closedAt ?? incident.openedAt ?? 0,
    });
  }
}

/** Where a kind of fault lives; a kind of the user's own runbooks, unknown to the domain, on a node. */
function scopeOf(kind: string): TargetScope {
  return isFaultKind(kind) ? FAULT_SCOPE[kind] : 'node';
}

/**
 * The remedies for the diagnosed kind: only what runbooks and past incidents *of that kind*
 * advise, since a remedy another kind's runbook lists (a reroute, say) is advice for a different
 * fault. A runbook at rank r (among those of the kind) gives 1 / (r x position in its action
 * list), times the confidence of its kind and of the action where they were inferred; a past
 * incident of the kind at rank r gives 1 / r to the action that healed it (fused retrieval
 * scores are too flat to weigh with). Support is relative to the best-supported action. The
 * planner scores only actions its executor knows, so an inferred hand-work action (renewing a
 * certificate, say) is advice for the report, never planned.
 */
function recommendFor(
  kind: string,
  runbooks: readonly Citation[],
  incidents: readonly IncidentCitation[],
): DiagnoserAnswer['recommended'] {
  const votes = new Map<string, number>();
  runbooks
    .filter((r) => r.faults.includes(kind))
    .forEach((r, rank) => {
      const kindConfidence = r.confidence.faults[r.faults.indexOf(kind)];
      r.actions.forEach((action, j) => {
        const vote = (kindConfidence * r.confidence.actions[j]) / ((rank + 1) * (j + 1));
        votes.set(action, (votes.get(action) ?? 0) + vote);
      });
    });
  incidents
    .filter((i) => i.faults.includes(kind))
    .forEach(
      (i, rank) => i.resolvedBy && votes.set(i.resolvedBy, (votes.get(i.resolvedBy) ?? 0) + 1 / (rank + 1)),
    );
  const best = Math.max(0, ...votes.values());
  if (best === 0) return [];
  return [...votes]
    .map(([action, v]) => ({ action, support: v / best }))
    .sort((a, b) => b.support - a.support || (a.action < b.action ? -1 : 1));
}
