/**
 * The Python system's `DecisionEngine` over the engine's `UtilityPlanner` (src/plan): `decideOnAction`
 * scores the available policies as expected utility (learned success probability x benefit -
 * cost - risk, plus priority, in the wasm scoring kernel) and `evaluateDecision` feeds outcomes
 * back into the Beta success posteriors and the scorer's adapter, so the ranking follows what
 * actually worked.
 *
 * Success rates are learned per signature: the context's `kind` when given, else `any`.
 */
import { ArgumentError } from '../errors.ts';
import { checkFinite } from '../validate.ts';
import type { ActionSpec } from '../plan/actions.ts';
import { nodeTarget } from '../domain/targets.ts';
import { attemptKey, type Candidate, type Diagnosis, UtilityPlanner } from '../plan/decision.ts';
import { mean, SuccessRates } from '../plan/posteriors.ts';
import { PolicyRanker } from './policy.ts';

/**
 * What a decision is about. Every key is optional; other keys (e.g. metrics) are accepted and
 * ignored.
 */
export interface DecisionContext {
  /** The kind of problem (e.g. "cpu-exhaustion"); success rates are learned per kind. Default `any`. */
  kind?: string;
  /** What the action would act on. Default `system`. */
  target?: string;
  /** How bad the problem is, 0..1; it scales the benefit of acting. Default 1. */
  severity?: number;
  /** Any other fields the caller keeps with its context; they do not enter the decision. */
  [key: string]: unknown;
}

/** One scored policy. */
export interface RankedPolicy {
  /** The policy's id. */
  id: string;
  /** The policy's name. */
  name: string;
  /** Expected utility. */
  score: number;
  /** Softmax choice probability among the available policies. */
  probability: number;
  /** The features that drove the score. */
  explanation: string;
}

/** The result of `decideOnAction` (Python's decision dict). */
export interface Decision {
  /** Always 'success' (a failure throws), as in the original's dict. */
  status: 'success';
  /** Id of the chosen policy. */
  selectedPolicy: string;
  /** Name of the chosen policy. */
  policyName: string;
  /** Choice probability of the selected policy. */
  confidence: number;
  /** Expected utility of the chosen policy. */
  score: number;
  /** Every available policy, best first. */
  rankedCandidates: RankedPolicy[];
  /** The features that drove the choice. */
  reasoning: string;
  /** The signature success rates are learned under (the context's kind, or `any`). */
  signature: string;
}

/** Outcomes recorded for one policy. */
export interface PolicyOutcomes {
  /** Times it was the selected policy. */
  selected: number;
  /** Outcomes recorded. */
  outcomes: number;
  /** Outcomes that succeeded. */
  successes: number;
  /** Outcomes that failed. */
  failures: number;
  /** Mean reward passed to `evaluateDecision`, null before any. */
  meanReward: number | null;
  /** null;|Mean duration passed to `evaluateDecision`, null before any. */
  meanDurationMs: number | null;
}

/** Counts of `getDecisionStats` (Python's `get_decision_stats`). */
export interface DecisionStats {
  /** Decisions made. */
  totalDecisions: number;
  /** Null before the first decision. */
  avgConfidence: number | null;
  /** null;|Lowest confidence of a decision; null before the first. */
  minConfidence: number | null;
  /** null;|Highest confidence of a decision; null before the first. */
  maxConfidence: number | null;
  /** Distinct policies ever selected. */
  uniquePolicies: number;
  /** Outcomes recorded, every policy together. */
  totalOutcomes: number;
  /** Counts per policy id. */
  policies: Record<string, PolicyOutcomes>;
  /** Learned Beta posteriors of success per (signature, policy), with their means. */
  successRates: Array<{ signature: string; policy: string; alpha: number; beta: number; mean: number }>;
}

/** Options of the facade's `DecisionEngine`. */
export interface DecisionEngineOptions {
  /** Scoring backend of the planner. Default `auto` (wasm with SIMD, else the TS twin). */
  backend?: 'auto' | 'wasm' | 'ts';
}

interface Tally {
  selected: number;
  successes: number;
  failures: number;
  reward: number;
  duration: number;
}

/**
 * Chooses among registered policies and learns from outcomes. The planner is built at the first
 * decision and rebuilt when the set of policies (or a cost, risk or duration) changes; learned success
 * rates and the scorer's adapter carry over: the feature projection's weights whole, the action
 * head's row of every surviving policy (a new policy's row starts at zero).
 */
export class DecisionEngine {
  /** The registered policies (Python's `engine.ranker`). */
  readonly ranker: PolicyRanker;
  /** Learned success posteriors per (signature, policy); they survive planner rebuilds. */
  readonly successRates: SuccessRates = new SuccessRates();
  readonly #backend: DecisionEngineOptions['backend'];
  #planner: { key: string; ready: Promise<UtilityPlanner> } | undefined;
  #decisions = 0;
  #confidence = { sum: 0, min: Infinity, max: -Infinity };
  readonly #tallies = new Map<string, Tally>();

  /** An engine choosing among `ranker`'s policies; its planner is built at the first decision. */
  constructor(ranker: PolicyRanker = new PolicyRanker(), options: DecisionEngineOptions = {}) {
    this.ranker = ranker;
    this.#backend = options.backend;
  }

  /**
   * Picks the best of `availablePolicies` (registered ids) for `context`. Throws an
   * ArgumentError when the list is empty or names a policy that is not registered.
   */
  async decideOnAction(
    availablePolicies: readonly string[],
    context: DecisionContext = {},
  ): Promise<Decision> {
    this.#checkAvailable(availablePolicies);
    const diagnosis = diagnosisFor(context, `decision-${this.#decisions + 1}`);
    const plan = (await this.#ready()).plan(diagnosis, this.#excludedBut(availablePolicies, diagnosis));
    const ranked = plan.candidates.filter((c) => !c.excluded);
    const chosen = plan.chosen!;
    const policy = this.ranker.policies.get(chosen.action)!;
    this.#decisions++;
    this.#confidence.sum += chosen.probability;
    this.#confidence.min = Math.min(this.#confidence.min, chosen.probability);
    this.#confidence.max = Math.max(this.#confidence.max, chosen.probability);
    this.#tally(policy.id).selected++;
    return {
      status: 'success',
      selectedPolicy: policy.id,
      policyName: policy.name,
      confidence: chosen.probability,
      score: chosen.score,
      rankedCandidates: ranked.map((c) => ({
        id: c.action,
        name: this.ranker.policies.get(c.action)!.name,
        score: c.score,
        probability: c.probability,
        explanation: c.explanation,
      })),
      reasoning: chosen.explanation,
      signature: diagnosis.signature,
    };
  }

  /**
   * Records the outcome of running `policyId` in `context`: the success posterior of
   * (signature, policy) and one adapter step of the scorer learn from it. `reward` (default 1
   * on success, 0 on failure) and `durationMs` are kept for the statistics.
   */
  async evaluateDecision(
    policyId: string,
    success: boolean,
    reward: number = success ? 1 : 0,
    durationMs = 0,
    context: DecisionContext = {},
  ): Promise<void> {
    if (!this.ranker.policies.has(policyId))
      throw new ArgumentError('policyId', `unknown policy "${policyId}"`);
    if (typeof success !== 'boolean')
      throw new ArgumentError('success', `expected a boolean, got ${String(success)}`);
    checkFinite('reward', reward);
    if (checkFinite('durationMs', durationMs) < 0)
      throw new ArgumentError('durationMs', `expected >= 0, got ${durationMs}`);
    const diagnosis = diagnosisFor(context, `outcome-${policyId}`);
    const planner = await this.#ready();
    const candidate: Candidate = planner.plan(diagnosis, this.#excludedBut([policyId], diagnosis)).chosen!;
    planner.learn(diagnosis, candidate, success);
    const tally = this.#tally(policyId);
    if (success) tally.successes++;
    else tally.failures++;
    tally.reward += reward;
    tally.duration += durationMs;
  }

  /** Decision and outcome counts, confidences and the learned success rates. */
  getDecisionStats(): DecisionStats {
    const decided = this.#decisions > 0;
    const policies: Record<string, PolicyOutcomes> = {};
    let totalOutcomes = 0;
    let unique = 0;
    for (const [id, t] of this.#tallies) {
      const outcomes = t.successes + t.failures;
      totalOutcomes += outcomes;
      if (t.selected > 0) unique++;
      policies[id] = {
        selected: t.selected,
        outcomes,
        successes: t.successes,
        failures: t.failures,
        meanReward: outcomes ? t.reward / outcomes : null,
        meanDurationMs: outcomes ? t.duration / outcomes : null,
      };
    }
    return {
      totalDecisions: this.#decisions,
      avgConfidence: decided ? this.#confidence.sum / this.#decisions : null,
      minConfidence: decided ? this.#confidence.min : null,
      maxConfidence: decided ? this.#confidence.max : null,
      uniquePolicies: unique,
      totalOutcomes,
      policies,
      successRates: this.successRates.all().map((p) => ({
        signature: p.signature,
        policy: p.action,
        alpha: p.alpha,
        beta: p.beta,
        mean: mean(p),
      })),
    };
  }

  /** The planner for the current policies, with its policy registry in step with the ranker. */
  async #ready(): Promise<UtilityPlanner> {
    for (;;) {
      const key = catalogueKey(this.ranker);
      if (this.#planner?.key !== key) {
        const actions: ActionSpec[] = [...this.ranker.policies.values()].map((p) => ({
          name: p.id,
          scope: 'any',
          cost: p.cost,
          risk: p.risk,
          duration: p.duration,
        }));
        const previous = this.#planner?.ready;
        this.#planner = {
          key,
          ready: (async () => {
            // What the previous planner learnt, taken once it is built (it learns synchronously).
            const adapter = previous ? (await previous).adapter() : undefined;
            return UtilityPlanner.create(
              { actions, backend: this.#backend, ...(adapter ? { adapter } : {}) },
              this.successRates,
            );
          })(),
        };
      }
      const planner = await this.#planner.ready;
      // Policies may have changed while the planner was being built: build again for them.
      if (catalogueKey(this.ranker) !== key) continue;
      for (const p of planner.policies.policies)
        if (!this.ranker.policies.has(p.name)) planner.policies.unregister(p.name);
      for (const p of this.ranker.policies.values())
        planner.policies.register({ name: p.id, action: p.id, priority: p.priority });
      return planner;
    }
  }

  /** Attempt keys of every registered policy except `keep`, so the planner passes them over. */
  #excludedBut(keep: readonly string[], diagnosis: Diagnosis): Set<string> {
    const target = diagnosis.rootCauses[0].target;
    const kept = new Set(keep);
    return new Set(
      [...this.ranker.policies.keys()].filter((id) => !kept.has(id)).map((id) => attemptKey(id, target)),
    );
  }

  #checkAvailable(available: readonly string[]): void {
    if (!Array.isArray(available) || available.length === 0) {
      throw new ArgumentError('availablePolicies', 'expected a non-empty array of policy ids');
    }
    for (const id of available) {
      if (!this.ranker.policies.has(id))
        throw new ArgumentError('availablePolicies', `unknown policy "${String(id)}"`);
    }
  }

  #tally(id: string): Tally {
    let tally = this.#tallies.get(id);
    if (!tally)
      this.#tallies.set(id, (tally = { selected: 0, successes: 0, failures: 0, reward: 0, duration: 0 }));
    return tally;
  }
}

/** The planner's view of a decision context. */
function diagnosisFor(context: DecisionContext, id: string): Diagnosis {
  if (context === null || typeof context !== 'object')
    throw new ArgumentError('context', 'expected an object');
  const { kind, target = 'system', severity = 1 } = context;
  if (kind !== undefined && (typeof kind !== 'string' || kind === ''))
    throw new ArgumentError('context.kind', 'expected a non-empty string');
  if (typeof target !== 'string' || target === '')
    throw new ArgumentError('context.target', 'expected a non-empty string');
  if (typeof severity !== 'number' || !(severity >= 0 && severity <= 1)) {
    throw new ArgumentError('context.severity', `expected a number in [0, 1], got ${String(severity)}`);
  }
  return {
    incidentId: id,
    signature: kind ?? 'any',
    kind,
    severity,
    metrics: [],
    rootCauses: [{ target: nodeTarget(target), score: 1 }],
    recommended: [],
  };
}

/** What the planner's action catalogue depends on. */
function catalogueKey(ranker: PolicyRanker): string {
  return [...ranker.policies.values()]
    .map((p) => `${p.id}\u0000${p.cost}\u0000${p.risk}\u0000${p.duration}`)
    .join('\u0001');
}
