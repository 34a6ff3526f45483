/**
 * The engine's `/metrics`: the Prometheus text exposition format (version 0.0.4) of its stats,
 * each family with its HELP and TYPE lines, label values escaped as the format requires
 * (backslash, double quote and newline), histograms as cumulative `_bucket{le=...}` series with
 * `_sum` and `_count`. Reasons and outcomes appear as labels as they are counted, so a new
 * refusal reason shows up without a change here.
 */
import type { ServeEngine } from './engine.ts';
import type { ServeHistogram } from './histogram.ts';

/** The Content-Type of the exposition. */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Escapes a label value: `\` -> `\\`, `"` -> `\"`, newline -> `\n`. */
export function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** Escapes HELP text: `\` -> `\\`, newline -> `\n`. */
function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** A sample value as the format writes it: integers plainly, `+Inf`, `-Inf` and `NaN` by name. */
function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

/** Writes families one after another. */
class Exposition {
  readonly #lines: string[] = [];

  family(name: string, type: 'counter' | 'gauge' | 'histogram', help: string): this {
    this.#lines.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`);
    return this;
  }

  sample(name: string, value: number, labels: Record<string, string> = {}): this {
    const pairs = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
    this.#lines.push(`${name}${pairs.length ? `{${pairs.join(',')}}` : ''} ${formatValue(value)}`);
    return this;
  }

  /** A family of one unlabelled sample. */
  single(name: string, type: 'counter' | 'gauge', help: string, value: number): this {
    return this.family(name, type, help).sample(name, value);
  }

  /** A family with one sample per key of `counts`, the key as label `label`, in key order. */
  labelled(
    name: string,
    type: 'counter' | 'gauge',
    help: string,
    label: string,
    counts: Record<string, number>,
  ): this {
    this.family(name, type, help);
    for (const [key, count] of Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)))
      this.sample(name, count, { [label]: key });
    return this;
  }

  /** A histogram in `scale` units of its own (e.g. 0.001 turns milliseconds into seconds). */
  histogram(name: string, help: string, histogram: ServeHistogram, scale = 1): this {
    this.family(name, 'histogram', help);
    histogram.bounds.forEach((bound, i) =>
      this.sample(`${name}_bucket`, histogram.cumulative[i], {
        le: formatValue(Number((bound * scale).toPrecision(12))),
      }),
    );
    this.sample(`${name}_bucket`, histogram.count, { le: '+Inf' });
    this.sample(`${name}_sum`, histogram.sum * scale);
    return this.sample(`${name}_count`, histogram.count);
  }

  toString(): string {
    return `${this.#lines.join('\n')}\n`;
  }
}

/** The exposition of `engine`'s stats (see the module's comment). */
export function renderMetrics(engine: ServeEngine): string {
  const stats = engine.stats();
  const histograms = engine.histograms();
  const out = new Exposition()
    .single(
      'x0tta6bl4_samples_received_total',
      'counter',
      'Samples queued for the loop by submissions.',
      stats.samplesReceived,
    )
    .single(
      'x0tta6bl4_samples_processed_total',
      'counter',
      'Samples the loop processed in ticks.',
      stats.samplesProcessed,
    )
    .single(
      'x0tta6bl4_samples_accepted_total',
      'counter',
      'Samples the Monitor accepted.',
      stats.samplesAccepted,
    )
    .labelled(
      'x0tta6bl4_samples_refused_total',
      'counter',
      'Samples refused, by reason (whole bodies count once).',
      'reason',
      stats.refusedBy,
    )
    .single(
      'x0tta6bl4_ingest_queue_samples',
      'gauge',
      'Samples waiting in the ingest queue.',
      stats.queueDepth,
    )
    .single(
      'x0tta6bl4_bucket_pending_samples',
      'gauge',
      'Samples waiting in open tick buckets.',
      stats.pendingInBuckets,
    )
    .single('x0tta6bl4_ticks_total', 'counter', 'Ticks the loop ran.', stats.ticks)
    .single('x0tta6bl4_tick_failures_total', 'counter', 'Ticks whose loop call failed.', stats.tickFailures)
    .histogram(
      'x0tta6bl4_tick_latency_seconds',
      'Wall time of one loop tick.',
      histograms.tickLatencyMs,
      0.001,
    )
    .single(
      'x0tta6bl4_open_incidents',
      'gauge',
      'Incidents announced and not yet closed.',
      stats.openIncidents,
    )
    .labelled(
      'x0tta6bl4_actions_total',
      'counter',
      'Actions finished, by outcome.',
      'outcome',
      stats.actionsBy,
    )
    .histogram(
      'x0tta6bl4_time_to_detect_seconds',
      "Telemetry seconds from a node's first anomaly to its incident opening.",
      histograms.timeToDetectSeconds,
    )
    .histogram(
      'x0tta6bl4_time_to_recover_seconds',
      'Telemetry seconds from an incident opening to its closing.',
      histograms.timeToRecoverSeconds,
    )
    .single(
      'x0tta6bl4_store_queue_depth',
      'gauge',
      'Knowledge writes waiting for the store.',
      stats.storeQueueDepth,
    );
  if (stats.alerts)
    out
      .single('x0tta6bl4_alerts_sent_total', 'counter', 'Alerts delivered.', stats.alerts.sent)
      .single(
        'x0tta6bl4_alerts_failed_total',
        'counter',
        'Alerts that could not be delivered.',
        stats.alerts.failed,
      );
  return out.toString();
}
