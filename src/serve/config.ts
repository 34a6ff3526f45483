/**
 * The engine's config file: how to read the operator's telemetry (the metrics, their ranges and
 * roles, the reporting interval) and what the engine may do about it (threshold, loop counts,
 * rails, executor, alerts), with the service's ingest options and limits. `parseEngineConfig`
 * checks a parsed JSON value against schema/config.schema.json and then for what a schema cannot
 * say (a role naming an unknown metric, min above max, duplicate metric names, a command without a
 * program, a URL that does not parse), reports every problem at its JSON path, and fills the
 * defaults. With no metrics given, the defaults are the simulator's metrics and roles, so an
 * exported simulated run replays without a config.
 */
import schema from '../../schema/config.schema.json' with { type: 'json' };
import { isActionKind } from '../domain/actions.ts';
import { ArgumentError, ConfigError, type ConfigProblem } from '../errors.ts';
import type { RailOptions } from '../execute/rails.ts';
import { ALARM_THRESHOLD } from '../kernels/detector/params.ts';
import type { RcaMetrics } from '../analyze/rca.ts';
import type { LoopCounts, MetricRoles } from '../loop/options.ts';
import type { MetricSpec } from '../monitor/ingest.ts';
import {
  DEMAND_METRICS,
  HARMFUL_DIRECTIONS,
  LOAD_METRICS,
  LOCAL_METRICS,
  SIM_METRICS,
} from '../run/mesh-loop.ts';
import { compileSchema, isRecord, pointer } from './json-schema.ts';

/** What a metric says about a node: `local` describes the node itself, `load` rises with demand, `demand` follows it either way. */
export type MetricRole = 'local' | 'load' | 'demand';

/** A metric every node reports: its accepted range, the way it goes when something is wrong, its roles. */
export interface MetricConfig extends MetricSpec {
  /** Which way the metric goes when something is wrong; without it, either way is anomalous. */
  harmful?: 'up' | 'down';
  /** What the metric says about a node (none: a network metric with no special role). */
  roles?: MetricRole[];
}

/** An HTTP endpoint the engine POSTs to, optionally signing with an HMAC key. */
export interface WebhookTarget {
  /** Where requests go (http or https). */
  url: string;
  /** Key of the HMAC-SHA256 signature header; without it requests are unsigned. */
  secret?: string;
  /** Milliseconds before a request is given up. */
  timeoutMs?: number;
}

/** What carries actions out: nothing (plans only), a webhook, or per-action commands run without a shell. */
export type ExecutorConfig =
  | { kind: 'plan-only' }
  | ({ kind: 'webhook' } & WebhookTarget)
  | {
      kind: 'command';
      /** Per action name, the argv that applies it. */
      actions: Record<string, string[]>;
      /** Per action name, the argv that undoes it. */
      rollback?: Record<string, string[]>;
      /** Milliseconds before a command is killed. */
      timeoutMs?: number;
    };

/** Where escalations and open incidents are sent. */
export interface AlertsConfig {
  /** An Alertmanager (API v2 alerts), by its base URL. */
  alertmanager?: { url: string; timeoutMs?: number };
  /** A generic webhook receiving alerts as JSON. */
  webhook?: WebhookTarget;
}

/** A text-exposition endpoint to scrape. */
export interface ScrapeTarget {
  /** The metrics URL. */
  url: string;
  /** The node its samples belong to, when they carry no node label. */
  node?: string;
}

/** Scraping of Prometheus text-exposition targets. */
export interface ScrapeConfig {
  /** Seconds between scrapes (default 15). */
  intervalSeconds: number;
  /** The label naming a sample's node (default `instance`). */
  nodeLabel: string;
  /** The endpoints to scrape. */
  targets: ScrapeTarget[];
}

/** The service's limits. */
export interface LimitsConfig {
  /** Largest request body accepted, in bytes (default 16 MiB). */
  maxBodyBytes: number;
  /** Samples the ingest queue holds before senders are told to retry (default 1,000,000). */
  queueSamples: number;
  /** Milliseconds a request may take (default 10,000). */
  requestTimeoutMs: number;
}

/** The engine's configuration, every default filled in (see schema/config.schema.json for each field). */
export interface EngineConfig {
  /** Seconds per tick: the data's reporting interval (default 15). */
  tickSeconds: number;
  /** Seconds a tick waits for late samples after its end (default one tick). */
  latenessSeconds: number;
  /** The metrics every node reports (default the simulator's eight). */
  metrics: MetricConfig[];
  /** The metric counting loss through a node's next hop. */
  lossMetric?: string;
  /** The metric of a node's links' quality. */
  linkMetric?: string;
  /** The throughput metric. */
  throughputMetric?: string;
  /** Detector score at or above which a series is anomalous (default the shipped alarm threshold). */
  threshold: number;
  /** The loop's counts the file sets. */
  loop: LoopCounts;
  /** The safety rails' limits the file sets. */
  rails: RailOptions;
  /** What carries actions out (default plan-only). */
  executor: ExecutorConfig;
  /** Plan and record without acting (default false). */
  dryRun: boolean;
  /** Where alerts go (default nowhere). */
  alerts: AlertsConfig;
  /** Targets to scrape, if any. */
  scrape?: ScrapeConfig;
  /** Prometheus remote write: the label naming a series' node (default `instance`). */
  remoteWrite: { nodeLabel: string };
  /** OTLP metrics: the resource attributes naming a metric's node, first present wins. */
  otlp: { nodeAttributes: string[] };
  /** The service's limits. */
  limits: LimitsConfig;
}

/** The file as the schema allows it: every field optional. */
type ConfigFile = Partial<Omit<EngineConfig, 'scrape' | 'remoteWrite' | 'otlp' | 'limits'>> & {
  scrape?: Partial<ScrapeConfig> & Pick<ScrapeConfig, 'targets'>;
  remoteWrite?: Partial<EngineConfig['remoteWrite']>;
  otlp?: Partial<EngineConfig['otlp']>;
  limits?: Partial<LimitsConfig>;
};

const check = compileSchema(schema);

/** The metric roles with a metric of their own, by field. */
const ROLE_FIELDS = ['lossMetric', 'linkMetric', 'throughputMetric'] as const;

/** The simulator's metrics of those roles (as src/run/mesh-loop.ts wires its loop). */
const SIM_ROLE_METRICS: Partial<Record<(typeof ROLE_FIELDS)[number], string>> = {
  lossMetric: 'packetLoss',
  linkMetric: 'linkQuality',
  throughputMetric: 'throughput',
};

/** The engine's defaults: the simulator's metrics and roles, a plan-only executor, the shipped limits. */
export const DEFAULT_ENGINE_CONFIG: Readonly<EngineConfig> = Object.freeze(parseEngineConfig({}));

/**
 * Reads an engine config from a parsed JSON value and fills its defaults; throws a ConfigError
 * listing every problem, each at its JSON path.
 * @param value the parsed file
 * @param file how the file is named in the error (default `config`)
 */
export function parseEngineConfig(value: unknown, file = 'config'): EngineConfig {
  const problems = [...check(value), ...semanticProblems(value)];
  if (problems.length) throw new ConfigError(file, problems);
  // The schema has checked every field's shape; what follows copies it, defaults filled.
  const c = structuredClone(value) as ConfigFile;
  const tickSeconds = c.tickSeconds ?? 15;
  // The simulator's role metrics are defaults only with its metrics.
  const roleDefaults = c.metrics ? {} : SIM_ROLE_METRICS;
  const roles = Object.fromEntries(
    ROLE_FIELDS.flatMap((f) => {
      const name = c[f] ?? roleDefaults[f];
      return name !== undefined ? [[f, name]] : [];
    }),
  );
  const scrape = c.scrape;
  return {
    tickSeconds,
    latenessSeconds: c.latenessSeconds ?? tickSeconds,
    metrics: c.metrics ?? simulatorMetrics(),
    ...roles,
    threshold: c.threshold ?? ALARM_THRESHOLD,
    loop: c.loop ?? {},
    rails: c.rails ?? {},
    executor: c.executor ?? { kind: 'plan-only' },
    dryRun: c.dryRun ?? false,
    alerts: c.alerts ?? {},
    ...(scrape
      ? {
          scrape: {
            intervalSeconds: scrape.intervalSeconds ?? 15,
            nodeLabel: scrape.nodeLabel ?? 'instance',
            targets: scrape.targets,
          },
        }
      : {}),
    remoteWrite: { nodeLabel: c.remoteWrite?.nodeLabel ?? 'instance' },
    otlp: { nodeAttributes: c.otlp?.nodeAttributes ?? ['service.instance.id', 'host.name', 'service.name'] },
    limits: {
      maxBodyBytes: c.limits?.maxBodyBytes ?? 16 * 1024 * 1024,
      queueSamples: c.limits?.queueSamples ?? 1_000_000,
      requestTimeoutMs: c.limits?.requestTimeoutMs ?? 10_000,
    },
  };
}

/**
 * Splits a `node:metric` argument at its last colon, since node ids may hold colons
 * (`10.0.0.1:9100:cpu` is node `10.0.0.1:9100`, metric `cpu`); metric names hold none. Throws an
 * ArgumentError naming `argument` when there is no colon or either side is empty.
 * @param text the argument's value
 * @param argument the argument's name, for the error (default `--target`)
 */
export function splitSeriesArgument(text: string, argument = '--target'): { node: string; metric: string } {
  const colon = text.lastIndexOf(':');
  const node = text.slice(0, Math.max(colon, 0));
  const metric = text.slice(colon + 1);
  if (colon < 0 || node === '' || metric === '')
    throw new ArgumentError(argument, `expected node:metric, got ${JSON.stringify(text)}`);
  return { node, metric };
}

/** The config's metric roles in the loop's terms (what `createOperatorLoop` hands the loop). */
export function metricRoles(config: EngineConfig): MetricRoles {
  const withRole = (role: MetricRole) =>
    config.metrics.filter((m) => m.roles?.includes(role)).map((m) => m.name);
  return {
    localMetrics: withRole('local'),
    loadMetrics: withRole('load'),
    demandMetrics: withRole('demand'),
    harmful: Object.fromEntries(config.metrics.flatMap((m) => (m.harmful ? [[m.name, m.harmful]] : []))),
    ...(config.lossMetric !== undefined ? { lossMetric: config.lossMetric } : {}),
    ...(config.linkMetric !== undefined ? { linkMetric: config.linkMetric } : {}),
    ...(config.throughputMetric !== undefined ? { throughputMetric: config.throughputMetric } : {}),
  };
}

/** The config's metrics in the terms of after-the-fact root-cause analysis (src/analyze/rca.ts): their order, ranges and roles. */
export function rcaMetrics(config: EngineConfig): RcaMetrics {
  return {
    names: config.metrics.map((m) => m.name),
    ranges: Object.fromEntries(config.metrics.map((m) => [m.name, { min: m.min, max: m.max }])),
    ...metricRoles(config),
  };
}

/** The simulator's metrics with their harmful directions and roles. */
function simulatorMetrics(): MetricConfig[] {
  const has = (list: readonly string[], name: string) => list.includes(name);
  return SIM_METRICS.map((m) => {
    const roles: MetricRole[] = [];
    if (has(LOCAL_METRICS, m.name)) roles.push('local');
    if (has(LOAD_METRICS, m.name)) roles.push('load');
    if (has(DEMAND_METRICS, m.name)) roles.push('demand');
    const harmful = HARMFUL_DIRECTIONS[m.name];
    return { ...m, ...(harmful ? { harmful } : {}), ...(roles.length ? { roles } : {}) };
  });
}

/** What the schema cannot check, on whatever parts of `value` have the right shape. */
function semanticProblems(value: unknown): ConfigProblem[] {
  if (!isRecord(value)) return [];
  const problems: ConfigProblem[] = [];
  const names = new Map<string, number>();
  const metrics = Array.isArray(value.metrics) ? value.metrics : undefined;
  metrics?.forEach((metric, i) => {
    if (!isRecord(metric)) return;
    const { name, min, max } = metric;
    if (typeof name === 'string') {
      const first = names.get(name);
      if (first === undefined) names.set(name, i);
      else
        problems.push({
          path: pointer('/metrics', i, 'name'),
          message: `duplicate metric ${JSON.stringify(name)} (first at ${pointer('/metrics', first)})`,
        });
    }
    if (typeof min === 'number' && typeof max === 'number' && min > max)
      problems.push({ path: pointer('/metrics', i, 'max'), message: `${max} is below min ${min}` });
  });
  const known = metrics ? names : new Set(SIM_METRICS.map((m) => m.name));
  for (const field of ROLE_FIELDS) {
    const name = value[field];
    if (typeof name === 'string' && !known.has(name))
      problems.push({
        path: pointer('', field),
        message: `names no metric of the config: ${JSON.stringify(name)} (metrics: ${[...known.keys()].join(', ')})`,
      });
  }
  const rails = value.rails;
  if (isRecord(rails) && typeof rails.backoffBase === 'number' && typeof rails.backoffMax === 'number')
    if (rails.backoffMax < rails.backoffBase)
      problems.push({
        path: '/rails/backoffMax',
        message: `${rails.backoffMax} is below backoffBase ${rails.backoffBase}`,
      });
  const executor = value.executor;
  if (isRecord(executor)) {
    checkUrl(problems, executor.url, '/executor/url');
    if (executor.kind === 'command') commandProblems(problems, executor);
  }
  if (isRecord(value.alerts))
    for (const sink of ['alertmanager', 'webhook'])
      if (isRecord(value.alerts[sink]))
        checkUrl(problems, value.alerts[sink].url, pointer('/alerts', sink, 'url'));
  if (isRecord(value.scrape) && Array.isArray(value.scrape.targets))
    value.scrape.targets.forEach((target, i) => {
      if (isRecord(target)) checkUrl(problems, target.url, pointer('/scrape/targets', i, 'url'));
    });
  return problems;
}

/** A command executor's templates: engine actions only, each with a program, rollbacks only of those. */
function commandProblems(problems: ConfigProblem[], executor: Record<string, unknown>): void {
  const applied = isRecord(executor.actions) ? executor.actions : {};
  for (const field of ['actions', 'rollback'] as const) {
    const templates = executor[field];
    if (!isRecord(templates)) continue;
    for (const [action, argv] of Object.entries(templates)) {
      const path = pointer('/executor', field, action);
      if (!isActionKind(action))
        problems.push({ path, message: `${JSON.stringify(action)} is not an engine action` });
      else if (field === 'rollback' && !Object.hasOwn(applied, action))
        problems.push({ path, message: `a rollback of ${action}, which has no command in actions` });
      if (Array.isArray(argv) && argv[0] === '')
        problems.push({ path: pointer(path, 0), message: 'the program is empty' });
    }
  }
}

function checkUrl(problems: ConfigProblem[], url: unknown, path: string): void {
  if (typeof url !== 'string' || url === '') return;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    problems.push({ path, message: `not a URL: ${JSON.stringify(url)}` });
    return;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    problems.push({ path, message: `expected an http or https URL, got ${parsed.protocol}` });
}
