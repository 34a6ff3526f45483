/**
 * RAGAnalyzer: the analyze stage's retrieval service. It indexes runbooks and resolved
 * incidents, retrieves context for a query, and turns an open incident into a diagnosis that
 * cites the runbooks and past incidents it rests on, with fault kinds and candidate actions
 * ranked from what it retrieved.
 */
import { ArgumentError } from '../errors.ts';
import { alertLinkKeys, alertQuery, type AlertmanagerAlert } from './alert.ts';
import { labelConfidence, type RagDocument } from './document.ts';
import type { Embedder } from './embedder.ts';
import { compileFilter, type RetrievalFilter } from './filter.ts';
import { HashedEmbedder } from './hashed-embedder.ts';
import {
  checkIncident,
  incidentDocument,
  incidentQuery,
  type IncidentInput,
  type ResolvedIncident,
} from './incident.ts';
import { RetrievalResult, type RetrievalHit, type RetrievalTimings } from './result.ts';
import { HybridRetriever, type RetrievalMode } from './retriever.ts';
import { RUNBOOKS } from './runbooks.generated.ts';
import { MemoryRagStore, type RagStore } from './store.ts';
import type { VectorPrecision } from './vector-index.ts';

/** Options of {@link RAGAnalyzer.create}. */
export interface RAGAnalyzerOptions {
  /** Default: {@link HashedEmbedder} of {@link RETRIEVAL_DIM} dimensions, other options its defaults. */
  embedder?: Embedder;
  /** Default: a fresh {@link MemoryRagStore}. */
  store?: RagStore;
  /** Vector storage precision (default 'f32'). */
  precision?: VectorPrecision;
  /** RRF weights (default equal). */
  weights?: { lexical: number; vector: number };
  /** Concepts the lexical index expands terms with (default the ops thesaurus; `null`: plain BM25). */
  thesaurus?: Readonly<Record<string, string>> | null;
  /** BM25F weights of the document fields (default `DEFAULT_FIELD_WEIGHTS`). */
  fieldWeights?: Readonly<Record<string, number>>;
  /** Weight of thesaurus concepts in BM25 (default `CONCEPT_WEIGHT`). */
  conceptWeight?: number;
  /** Index the shipped runbook corpus when the store holds no runbook yet (default true). */
  shippedRunbooks?: boolean;
  /**
   * Runbooks to index beside the shipped ones (an operator's, e.g. from `loadRunbookFolder`),
   * added or replaced at every start.
   */
  runbooks?: readonly RagDocument[];
}

/** Options of {@link RAGAnalyzer.retrieveContext}. */
export interface RetrieveOptions {
  /** Documents to return (default 5). */
  k?: number;
  /** Minimum score in [0, 1] (default 0). */
  threshold?: number;
  /** Metadata every returned document must match (default none). */
  filter?: RetrievalFilter;
  /** Default 'hybrid'. */
  mode?: RetrievalMode;
}

/** A retrieved document cited by a diagnosis. */
export interface Citation {
  /** The document's id. */
  readonly id: string;
  /** Its title. */
  readonly title: string;
  /** The fault kinds it is about. */
  readonly faults: readonly string[];
  /** Confidence of each fault kind and action: 1 when declared, the inferred one when inferred. */
  readonly confidence: { readonly faults: readonly number[]; readonly actions: readonly number[] };
  /** Its retrieval score, in [0, 1]. */
  readonly score: number;
  /** Words and concepts it shares with the incident. */
  readonly matched: readonly string[];
  /** The actions it recommends. */
  readonly actions: readonly string[];
}

/** A past incident cited by a diagnosis. */
export interface IncidentCitation extends Citation {
  /** The action that healed it, if one did. */
  readonly resolvedBy?: string;
}

/** A ranked fault kind. */
export interface FaultEvidence {
  /** The fault kind. */
  readonly fault: string;
  /** Share of the retrieved evidence, in [0, 1]; all shares sum to 1. */
  readonly score: number;
}

/** A candidate remedy with its prior probability of success. */
export interface CandidateAction {
  /** The action's name. */
  readonly action: string;
  /** Posterior mean of a Beta(1, 1) prior updated with the evidence (see `augmentAnalysis`). */
  readonly prior: number;
  /** Ids of the runbooks and incidents that support it. */
  readonly sources: readonly string[];
}

/** What the analyzer adds to an incident's analysis. */
export interface AugmentedAnalysis {
  /** The incident analysed. */
  readonly incidentId: string;
  /** The retrieval query built from the incident. */
  readonly query: string;
  /** Fault kinds, most likely first. */
  readonly likelyFaults: readonly FaultEvidence[];
  /** The runbooks retrieved, best first. */
  readonly runbooks: readonly Citation[];
  /** Past incidents retrieved, best first. */
  readonly similarIncidents: readonly IncidentCitation[];
  /** Remedies, most promising first. */
  readonly candidateActions: readonly CandidateAction[];
  /** One-paragraph summary for operators and the report. */
  readonly explanation: string;
  /** Time spent per retrieval stage. */
  readonly timings: RetrievalTimings;
}

/**
 * Dimension of the default embedder's vectors. 5-fold cross-validation by runbook on the public
 * runbooks (bench/rag-public.bench.ts) prefers more dimensions (four folds of five chose 1,536:
 * top-1 / top-3 0.761 / 0.937 -> 0.780 / 0.950, fewer hash collisions between sibling
 * runbooks), but in the engine, over the shipped runbooks, 1,536 changed which remedy leads a
 * diagnosis (a memory leak's first cited runbook then led with failover instead of a restart) and
 * raised the main job's actions on healthy targets (seeds 1-5: 29 -> 33, seed 3 6 -> 11), so the
 * engine's analyzer stays at 384 until the two are measured apart.
 */
export const RETRIEVAL_DIM = 384;

/** Past incidents count for less than runbooks when ranking fault kinds: one observation each. */
const INCIDENT_FAULT_WEIGHT = 0.5;

/** Retrieval-augmented analysis over runbooks and past incidents. */
export class RAGAnalyzer {
  private constructor(readonly retriever: HybridRetriever) {}

  /**
   * Opens the analyzer over a store (rebuilding its indexes from it) and, unless disabled,
   * indexes the shipped runbooks the first time.
   */
  static async create(options: RAGAnalyzerOptions = {}): Promise<RAGAnalyzer> {
    const embedder = options.embedder ?? (await HashedEmbedder.create({ dim: RETRIEVAL_DIM }));
    const store = options.store ?? new MemoryRagStore();
    const { precision, weights, thesaurus, fieldWeights, conceptWeight } = options;
    const retriever = await HybridRetriever.open({
      embedder,
      store,
      precision,
      weights,
      thesaurus,
      fieldWeights,
      conceptWeight,
    });
    const analyzer = new RAGAnalyzer(retriever);
    const hasRunbooks = RUNBOOKS.some((r) => retriever.get(r.id));
    if ((options.shippedRunbooks ?? true) && !hasRunbooks) await analyzer.indexKnowledge(RUNBOOKS);
    if (options.runbooks !== undefined) {
      if (!Array.isArray(options.runbooks))
        throw new ArgumentError('options.runbooks', 'expected an array of runbook documents');
      await analyzer.indexKnowledge(options.runbooks);
    }
    return analyzer;
  }

  /** Number of indexed documents (runbooks and incidents). */
  get size(): number {
    return this.retriever.size;
  }

  /** Indexes (adds or replaces) documents; returns how many. */
  async indexKnowledge(docs: readonly RagDocument[]): Promise<number> {
    await this.retriever.upsert(docs);
    return docs.length;
  }

  /** Removes a document; returns whether it existed. */
  removeKnowledge(id: string): Promise<boolean> {
    return this.retriever.delete(id);
  }

  /** The documents most relevant to `query`. */
  retrieveContext(query: string, options: RetrieveOptions = {}): Promise<RetrievalResult> {
    return this.retriever.search(query, options);
  }

  /**
   * The runbooks for an Alertmanager alert (see ./alert.ts): the one its `runbook_url` or its
   * `alertname` leads to first (marked `linkedBy`, score 1), then the best matches of the question
   * the alert asks. `options.filter` applies to the linked runbook too; `source` defaults to
   * runbooks.
   */
  async retrieveForAlert(alert: AlertmanagerAlert, options: RetrieveOptions = {}): Promise<RetrievalResult> {
    if (typeof alert !== 'object' || alert === null || typeof alert.labels !== 'object')
      throw new ArgumentError('alert', 'expected an alert with labels (see parseAlerts)');
    const filter = { source: 'runbook' as const, ...options.filter };
    const k = options.k ?? 5;
    const result = await this.retriever.search(alertQuery(alert), { ...options, k, filter });
    const link = this.retriever.linked(alertLinkKeys(alert));
    const accept = compileFilter(filter, 'options.filter');
    if (!link || (accept && !accept(link.document))) return result;
    const found = result.hits.find((h) => h.document.id === link.document.id);
    const linked: RetrievalHit = {
      ...(found ?? { document: link.document, matched: [] }),
      score: 1,
      linkedBy: link.by,
    };
    const rest = result.hits.filter((h) => h.document.id !== link.document.id);
    const hits = [linked, ...rest].slice(0, k);
    return new RetrievalResult(result.query, hits, result.totalResults + (found ? 0 : 1), result.timings);
  }

  /** Indexes a resolved incident, so later diagnoses can cite it and learn from its outcome. */
  async recordResolved(incident: ResolvedIncident): Promise<void> {
    checkIncident(incident);
    if (typeof incident.fault !== 'string' || incident.fault === '')
      throw new ArgumentError('incident.fault', 'expected a fault kind');
    if (!Array.isArray(incident.actions) || !incident.actions.every((a) => typeof a === 'string')) {
      throw new ArgumentError('incident.actions', 'expected an array of action names');
    }
    if (!Number.isFinite(incident.resolvedAt))
      throw new ArgumentError('incident.resolvedAt', 'expected a time in ms');
    await this.retriever.upsert([incidentDocument(incident)]);
  }

  /**
   * Diagnoses an open incident from what it retrieves: `k` runbooks and `k` past incidents
   * (default 3). Fault kinds are ranked by rank-decayed votes: the document at rank r gives
   * 1/r^2 to its first fault and 1/(n r^2) to its n-th (incidents count half), so the best
   * match leads unless the next ones agree against it; the fused scores themselves are too
   * flat near the top to weigh with. A candidate action's prior is the mean of Beta(1 + a,
   * 1 + b): a sums runbook recommendations (1 / (runbook rank x position in its action list))
   * and the similarity of past incidents it healed, b the similarity of past incidents where
   * it was tried and did not heal. A runbook's inferred fault kinds and actions vote with their
   * confidence times what a declared one would. `options.faults` restricts both searches to
   * those kinds.
   */
  async augmentAnalysis(
    incident: IncidentInput,
    options: { k?: number; faults?: readonly string[] } = {},
  ): Promise<AugmentedAnalysis> {
    checkIncident(incident);
    const k = options.k ?? 3;
    if (!Number.isInteger(k) || k < 1)
      throw new ArgumentError('options.k', `expected an integer >= 1, got ${String(k)}`);
    const query = incidentQuery(incident);
    if (query.trim() === '')
      throw new ArgumentError('incident', 'has no summary, symptoms or metrics to search with');
    const kinds = options.faults;
    const runbooks = await this.retriever.search(query, { k, filter: { source: 'runbook', faults: kinds } });
    const incidents = await this.retriever.search(query, {
      k,
      filter: { source: 'incident', faults: kinds },
    });

    const faults = new Map<string, number>();
    const evidence = (hits: readonly RetrievalHit[], weight: number) => {
      hits.forEach((h, rank) => {
        const w = weight / (rank + 1) ** 2;
        h.document.faults.forEach((f, j) => {
          const vote = (w / (j + 1)) * labelConfidence(h.document, 'faults', f);
          faults.set(f, (faults.get(f) ?? 0) + vote);
        });
      });
    };
    evidence(runbooks.hits, 1);
    evidence(incidents.hits, INCIDENT_FAULT_WEIGHT);
    const total = [...faults.values()].reduce((s, v) => s + v, 0) || 1;
    const likelyFaults = [...faults]
      .map(([fault, v]) => ({ fault, score: v / total }))
      .sort((a, b) => b.score - a.score || (a.fault < b.fault ? -1 : 1));

    const actions = new Map<string, { a: number; b: number; sources: Set<string> }>();
    const entry = (action: string) => {
      let e = actions.get(action);
      if (!e) actions.set(action, (e = { a: 0, b: 0, sources: new Set() }));
      return e;
    };
    runbooks.hits.forEach((h, rank) => {
      h.document.actions.forEach((action, j) => {
        const e = entry(action);
        e.a += labelConfidence(h.document, 'actions', action) / ((rank + 1) * (j + 1));
        e.sources.add(h.document.id);
      });
    });
    for (const h of incidents.hits) {
      for (const action of h.document.actions) {
        const e = entry(action);
        if (action === h.document.resolvedBy) e.a += h.score;
        else e.b += h.score;
        e.sources.add(h.document.id);
      }
    }
    const candidateActions = [...actions]
      .map(([action, e]) => ({ action, prior: (1 + e.a) / (2 + e.a + e.b), sources: [...e.sources] }))
      .sort((x, y) => y.prior - x.prior || (x.action < y.action ? -1 : 1));

    const cite = (h: RetrievalHit): Citation => ({
      id: h.document.id,
      title: h.document.title,
      faults: h.document.faults,
      confidence: {
        faults: h.document.faults.map((f) => labelConfidence(h.document, 'faults', f)),
        actions: h.document.actions.map((a) => labelConfidence(h.document, 'actions', a)),
      },
      score: h.score,
      matched: h.matched,
      actions: h.document.actions,
    });
    const runbookCitations = runbooks.hits.map(cite);
    const incidentCitations = incidents.hits.map((h) => ({ ...cite(h), resolvedBy: h.document.resolvedBy }));
    return {
      incidentId: incident.id,
      query,
      likelyFaults,
      runbooks: runbookCitations,
      similarIncidents: incidentCitations,
      candidateActions,
      explanation: explain(likelyFaults, runbookCitations, incidentCitations, candidateActions),
      timings: runbooks.timings,
    };
  }
}

function explain(
  faults: readonly FaultEvidence[],
  runbooks: readonly Citation[],
  incidents: readonly IncidentCitation[],
  actions: readonly CandidateAction[],
): string {
  if (runbooks.length === 0 && incidents.length === 0)
    return 'No runbook or past incident matched this incident.';
  const parts: string[] = [];
  if (faults[0]) parts.push(`Most likely ${faults[0].fault} (${faults[0].score.toFixed(2)}).`);
  if (runbooks[0]) {
    const why = runbooks[0].matched.length
      ? `, matched on ${runbooks[0].matched.slice(0, 5).join(', ')}`
      : '';
    parts.push(
      `Runbook ${runbooks[0].id} "${runbooks[0].title}" (score ${runbooks[0].score.toFixed(2)}${why}).`,
    );
  }
  if (incidents[0]) {
    const outcome = incidents[0].resolvedBy ? `healed by ${incidents[0].resolvedBy}` : 'not healed';
    parts.push(`Similar past incident ${incidents[0].id} (${outcome}).`);
  }
  if (actions[0])
    parts.push(`Suggested action: ${actions[0].action} (prior ${actions[0].prior.toFixed(2)}).`);
  return parts.join(' ');
}
