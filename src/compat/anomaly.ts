/**
 * `AnomalyDetectionSystem`, the Python system's per-component detector, over the engine's stats
 * kernel: each component learns a baseline from normal samples and scores metric vectors against
 * it with calibrated tail probabilities (see `ComponentDetector`), so a threshold means a false
 * alarm rate rather than a guess.
 */
import { ArgumentError } from '../errors.ts';
import { checkFinite, checkInt } from '../validate.ts';
import { ComponentDetector, toVector } from './component-detector.ts';

/** Options of `AnomalyDetectionSystem`. */
export interface AnomalyConfig {
  /**
   * Score at or above which a check is an anomaly, in (0, 1]. Default 0.5: a family-wise
   * 1-in-10,000 deviation, so about one false alarm per 10,000 checks of normal data.
   */
  threshold?: number;
  /** Baseline samples a component needs before it is judged, >= 2. Default 30. */
  minSamples?: number;
}

/** A detected anomaly (the Python `Anomaly` dataclass). */
export interface Anomaly {
  /** The component it was found in. */
  component: string;
  /** The most extreme metric. */
  metric: string;
  /** The metric's value in the checked vector. */
  value: number;
  /** The metric's baseline mean. */
  baseline: number;
  /** Score in [0, 1] (Python's `confidence`). */
  score: number;
  /** Family-wise tail probability of the deviation under the baseline. */
  pValue: number;
  /** `high` at p <= 1e-8, `medium` at p <= 1e-6, else `low`. */
  severity: 'low' | 'medium' | 'high';
  /** One line for people: the metric, its value, the baseline and p. */
  description: string;
}

/** What a training call did. */
export interface TrainingResult {
  /** The component trained. */
  component: string;
  /** Vectors learned from in this call. */
  samplesUsed: number;
  /** Samples in the baseline after this call. */
  baselineSamples: number;
  /** Whether the component is now judged (baseline >= minSamples). */
  trained: boolean;
}

/** Counts of the system (Python's `get_stats`). */
export interface AnomalyStats {
  /** Registered components. */
  components: number;
  /** Checks that found an anomaly. */
  totalAnomalies: number;
  /** Checks made. */
  detections: number;
  /** Names of the registered components. */
  registeredComponents: string[];
  /** Names of the components with a full baseline. */
  componentsTrained: string[];
}

/** Per-component anomaly detection with `registerComponent`, `trainOnComponent` and `checkComponent`. */
export class AnomalyDetectionSystem {
  /** Score at or above which a check is an anomaly. */
  readonly threshold: number;
  /** Baseline samples a component needs before it is judged. */
  readonly minSamples: number;
  readonly #components = new Map<string, ComponentDetector>();
  #detections = 0;
  #anomalies = 0;

  /**
   * An empty system; throws an `ArgumentError` for a threshold outside (0, 1] or too few baseline samples.
   */
  constructor(config: AnomalyConfig = {}) {
    this.threshold = checkFinite('config.threshold', config.threshold ?? 0.5);
    if (!(this.threshold > 0 && this.threshold <= 1)) {
      throw new ArgumentError('config.threshold', `expected a number in (0, 1], got ${this.threshold}`);
    }
    this.minSamples = checkInt('config.minSamples', config.minSamples ?? 30, 2);
  }

  /** Registered components by name (Python's `components` dict). */
  get components(): ReadonlyMap<string, ComponentDetector> {
    return this.#components;
  }

  /**
   * Registers (or replaces, forgetting its baseline) a component whose vectors hold `inputDim`
   * metrics, optionally named so anomalies say which metric moved.
   */
  registerComponent(component: string, inputDim: number, metricNames?: readonly string[]): ComponentDetector {
    if (typeof component !== 'string' || component === '')
      throw new ArgumentError('component', 'expected a non-empty string');
    checkInt('inputDim', inputDim, 1, 1 << 16);
    if (metricNames !== undefined && (!Array.isArray(metricNames) || metricNames.length !== inputDim)) {
      throw new ArgumentError('metricNames', `expected ${inputDim} names`);
    }
    const detector = new ComponentDetector(component, inputDim, this.minSamples, metricNames);
    this.#components.set(component, detector);
    return detector;
  }

  /**
   * Adds normal samples to a component's baseline; registers the component with the samples'
   * length when unknown. Training accumulates over calls.
   */
  async trainOnComponent(
    component: string,
    samples: ReadonlyArray<ArrayLike<number>>,
  ): Promise<TrainingResult> {
    if (!Array.isArray(samples) || samples.length === 0)
      throw new ArgumentError('samples', 'expected a non-empty array of vectors');
    const detector = this.#components.get(component) ?? this.registerComponent(component, dimsOf(samples[0]));
    const vectors = samples.map((s, i) => toVector(`samples[${i}]`, s, detector.inputDim));
    for (const vector of vectors) await detector.learn(vector);
    return {
      component,
      samplesUsed: vectors.length,
      baselineSamples: detector.samples,
      trained: detector.trained,
    };
  }

  /**
   * Scores one metric vector of a registered component: `[anomaly, score]`, with `anomaly` null
   * below the threshold. An untrained component scores 0 (there is nothing to compare with).
   */
  async checkComponent(component: string, metrics: ArrayLike<number>): Promise<[Anomaly | null, number]> {
    const detector = this.#components.get(component);
    if (!detector) throw new ArgumentError('component', `unknown component "${component}"`);
    const values = toVector('metrics', metrics, detector.inputDim);
    const { score, pValue, metric } = detector.score(values);
    this.#detections++;
    if (score < this.threshold || metric < 0) return [null, score];
    this.#anomalies++;
    const name = detector.metricNames[metric];
    const anomaly: Anomaly = {
      component,
      metric: name,
      value: values[metric],
      baseline: detector.baseline(metric),
      score,
      pValue,
      severity: pValue <= 1e-8 ? 'high' : pValue <= 1e-6 ? 'medium' : 'low',
      description: `${component}: ${name} = ${values[metric]} against a baseline of ${detector.baseline(metric).toPrecision(4)} (p = ${pValue.toExponential(1)})`,
    };
    return [anomaly, score];
  }

  /** Counts of components, checks and anomalies found. */
  getStats(): AnomalyStats {
    const names = [...this.#components.keys()];
    return {
      components: names.length,
      totalAnomalies: this.#anomalies,
      detections: this.#detections,
      registeredComponents: names,
      componentsTrained: names.filter((n) => this.#components.get(n)!.trained),
    };
  }
}

/** Length of the first training vector, which sets the dimension of a new component. */
function dimsOf(first: ArrayLike<number> | undefined): number {
  if (first === null || typeof first !== 'object' || typeof first.length !== 'number') {
    throw new ArgumentError('samples[0]', 'expected an array of numbers');
  }
  return first.length;
}
