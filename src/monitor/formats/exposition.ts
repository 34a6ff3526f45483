/**
 * The Prometheus text exposition format (version 0.0.4), as node_exporter and most exporters
 * serve it, read for scraping: one sample per line, `name{label="value",...} value [timestamp_ms]`,
 * `#` lines (HELP, TYPE, comments) skipped. The node is the scrape target's (or a node label's);
 * the metric is the name plus its other labels, so `node_cpu_seconds_total{cpu="0",mode="idle"}`
 * and its siblings stay separate series.
 */
import { ArgumentError } from '../../errors.ts';
import type { Sample } from '../ingest.ts';
import { excerpt } from './fields.ts';
import { escapeLabelValue } from './remote-write.ts';
import { type LineRefusal, type ParsedTelemetry, UnreadableBodyError } from './telemetry.ts';

/** Options of parseExposition. */
export interface ExpositionOptions {
  /** The node every sample belongs to (a scrape target's configured node); overrides the node label. */
  node?: string;
  /** The label naming a sample's node when `node` is not given (default 'instance'); it is left out of the metric. */
  nodeLabel?: string;
  /** The node of samples that have neither `node` nor the node label (a scrape target's host:port). */
  fallbackNode?: string;
  /** Unix seconds of samples without their own timestamp (the scrape's time). */
  ts: number;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const NON_FINITE = /^[+-]?(?:inf|infinity|nan)$/i;
const INTEGER = /^-?\d+$/;

/**
 * Parses a text exposition body. Each sample line that cannot be read is refused with its 1-based
 * line and a reason: 'bad-line' (not `name{labels} value [timestamp]`), 'non-finite' (NaN, +Inf,
 * -Inf: the engine takes finite values only), 'bad-value', 'bad-timestamp', 'missing-node'.
 * Throws an ArgumentError for a non-finite `options.ts`, and an UnreadableBodyError when no line
 * of a non-empty body is a sample or a comment (not this format, e.g. an HTML page).
 */
export function parseExposition(text: string, options: ExpositionOptions): ParsedTelemetry {
  const { node, nodeLabel = 'instance', fallbackNode, ts } = options ?? ({} as ExpositionOptions);
  if (typeof ts !== 'number' || !Number.isFinite(ts))
    throw new ArgumentError('options.ts', `expected Unix seconds, got ${String(ts)}`);
  const samples: Sample[] = [];
  const refused: LineRefusal[] = [];
  let comments = 0;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    if (line.charCodeAt(0) === 0x23 /* # */) {
      comments++;
      continue;
    }
    const parsed = parseLine(line);
    if (typeof parsed === 'string') {
      refused.push({ line: i + 1, reason: 'bad-line', detail: `${parsed}: ${excerpt(line)}` });
      continue;
    }
    const { name, labels, value, timestamp } = parsed;
    let source = node;
    let rest = labels;
    const labelled = labels.findIndex(([label]) => label === nodeLabel);
    if (labelled >= 0) {
      source ??= labels[labelled][1];
      rest = labels.filter((_, j) => j !== labelled);
    }
    source ??= fallbackNode;
    const metric =
      rest.length === 0
        ? name
        : `${name}{${rest.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',')}}`;
    if (source === undefined || source === '') {
      refused.push({
        line: i + 1,
        reason: 'missing-node',
        detail: `${metric} has no ${nodeLabel} label and no node was given`,
      });
      continue;
    }
    if (NON_FINITE.test(value)) {
      refused.push({
        line: i + 1,
        reason: 'non-finite',
        detail: `${metric} is ${value}; only finite values are taken`,
      });
      continue;
    }
    if (!DECIMAL.test(value)) {
      refused.push({
        line: i + 1,
        reason: 'bad-value',
        detail: `${metric} has value ${excerpt(value)}, not a number`,
      });
      continue;
    }
    const number = Number(value);
    if (!Number.isFinite(number)) {
      refused.push({ line: i + 1, reason: 'non-finite', detail: `${metric} is ${value}, beyond a double` });
      continue;
    }
    let seconds = ts;
    if (timestamp !== undefined) {
      if (!INTEGER.test(timestamp) || !Number.isSafeInteger(Number(timestamp))) {
        refused.push({
          line: i + 1,
          reason: 'bad-timestamp',
          detail: `${metric} has timestamp ${excerpt(timestamp)}, not milliseconds`,
        });
        continue;
      }
      seconds = Number(timestamp) / 1000;
    }
    samples.push({ source, metric, ts: seconds, value: number });
  }
  if (
    samples.length === 0 &&
    comments === 0 &&
    refused.length > 0 &&
    refused.every((r) => r.reason === 'bad-line')
  )
    throw new UnreadableBodyError(
      'exposition',
      `no line is a sample or a comment (first: ${refused[0].detail})`,
    );
  return { samples, refused };
}

/** One sample line's parts, labels sorted by name. */
interface SampleLine {
  name: string;
  labels: [string, string][];
  value: string;
  timestamp?: string;
}

/** Splits a trimmed sample line, or says why it cannot be. */
function parseLine(line: string): SampleLine | string {
  let i = 0;
  while (i < line.length && line[i] !== '{' && line[i] !== ' ' && line[i] !== '\t') i++;
  const name = line.slice(0, i);
  if (!METRIC_NAME.test(name)) return 'not a metric name';
  const labels: [string, string][] = [];
  if (line[i] === '{') {
    i++;
    for (;;) {
      while (line[i] === ' ' || line[i] === '\t') i++;
      if (line[i] === '}') break;
      const eq = line.indexOf('=', i);
      if (eq < 0) return 'a label without a value';
      const label = line.slice(i, eq).trim();
      if (!LABEL_NAME.test(label)) return 'a bad label name';
      i = eq + 1;
      while (line[i] === ' ' || line[i] === '\t') i++;
      if (line[i] !== '"') return 'a label value must be quoted';
      let value = '';
      for (i++; ; i++) {
        if (i >= line.length) return 'a label value is never closed';
        const c = line[i];
        if (c === '"') break;
        if (c === '\\') {
          const next = line[++i];
          value += next === 'n' ? '\n' : next === '\\' || next === '"' ? next : `\\${next ?? ''}`;
        } else value += c;
      }
      i++;
      labels.push([label, value]);
      while (line[i] === ' ' || line[i] === '\t') i++;
      if (line[i] === ',') i++;
      else if (line[i] !== '}') return 'labels must be separated by commas';
    }
    i++;
  }
  const fields = line
    .slice(i)
    .trim()
    .split(/[ \t]+/);
  if (fields.length < 1 || fields[0] === '' || fields.length > 2)
    return 'expected a value and an optional timestamp';
  labels.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return { name, labels, value: fields[0], timestamp: fields[1] };
}
