/**
 * A model's health from evidence: what its outputs led to, how fast it gave them, whether its
 * inputs still look like what it learnt from, and whether its errors have risen. Nothing here is
 * a constant: with no evidence the status is `unknown`, and each figure is judged only once it
 * rests on enough observations.
 *
 * | figure                   | evidence needed        | degraded when      | failing when       | source |
 * |--------------------------|------------------------|--------------------|--------------------|--------|
 * | detection precision      | >= 10 anomalies        | < 0.5              | < 0.2              | project target: most alarms must be real |
 * | false alarms per hour    | >= 1 h, >= 1 anomaly   | > 1                | > 5                | project target (alert fatigue) |
 * | decision success rate    | >= 10 decisions        | < 0.8              | < 0.5              | project target: a coin flip is failing |
 * | latency p95              | >= 20 timings          | > budget (100 ms)  | > 5 x budget       | the loop's p99 budget (readiness perf checks) |
 * | input drift, per feature | >= 30 ref, >= 100 cur. | PSI >= 0.1, KS >= crit(0.01), W1 >= 0.2 sd | PSI >= 0.25 or W1 >= 0.5 sd | see drift.ts DRIFT_THRESHOLDS |
 * | error drift              | Page-Hinkley (error-drift.ts) | a detection since the monitor started | - | Page 1954; river defaults |
 *
 * The model's status is the worst verdict of its judged figures; `unknown` when none could be
 * judged. Precision counts anomalies that became confirmed incidents; false alarms are the
 * anomalies that did not.
 */
import { ArgumentError } from '../errors.ts';
import { type BackendOptions, chooseBackend } from '../kernels/loader.ts';
import { initStats } from '../kernels/stats/wasm.ts';
import { featureDrift, worse, type FeatureDrift, type FigureStatus } from './drift.ts';
import { PageHinkley, type PageHinkleyOptions } from './error-drift.ts';

/** A model's status; `unknown` until some figure rests on enough evidence. */
export type HealthStatus = FigureStatus | 'unknown';

/** Limits of the figures (see the table in the module comment). */
export interface HealthThresholds {
  /** Anomalies needed before precision is judged. */
  minAnomalies: number;
  /** Precision below which the model is degraded, failing. */
  precision: { degraded: number; failing: number };
  /** Hours of evidence needed before false alarms per hour are judged. */
  minHours: number;
  /** False alarms per hour above which the model is degraded, failing. */
  falseAlarmsPerHour: { degraded: number; failing: number };
  /** Decisions needed before their success rate is judged. */
  minDecisions: number;
  /** Decision success rate below which the model is degraded, failing. */
  decisionSuccess: { degraded: number; failing: number };
  /** Timings needed before latency is judged. */
  minTimings: number;
  /** p95 latency above which the model is degraded, ms. */
  latencyBudgetMs: number;
  /** Failing when p95 latency exceeds this multiple of the budget. */
  latencyFailingFactor: number;
  /** Reference values a feature needs before its drift is judged. */
  minReference: number;
  /** Current values a feature needs before its drift is judged. */
  minCurrent: number;
}

/** The defaults of the module comment's table. */
export const HEALTH_THRESHOLDS: Readonly<HealthThresholds> = Object.freeze({
  minAnomalies: 10,
  precision: { degraded: 0.5, failing: 0.2 },
  minHours: 1,
  falseAlarmsPerHour: { degraded: 1, failing: 5 },
  minDecisions: 10,
  decisionSuccess: { degraded: 0.8, failing: 0.5 },
  minTimings: 20,
  latencyBudgetMs: 100,
  latencyFailingFactor: 5,
  minReference: 30,
  minCurrent: 100,
});

/** One figure's value and verdict; `insufficient` when it does not rest on enough evidence yet. */
export interface HealthFinding {
  /** The figure's name, e.g. `precision`. */
  figure: string;
  /** null;|Its value, null when there is no evidence at all. */
  value: number | null;
  /** 'insufficient';|The verdict, or `insufficient` below the evidence needed. */
  status: FigureStatus | 'insufficient';
  /** The rule applied, e.g. "precision 0.31 < 0.5" or "12/10 anomalies needed". */
  rule: string;
}

/** What {@link ModelHealthMonitor.assess} returns. */
export interface HealthReport {
  /** The worst verdict of the judged figures; `unknown` when none was judged. */
  status: HealthStatus;
  /** null;|Share of anomalies that became confirmed incidents; null before any anomaly. */
  precision: number | null;
  /** null;|Anomalies that did not become incidents, per hour; null before any anomaly or time. */
  falseAlarmsPerHour: number | null;
  /** null;|Share of decisions that succeeded; null before any. */
  decisionSuccessRate: number | null;
  /** null;|95th percentile of the timings kept, ms; null before any. */
  latencyP95Ms: number | null;
  /** Page-Hinkley detections on the error stream, and errors seen. */
  errorDrift: { detections: number; errors: number };
  /** Input drift per feature that has a reference and current values. */
  drift: Record<string, FeatureDrift>;
  /** Every figure's verdict and the rule applied. */
  findings: HealthFinding[];
}

/** Options of {@link ModelHealthMonitor}. */
export interface ModelHealthOptions extends BackendOptions {
  /** Limits replacing those of `HEALTH_THRESHOLDS`. */
  thresholds?: Partial<HealthThresholds>;
  /** Current values kept per feature (the newest; default 500). */
  featureWindow?: number;
  /** Latency timings kept (the newest; default 1000). */
  latencyWindow?: number;
  /** Options of the Page-Hinkley test on the error stream. */
  errorDrift?: PageHinkleyOptions;
}

/** Collects one model's evidence and judges its health; see the module comment for the rules. */
export class ModelHealthMonitor {
  /** The limits in force. */
  readonly thresholds: HealthThresholds;
  #anomalies = 0;
  #confirmed = 0;
  #decisions = 0;
  #successes = 0;
  #errors = 0;
  readonly #latencies: number[] = [];
  readonly #reference = new Map<string, Float64Array>();
  readonly #current = new Map<string, number[]>();
  readonly #errorDrift: PageHinkley;
  readonly #featureWindow: number;
  readonly #latencyWindow: number;
  readonly #backend: BackendOptions;

  /**
   * A monitor with no evidence yet (its status is `unknown`); throws an `ArgumentError` naming a bad option.
   */
  constructor(options: ModelHealthOptions = {}) {
    this.thresholds = { ...HEALTH_THRESHOLDS, ...(options.thresholds ?? {}) };
    this.#featureWindow = windowSize('featureWindow', options.featureWindow ?? 500);
    this.#latencyWindow = windowSize('latencyWindow', options.latencyWindow ?? 1000);
    this.#errorDrift = new PageHinkley(options.errorDrift);
    this.#backend = { backend: options.backend, module: options.module };
    chooseBackend(this.#backend);
  }

  /** Sets what `feature` looked like when the model learnt (and clears its current values). */
  setReference(feature: string, values: ArrayLike<number>): void {
    const sample = Float64Array.from(values);
    for (let i = 0; i < sample.length; i++)
      if (!Number.isFinite(sample[i]))
        throw new ArgumentError(`reference.${feature}`, `value ${i} is ${sample[i]}`);
    this.#reference.set(feature, sample);
    this.#current.set(feature, []);
  }

  /** One current input value per feature (features without a reference are refused by name). */
  observeInputs(inputs: Record<string, number>): void {
    for (const [feature, value] of Object.entries(inputs)) {
      const window = this.#current.get(feature);
      if (!window)
        throw new ArgumentError('inputs', `feature ${feature} has no reference (setReference first)`);
      if (!Number.isFinite(value))
        throw new ArgumentError(`inputs.${feature}`, `expected a finite number, got ${value}`);
      window.push(value);
      if (window.length > this.#featureWindow) window.shift();
    }
  }

  /** An anomaly the model raised, and whether it became a confirmed incident. */
  recordAnomaly(confirmed: boolean): void {
    this.#anomalies++;
    if (confirmed === true) this.#confirmed++;
  }

  /** A decision the model made (or scored), and whether its action healed. */
  recordDecision(success: boolean): void {
    this.#decisions++;
    if (success === true) this.#successes++;
  }

  /** How long one model call took, in ms. */
  recordLatency(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new ArgumentError('ms', `expected a duration >= 0, got ${ms}`);
    this.#latencies.push(ms);
    if (this.#latencies.length > this.#latencyWindow) this.#latencies.shift();
  }

  /** One error of the model (e.g. 1 - success, or |predicted - observed|) into the Page-Hinkley test. */
  recordError(error: number): void {
    this.#errorDrift.update(error);
    this.#errors++;
  }

  /** Judges the evidence so far; `hours` is how long the model has been observed (for false alarms per hour). */
  async assess(hours: number): Promise<HealthReport> {
    if (!Number.isFinite(hours) || hours < 0)
      throw new ArgumentError('hours', `expected a number >= 0, got ${hours}`);
    if (chooseBackend(this.#backend) === 'wasm' && this.#backend.module === undefined) await initStats();
    const t = this.thresholds;
    const findings: HealthFinding[] = [];
    const judge = (
      figure: string,
      value: number | null,
      enough: string | null,
      limits: { degraded: number; failing: number },
      higherIsWorse: boolean,
    ): void => {
      if (value === null || enough !== null) {
        findings.push({ figure, value, status: 'insufficient', rule: enough ?? 'no evidence' });
        return;
      }
      const past = (limit: number) => (higherIsWorse ? value > limit : value < limit);
      const status = past(limits.failing) ? 'failing' : past(limits.degraded) ? 'degraded' : 'healthy';
      const op = higherIsWorse ? '>' : '<';
      const rule =
        status === 'healthy'
          ? `${value.toPrecision(3)} within ${op === '>' ? '<=' : '>='} ${limits.degraded}`
          : `${value.toPrecision(3)} ${op} ${limits[status]}`;
      findings.push({ figure, value, status, rule });
    };

    const precision = this.#anomalies > 0 ? this.#confirmed / this.#anomalies : null;
    judge('precision', precision, need(this.#anomalies, t.minAnomalies, 'anomalies'), t.precision, false);
    const falseAlarms = hours > 0 ? (this.#anomalies - this.#confirmed) / hours : null;
    // A model that raised nothing may not be a detector, or may not be running: no figure.
    judge(
      'falseAlarmsPerHour',
      this.#anomalies > 0 ? falseAlarms : null,
      need(hours, t.minHours, 'hours observed'),
      t.falseAlarmsPerHour,
      true,
    );
    const success = this.#decisions > 0 ? this.#successes / this.#decisions : null;
    judge(
      'decisionSuccessRate',
      success,
      need(this.#decisions, t.minDecisions, 'decisions'),
      t.decisionSuccess,
      false,
    );
    const p95 = this.#latencies.length > 0 ? quantile(this.#latencies, 0.95) : null;
    judge(
      'latencyP95Ms',
      p95,
      need(this.#latencies.length, t.minTimings, 'timings'),
      {
        degraded: t.latencyBudgetMs,
        failing: t.latencyBudgetMs * t.latencyFailingFactor,
      },
      true,
    );

    const drift: Record<string, FeatureDrift> = {};
    for (const [feature, reference] of this.#reference) {
      const current = this.#current.get(feature)!;
      const enough =
        need(reference.length, t.minReference, 'reference values') ??
        need(current.length, t.minCurrent, 'current values');
      if (enough !== null) {
        findings.push({ figure: `drift.${feature}`, value: null, status: 'insufficient', rule: enough });
        continue;
      }
      const d = featureDrift(reference, Float64Array.from(current), this.#backend);
      drift[feature] = d;
      findings.push({
        figure: `drift.${feature}`,
        value: d.psi,
        status: d.status,
        rule: d.reasons.length > 0 ? d.reasons.join('; ') : 'psi, ks and wasserstein within their thresholds',
      });
    }

    const detections = this.#errorDrift.detections;
    if (this.#errors === 0)
      findings.push({
        figure: 'errorDrift',
        value: null,
        status: 'insufficient',
        rule: 'no errors recorded',
      });
    else
      findings.push({
        figure: 'errorDrift',
        value: detections,
        status: detections > 0 ? 'degraded' : 'healthy',
        rule:
          detections > 0
            ? `Page-Hinkley detected ${detections} rise(s) of the error mean`
            : 'no rise of the error mean detected',
      });

    let status: HealthStatus = 'unknown';
    for (const f of findings)
      if (f.status !== 'insufficient') status = status === 'unknown' ? f.status : worse(status, f.status);
    return {
      status,
      precision,
      falseAlarmsPerHour: falseAlarms,
      decisionSuccessRate: success,
      latencyP95Ms: p95,
      errorDrift: { detections, errors: this.#errors },
      drift,
      findings,
    };
  }
}

/** null when `have` reaches `want`, else the shortfall as a rule. */
function need(have: number, want: number, what: string): string | null {
  return have >= want ? null : `${have}/${want} ${what} needed`;
}

/** The q-quantile of `values` (nearest rank). */
function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

function windowSize(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1)
    throw new ArgumentError(name, `expected an integer >= 1, got ${value}`);
  return value;
}
