/**
 * A real Prometheus server (`/usr/bin/prometheus`, from apt) for tests: scraping itself and the
 * given targets every second, remote-writing everything it scrapes to a receiver with a short
 * batch deadline so samples arrive within seconds, and its query API at hand.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type RunningServer, startServer } from './process.ts';

/** Where the binary is; `.ci/run` installs it from apt. */
export const PROMETHEUS_BINARY = '/usr/bin/prometheus';

/** One scrape job: the `host:port` targets it scrapes. */
export interface ScrapeJob {
  /** The job label, e.g. `engine`. */
  job: string;
  /** Targets as `host:port`. */
  targets: string[];
  /** Default `/metrics`. */
  metricsPath?: string;
}

/** What the test Prometheus does besides scraping itself. */
export interface PrometheusOptions {
  /** Remote-write receiver, e.g. `http://127.0.0.1:9470/api/v1/write`. */
  remoteWriteUrl?: string;
  /** Jobs scraped besides its own (`job="prometheus"`). */
  scrape?: ScrapeJob[];
  /** Scrape interval in seconds (default 1). */
  scrapeIntervalSeconds?: number;
  /** Its port, when a test must name it before the start (in a topology, say); default a free one. */
  port?: number;
}

/** One series of an instant query: its labels and its value now. */
export interface InstantSample {
  /** The series' labels, `__name__` included. */
  metric: Record<string, string>;
  /** The value (Prometheus answers it as a string). */
  value: number;
}

/** A running Prometheus with its query API. */
export interface TestPrometheus extends RunningServer {
  /** Runs an instant PromQL query through `/api/v1/query`; throws on a non-success answer. */
  query(promql: string): Promise<InstantSample[]>;
}

/**
 * The configuration file's content. JSON is valid YAML, so the file is written with
 * JSON.stringify and needs no YAML writer.
 */
export function prometheusConfig(port: number, options: PrometheusOptions): string {
  const interval = `${options.scrapeIntervalSeconds ?? 1}s`;
  const jobs: ScrapeJob[] = [
    { job: 'prometheus', targets: [`127.0.0.1:${port}`] },
    ...(options.scrape ?? []),
  ];
  const config: Record<string, unknown> = {
    global: { scrape_interval: interval, evaluation_interval: interval },
    scrape_configs: jobs.map((j) => ({
      job_name: j.job,
      metrics_path: j.metricsPath ?? '/metrics',
      static_configs: [{ targets: j.targets }],
    })),
  };
  if (options.remoteWriteUrl) {
    config.remote_write = [
      {
        url: options.remoteWriteUrl,
        // Send within a second of scraping instead of waiting for full shards; back off briefly.
        queue_config: { batch_send_deadline: '1s', min_backoff: '100ms', max_backoff: '1s' },
        metadata_config: { send: false },
      },
    ];
  }
  return JSON.stringify(config, null, 2);
}

/** Starts Prometheus on 127.0.0.1 (a free port unless `options.port`) with its own temporary config and storage. */
export async function startPrometheus(options: PrometheusOptions = {}): Promise<TestPrometheus> {
  const server = await startServer({
    name: 'prometheus',
    command: PROMETHEUS_BINARY,
    prepare: (dir, port) => writeFileSync(join(dir, 'prometheus.yml'), prometheusConfig(port, options)),
    args: (port, dir) => [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    readyPath: '/-/ready',
    port: options.port,
  });
  return {
    ...server,
    async query(promql) {
      const response = await fetch(`${server.url}/api/v1/query?query=${encodeURIComponent(promql)}`);
      const body = (await response.json()) as {
        status: string;
        error?: string;
        data?: { result: { metric: Record<string, string>; value: [number, string] }[] };
      };
      if (body.status !== 'success' || !body.data)
        throw new Error(`query ${promql} failed: ${body.error ?? response.status}`);
      return body.data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
    },
  };
}
