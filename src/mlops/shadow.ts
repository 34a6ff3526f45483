/**
 * Shadow evaluation of the engine's decision model. A challenger planner runs beside the
 * champion on every incident the loop plans for: it sees the same diagnosis and the same
 * attempts already made, its choice is recorded, and it is never returned to the loop, so the
 * executor only ever receives the champion's actions. Both learn from every outcome the loop
 * verifies (the challenger from its own view of the action taken), so they differ only in how
 * they learn: `discount` 1 keeps every outcome (the engine's success rates), below 1 forgets old
 * outcomes geometrically (Garivier & Moulines 2011, discounted bandits), which adapts faster
 * when an action stops working and is noisier while nothing changes.
 *
 * Scoring a choice that was never executed. Each incident gives one pair: the champion's first
 * completed action, healed or not, and the challenger's choice at that same decision. The
 * challenger's outcome is known when it chose the same action and target (the pair is then
 * tied), or when the loop executed its choice on that incident later, after the champion's
 * failed. Otherwise it is unknown and counted as a failure: a challenger whose choice differs
 * from a champion that healed loses that incident. Imputing failure never raises the
 * challenger's score above its true counterfactual one, so the test below can only become more
 * reluctant to promote, never less. (A choice executed later meets the fault a little later; that
 * is the one approximation.) Actions the executor failed to carry out score neither.
 *
 * Promotion: once `minIncidents` incidents are scored, a one-sided exact sign test (McNemar's
 * exact test on the discordant pairs) asks whether the challenger wins more incidents than it
 * loses: p = P(X >= wins), X ~ Binomial(wins + losses, 1/2). When p <= `alpha` it is promoted.
 * The test is repeated after each scored incident, so the chance of some false promotion over a
 * long run exceeds `alpha`; the pessimistic scoring and the minimum count hold it down.
 *
 * Rollback: the champion's health (health.ts, one ModelHealthMonitor per champion, fed each
 * decision's outcome) turning `failing` returns the registry's champion alias to the version
 * promoted before it, and the engine acts with that version's posteriors.
 *
 * Every change is a registry operation, audited when the registry has a log. At the start the
 * champion's and the challenger's first states are registered (aliases `champion` and
 * `challenger`). A promotion registers the outgoing champion's state and promotes it (a
 * checkpoint, so a rollback returns to what it knew when it was replaced), then registers and
 * promotes the challenger's state, and points `challenger` at the checkpoint: the displaced
 * champion stays on as the challenger. A rollback rolls `champion` back, registers the demoted
 * model's state and points `challenger` at it. The evidence starts afresh after either.
 *
 * The registered artefact is the posteriors (the shape src/run/learning.ts restores) with the
 * discount among the version's parameters. The scoring adapter is another model: a rolled-back
 * champion starts from the planner options' adapter.
 *
 * Any planner can be the challenger (a {@link DecisionPlanner}: an OnnxPlanner ranking with a
 * user's model, say), given as the recipe's `planner`; one answering asynchronously makes `plan`
 * return a promise, which the loop awaits. Its versions carry its success rates, the parameter
 * `own` 1 and the tag `planner`; the model itself is fixed, so a rollback to such a version
 * returns to the same planner object rather than rebuilding one from the posteriors.
 */
import { ArgumentError } from '../errors.ts';
import type { ModelStore, ModelVersionRecord } from '../knowledge/models.ts';
import type { Posterior } from '../knowledge/records.ts';
import type { ActionSpec } from '../plan/actions.ts';
import {
  attemptKey,
  type Candidate,
  type Diagnosis,
  type Plan,
  UtilityPlanner,
  type UtilityPlannerOptions,
} from '../plan/decision.ts';
import { SuccessRates } from '../plan/posteriors.ts';
import {
  type HealthReport,
  type HealthStatus,
  ModelHealthMonitor,
  type ModelHealthOptions,
} from './health.ts';
import { CHALLENGER, CHAMPION, type ModelAuditLog, ModelRegistry } from './registry.ts';

/** Success rates that forget: each outcome of (signature, action) first shrinks what was learnt of it by `discount` (see `observe`). */
export class DiscountedSuccessRates extends SuccessRates {
  /** The share of earlier evidence kept at each new outcome of the same (signature, action), in (0, 1]. */
  readonly discount: number;
  readonly #table = new Map<string, Posterior>();

  /** Rates forgetting by `discount`, starting from `initial` (copied); ArgumentError outside (0, 1]. */
  constructor(discount: number, initial: readonly Posterior[] = []) {
    super();
    if (!(discount > 0 && discount <= 1))
      throw new ArgumentError('discount', `expected a number in (0, 1], got ${String(discount)}`);
    this.discount = discount;
    for (const p of initial) this.#table.set(rateKey(p.signature, p.action), { ...p });
  }

  /** The posterior, or the prior Beta(1 + prior, 1) when never observed. */
  override get(signature: string, action: string, prior = 0): Posterior {
    return this.#table.get(rateKey(signature, action)) ?? { signature, action, alpha: 1 + prior, beta: 1 };
  }

  /**
   * Shrinks what was learnt of (signature, action) towards Beta(1, 1) by `discount`, then records
   * the outcome. The runbook prior is forgotten with the old outcomes: kept, it would hold the
   * posterior of an action that stopped working up forever (its support still enters the
   * planner's score as a feature of its own).
   */
  override observe(signature: string, action: string, healed: boolean, prior = 0): Posterior {
    const p = { ...this.get(signature, action, prior) };
    p.alpha = 1 + this.discount * (p.alpha - 1) + (healed ? 1 : 0);
    p.beta = 1 + this.discount * (p.beta - 1) + (healed ? 0 : 1);
    this.#table.set(rateKey(signature, action), p);
    return { ...p };
  }

  /** Copies of every posterior. */
  override all(): Posterior[] {
    return [...this.#table.values()].map((p) => ({ ...p }));
  }
}

/**
 * One-sided exact sign test: the chance of at least `wins` wins in `wins + losses` fair coin
 * flips (1 when there are none). Small values say the challenger wins more often than chance.
 */
export function signTestPValue(wins: number, losses: number): number {
  for (const [name, value] of [
    ['wins', wins],
    ['losses', losses],
  ] as const)
    if (!Number.isInteger(value) || value < 0)
      throw new ArgumentError(name, `expected an integer >= 0, got ${String(value)}`);
  const n = wins + losses;
  let logChoose = 0;
  let p = 0;
  for (let k = 0; k <= n; k++) {
    if (k > 0) logChoose += Math.log((n - k + 1) / k);
    if (k >= wins) p += Math.exp(logChoose - n * Math.LN2);
  }
  return Math.min(1, p);
}

/**
 * A planner the shadow can run (the loop's Planner contract with the success rates it registers):
 * the UtilityPlanner, or one of the caller's, such as an OnnxPlanner.
 */
export interface DecisionPlanner {
  /** The actions it plans with. */
  readonly actions: readonly ActionSpec[];
  /** Its plan for `diagnosis`, leaving out the attempts in `tried`; a promise when its model answers later. */
  plan(diagnosis: Diagnosis, tried: ReadonlySet<string>): Plan | Promise<Plan>;
  /** Learns from the outcome of a completed action. */
  learn(diagnosis: Diagnosis, candidate: Candidate, healed: boolean): void;
  /** Its learnt success rates, registered as its version's artefact. */
  readonly successRates: SuccessRates;
  /** The UtilityPlanner it builds on (an OnnxPlanner's), whose posteriors and adapter are what it learns. */
  readonly base?: UtilityPlanner;
}

/**
 * Default settings: the test's minimum of scored incidents and level, and the discount of the
 * challenger the CLI runs (`run --shadow`, `serve --shadow`): 0.7, the world-change bench's, which
 * forgets an action that stopped working within a few outcomes.
 */
export const SHADOW_DEFAULTS: {
  readonly minIncidents: number;
  readonly alpha: number;
  readonly discount: number;
} = { minIncidents: 20, alpha: 0.05, discount: 0.7 };

/** How a decision model learns: see the module comment. */
export interface DecisionRecipe {
  /** Share of earlier evidence kept at each outcome: 1 keeps all (the engine's default), below 1 forgets. */
  discount: number;
  /** Posteriors it starts from (default: the champion's); ignored with `planner`. */
  successRates?: readonly Posterior[];
  /**
   * A planner of the caller's making, used as it is in place of a UtilityPlanner built from
   * `discount` and `successRates` (`discount` then only describes it in the registry).
   */
  planner?: DecisionPlanner;
}

/** Options of {@link ShadowPlanner.create}. */
export interface ShadowOptions {
  /** Where the decision model's versions and aliases are kept (the engine's knowledge store). */
  store: ModelStore;
  /** Receives a `model.register`, `model.promote` or `model.rollback` entry before each change is stored. */
  audit?: ModelAuditLog;
  /** The audit entries' actor (default 'shadow'). */
  actor?: string;
  /** The registry name of the decision model (default 'engine.success-rates'). */
  model?: string;
  /** Options both planners are built with (the engine's). */
  planner?: UtilityPlannerOptions;
  /** The champion (default: discount 1, no posteriors). */
  champion?: DecisionRecipe;
  /** The challenger, run in the shadow. */
  challenger: DecisionRecipe;
  /** Incidents scored before the test may promote (default 20). */
  minIncidents?: number;
  /** Significance level of the one-sided sign test (default 0.05). */
  alpha?: number;
  /** Options of the champion's health monitor (thresholds, see health.ts). */
  health?: ModelHealthOptions;
}

/** One scored incident: both choices (`action@target`) and their outcomes. */
export interface ShadowOutcome {
  /** The incident. */
  incidentId: string;
  /** The champion's first completed action. */
  champion: string;
  /** The challenger's choice at that decision; null when it had none. */
  challenger: string | null;
  /** Whether the champion's action healed. */
  championHealed: boolean;
  /** Whether the challenger's would have (observed, or imputed as a failure). */
  challengerHealed: boolean;
  /** The challenger's outcome was not observed and counted as a failure. */
  imputed: boolean;
}

/** The evidence gathered since the champion took office. */
export interface ShadowEvidence {
  /** Incidents scored. */
  incidents: number;
  /** Incidents the challenger healed and the champion did not. */
  wins: number;
  /** Incidents the champion healed and the challenger did not. */
  losses: number;
  /** The sign test's one-sided p-value on them. */
  pValue: number;
}

/** A promotion or a rollback, as the shadow made it. */
export interface ShadowTransition {
  /** What happened. */
  action: 'promote' | 'rollback';
  /** The tick of the review that made it. */
  tick: number;
  /** The champion version before. */
  from: number;
  /** The champion version after. */
  to: number;
  /** The champion's discount after. */
  discount: number;
  /** Why: the test's figures, or the failing health figures. */
  reason: string;
}

/** What a shadow did over its whole life, as a report shows it (plain JSON). */
export interface ShadowSummary {
  /** The registry name of the decision model. */
  model: string;
  /** The champion's and the challenger's versions now, and their discounts. */
  versions: ShadowPlanner['versions'];
  /** Incidents scored over the whole run, and the challenger's wins and losses among them. */
  scored: { incidents: number; wins: number; losses: number; imputed: number };
  /** The evidence since the current champion took office (the test's input). */
  evidence: ShadowEvidence;
  /** Promotions made. */
  promotions: number;
  /** Rollbacks made. */
  rollbacks: number;
  /** Every promotion and rollback, oldest first. */
  transitions: ShadowTransition[];
  /** The champion's health at the last review. */
  health: HealthStatus;
  /** Decisions the challenger could not make. */
  challengerErrors: number;
  /** Changes the registry could not record. */
  registryFailures: string[];
}

/** A planner and how it learns, with its registry version; `own` when the caller made it. */
interface Slot {
  planner: DecisionPlanner;
  discount: number;
  version: number;
  own: boolean;
}

/** An incident whose challenger outcome is not known yet. */
type OpenPair = Omit<ShadowOutcome, 'challengerHealed' | 'imputed'>;

/** Scored incidents kept for inspection (the newest). */
const OUTCOMES_KEPT = 1000;

/** The decision model's registry name when the options give none (the engine's success rates'). */
const DEFAULT_MODEL = 'engine.success-rates';

/**
 * The loop's planner (it satisfies the loop's Planner contract): plans with the champion, runs
 * the challenger in the shadow, and promotes or rolls back at {@link review}. See the module comment.
 */
export class ShadowPlanner {
  readonly #registry: ModelRegistry;
  readonly #model: string;
  readonly #plannerOptions: UtilityPlannerOptions;
  readonly #minIncidents: number;
  readonly #alpha: number;
  readonly #healthOptions: ModelHealthOptions;
  #champion: Slot;
  #challenger: Slot;
  #since = 0;
  #health: ModelHealthMonitor;
  #lastHealth: HealthStatus = 'unknown';
  #tally = { incidents: 0, wins: 0, losses: 0 };
  readonly #totals = { incidents: 0, wins: 0, losses: 0, imputed: 0 };
  #dirty = false;
  readonly #shadowPlans = new Map<string, Plan>();
  readonly #open = new Map<string, OpenPair>();
  readonly #decided = new Set<string>();
  readonly #outcomes: ShadowOutcome[] = [];
  readonly #transitions: ShadowTransition[] = [];
  #challengerErrors = 0;
  readonly #registryFailures: string[] = [];
  /** The caller's planners by the registry versions registered from them (a rollback returns to the object). */
  readonly #ownPlanners = new Map<number, DecisionPlanner>();

  private constructor(registry: ModelRegistry, options: ShadowOptions, champion: Slot, challenger: Slot) {
    this.#registry = registry;
    this.#model = options.model ?? DEFAULT_MODEL;
    this.#plannerOptions = options.planner ?? {};
    this.#minIncidents = options.minIncidents ?? SHADOW_DEFAULTS.minIncidents;
    this.#alpha = options.alpha ?? SHADOW_DEFAULTS.alpha;
    this.#healthOptions = options.health ?? {};
    this.#health = new ModelHealthMonitor(this.#healthOptions);
    this.#champion = champion;
    this.#challenger = challenger;
  }

  /**
   * Builds both planners and registers their first states (aliases `champion` and `challenger`).
   * ArgumentError naming an option that does not fit.
   */
  static async create(options: ShadowOptions): Promise<ShadowPlanner> {
    if (options === null || typeof options !== 'object')
      throw new ArgumentError('options', 'expected { store, challenger, ... }');
    const minIncidents = options.minIncidents ?? SHADOW_DEFAULTS.minIncidents;
    if (!Number.isInteger(minIncidents) || minIncidents < 1)
      throw new ArgumentError(
        'options.minIncidents',
        `expected an integer >= 1, got ${String(minIncidents)}`,
      );
    const alpha = options.alpha ?? SHADOW_DEFAULTS.alpha;
    if (!(alpha > 0 && alpha < 1))
      throw new ArgumentError('options.alpha', `expected a level in (0, 1), got ${String(alpha)}`);
    if (!options.challenger || typeof options.challenger !== 'object')
      throw new ArgumentError('options.challenger', 'expected { discount, successRates?, planner? }');
    for (const [name, recipe] of [
      ['options.champion.planner', options.champion],
      ['options.challenger.planner', options.challenger],
    ] as const) {
      const own = recipe?.planner;
      if (own !== undefined && !isDecisionPlanner(own))
        throw new ArgumentError(name, 'expected a planner with actions, plan, learn and successRates');
    }
    const registry = new ModelRegistry(options.store, {
      ...(options.audit ? { audit: options.audit } : {}),
      actor: options.actor ?? 'shadow',
    });
    const model = options.model ?? DEFAULT_MODEL;
    const championRecipe = options.champion ?? { discount: 1 };
    const start = championRecipe.successRates ?? [];
    const build = async (recipe: DecisionRecipe, name: string): Promise<Omit<Slot, 'version'>> => {
      const own = recipe.planner;
      const discount = own ? validDiscount(recipe.discount, name) : recipe.discount;
      return {
        planner:
          own ??
          (await UtilityPlanner.create(
            options.planner ?? {},
            successRates(recipe.discount, recipe.successRates ?? start, name),
          )),
        discount,
        own: own !== undefined,
      };
    };
    const champion = await build(championRecipe, 'options.champion.discount');
    const challenger = await build(options.challenger, 'options.challenger.discount');
    const shadow = new ShadowPlanner(
      registry,
      options,
      { ...champion, version: 0 },
      { ...challenger, version: 0 },
    );
    const first = await shadow.#register(champion, { tags: ['shadow', 'champion'] });
    await registry.promote(model, first.version, { reason: 'the engine starts acting with it' });
    shadow.#champion.version = first.version;
    const second = await shadow.#register(challenger, {
      parent: first.version,
      tags: ['shadow', 'challenger'],
    });
    await registry.promote(model, second.version, {
      alias: CHALLENGER,
      reason: 'evaluated in the shadow of the champion',
    });
    shadow.#challenger.version = second.version;
    return shadow;
  }

  /** The champion's actions (the loop reads what an action does from here). */
  get actions(): readonly ActionSpec[] {
    return this.#champion.planner.actions;
  }

  /** The champion's success rates (the loop stores the one an outcome changed). */
  get successRates(): SuccessRates {
    return this.#champion.planner.successRates;
  }

  /** The planner acting now. */
  get champion(): DecisionPlanner {
    return this.#champion.planner;
  }

  /** The planner in the shadow. */
  get challenger(): DecisionPlanner {
    return this.#challenger.planner;
  }

  /** The registry versions of the champion and the challenger, and their discounts. */
  get versions(): {
    champion: number;
    challenger: number;
    discounts: { champion: number; challenger: number };
  } {
    return {
      champion: this.#champion.version,
      challenger: this.#challenger.version,
      discounts: { champion: this.#champion.discount, challenger: this.#challenger.discount },
    };
  }

  /** The evidence since the champion took office. */
  get evidence(): ShadowEvidence {
    const { incidents, wins, losses } = this.#tally;
    return { incidents, wins, losses, pValue: signTestPValue(wins, losses) };
  }

  /** The champion's health at the last review (`unknown` before enough evidence). */
  get health(): HealthStatus {
    return this.#lastHealth;
  }

  /** Every promotion and rollback, oldest first. */
  get transitions(): readonly ShadowTransition[] {
    return this.#transitions;
  }

  /** The newest scored incidents (at most 1000), oldest first. */
  get outcomes(): readonly ShadowOutcome[] {
    return this.#outcomes;
  }

  /** The whole run's figures, for a report (see {@link ShadowSummary}). */
  summary(): ShadowSummary {
    return {
      model: this.#model,
      versions: this.versions,
      scored: { ...this.#totals },
      evidence: this.evidence,
      promotions: this.#transitions.filter((t) => t.action === 'promote').length,
      rollbacks: this.#transitions.filter((t) => t.action === 'rollback').length,
      transitions: this.#transitions.map((t) => ({ ...t })),
      health: this.#lastHealth,
      challengerErrors: this.#challengerErrors,
      registryFailures: [...this.#registryFailures],
    };
  }

  /** Decisions the challenger could not make (its planner threw); each scores as a challenger failure. */
  get challengerErrors(): number {
    return this.#challengerErrors;
  }

  /** Promotions and rollbacks the registry could not record (the engine went on as before), with why. */
  get registryFailures(): readonly string[] {
    return this.#registryFailures;
  }

  /**
   * The champion's plan, which the loop acts on; the challenger's is recorded for the incident.
   * A promise when either planner answers asynchronously: it settles once both have.
   */
  plan(diagnosis: Diagnosis, tried: ReadonlySet<string> = new Set()): Plan | Promise<Plan> {
    const plan = this.#champion.planner.plan(diagnosis, tried);
    let shadow: Plan | Promise<Plan> | undefined;
    try {
      shadow = this.#challenger.planner.plan(diagnosis, tried);
    } catch {
      shadow = undefined;
    }
    if (shadow instanceof Promise || plan instanceof Promise)
      return Promise.all([plan, Promise.resolve(shadow).catch(() => undefined)]).then(([p, s]) => {
        this.#recordShadow(diagnosis.incidentId, s);
        return p;
      });
    this.#recordShadow(diagnosis.incidentId, shadow);
    return plan;
  }

  /** Keeps the challenger's plan for the incident; whatever the challenger did, the champion's plan stands. */
  #recordShadow(incidentId: string, shadow: Plan | undefined): void {
    if (shadow) return void this.#shadowPlans.set(incidentId, shadow);
    // Its missing choice scores as a failure.
    this.#challengerErrors++;
    this.#shadowPlans.delete(incidentId);
  }

  /** Both planners learn the outcome; the incident's pair is scored once its outcomes are known. */
  learn(diagnosis: Diagnosis, candidate: Candidate, healed: boolean): void {
    const id = diagnosis.incidentId;
    const key = attemptKey(candidate.action, candidate.target);
    const shadow = this.#shadowPlans.get(id);
    this.#champion.planner.learn(diagnosis, candidate, healed);
    const own = shadow?.candidates.find((c) => attemptKey(c.action, c.target) === key);
    this.#challenger.planner.learn(diagnosis, own ?? candidate, healed);
    this.#health.recordDecision(healed);
    this.#health.recordError(healed ? 0 : 1);
    this.#dirty = true;
    const open = this.#open.get(id);
    if (open) {
      if (key !== open.challenger) return;
      this.#open.delete(id);
      return this.#score(open, healed, false);
    }
    if (this.#decided.has(id)) return;
    this.#decided.add(id);
    const choice = shadow?.chosen ? attemptKey(shadow.chosen.action, shadow.chosen.target) : null;
    const pair: OpenPair = { incidentId: id, champion: key, challenger: choice, championHealed: healed };
    if (choice === key) return this.#score(pair, healed, false);
    // The champion healed it (or the challenger had no choice): the challenger's is never executed.
    if (healed || choice === null) return this.#score(pair, false, true);
    this.#open.set(id, pair);
  }

  /** The incident is closed (resolved or handed to a human): a challenger outcome still unknown counts as a failure. */
  incidentClosed(incidentId: string): void {
    const open = this.#open.get(incidentId);
    if (open) {
      this.#open.delete(incidentId);
      this.#score(open, false, true);
    }
    this.#shadowPlans.delete(incidentId);
    this.#decided.delete(incidentId);
  }

  /**
   * Acts on the evidence at tick `tick` (call it once per tick, between loop ticks): rolls the
   * champion back when its health is failing, else promotes the challenger when the test says
   * it is better. Does nothing when nothing was learnt since the last review.
   */
  async review(tick: number): Promise<void> {
    if (!Number.isFinite(tick)) throw new ArgumentError('tick', `expected a finite tick, got ${tick}`);
    if (!this.#dirty) return;
    this.#dirty = false;
    const report = await this.#health.assess(Math.max(0, tick - this.#since) / 3600);
    this.#lastHealth = report.status;
    try {
      if (report.status === 'failing' && (await this.#rollback(tick, report))) return;
      const { incidents, wins, losses } = this.#tally;
      if (incidents < this.#minIncidents || wins <= losses) return;
      const p = signTestPValue(wins, losses);
      if (p <= this.#alpha) await this.#promote(tick, p);
    } catch (error) {
      // A registry that cannot record a change leaves the engine acting as before; tried again at the next outcome.
      this.#registryFailures.push(`tick ${tick}: ${(error as Error)?.message ?? String(error)}`);
    }
  }

  #score(pair: OpenPair, challengerHealed: boolean, imputed: boolean): void {
    for (const tally of [this.#tally, this.#totals]) {
      tally.incidents++;
      if (pair.championHealed && !challengerHealed) tally.losses++;
      else if (!pair.championHealed && challengerHealed) tally.wins++;
    }
    if (imputed) this.#totals.imputed++;
    this.#outcomes.push({ ...pair, challengerHealed, imputed });
    if (this.#outcomes.length > OUTCOMES_KEPT) this.#outcomes.shift();
    this.#dirty = true;
  }

  async #promote(tick: number, p: number): Promise<void> {
    const outgoing = this.#champion;
    const incoming = this.#challenger;
    const { incidents, wins, losses } = this.#tally;
    const checkpoint = await this.#register(outgoing, {
      parent: outgoing.version,
      tags: ['shadow', 'checkpoint'],
    });
    await this.#registry.promote(this.#model, checkpoint.version, {
      reason: 'checkpoint of the champion before the challenger replaces it',
    });
    const promoted = await this.#register(incoming, {
      parent: incoming.version,
      tags: ['shadow', 'promoted'],
      metrics: { incidents, wins, losses, pValue: p },
    });
    const reason =
      `challenger better on ${wins} of ${wins + losses} discordant incidents of ${incidents}: ` +
      `one-sided exact sign test p = ${p.toPrecision(3)} <= ${this.#alpha}`;
    await this.#registry.promote(this.#model, promoted.version, { reason });
    await this.#registry.promote(this.#model, checkpoint.version, {
      alias: CHALLENGER,
      reason: 'the displaced champion stays on as the challenger',
    });
    this.#champion = { ...incoming, version: promoted.version };
    this.#challenger = { ...outgoing, version: checkpoint.version };
    this.#transitions.push({
      action: 'promote',
      tick,
      from: outgoing.version,
      to: promoted.version,
      discount: incoming.discount,
      reason,
    });
    this.#takeOffice(tick);
  }

  /** Rolls the champion back when the registry has an intact earlier version; false when it has none. */
  async #rollback(tick: number, report: HealthReport): Promise<boolean> {
    const target = await this.#registry.rollbackTarget(this.#model, CHAMPION);
    const posteriors = target?.artefact;
    if (!target || !Array.isArray(posteriors)) return false;
    const discount = Number(target.lineage.parameters.discount ?? 1);
    const own = this.#ownPlanners.get(target.version);
    const reason = `health failing: ${report.findings
      .filter((f) => f.status === 'failing')
      .map((f) => `${f.figure} ${f.rule}`)
      .join('; ')}`;
    const planner =
      own ??
      (await UtilityPlanner.create(
        this.#plannerOptions,
        successRates(discount, posteriors as Posterior[], 'discount'),
      ));
    const demoted = this.#champion;
    await this.#registry.rollback(this.#model, { reason });
    const kept = await this.#register(demoted, { parent: demoted.version, tags: ['shadow', 'demoted'] });
    await this.#registry.promote(this.#model, kept.version, {
      alias: CHALLENGER,
      reason: 'the rolled-back champion stays on as the challenger',
    });
    this.#champion = { planner, discount, version: target.version, own: own !== undefined };
    this.#challenger = { ...demoted, version: kept.version };
    this.#transitions.push({
      action: 'rollback',
      tick,
      from: demoted.version,
      to: target.version,
      discount,
      reason,
    });
    this.#takeOffice(tick);
    return true;
  }

  /**
   * A new champion: fresh health evidence and a fresh tally. Incidents under way stay decided
   * (their first action was the old champion's), so only incidents it plans from the start count.
   */
  #takeOffice(tick: number): void {
    this.#since = tick;
    this.#health = new ModelHealthMonitor(this.#healthOptions);
    this.#tally = { incidents: 0, wins: 0, losses: 0 };
    this.#open.clear();
    this.#shadowPlans.clear();
  }

  async #register(
    slot: Omit<Slot, 'version'>,
    meta: { parent?: number; tags: string[]; metrics?: Record<string, number> },
  ): Promise<ModelVersionRecord> {
    const artefact = slot.planner.successRates.all();
    const record = await this.#registry.register({
      name: this.#model,
      kind: 'success-rates',
      artefact,
      ...(meta.parent === undefined ? {} : { parent: meta.parent }),
      parameters: { discount: slot.discount, ...(slot.own ? { own: 1 } : {}) },
      metrics: { posteriors: artefact.length, ...(meta.metrics ?? {}) },
      tags: slot.own ? [...meta.tags, 'planner'] : meta.tags,
    });
    if (slot.own) this.#ownPlanners.set(record.version, slot.planner);
    return record;
  }
}

/** Plain success rates for discount 1, forgetting ones below. */
function successRates(discount: number, initial: readonly Posterior[], name: string): SuccessRates {
  validDiscount(discount, name);
  return discount === 1 ? new SuccessRates(initial) : new DiscountedSuccessRates(discount, initial);
}

/** `discount` when in (0, 1]; ArgumentError naming `name` otherwise. */
function validDiscount(discount: number, name: string): number {
  if (!(discount > 0 && discount <= 1))
    throw new ArgumentError(name, `expected a number in (0, 1], got ${String(discount)}`);
  return discount;
}

/** Whether `value` has what the shadow calls on a planner. */
function isDecisionPlanner(value: unknown): value is DecisionPlanner {
  const p = value as Partial<DecisionPlanner> | null;
  return (
    typeof p === 'object' &&
    p !== null &&
    Array.isArray(p.actions) &&
    typeof p.plan === 'function' &&
    typeof p.learn === 'function' &&
    typeof p.successRates?.all === 'function'
  );
}

function rateKey(signature: string, action: string): string {
  return `${signature}\u0000${action}`;
}
