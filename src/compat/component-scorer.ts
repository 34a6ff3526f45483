/**
 * A component detector as the loop's `BatchScorer`: one series per metric of one component.
 * It learns online: each tick's vector is scored against the baseline, then joins the baseline
 * only when nothing in it was anomalous, so a fault never becomes the new normal. Until the
 * baseline holds `minSamples` vectors every series scores 0 (warm-up).
 */
import type { BatchScorer } from '../loop/contracts.ts';
import type { ComponentDetector } from './component-detector.ts';

/** Scores one component's metrics per tick for `MapeKLoop`. */
export class ComponentScorer implements BatchScorer {
  readonly size: number;

  /** @param threshold score at or above which a series is anomalous (the loop's threshold) */
  constructor(
    private readonly detector: ComponentDetector,
    private readonly threshold: number,
  ) {
    this.size = detector.inputDim;
  }

  /** Scores `values` into `scores` (NaN values score 0), then learns them if all were normal. */
  async update(_ts: number, values: Float64Array, scores: Float64Array): Promise<void> {
    const { score } = this.detector.score(values, scores);
    if (score < this.threshold) await this.detector.learn(values);
  }
}
