/**
 * Alerts out of the loop: open incidents and escalations go to Alertmanager (API v2,
 * `POST <url>/api/v2/alerts`) and/or a generic webhook, and a resolved or closed incident ends
 * its alert. An open incident fires with severity `warning`; its escalation ends that alert and
 * fires one with severity `critical` (the severity is a label, so they are two alerts to
 * Alertmanager); the incident's close ends whichever is firing, with `endsAt` at the close.
 *
 * Alerts carry the labels `alertname`, `incident`, `nodes` (the anomalous nodes, comma-separated),
 * `severity` and, once diagnosed, `kind`; the annotations `summary` and `description` say what is
 * anomalous, the likeliest causes and why it was escalated. Times are the loop's ticks, which
 * `serve` keeps in Unix seconds (the samples' own time).
 *
 * Firing alerts carry no `endsAt` and, while `watch` runs, are sent to Alertmanager again every
 * `resendSeconds` (default 60, as Prometheus re-sends its own): Alertmanager resolves an alert it
 * has not heard of for its `resolve_timeout` (5 minutes by default), so an escalation stays firing
 * until its incident closes, and stops firing on its own if the engine goes away.
 *
 * Sending never disturbs the loop: a failed POST (no answer, a timeout, a 5xx or a 429) is retried
 * a bounded number of times with doubling back-off, a refused one (any other 4xx) is not, and
 * every POST that finally fails is counted and reported to `onFailure`, never thrown. The sends
 * of one incident keep their order; different incidents do not wait for each other.
 *
 * The generic webhook receives `{ event, status, incident, reason?, alerts }` (`status` `firing`
 * or `resolved`; `alerts` the same objects Alertmanager gets), signed like the webhook executor's
 * requests when a secret is configured (see src/execute/webhook-signature.ts).
 */
import { ArgumentError } from '../errors.ts';
import {
  checkTimeout,
  checkUrl,
  type FetchFunction,
  type PostOutcome,
  postJson,
} from '../execute/http-post.ts';
import { signWebhook } from '../execute/webhook-signature.ts';
import { printTarget } from '../domain/targets.ts';
import type { IncidentRecord } from '../knowledge/records.ts';
import type { LoopEventOf } from '../loop/events.ts';
import type { MapeKLoop } from '../loop/loop.ts';

/** One alert as Alertmanager's API v2 takes it. */
export interface Alert {
  /** Identify the alert: `alertname`, `incident`, `nodes`, `severity`, and `kind` once diagnosed. */
  labels: Record<string, string>;
  /** `summary` and `description`, for people. */
  annotations: Record<string, string>;
  /** When the incident opened (ISO 8601). */
  startsAt: string;
  /** When it ended (ISO 8601); absent while it fires. */
  endsAt?: string;
  /** Where to look: the `generatorURL` option, when given. */
  generatorURL?: string;
}

/** The loop events that become alerts. */
export type AlertEvent = LoopEventOf<'incident-opened' | 'escalation' | 'incident-resolved'>;

/** Where alerts go, and how. */
export interface AlertSenderOptions {
  /** Alertmanager's base URL (alerts are POSTed to `<url>/api/v2/alerts`), and a timeout per POST (ms). */
  alertmanager?: { url: string; timeoutMs?: number };
  /** A generic webhook; with a secret its POSTs are signed (see src/execute/webhook-signature.ts). */
  webhook?: { url: string; secret?: string; timeoutMs?: number };
  /** The fetch to use (default the global one); injectable for tests. */
  fetch?: FetchFunction;
  /** The alerts' `generatorURL`, e.g. the engine's `/v1/incidents`. */
  generatorURL?: string;
  /** Retries of a failed POST before it counts as failed (default 3). */
  retries?: number;
  /** Milliseconds before the first retry; each further one waits twice as long (default 1,000). */
  backoffMs?: number;
  /** The `alertname` label (default `X0tta6bl4Incident`). */
  alertname?: string;
  /** The wall-clock time of a loop tick (default: the tick is Unix seconds). */
  timeOf?: (ts: number) => Date;
  /** Seconds between re-sends of the firing alerts to Alertmanager while `watch` runs (default 60). */
  resendSeconds?: number;
  /** Told of each POST that finally failed. */
  onFailure?: (destination: AlertDestination, reason: string) => void;
}

/** Which kind of receiver a POST went to. */
export type AlertDestination = 'alertmanager' | 'webhook';

/** Counts of the sender's POSTs, one per destination per event. */
export interface AlertSenderStats {
  /** POSTs the receiver accepted. */
  sent: number;
  /** POSTs that failed after their retries (or were refused). */
  failed: number;
  /** Retries made. */
  retried: number;
  /** Events whose POSTs are still in progress. */
  pending: number;
  /** The last failure's destination and reason. */
  lastFailure?: string;
}

/** Default milliseconds an alert POST may take. */
const ALERT_TIMEOUT_MS = 10_000;
/** Default `alertname` label. */
const DEFAULT_ALERTNAME = 'X0tta6bl4Incident';

const DEFAULT_RETRIES = 3;
const DEFAULT_RESEND_SECONDS = 60;
const DEFAULT_BACKOFF_MS = 1_000;
/** Root causes named in an alert's description. */
const CAUSES_SHOWN = 3;
/** Metrics named in an alert's summary. */
const METRICS_SHOWN = 3;

type Severity = 'warning' | 'critical';

/** One POST's body to each destination. */
interface Delivery {
  alerts: Alert[];
  webhook: string;
}

/** Sends the loop's incidents as alerts (see the module's comment). */
export class AlertSender {
  readonly #alertmanager: { url: string; timeoutMs: number } | undefined;
  readonly #webhook: { url: string; secret?: string; timeoutMs: number } | undefined;
  readonly #fetch: FetchFunction;
  readonly #generatorURL: string | undefined;
  readonly #retries: number;
  readonly #backoffMs: number;
  readonly #alertname: string;
  readonly #timeOf: (ts: number) => Date;
  readonly #onFailure: AlertSenderOptions['onFailure'];
  /** The alert firing for each incident: its labels, and what it is built from on a re-send. */
  readonly #firing = new Map<
    string,
    { labels: Record<string, string>; incident: IncidentRecord; reason?: string }
  >();
  readonly #resendMs: number;
  /** Each incident's sends in progress, chained so they keep their order. */
  readonly #chains = new Map<string, Promise<void>>();
  readonly #stats = { sent: 0, failed: 0, retried: 0, lastFailure: undefined as string | undefined };

  /** A sender to Alertmanager, a webhook or both; throws ArgumentError naming the option that is wrong. */
  constructor(options: AlertSenderOptions) {
    const { alertmanager, webhook } = options ?? {};
    if (!alertmanager && !webhook) throw new ArgumentError('options', 'give alertmanager, webhook or both');
    if (alertmanager)
      this.#alertmanager = {
        url: `${checkUrl(alertmanager.url, 'alertmanager.url').replace(/\/+$/, '')}/api/v2/alerts`,
        timeoutMs: checkTimeout(alertmanager.timeoutMs ?? ALERT_TIMEOUT_MS, 'alertmanager.timeoutMs'),
      };
    if (webhook) {
      if (webhook.secret !== undefined && (typeof webhook.secret !== 'string' || webhook.secret === ''))
        throw new ArgumentError('webhook.secret', 'expected a non-empty string shared with the receiver');
      this.#webhook = {
        url: checkUrl(webhook.url, 'webhook.url'),
        ...(webhook.secret !== undefined ? { secret: webhook.secret } : {}),
        timeoutMs: checkTimeout(webhook.timeoutMs ?? ALERT_TIMEOUT_MS, 'webhook.timeoutMs'),
      };
    }
    if (options.fetch !== undefined && typeof options.fetch !== 'function')
      throw new ArgumentError('fetch', 'expected a function');
    this.#fetch = options.fetch ?? ((url, init) => fetch(url, init));
    this.#generatorURL =
      options.generatorURL === undefined ? undefined : checkUrl(options.generatorURL, 'generatorURL');
    this.#retries = options.retries ?? DEFAULT_RETRIES;
    if (!Number.isInteger(this.#retries) || this.#retries < 0)
      throw new ArgumentError('retries', `expected an integer >= 0, got ${String(options.retries)}`);
    this.#backoffMs = options.backoffMs ?? DEFAULT_BACKOFF_MS;
    if (!(this.#backoffMs >= 0 && this.#backoffMs <= 600_000))
      throw new ArgumentError(
        'backoffMs',
        `expected 0..600000 milliseconds, got ${String(options.backoffMs)}`,
      );
    this.#alertname = options.alertname ?? DEFAULT_ALERTNAME;
    if (typeof this.#alertname !== 'string' || this.#alertname === '')
      throw new ArgumentError('alertname', 'expected a non-empty string');
    this.#timeOf = options.timeOf ?? ((ts) => new Date(ts * 1000));
    this.#onFailure = options.onFailure;
    const resend = options.resendSeconds ?? DEFAULT_RESEND_SECONDS;
    if (typeof resend !== 'number' || !(resend > 0 && resend <= 86_400))
      throw new ArgumentError('resendSeconds', `expected 0 < seconds <= 86400, got ${String(resend)}`);
    this.#resendMs = resend * 1000;
  }

  /** What was sent and what failed so far. */
  get stats(): AlertSenderStats {
    return { ...this.#stats, pending: this.#chains.size };
  }

  /**
   * Sends the loop's incident openings, escalations and closes as alerts from now on, and re-sends
   * the firing ones to Alertmanager every `resendSeconds`; returns a function that stops both
   * (sends already under way still finish; see `flush`).
   */
  watch(loop: Pick<MapeKLoop, 'on'>): () => void {
    const handle = (event: AlertEvent): void => void this.notify(event);
    const stops = [
      loop.on('incident-opened', handle),
      loop.on('escalation', handle),
      loop.on('incident-resolved', handle),
    ];
    const timer = setInterval(() => void this.resend(), this.#resendMs);
    // The timer must not keep a process alive on its own (Node and Bun).
    (timer as { unref?: () => void }).unref?.();
    return () => {
      clearInterval(timer);
      for (const stop of stops) stop();
    };
  }

  /**
   * Sends every firing alert to Alertmanager again, so it does not resolve them for want of news
   * (`watch` calls it every `resendSeconds`); resolves once delivered or failed, never rejects.
   */
  resend(): Promise<void> {
    if (!this.#alertmanager || this.#firing.size === 0) return Promise.resolve();
    const alerts = [...this.#firing.values()].map(({ labels, incident, reason }) =>
      this.#alert(incident, labels, undefined, reason),
    );
    return this.#post('alertmanager', { ...this.#alertmanager, body: JSON.stringify(alerts) });
  }

  /**
   * Sends the alerts one loop event calls for; resolves once they are delivered or have failed
   * (never rejects). `watch` calls it for each event.
   */
  notify(event: AlertEvent): Promise<void> {
    const delivery = this.#deliveryOf(event);
    if (!delivery) return Promise.resolve();
    const id = event.incident.id;
    const sent = (this.#chains.get(id) ?? Promise.resolve()).then(() => this.#deliver(delivery));
    this.#chains.set(id, sent);
    void sent.then(() => {
      if (this.#chains.get(id) === sent) this.#chains.delete(id);
    });
    return sent;
  }

  /** Resolves once every send under way has been delivered or has failed. */
  async flush(): Promise<void> {
    while (this.#chains.size > 0) await Promise.all([...this.#chains.values()]);
  }

  /** The alerts and webhook body of `event`, updating which alert fires for its incident. */
  #deliveryOf(event: AlertEvent): Delivery | undefined {
    const incident = event.incident;
    const firing = this.#firing.get(incident.id)?.labels;
    const at = this.#timeOf(event.ts);
    let alerts: Alert[];
    let reason: string | undefined;
    if (event.type === 'incident-opened') {
      const labels = this.#labels(incident, 'warning');
      this.#firing.set(incident.id, { labels, incident });
      alerts = [this.#alert(incident, labels)];
    } else if (event.type === 'escalation') {
      if (firing?.severity === 'critical') return undefined;
      reason = event.reason;
      const labels = this.#labels(incident, 'critical');
      this.#firing.set(incident.id, { labels, incident, reason });
      alerts = [
        ...(firing ? [this.#alert(incident, firing, at)] : []),
        this.#alert(incident, labels, undefined, reason),
      ];
    } else {
      this.#firing.delete(incident.id);
      const labels =
        firing ?? this.#labels(incident, incident.status === 'escalated' ? 'critical' : 'warning');
      alerts = [this.#alert(incident, labels, this.#timeOf(incident.closedAt ?? event.ts))];
    }
    const status = event.type === 'incident-resolved' ? 'resolved' : 'firing';
    return {
      alerts,
      webhook: JSON.stringify({ event: event.type, status, incident, ...(reason ? { reason } : {}), alerts }),
    };
  }

  #labels(incident: IncidentRecord, severity: Severity): Record<string, string> {
    return {
      alertname: this.#alertname,
      incident: incident.id,
      nodes: incident.nodes.join(','),
      severity,
      ...(incident.diagnosedKind ? { kind: incident.diagnosedKind } : {}),
    };
  }

  #alert(incident: IncidentRecord, labels: Record<string, string>, endsAt?: Date, reason?: string): Alert {
    const startsAt = this.#timeOf(incident.openedAt);
    const metrics = incident.metrics.slice(0, METRICS_SHOWN).join(', ') || 'telemetry';
    const causes = incident.rootCauses
      .slice(0, CAUSES_SHOWN)
      .map((c) => `${printTarget(c.target)} (${c.score.toFixed(2)})`)
      .join(', ');
    const description = [
      `Incident ${incident.id} on ${incident.nodes.join(', ') || 'no node yet'}.`,
      causes ? `Likeliest causes: ${causes}.` : '',
      incident.diagnosedKind ? `Diagnosed as ${incident.diagnosedKind}.` : '',
      incident.citations.length ? `Runbooks: ${incident.citations.join(', ')}.` : '',
      reason ? `Escalated: ${reason}.` : '',
    ]
      .filter(Boolean)
      .join(' ');
    return {
      labels,
      annotations: {
        summary: `${metrics} anomalous on ${incident.nodes.join(', ') || 'the mesh'}`,
        description,
      },
      startsAt: startsAt.toISOString(),
      // Alertmanager refuses an alert that ends before it starts.
      ...(endsAt ? { endsAt: new Date(Math.max(endsAt.getTime(), startsAt.getTime())).toISOString() } : {}),
      ...(this.#generatorURL ? { generatorURL: this.#generatorURL } : {}),
    };
  }

  async #deliver(delivery: Delivery): Promise<void> {
    const sends: Promise<void>[] = [];
    if (this.#alertmanager)
      sends.push(
        this.#post('alertmanager', { ...this.#alertmanager, body: JSON.stringify(delivery.alerts) }),
      );
    if (this.#webhook) {
      const { url, secret, timeoutMs } = this.#webhook;
      const body = delivery.webhook;
      sends.push(
        this.#post('webhook', {
          url,
          timeoutMs,
          body,
          sign: secret === undefined ? undefined : () => signWebhook(secret, body),
        }),
      );
    }
    await Promise.all(sends);
  }

  /** POSTs with retries; counts the outcome. */
  async #post(
    destination: AlertDestination,
    request: { url: string; timeoutMs: number; body: string; sign?: () => Record<string, string> },
  ): Promise<void> {
    let failure = '';
    for (let attempt = 0; attempt <= this.#retries; attempt++) {
      if (attempt > 0) {
        this.#stats.retried++;
        await new Promise((resolve) => setTimeout(resolve, this.#backoffMs * 2 ** (attempt - 1)));
      }
      const outcome = await postJson({
        url: request.url,
        body: request.body,
        // Signed afresh on each attempt, so a late retry is not refused as stale.
        headers: request.sign?.() ?? {},
        timeoutMs: request.timeoutMs,
        fetch: this.#fetch,
      });
      if (outcome.answered && outcome.status >= 200 && outcome.status < 300) {
        this.#stats.sent++;
        return;
      }
      failure = describeFailure(outcome);
      if (!retryable(outcome)) break;
    }
    this.#stats.failed++;
    this.#stats.lastFailure = `${destination}: ${failure}`;
    try {
      this.#onFailure?.(destination, failure);
    } catch {
      // A failing observer must not turn a counted failure into a thrown one.
    }
  }
}

/** Whether trying again may help: no answer, an overloaded or failing receiver. */
function retryable(outcome: PostOutcome): boolean {
  return !outcome.answered || outcome.status === 429 || outcome.status >= 500;
}

function describeFailure(outcome: PostOutcome): string {
  if (!outcome.answered) return outcome.reason;
  const body = outcome.body.trim().slice(0, 300);
  return `HTTP ${outcome.status}${outcome.statusText ? ` ${outcome.statusText}` : ''}${body ? `: ${body}` : ''}`;
}
