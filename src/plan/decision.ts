/**
 * The planner: turns a diagnosis into scored (action, target) candidates and picks one.
 * Each candidate is a feature vector scored in the wasm scoring kernel as expected utility
 * (learned success probability x benefit - cost - risk, plus evidence from runbooks and
 * policies), with LoRA low-rank adapters (configured by a `LoRAConfig`, src/plan/lora.ts) on the
 * feature projection and the per-action head that learn a correction from outcomes. Every score
 * comes with the per-feature contributions that produced it.
 */
import type { CauseCandidate } from '../knowledge/records.ts';
import { createScorer, type Scorer } from '../kernels/scoring/index.ts';
import {
  printTarget,
  sameTarget,
  type Target,
  targetKey,
  type TargetScope,
  targetScope,
} from '../domain/targets.ts';
import { ArgumentError } from '../errors.ts';
import { DEFAULT_ACTIONS, type ActionSpec } from './actions.ts';
import { LoRAConfig, type LoRASettings } from './lora.ts';
import { PolicyRegistry } from './policy.ts';
import { mean, spread, SuccessRates } from './posteriors.ts';

/** What the planner needs to know about an incident. */
export interface Diagnosis {
  /** The incident diagnosed. */
  incidentId: string;
  /** Symptom pattern the success rates are learned per. */
  signature: string;
  /** The diagnosed fault kind, if any (policies match on it). */
  kind?: string;
  /** Where the diagnosed kind of fault lives; when known, only targets of that type are considered. */
  scope?: TargetScope;
  /** 0..1: how bad the incident is (share of the mesh affected, peak anomaly). */
  severity: number;
  /** The incident's metrics, strongest anomaly first. */
  metrics: readonly string[];
  /** Ranked causes: nodes and links. */
  rootCauses: readonly CauseCandidate[];
  /** Actions recommended by retrieved runbooks, with rank-weighted support in 0..1. */
  recommended: ReadonlyArray<{ action: string; support: number }>;
}

/** Names of the features, in vector order. */
export const FEATURES = [
  'success-probability',
  'benefit',
  'expected-gain',
  'cost',
  'risk',
  'runbook-support',
  'policy-priority',
  'uncertainty',
  'slowness',
] as const;

/**
 * Base weights of expected utility. Expected gain dominates; cost, risk and slowness subtract;
 * runbook and policy support break ties between actions never tried; uncertainty adds a little
 * exploration. Time is what an outage costs most, so slowness weighs as much as spend: a remedy
 * that heals in 5 ticks beats a cheaper one that needs 15.
 */
const BASE_WEIGHTS = new Float32Array([0, 0, 2, -0.5, -1, 0.5, 0.1, 0.3, -2]);

/** Durations are compared on this scale (ticks): a one-minute action counts as fully slow. */
const SLOW_TICKS = 60;

/** Softmax temperature of the planner's choice probabilities over its candidates' scores. */
export const PLAN_TEMPERATURE = 0.25;

/** One scored (action, target) pair. */
export interface Candidate {
  /** The action's name. */
  action: string;
  /** The node or link it would act on. */
  target: Target;
  /** Expected utility as the scorer sees it (-Infinity when excluded). */
  score: number;
  /** Its softmax probability among the incident's candidates. */
  probability: number;
  /** The feature values it was scored from, by name. */
  features: Record<(typeof FEATURES)[number], number>;
  /** The features that moved the score most, e.g. "expected-gain +1.20, cost -0.20". */
  explanation: string;
  /** Whether a constraint excluded it (it then has score -Infinity). */
  excluded?: string;
}

/** The planner's answer for one incident. */
export interface Plan {
  /** The incident planned for. */
  incidentId: string;
  /** Every candidate, best first. */
  candidates: Candidate[];
  /** The best allowed candidate, if any. */
  chosen?: Candidate;
}

/** Options of `UtilityPlanner.create`. */
export interface UtilityPlannerOptions {
  /** The actions to choose among (default `DEFAULT_ACTIONS`). */
  actions?: readonly ActionSpec[];
  /** The scorer's low-rank adapters (default `new LoRAConfig()`: r 8, alpha 16, both modules). */
  lora?: LoRAConfig;
  /** Adapter learning rate (default 0.05). */
  learningRate?: number;
  /** How many root-cause targets to consider (default 3). */
  targets?: number;
  /**
   * Share of the best target's confidence another target needs to be considered (default 0.5):
   * a remedy aimed at an unlikely cause mostly lands on a healthy node or link.
   */
  plausible?: number;
  /** 'wasm' | 'ts';|Where the scoring kernel runs (default 'auto'). */
  backend?: 'auto' | 'wasm' | 'ts';
  /**
   * Adapter weights learnt before (from {@link UtilityPlanner.adapter}, e.g. restored from the
   * model registry) to start from instead of a fresh adapter. They must have been learnt under
   * the same `lora` configuration (ArgumentError otherwise). Actions are matched by name: an
   * action of `actions` the adapter knows keeps its row of the action head, a new one starts at
   * zero, and rows of actions no longer offered are dropped.
   */
  adapter?: PlannerAdapter;
}

/**
 * The planner's learnt adapters over the fixed base weights of {@link FEATURES}, with the
 * configuration they were learnt under. Plain numbers, so it stores as JSON.
 */
export interface PlannerAdapter {
  /** The feature names, in vector order, that the adapter was learnt over. */
  features: readonly string[];
  /** The LoRA configuration it was learnt under. */
  config: LoRASettings;
  /** The action head's actions, in row order (empty when the head is not targeted). */
  actions: readonly string[];
  /** The feature projection's A, features x r, row-major (empty when not targeted). */
  a: readonly number[];
  /** The feature projection's B, r values (empty when not targeted). */
  b: readonly number[];
  /** The action head's A, features x r, row-major (empty when not targeted). */
  headA: readonly number[];
  /** The action head's B, one row of r values per action of `actions`. */
  headB: readonly number[];
}

/** Scores candidates, explains them, and learns from outcomes. Create with `UtilityPlanner.create`. */
export class UtilityPlanner {
  /**
   * Operator policies: the highest priority among those matching a candidate is its `policy-priority`
   * feature.
   */
  readonly policies: PolicyRegistry = new PolicyRegistry();
  /** Learned success posteriors per (signature, action). */
  readonly successRates: SuccessRates;
  /** The scorer's adapter configuration. */
  readonly lora: LoRAConfig;
  readonly #actions: Map<string, ActionSpec>;
  /** Each action's row in the action head, by name. */
  readonly #actionIndex: Map<string, number>;
  readonly #options: Required<Omit<UtilityPlannerOptions, 'actions' | 'backend' | 'adapter' | 'lora'>>;

  private constructor(
    private readonly scorer: Scorer,
    actions: readonly ActionSpec[],
    options: UtilityPlannerOptions,
    successRates: SuccessRates,
  ) {
    this.#actions = new Map(actions.map((a) => [a.name, a]));
    this.#actionIndex = new Map([...this.#actions.keys()].map((name, i) => [name, i]));
    const { lora, learningRate = 0.05, targets = 3, plausible = 0.5 } = options;
    this.lora = lora ?? new LoRAConfig();
    this.#options = { learningRate, targets, plausible };
    this.successRates = successRates;
  }

  /**
   * A planner over `options.actions`, its scorer loaded.
   * @param options actions, adapter and targets (see `UtilityPlannerOptions`)
   * @param successRates learned posteriors to start from, e.g. restored from the knowledge store
   */
  static async create(
    options: UtilityPlannerOptions = {},
    successRates: SuccessRates = new SuccessRates(),
  ): Promise<UtilityPlanner> {
    const lora = options.lora ?? new LoRAConfig();
    if (!(lora instanceof LoRAConfig)) throw new ArgumentError('options.lora', 'expected a LoRAConfig');
    const actions = options.actions ?? DEFAULT_ACTIONS;
    const names = [...new Set(actions.map((a) => a.name))];
    const head = lora.targets('action-head');
    const projection = lora.targets('feature-projection');
    const adapter = options.adapter === undefined ? undefined : checkPlannerAdapter(options.adapter, lora);
    const scorer = await createScorer({
      features: FEATURES.length,
      rank: lora.r,
      scale: lora.scale,
      projection,
      actions: head ? names.length : 0,
      dropout: lora.dropout,
      initialisation: lora.initialisation,
      seed: lora.seed,
      backend: options.backend,
      weights: BASE_WEIGHTS,
      ...(adapter && projection ? { a: Float32Array.from(adapter.a), b: Float32Array.from(adapter.b) } : {}),
      ...(adapter && head
        ? { headA: Float32Array.from(adapter.headA), headB: headRows(adapter, names, lora.r) }
        : {}),
    });
    return new UtilityPlanner(scorer, actions, { ...options, lora }, successRates);
  }

  /** A copy of the adapters learnt so far, to save and pass back as `UtilityPlannerOptions.adapter`. */
  adapter(): PlannerAdapter {
    const { a, b, headA, headB } = this.scorer.parameters();
    return {
      features: [...FEATURES],
      config: this.lora.toJSON(),
      actions: this.scorer.actions ? [...this.#actionIndex.keys()] : [],
      a: Array.from(a),
      b: Array.from(b),
      headA: headA ? Array.from(headA) : [],
      headB: headB ? Array.from(headB) : [],
    };
  }

  /** Known actions. */
  get actions(): ActionSpec[] {
    return [...this.#actions.values()];
  }

  /** Scores every candidate for `diagnosis`; `tried` lists the {@link attemptKey}s of pairs to exclude. */
  plan(diagnosis: Diagnosis, tried: ReadonlySet<string> = new Set()): Plan {
    if (!(diagnosis.severity >= 0 && diagnosis.severity <= 1)) {
      throw new ArgumentError('diagnosis.severity', `expected 0..1, got ${diagnosis.severity}`);
    }
    const rows = this.#candidates(diagnosis, tried);
    const x = new Float32Array(rows.length * FEATURES.length);
    const allowed = new Uint8Array(rows.length);
    const actions = new Int32Array(rows.length);
    rows.forEach((row, i) => {
      x.set(row.vector, i * FEATURES.length);
      allowed[i] = row.excluded ? 0 : 1;
      actions[i] = this.#actionIndex.get(row.action)!;
    });
    const result = this.scorer.score(x, {
      allowed,
      temperature: PLAN_TEMPERATURE,
      ...(this.scorer.actions ? { actions } : {}),
    });
    const candidates = rows
      .map(
        (row, i): Candidate => ({
          action: row.action,
          target: row.target,
          score: result.scores[i],
          probability: result.probabilities[i],
          features: Object.fromEntries(FEATURES.map((f, j) => [f, row.vector[j]])) as Candidate['features'],
          explanation: explain(row.vector, result.scores[i]),
          ...(row.excluded ? { excluded: row.excluded } : {}),
        }),
      )
      .sort(
        (a, b) =>
          b.score - a.score || (a.action + printTarget(a.target) < b.action + printTarget(b.target) ? -1 : 1),
      );
    const chosen = result.best >= 0 ? candidates.find((c) => !c.excluded) : undefined;
    return { incidentId: diagnosis.incidentId, candidates, ...(chosen ? { chosen } : {}) };
  }

  /**
   * Learns from a verified outcome: the success posterior of (signature, action) and one
   * adapter step towards the utility that was realised, in the scorer's own units: the base
   * utility of the candidate's features with the outcome in place of the predicted success
   * (probability 1 or 0, no uncertainty left). The adapter so learns only where the prediction
   * missed; a target that left out a base term (slowness, say) would teach it to cancel that
   * term, and a per-action head learns such an offset fast.
   */
  learn(diagnosis: Diagnosis, candidate: Candidate, healed: boolean): void {
    const support = diagnosis.recommended.find((r) => r.action === candidate.action)?.support ?? 0;
    this.successRates.observe(diagnosis.signature, candidate.action, healed, priorFromSupport(support));
    const f = candidate.features;
    const outcome = healed ? 1 : 0;
    const known: Candidate['features'] = {
      ...f,
      'success-probability': outcome,
      'expected-gain': outcome * f.benefit * 2,
      uncertainty: 0,
    };
    const realised = FEATURES.reduce((sum, name, j) => sum + BASE_WEIGHTS[j] * known[name], 0);
    const x = Float32Array.from(FEATURES.map((name) => f[name]));
    const action = this.#actionIndex.get(candidate.action);
    if (action === undefined)
      throw new ArgumentError(
        'candidate.action',
        `"${candidate.action}" is not one of this planner's actions`,
      );
    this.scorer.update(x, realised, {
      learningRate: this.#options.learningRate,
      ...(this.scorer.actions ? { action } : {}),
    });
  }

  #candidates(d: Diagnosis, tried: ReadonlySet<string>) {
    const support = new Map(d.recommended.map((r) => [r.action, r.support]));
    const context = { kind: d.kind, metrics: d.metrics, severity: d.severity };
    const policyPriority = new Map<string, number>();
    const forbidden = new Map<string, Target[]>();
    for (const target of d.rootCauses) {
      for (const policy of this.policies.matching({ ...context, target: target.target })) {
        policyPriority.set(policy.action, Math.max(policyPriority.get(policy.action) ?? 0, policy.priority));
        for (const t of policy.forbiddenTargets ?? []) {
          if (!forbidden.has(policy.action)) forbidden.set(policy.action, []);
          forbidden.get(policy.action)!.push(t);
        }
      }
    }
    const names = new Set([...support.keys(), ...policyPriority.keys()]);
    // With no runbook or policy advice, every action is a candidate.
    const actions = names.size
      ? [...names].map((n) => this.#actions.get(n)).filter((a) => a !== undefined)
      : this.actions;
    // Targets of the diagnosed scope; when the ranking holds none of that type, the other type
    // rather than nothing (a wrong scope guess should cost an attempt, not the whole incident).
    const allNodes = d.rootCauses.filter((c) => c.target.node !== undefined).slice(0, this.#options.targets);
    const allLinks = d.rootCauses.filter((c) => c.target.link !== undefined).slice(0, this.#options.targets);
    const scopedNodes = d.scope === 'link' && allLinks.length ? [] : allNodes;
    const scopedLinks = d.scope === 'node' && allNodes.length ? [] : allLinks;
    const best = Math.max(0, ...[...scopedNodes, ...scopedLinks].map((c) => c.score));
    const plausible = (c: CauseCandidate) => c.score >= best * this.#options.plausible;
    const nodes = scopedNodes.filter(plausible);
    const links = scopedLinks.filter(plausible);

    const rows: Array<{
      action: string;
      target: Target;
      vector: Float32Array;
      stopgap: boolean;
      excluded?: string;
    }> = [];
    for (const action of actions) {
      const targets =
        action.scope === 'node' ? nodes : action.scope === 'link' ? links : [...nodes, ...links];
      for (const target of targets) {
        const prior = priorFromSupport(support.get(action.name) ?? 0);
        const posterior = this.successRates.get(d.signature, action.name, prior);
        const p = mean(posterior);
        const benefit = d.severity * target.score;
        const vector = new Float32Array([
          p,
          benefit,
          p * benefit * 2,
          action.cost,
          action.risk,
          support.get(action.name) ?? 0,
          (policyPriority.get(action.name) ?? 0) / 4,
          spread(posterior),
          Math.min(1, action.duration / SLOW_TICKS),
        ]);
        const excluded = tried.has(attemptKey(action.name, target.target))
          ? 'already tried for this incident'
          : forbidden.get(action.name)?.some((t) => sameTarget(t, target.target))
            ? 'forbidden by policy'
            : action.detours && target.cut
              ? 'no way around a partition cut'
              : undefined;
        const stopgap = action.stopgapOn === targetScope(target.target);
        rows.push({
          action: action.name,
          target: target.target,
          vector,
          stopgap,
          ...(excluded ? { excluded } : {}),
        });
      }
    }
    // A stopgap only while no remedy is left for its target: moving traffic off a broken node
    // clears the symptoms but not the fault.
    const remedied = rows.filter((r) => !r.stopgap && !r.excluded).map((r) => r.target);
    for (const row of rows)
      if (row.stopgap && !row.excluded && remedied.some((t) => sameTarget(t, row.target)))
        row.excluded = 'a stopgap, while a remedy is left for the target';
    return rows;
  }
}

/**
 * The key under which an (action, target) attempt is remembered, e.g. in the `tried` set that
 * {@link UtilityPlanner.plan} passes over.
 */
export function attemptKey(action: string, target: Target): string {
  return `${action}@${targetKey(target)}`;
}

/**
 * The adapter if it was learnt over the planner's features under `lora` (ArgumentError naming
 * what does not fit: a different configuration is refused, never silently re-shaped).
 */
export function checkPlannerAdapter(adapter: PlannerAdapter, lora: LoRAConfig): PlannerAdapter {
  if (adapter === null || typeof adapter !== 'object')
    throw new ArgumentError('options.adapter', 'expected { features, config, actions, a, b, headA, headB }');
  const { features, config, actions, a, b, headA, headB } = adapter;
  if (!Array.isArray(features) || features.join() !== FEATURES.join())
    throw new ArgumentError(
      'options.adapter.features',
      `learnt over [${String(features)}], not this planner's [${FEATURES.join()}]`,
    );
  let learnt: LoRAConfig;
  try {
    learnt = LoRAConfig.fromJSON(config);
  } catch (cause) {
    throw new ArgumentError('options.adapter.config', `is no LoRA configuration (${String(cause)})`);
  }
  if (!learnt.equals(lora))
    throw new ArgumentError(
      'options.adapter.config',
      `learnt under LoRA (${learnt}), not this planner's (${lora}): refused, never re-shaped`,
    );
  const r = lora.r;
  const f = FEATURES.length;
  const projected = lora.targets('feature-projection') ? r : 0;
  const headed = lora.targets('action-head');
  const finite = (name: string, xs: unknown, length: number) => {
    if (!Array.isArray(xs) || xs.length !== length || !xs.every(Number.isFinite))
      throw new ArgumentError(`options.adapter.${name}`, `expected ${length} finite numbers`);
  };
  if (!Array.isArray(actions) || !actions.every((n) => typeof n === 'string'))
    throw new ArgumentError('options.adapter.actions', 'expected a list of action names');
  finite('a', a, f * projected);
  finite('b', b, projected);
  finite('headA', headA, headed ? f * r : 0);
  finite('headB', headB, headed ? actions.length * r : 0);
  return adapter;
}

/** The action head's B for `names`: each known action's learnt row, zeros for a new one. */
function headRows(adapter: PlannerAdapter, names: readonly string[], r: number): Float32Array {
  const rows = new Float32Array(names.length * r);
  const learnt = new Map(adapter.actions.map((name, i) => [name, i]));
  names.forEach((name, i) => {
    const at = learnt.get(name);
    if (at !== undefined) rows.set(adapter.headB.slice(at * r, (at + 1) * r), i * r);
  });
  return rows;
}

/** Runbook support s in 0..1 counts as 4s prior successes. */
function priorFromSupport(support: number): number {
  return 4 * support;
}

function explain(vector: Float32Array, score: number): string {
  const parts = FEATURES.map((name, j) => ({ name, value: BASE_WEIGHTS[j] * vector[j] }))
    .filter((p) => p.value !== 0)
    .sort((a, b) => Math.abs(b.value) - Math.abs(a.value));
  const base = parts.reduce((sum, p) => sum + p.value, 0);
  const learned = Number.isFinite(score) ? score - base : 0;
  const terms = parts.slice(0, 3).map((p) => `${p.name} ${p.value >= 0 ? '+' : ''}${p.value.toFixed(2)}`);
  if (Math.abs(learned) >= 0.01) terms.push(`learned ${learned >= 0 ? '+' : ''}${learned.toFixed(2)}`);
  return terms.join(', ');
}
