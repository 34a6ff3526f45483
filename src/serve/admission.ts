/**
 * The schema check in front of ServeEngine's queue: a submitted sample for a node the topology
 * does not have, a metric the config does not have, or a value outside its metric's range is
 * left out, and what was left out is grouped per node, metric and reason so that the sender
 * hears it once per series (a submission of thousands of bad samples gets a short answer).
 * What time says of a sample (out of order, a duplicate) is not judged here but by the Monitor
 * when its tick runs.
 */
import type { MetricSpec, Sample } from '../monitor/ingest.ts';

/** Samples of one node and metric left out of a submission, and why. */
export interface SeriesRefusal {
  /** 'unknown-node', 'unknown-metric' or 'out-of-range'. */
  reason: 'unknown-node' | 'unknown-metric' | 'out-of-range';
  /** The node as sent. */
  node: string;
  /** The metric as sent. */
  metric: string;
  /** How many of the submission's samples this covers. */
  samples: number;
  /** What was wrong, for a human. */
  detail: string;
}

/** The schema a submission must fit: the topology's nodes and the config's metrics. */
export class SeriesAdmission {
  readonly #nodes: ReadonlySet<string>;
  readonly #metrics: readonly MetricSpec[];
  readonly #metricSpecs: ReadonlyMap<string, MetricSpec>;

  constructor(nodes: readonly string[], metrics: readonly MetricSpec[]) {
    this.#nodes = new Set(nodes);
    this.#metrics = metrics;
    this.#metricSpecs = new Map(metrics.map((m) => [m.name, m]));
  }

  /**
   * The samples the schema takes (`rows` itself when it takes them all), and the others grouped
   * by node, metric and reason.
   */
  admit(rows: readonly Sample[]): { admitted: readonly Sample[]; refused: SeriesRefusal[] } {
    let refused: Map<string, SeriesRefusal> | undefined;
    const admitted: Sample[] = [];
    for (const row of rows) {
      const reason = this.#refusal(row);
      if (reason === undefined) {
        if (refused) admitted.push(row);
        continue;
      }
      // The first refusal: the rows before it were all admitted.
      if (!refused) {
        refused = new Map();
        admitted.push(...rows.slice(0, rows.indexOf(row)));
      }
      const key = `${reason}\u0000${row.source}\u0000${row.metric}`;
      const entry = refused.get(key);
      if (entry) entry.samples++;
      else
        refused.set(key, {
          reason,
          node: row.source,
          metric: row.metric,
          samples: 1,
          detail: this.#explain(reason, row),
        });
    }
    return refused ? { admitted, refused: [...refused.values()] } : { admitted: rows, refused: [] };
  }

  #refusal(row: Sample): SeriesRefusal['reason'] | undefined {
    if (!this.#nodes.has(row.source)) return 'unknown-node';
    const spec = this.#metricSpecs.get(row.metric);
    if (!spec) return 'unknown-metric';
    if ((spec.min !== undefined && row.value < spec.min) || (spec.max !== undefined && row.value > spec.max))
      return 'out-of-range';
    return undefined;
  }

  #explain(reason: SeriesRefusal['reason'], row: Sample): string {
    if (reason === 'unknown-node') return `node ${JSON.stringify(row.source)} is not in the topology`;
    if (reason === 'unknown-metric')
      return `metric ${JSON.stringify(row.metric)} is not in the config (${this.#metrics.map((m) => m.name).join(', ')})`;
    const spec = this.#metricSpecs.get(row.metric) as MetricSpec;
    return `${row.metric} takes values in [${spec.min ?? '-inf'}, ${spec.max ?? 'inf'}], got ${row.value}`;
  }
}
