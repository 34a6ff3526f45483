/**
 * A real Alertmanager (`/usr/bin/prometheus-alertmanager`, from apt) for tests: clustering off,
 * one receiver (optionally forwarding to a webhook), and its API v2 alert list at hand.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type RunningServer, startServer } from './process.ts';

/** Where the binary is; `.ci/run` installs it from apt. */
export const ALERTMANAGER_BINARY = '/usr/bin/prometheus-alertmanager';

/** What the test Alertmanager does with the alerts it groups. */
export interface AlertmanagerOptions {
  /** A webhook its one receiver forwards notifications to; none by default (alerts are only held). */
  webhookUrl?: string;
}

/** An alert as `GET /api/v2/alerts` lists it (the fields tests read). */
export interface ReceivedAlert {
  /** Its labels (`alertname` and the sender's). */
  labels: Record<string, string>;
  /** Its annotations. */
  annotations: Record<string, string>;
  /** ISO 8601. */
  startsAt: string;
  /** ISO 8601. */
  endsAt: string;
  /** `active`, `suppressed` or `unprocessed`. */
  status: { state: string };
}

/** A running Alertmanager with its alert list. */
export interface TestAlertmanager extends RunningServer {
  /** The alerts it holds now, resolved ones included. */
  alerts(): Promise<ReceivedAlert[]>;
}

/** The configuration file's content (JSON, which is valid YAML). */
export function alertmanagerConfig(options: AlertmanagerOptions): string {
  const receiver: Record<string, unknown> = { name: 'test' };
  if (options.webhookUrl) receiver.webhook_configs = [{ url: options.webhookUrl, send_resolved: true }];
  return JSON.stringify(
    {
      route: { receiver: 'test', group_wait: '0s', group_interval: '1s', repeat_interval: '1h' },
      receivers: [receiver],
    },
    null,
    2,
  );
}

/** Starts Alertmanager on a free port of 127.0.0.1 with its own temporary config and storage. */
export async function startAlertmanager(options: AlertmanagerOptions = {}): Promise<TestAlertmanager> {
  const server = await startServer({
    name: 'alertmanager',
    command: ALERTMANAGER_BINARY,
    prepare: (dir) => writeFileSync(join(dir, 'alertmanager.yml'), alertmanagerConfig(options)),
    args: (port, dir) => [
      `--config.file=${join(dir, 'alertmanager.yml')}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      // An empty cluster address turns gossip off: one test instance, no extra port.
      '--cluster.listen-address=',
    ],
    readyPath: '/-/ready',
  });
  return {
    ...server,
    async alerts() {
      const response = await fetch(`${server.url}/api/v2/alerts?active=true&silenced=true&inhibited=true`);
      if (!response.ok) throw new Error(`alertmanager answered ${response.status}`);
      return (await response.json()) as ReceivedAlert[];
    },
  };
}
