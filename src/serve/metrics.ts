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
  const out = new Exposition();
  out
    .family('x0tta6bl4_samples_received_total', 'counter', 'Samples queued for the loop by submissions.')
    .sample('x0tta6bl4_samples_received_total', stats.samplesReceived)
    .family('x0tta6bl4_samples_processed_total', 'counter', 'Samples the loop processed in ticks.')
    .sample('x0tta6bl4_samples_processed_total', stats.samplesProcessed)
    .family('x0tta6bl4_samples_accepted_total', 'counter', 'Samples the Monitor accepted.')
    .sample('x0tta6bl4_samples_accepted_total', stats.samplesAccepted)
    .family(
      'x0tta6bl4_samples_refused_total',
      'counter',
      'Samples refused, by reason (whole bodies count once).',
    );
  for (const [reason, count] of Object.entries(stats.refusedBy).sort(([a], [b]) => a.localeCompare(b)))
    out.sample('x0tta6bl4_samples_refused_total', count, { reason });
  out
    .family('x0tta6bl4_ingest_queue_samples', 'gauge', 'Samples waiting in the ingest queue.')
    .sample('x0tta6bl4_ingest_queue_samples', stats.queueDepth)
    .family('x0tta6bl4_bucket_pending_samples', 'gauge', 'Samples waiting in open tick buckets.')
    .sample('x0tta6bl4_bucket_pending_samples', stats.pendingInBuckets)
    .family('x0tta6bl4_ticks_total', 'counter', 'Ticks the loop ran.')
    .sample('x0tta6bl4_ticks_total', stats.ticks)
    .family('x0tta6bl4_tick_failures_total', 'counter', 'Ticks whose loop call failed.')
    .sample('x0tta6bl4_tick_failures_total', stats.tickFailures)
    .histogram(
      'x0tta6bl4_tick_latency_seconds',
      'Wall time of one loop tick.',
      histograms.tickLatencyMs,
      0.001,
    )
    .family('x0tta6bl4_open_incidents', 'gauge', 'Incidents announced and not yet closed.')
    .sample('x0tta6bl4_open_incidents', stats.openIncidents)
    .family('x0tta6bl4_actions_total', 'counter', 'Actions finished, by outcome.');
  for (const [outcome, count] of Object.entries(stats.actionsBy).sort(([a], [b]) => a.localeCompare(b)))
    out.sample('x0tta6bl4_actions_total', count, { outcome });
  out
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
    .family('x0tta6bl4_store_queue_depth', 'gauge', 'Knowledge writes waiting for the store.')
    .sample('x0tta6bl4_store_queue_depth', stats.storeQueueDepth);
  if (stats.alerts)
    out
      .family('x0tta6bl4_alerts_sent_total', 'counter', 'Alerts delivered.')
      .sample('x0tta6bl4_alerts_sent_total', stats.alerts.sent)
      .family('x0tta6bl4_alerts_failed_total', 'counter', 'Alerts that could not be delivered.')
      .sample('x0tta6bl4_alerts_failed_total', stats.alerts.failed);
  return out.toString();
}
