/**
 * The schema check in front of ServeEngine's queue: a submitted sample for a node the topology
 * does not have, a metric the config does not have, or a value outside its metric's range is
 * left out, and what was left out is grouped per node, metric and reason so that the sender
 * hears it once per series (a submission of thousands of bad samples gets a short answer).
 * What time says of a sample (out of order, a duplicate) is not judged here but by the Monitor
 * when its tick runs. Looking a sample's node and metric up is what resolves its series, so the
 * admitted samples come out as IndexedRows, series and all, and the Monitor does not look them
 * up again.
 */
import type { IndexedRows, MetricSpec, Sample } from '../monitor/ingest.ts';

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
  readonly #nodes: ReadonlyMap<string, number>;
  readonly #metrics: readonly MetricSpec[];
  readonly #metricIndex: ReadonlyMap<string, number>;

  /** `nodes` and `metrics` in the Monitor's order: a series index is node index x metrics + metric index. */
  constructor(nodes: readonly string[], metrics: readonly MetricSpec[]) {
    this.#nodes = new Map(nodes.map((node, i) => [node, i]));
    this.#metrics = metrics;
    this.#metricIndex = new Map(metrics.map((m, i) => [m.name, i]));
  }

  /**
   * The samples the schema takes, in order, as IndexedRows (a value that is not a number is kept
   * as NaN, which the Monitor refuses as non-finite, as it would the value itself), and the
   * others grouped by node, metric and reason.
   */
  admit(rows: readonly Sample[]): { admitted: IndexedRows; refused: SeriesRefusal[] } {
    let refused: Map<string, SeriesRefusal> | undefined;
    const series = new Int32Array(rows.length);
    const ts = new Float64Array(rows.length);
    const values = new Float64Array(rows.length);
    const width = this.#metrics.length;
    let length = 0;
    for (const row of rows) {
      const node = this.#nodes.get(row.source);
      const metric = node === undefined ? undefined : this.#metricIndex.get(row.metric);
      const reason = this.#refusal(node, metric, row.value);
      if (reason === undefined) {
        series[length] = (node as number) * width + (metric as number);
        ts[length] = row.ts;
        values[length++] = typeof row.value === 'number' ? row.value : Number.NaN;
        continue;
      }
      refused ??= new Map();
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
    return { admitted: { length, series, ts, values }, refused: refused ? [...refused.values()] : [] };
  }

  #refusal(
    node: number | undefined,
    metric: number | undefined,
    value: number,
  ): SeriesRefusal['reason'] | undefined {
    if (node === undefined) return 'unknown-node';
    if (metric === undefined) return 'unknown-metric';
    const spec = this.#metrics[metric];
    if ((spec.min !== undefined && value < spec.min) || (spec.max !== undefined && value > spec.max))
      return 'out-of-range';
    return undefined;
  }

  #explain(reason: SeriesRefusal['reason'], row: Sample): string {
    if (reason === 'unknown-node') return `node ${JSON.stringify(row.source)} is not in the topology`;
    if (reason === 'unknown-metric')
      return `metric ${JSON.stringify(row.metric)} is not in the config (${this.#metrics.map((m) => m.name).join(', ')})`;
    const spec = this.#metrics[this.#metricIndex.get(row.metric) as number];
    return `${row.metric} takes values in [${spec.min ?? '-inf'}, ${spec.max ?? 'inf'}], got ${row.value}`;
  }
}
