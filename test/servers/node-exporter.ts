/**
 * A real node_exporter (`/usr/bin/prometheus-node-exporter`, from apt) for tests: only a few
 * cheap collectors, plus the textfile collector on its temporary directory so a test can publish
 * metrics of its own (values it knows) with {@link TestNodeExporter.writeTextfile}.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type RunningServer, startServer } from './process.ts';

/** Where the binary is; `.ci/run` installs it from apt. */
export const NODE_EXPORTER_BINARY = '/usr/bin/prometheus-node-exporter';

/** A running node_exporter. */
export interface TestNodeExporter extends RunningServer {
  /** `http://127.0.0.1:<port>/metrics`. */
  readonly metricsUrl: string;
  /**
   * Publishes `text` (Prometheus text format) through the textfile collector, replacing what was
   * there; written beside and renamed so a scrape never reads half a file.
   */
  writeTextfile(text: string): void;
}

/** Starts node_exporter on a free port of 127.0.0.1. */
export async function startNodeExporter(): Promise<TestNodeExporter> {
  const server = await startServer({
    name: 'node-exporter',
    command: NODE_EXPORTER_BINARY,
    args: (port, dir) => [
      `--web.listen-address=127.0.0.1:${port}`,
      '--collector.disable-defaults',
      '--collector.cpu',
      '--collector.loadavg',
      '--collector.meminfo',
      '--collector.textfile',
      `--collector.textfile.directory=${dir}`,
    ],
    readyPath: '/metrics',
  });
  return {
    ...server,
    metricsUrl: `${server.url}/metrics`,
    writeTextfile(text) {
      const partial = join(server.dir, 'test.prom.partial');
      writeFileSync(partial, text);
      renameSync(partial, join(server.dir, 'test.prom'));
    },
  };
}
