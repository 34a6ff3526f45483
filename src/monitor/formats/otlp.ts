/**
 * OTLP/HTTP JSON metrics (`POST /v1/metrics`, an ExportMetricsServiceRequest in the protobuf JSON
 * mapping): gauges and sums give one sample per data point; histograms (and exponential
 * histograms and summaries) give `<name>_count` and `<name>_sum`. The node is the first of the
 * configured resource attributes the resource carries. Data point attributes are not part of the
 * metric: the engine watches one series per node and metric.
 */
import type { Sample } from '../ingest.ts';
import { describe } from './fields.ts';
import { type LineRefusal, type ParsedTelemetry, UnreadableBodyError } from './telemetry.ts';

/** Options of parseOtlpMetrics. */
export interface OtlpOptions {
  /** Resource attributes that name the node, the first present wins (default: service.instance.id, host.name, service.name). */
  nodeAttributes?: readonly string[];
}

/** The resource attributes that name a node when the config says nothing. */
export const DEFAULT_NODE_ATTRIBUTES: readonly string[] = [
  'service.instance.id',
  'host.name',
  'service.name',
];

// OTLP's DataPointFlags.FLAG_NO_RECORDED_VALUE: the point marks a series' end, like a staleness marker.
const NO_RECORDED_VALUE = 1;
const UNSIGNED = /^\d+$/;
const INTEGER = /^-?\d+$/;

type Json = Record<string, unknown>;

/**
 * Reads an OTLP JSON metrics request (already parsed JSON). Data points are numbered from 1 in
 * the order met across the whole body; each one that cannot be read is refused with its number
 * and a reason: 'missing-node' (its resource has none of the node attributes), 'bad-metric' (no
 * name), 'unsupported-metric' (no gauge, sum, histogram, exponentialHistogram or summary),
 * 'bad-timestamp' (timeUnixNano missing, zero or not an integer), 'bad-value' (no finite
 * asDouble or asInt, or a histogram without count), 'stale' (flagged as having no recorded
 * value). Throws an UnreadableBodyError for a body that is not an object with a resourceMetrics
 * array, or whose structure above the data points is malformed.
 */
export function parseOtlpMetrics(json: unknown, options: OtlpOptions = {}): ParsedTelemetry {
  const nodeAttributes = options.nodeAttributes ?? DEFAULT_NODE_ATTRIBUTES;
  if (!isObject(json) || !Array.isArray(json.resourceMetrics))
    throw new UnreadableBodyError(
      'otlp',
      `expected an object with a resourceMetrics array, got ${describe(json)}`,
    );
  const samples: Sample[] = [];
  const refused: LineRefusal[] = [];
  let point = 0;
  for (const resourceMetrics of json.resourceMetrics) {
    const rm = object(resourceMetrics, 'resourceMetrics[]');
    const node = nodeOf(rm.resource, nodeAttributes);
    for (const scopeMetrics of array(rm.scopeMetrics, 'scopeMetrics')) {
      for (const metric of array(object(scopeMetrics, 'scopeMetrics[]').metrics, 'metrics')) {
        const m = object(metric, 'metrics[]');
        const kind = metricKind(m);
        const points =
          kind === undefined ? [] : array(object(m[kind], kind).dataPoints, `${kind}.dataPoints`);
        const name = m.name;
        const refuseAll = (reason: string, detail: string) => {
          for (let i = 0; i < Math.max(points.length, 1); i++)
            refused.push({ line: ++point, reason, detail });
        };
        if (typeof name !== 'string' || name === '') {
          refuseAll('bad-metric', `a metric needs a non-empty name, got ${describe(name)}`);
          continue;
        }
        if (kind === undefined) {
          refuseAll(
            'unsupported-metric',
            `${name} has no gauge, sum, histogram, exponentialHistogram or summary`,
          );
          continue;
        }
        if (node === undefined) {
          refuseAll(
            'missing-node',
            `the resource of ${name} has none of the attributes ${nodeAttributes.join(', ')}`,
          );
          continue;
        }
        for (const dataPoint of points) {
          point++;
          const reason = readPoint(dataPoint, kind, name, node, samples);
          if (reason !== undefined) refused.push({ line: point, reason: reason[0], detail: reason[1] });
        }
      }
    }
  }
  return { samples, refused };
}

type MetricKind = 'gauge' | 'sum' | 'histogram' | 'exponentialHistogram' | 'summary';
const KINDS: readonly MetricKind[] = ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary'];

function metricKind(metric: Json): MetricKind | undefined {
  for (const kind of KINDS) if (metric[kind] !== undefined && metric[kind] !== null) return kind;
  return undefined;
}

/** Adds a data point's samples, or returns why it was refused as [reason, detail]. */
function readPoint(
  dataPoint: unknown,
  kind: MetricKind,
  name: string,
  node: string,
  samples: Sample[],
): [string, string] | undefined {
  if (!isObject(dataPoint)) return ['not-an-object', `a data point of ${name} is ${describe(dataPoint)}`];
  const ts = nanosToSeconds(dataPoint.timeUnixNano);
  if (ts === undefined)
    return [
      'bad-timestamp',
      `${name}: timeUnixNano must be a positive integer (string), got ${describe(dataPoint.timeUnixNano)}`,
    ];
  const flags = dataPoint.flags;
  if (typeof flags === 'number' && (flags & NO_RECORDED_VALUE) !== 0)
    return ['stale', `${name} at ${ts} s has no recorded value`];
  if (kind === 'gauge' || kind === 'sum') {
    const value = numberValue(dataPoint.asDouble ?? dataPoint.asInt);
    if (value === undefined)
      return [
        'bad-value',
        `${name}: needs a finite asDouble or asInt, got ${describe(dataPoint.asDouble ?? dataPoint.asInt)}`,
      ];
    samples.push({ source: node, metric: name, ts, value });
    return undefined;
  }
  const count = numberValue(dataPoint.count);
  if (count === undefined)
    return ['bad-value', `${name}: a ${kind} point needs a count, got ${describe(dataPoint.count)}`];
  const sum = dataPoint.sum === undefined ? undefined : numberValue(dataPoint.sum);
  if (dataPoint.sum !== undefined && sum === undefined)
    return ['bad-value', `${name}: sum ${describe(dataPoint.sum)} is not finite`];
  samples.push({ source: node, metric: `${name}_count`, ts, value: count });
  if (sum !== undefined) samples.push({ source: node, metric: `${name}_sum`, ts, value: sum });
  return undefined;
}

/** A number as the protobuf JSON mapping writes it: a JSON number, or a string for int64 and non-finite doubles. */
function numberValue(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && INTEGER.test(value)) return Number(value);
  if (typeof value === 'string' && value.trim() !== '') {
    const n = Number(value);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

function nanosToSeconds(value: unknown): number | undefined {
  let nanos: number;
  if (typeof value === 'string' && UNSIGNED.test(value)) nanos = Number(value);
  // A JSON number of nanoseconds is past 2^53 and inexact, but exact enough for seconds.
  else if (typeof value === 'number' && Number.isInteger(value)) nanos = value;
  else return undefined;
  return nanos > 0 ? nanos / 1e9 : undefined;
}

/** The node a resource names: the string (or integer) value of the first configured attribute it has. */
function nodeOf(resource: unknown, nodeAttributes: readonly string[]): string | undefined {
  if (!isObject(resource) || !Array.isArray(resource.attributes)) return undefined;
  const attributes = resource.attributes;
  for (const key of nodeAttributes) {
    for (const attribute of attributes) {
      if (!isObject(attribute) || attribute.key !== key || !isObject(attribute.value)) continue;
      const { stringValue, intValue } = attribute.value;
      if (typeof stringValue === 'string' && stringValue !== '') return stringValue;
      if (
        (typeof intValue === 'string' && INTEGER.test(intValue)) ||
        (typeof intValue === 'number' && Number.isInteger(intValue))
      )
        return String(intValue);
    }
  }
  return undefined;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function object(value: unknown, where: string): Json {
  if (!isObject(value))
    throw new UnreadableBodyError('otlp', `${where} must be an object, got ${describe(value)}`);
  return value;
}

/** A repeated field: absent means empty, as in protobuf. */
function array(value: unknown, where: string): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value))
    throw new UnreadableBodyError('otlp', `${where} must be an array, got ${describe(value)}`);
  return value;
}
