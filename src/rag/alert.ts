/**
 * Alertmanager alerts as retrieval questions, and the links from an alert to its runbook: a
 * `runbook_url` annotation that points at a runbook's path (or one of its aliases), or an
 * `alertname` a runbook is named after, as Prometheus alerting rules link them.
 */
import { ArgumentError } from '../errors.ts';
import type { RagDocument } from './document.ts';

/** One alert: the shape the Alertmanager webhook, its API and Prometheus all use. */
export interface AlertmanagerAlert {
  /** Identifying labels: `alertname`, `severity`, `instance`, `job`... */
  readonly labels: Readonly<Record<string, string>>;
  /** Free text: `summary`, `description`, `runbook_url`... */
  readonly annotations?: Readonly<Record<string, string>>;
  /** 'firing' or 'resolved' (webhook), or the API's `{ state }`. */
  readonly status?: string | { readonly state?: string };
  /** When the alert started firing (RFC 3339). */
  readonly startsAt?: string;
  /** When it resolved, or is expected to (RFC 3339). */
  readonly endsAt?: string;
  /** The alerting rule's page in the system that raised it. */
  readonly generatorURL?: string;
  /** Alertmanager's identity of the alert (a hash of its labels). */
  readonly fingerprint?: string;
}

/** How a runbook was linked to an alert. */
export type AlertLink = 'runbook_url' | 'alertname';

/** Annotations whose value is a runbook's address (Prometheus's convention, and older names). */
const RUNBOOK_ANNOTATIONS = ['runbook_url', 'runbook', 'runbookURL', 'runbook_link'];
/** Labels that name what is affected, worth searching with beside the alert's name. */
const QUERY_LABELS = ['job', 'service', 'container', 'component'];

/**
 * The alerts in an Alertmanager payload: a webhook notification (`{ alerts: [...] }`), a list
 * of alerts (the API's `/api/v2/alerts`, Prometheus's POST), or one alert. Errors name the field
 * (`origin: alerts[2].labels`).
 */
export function parseAlerts(payload: unknown, origin = 'alert'): AlertmanagerAlert[] {
  const isObject = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v);
  let alerts: unknown[];
  let at: (i: number) => string;
  if (Array.isArray(payload)) {
    alerts = payload;
    at = (i) => `${origin}: [${i}]`;
  } else if (isObject(payload) && Array.isArray(payload.alerts)) {
    alerts = payload.alerts;
    at = (i) => `${origin}: alerts[${i}]`;
  } else if (isObject(payload) && 'labels' in payload) {
    alerts = [payload];
    at = () => origin;
  } else {
    throw new ArgumentError(
      origin,
      'expected an Alertmanager webhook payload ({ alerts: [...] }), a list of alerts or one alert ({ labels, annotations })',
    );
  }
  if (alerts.length === 0) throw new ArgumentError(origin, 'holds no alert');
  return alerts.map((alert, i) => {
    if (!isObject(alert)) throw new ArgumentError(at(i), 'expected an alert object');
    for (const key of ['labels', 'annotations'] as const) {
      const map = alert[key];
      if (map === undefined && key === 'annotations') continue;
      if (!isObject(map) || !Object.values(map).every((v) => typeof v === 'string'))
        throw new ArgumentError(`${at(i)}.${key}`, 'expected an object of string values');
    }
    return alert as unknown as AlertmanagerAlert;
  });
}

/** The alert's name (its `alertname` label), if it has one. */
export function alertName(alert: AlertmanagerAlert): string | undefined {
  const name = alert.labels.alertname;
  return typeof name === 'string' && name.trim() !== '' ? name.trim() : undefined;
}

/**
 * The question an alert asks: its name, the values of the labels that name what is affected
 * (job, service, container, component) and every annotation that is not an address (summary,
 * description, message...).
 */
export function alertQuery(alert: AlertmanagerAlert): string {
  const parts: string[] = [];
  const name = alertName(alert);
  if (name) parts.push(name);
  for (const label of QUERY_LABELS) if (alert.labels[label]) parts.push(alert.labels[label]);
  for (const value of Object.values(alert.annotations ?? {})) {
    if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value.trim())) parts.push(value);
  }
  return parts
    .map((p) => p.trim().replace(/[.\s]+$/, ''))
    .filter(Boolean)
    .join('. ');
}

/**
 * The keys under which an alert looks for its runbook, best first: the path of its runbook URL
 * from the longest tail to the last segment (`url:alertmanager/alertmanagerclusterdown`, then
 * `url:alertmanagerclusterdown`), then its alert name (`alert:alertmanagerclusterdown`).
 */
export function alertLinkKeys(alert: AlertmanagerAlert): { key: string; by: AlertLink }[] {
  const keys: { key: string; by: AlertLink }[] = [];
  for (const annotation of RUNBOOK_ANNOTATIONS) {
    const url = alert.annotations?.[annotation];
    if (!url) continue;
    const segments = pathSegments(url);
    for (let i = 0; i < segments.length; i++)
      keys.push({ key: `url:${segments.slice(i).join('/')}`, by: 'runbook_url' });
  }
  const name = alertName(alert);
  if (name) keys.push({ key: `alert:${name.toLowerCase()}`, by: 'alertname' });
  return keys;
}

/**
 * The keys a runbook answers to: every tail of each of its links (its path, Hugo aliases; the
 * id for a runbook without links) and each of its alert names, as {@link alertLinkKeys} spells
 * them.
 */
export function documentLinkKeys(doc: RagDocument): string[] {
  if (doc.source !== 'runbook') return [];
  const keys = new Set<string>();
  for (const link of doc.links ?? [doc.id]) {
    const segments = pathSegments(link);
    for (let i = 0; i < segments.length; i++) keys.add(`url:${segments.slice(i).join('/')}`);
  }
  for (const name of doc.alerts ?? []) keys.add(`alert:${name.toLowerCase()}`);
  return [...keys];
}

/**
 * The path of a URL or file path as lower-case segments without the file extension: sites
 * publish `content/runbooks/node/NodeClockSkewDetected.md` as `/runbooks/node/nodeclockskewdetected/`.
 */
function pathSegments(link: string): string[] {
  const path = link
    .trim()
    .replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, '')
    .replace(/[?#].*$/, '');
  const segments = path
    .split('/')
    .map((s) => decodeSegment(s).toLowerCase())
    .filter((s) => s !== '' && s !== '.');
  if (segments.length > 0)
    segments[segments.length - 1] = segments.at(-1)!.replace(/\.(md|markdown|mdx|txt|html?)$/, '');
  return segments.filter((s) => s !== '' && s !== 'index' && s !== '_index');
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
