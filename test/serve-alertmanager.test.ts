/**
 * The alert sender: against a real Alertmanager fed by a real MapeKLoop (an escalation shows as a
 * critical alert with the incident's labels, and the incident's close ends it), and, with an
 * injected fetch, its retries, refusals, ordering and signed webhook.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MeshGraph } from '../src/analyze/graph.ts';
import { nodeTarget } from '../src/domain/targets.ts';
import { ArgumentError } from '../src/errors.ts';
import { PlanOnlyExecutor } from '../src/execute/plan-only.ts';
import {
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  verifyWebhookSignature,
} from '../src/execute/webhook-signature.ts';
import type { IncidentRecord } from '../src/knowledge/records.ts';
import type { Diagnoser } from '../src/loop/contracts.ts';
import type { LoopEvent } from '../src/loop/events.ts';
import { MapeKLoop } from '../src/loop/loop.ts';
import { DEFAULT_ACTIONS } from '../src/plan/actions.ts';
import { UtilityPlanner } from '../src/plan/decision.ts';
import { type Alert, AlertSender } from '../src/serve/alerts.ts';
import { type ReceivedAlert, startAlertmanager, type TestAlertmanager } from './servers/alertmanager.ts';
import { cpu, zScorer } from './conformance/helpers/z-scorer.ts';

const NODES = 6;
const diagnoser: Diagnoser = {
  diagnose: () => ({
    kind: 'cpu-exhaustion',
    scope: 'node',
    citations: ['cpu-runbook'],
    recommended: [{ action: 'restart-service', support: 1 }],
  }),
};

/** A dry-run loop over a line of nodes with one metric: every confirmed incident goes to a human. */
async function dryRunLoop() {
  const ids = Array.from({ length: NODES }, (_, i) => `n${i}`);
  const graph = new MeshGraph(
    ids,
    ids.slice(1).map((id, i) => [ids[i], id] as const),
  );
  return new MapeKLoop({
    graph,
    metrics: [{ name: 'cpu', min: 0, max: 100 }],
    localMetrics: ['cpu'],
    detector: zScorer(NODES),
    threshold: 0.5,
    planner: await UtilityPlanner.create({ backend: 'ts' }),
    executor: new PlanOnlyExecutor(DEFAULT_ACTIONS, { isNode: (id) => ids.includes(id) }),
    diagnoser,
    rails: { cooldown: 0, backoffBase: 0 },
    settleTicks: 1,
    patienceTicks: 3,
    dryRun: true,
  });
}

describe('AlertSender with a real Alertmanager', () => {
  let alertmanager: TestAlertmanager;

  beforeAll(async () => {
    alertmanager = await startAlertmanager();
  });

  afterAll(async () => {
    await alertmanager?.stop();
  });

  /** The alerts Alertmanager lists for `incident`: active ones (it does not list resolved alerts). */
  const listed = async (incident: string): Promise<ReceivedAlert[]> =>
    (await alertmanager.alerts()).filter((alert) => alert.labels.incident === incident);

  it("shows a loop's escalation as a critical alert with the incident's labels, and ends it when the incident closes", async () => {
    const loop = await dryRunLoop();
    const sender = new AlertSender({
      alertmanager: { url: alertmanager.url },
      generatorURL: 'http://engine.example:9470/v1/incidents',
    });
    sender.watch(loop);
    const events: LoopEvent[] = [];
    for (const type of ['incident-opened', 'escalation', 'incident-resolved'] as const)
      loop.on(type, (e) => events.push(e));
    // Ticks are Unix seconds, as serve keeps them: the last few minutes.
    const t0 = Math.floor(Date.now() / 1000) - 600;
    const run = async (from: number, to: number, hot: boolean) => {
      for (let t = from; t < to; t++) {
        const column = Float64Array.from({ length: NODES }, (_, i) => (hot && i === 3 ? 95 : cpu(i, t)));
        await loop.tick(t0 + t, { ts: t0 + t, columns: { cpu: column } });
      }
    };
    await run(0, 100, false);
    await run(100, 140, true);
    const escalation = events.find((e) => e.type === 'escalation');
    expect(escalation?.type).toBe('escalation');
    const incident = (escalation as { incident: IncidentRecord }).incident;
    await sender.flush();

    const firing = await listed(incident.id);
    expect(firing).toHaveLength(1);
    expect(firing[0].labels).toEqual({
      alertname: 'X0tta6bl4Incident',
      incident: incident.id,
      nodes: incident.nodes.join(','),
      severity: 'critical',
      kind: 'cpu-exhaustion',
    });
    expect(incident.nodes).toContain('n3');
    expect(firing[0].annotations.description).toMatch(/Escalated: dry run: restart-service on n3/);
    expect(firing[0].annotations.description).toMatch(/Runbooks: cpu-runbook/);
    expect(new Date(firing[0].startsAt).getTime()).toBe(incident.openedAt * 1000);
    expect(firing[0].status.state).not.toBe('suppressed');

    await run(140, 200, false);
    const resolved = events.find((e) => e.type === 'incident-resolved');
    expect(resolved).toMatchObject({ incident: { id: incident.id, status: 'escalated' } });
    await sender.flush();
    expect(await listed(incident.id)).toEqual([]);
    expect(sender.stats).toMatchObject({ sent: 3, failed: 0, retried: 0, pending: 0 });
    await loop.close();
  });

  it('Alertmanager accepts what the sender sends for each step, warning first, then critical', async () => {
    const sender = new AlertSender({ alertmanager: { url: `${alertmanager.url}/` } });
    const now = Math.floor(Date.now() / 1000);
    const incident = record('am-inc-2', now - 60);
    await sender.notify({ type: 'incident-opened', ts: now - 50, incident });
    expect((await listed('am-inc-2')).map((a) => a.labels.severity)).toEqual(['warning']);
    await sender.notify({
      type: 'escalation',
      ts: now - 40,
      incident: { ...incident, status: 'escalated' },
      reason: 'out of options',
    });
    expect((await listed('am-inc-2')).map((a) => a.labels.severity)).toEqual(['critical']);
    await sender.notify({
      type: 'incident-resolved',
      ts: now - 30,
      incident: { ...incident, status: 'escalated', closedAt: now - 30 },
    });
    expect(await listed('am-inc-2')).toEqual([]);
    expect(sender.stats).toMatchObject({ sent: 3, failed: 0 });
  });
});

/** An incident record for events fed by hand. */
function record(id: string, openedAt: number): IncidentRecord {
  return {
    id,
    openedAt,
    status: 'open',
    signature: 'cpu',
    nodes: ['db:5432', 'web 1'],
    metrics: ['cpu', 'latency_ms'],
    rootCauses: [{ target: nodeTarget('db:5432'), score: 0.8 }],
    citations: [],
  };
}

/** A fetch that answers each call with the next of `statuses` (the last one repeating) and records the calls. */
function scriptedFetch(statuses: Array<number | 'down'>) {
  const calls: { url: string; headers: Record<string, string>; body: string }[] = [];
  const fetch = async (url: string, init: RequestInit) => {
    calls.push({ url, headers: init.headers as Record<string, string>, body: init.body as string });
    const status = statuses[Math.min(calls.length - 1, statuses.length - 1)];
    if (status === 'down') throw new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED') });
    return new Response(status === 200 ? '' : 'bad alert', { status });
  };
  return { fetch, calls };
}

describe('AlertSender delivery', () => {
  const opened = {
    type: 'incident-opened' as const,
    ts: 1_800_000_010,
    incident: record('inc-1', 1_800_000_000),
  };

  it('retries a failed POST with back-off and counts it sent once it gets through', async () => {
    const { fetch, calls } = scriptedFetch(['down', 503, 200]);
    const sender = new AlertSender({ alertmanager: { url: 'http://am.example:9093' }, fetch, backoffMs: 1 });
    await sender.notify(opened);
    expect(calls.map((c) => c.url)).toEqual(Array(3).fill('http://am.example:9093/api/v2/alerts'));
    expect(sender.stats).toMatchObject({ sent: 1, failed: 0, retried: 2 });
    const [alert] = JSON.parse(calls[2].body) as Alert[];
    expect(alert).toEqual({
      labels: {
        alertname: 'X0tta6bl4Incident',
        incident: 'inc-1',
        nodes: 'db:5432,web 1',
        severity: 'warning',
      },
      annotations: {
        summary: 'cpu, latency_ms anomalous on db:5432, web 1',
        description: 'Incident inc-1 on db:5432, web 1. Likeliest causes: db:5432 (0.80).',
      },
      startsAt: '2027-01-15T08:00:00.000Z',
    });
  });

  it('gives up after its retries, and does not retry a refusal; failures are counted and reported, never thrown', async () => {
    const failures: string[] = [];
    const down = scriptedFetch(['down']);
    const sender = new AlertSender({
      alertmanager: { url: 'http://am.example:9093' },
      fetch: down.fetch,
      retries: 2,
      backoffMs: 1,
      onFailure: (destination, reason) => failures.push(`${destination} ${reason}`),
    });
    await expect(sender.notify(opened)).resolves.toBeUndefined();
    expect(down.calls).toHaveLength(3);
    expect(sender.stats).toMatchObject({ sent: 0, failed: 1, retried: 2 });
    expect(failures).toEqual(['alertmanager request failed: fetch failed (connect ECONNREFUSED)']);

    const refusing = scriptedFetch([400]);
    const strict = new AlertSender({
      alertmanager: { url: 'http://am.example:9093' },
      fetch: refusing.fetch,
      backoffMs: 1,
    });
    await strict.notify(opened);
    expect(refusing.calls).toHaveLength(1);
    expect(strict.stats).toMatchObject({
      failed: 1,
      retried: 0,
      lastFailure: 'alertmanager: HTTP 400: bad alert',
    });
  });

  it("keeps one incident's sends in order while a retry is pending", async () => {
    const { fetch, calls } = scriptedFetch(['down', 200]);
    const sender = new AlertSender({ alertmanager: { url: 'http://am.example:9093' }, fetch, backoffMs: 20 });
    void sender.notify(opened);
    void sender.notify({
      type: 'incident-resolved',
      ts: 1_800_000_100,
      incident: { ...opened.incident, status: 'resolved', closedAt: 1_800_000_100 },
    });
    expect(sender.stats.pending).toBe(1);
    await sender.flush();
    const bodies = calls.map((c) => JSON.parse(c.body) as Alert[]);
    expect(bodies.map((b) => b[0].endsAt)).toEqual([undefined, undefined, '2027-01-15T08:01:40.000Z']);
    expect(sender.stats).toMatchObject({ sent: 2, pending: 0 });
  });

  it('re-sends the firing alerts, without endsAt, until their incident closes', async () => {
    const { fetch, calls } = scriptedFetch([200]);
    const sender = new AlertSender({ alertmanager: { url: 'http://am.example:9093' }, fetch });
    await sender.notify(opened);
    await sender.resend();
    expect(calls).toHaveLength(2);
    const [again] = JSON.parse(calls[1].body) as Alert[];
    expect(again.labels).toMatchObject({ incident: 'inc-1', severity: 'warning' });
    expect(again.endsAt).toBeUndefined();
    await sender.notify({
      type: 'incident-resolved',
      ts: 1_800_000_100,
      incident: { ...opened.incident, status: 'resolved', closedAt: 1_800_000_100 },
    });
    await sender.resend();
    expect(calls).toHaveLength(3);
    expect(
      () => new AlertSender({ alertmanager: { url: 'http://am.example:9093' }, resendSeconds: 0 }),
    ).toThrow(/resendSeconds/);
  });

  it('posts the event to a generic webhook, signed', async () => {
    const { fetch, calls } = scriptedFetch([200]);
    const sender = new AlertSender({
      webhook: { url: 'https://hooks.example/alerts', secret: 's3cret' },
      fetch,
    });
    await sender.notify(opened);
    await sender.notify({
      type: 'escalation',
      ts: 1_800_000_020,
      incident: opened.incident,
      reason: 'no action left',
    });
    expect(calls).toHaveLength(2);
    for (const call of calls)
      expect(
        verifyWebhookSignature('s3cret', {
          body: call.body,
          timestamp: call.headers[TIMESTAMP_HEADER],
          signature: call.headers[SIGNATURE_HEADER],
        }),
      ).toBe(true);
    const escalation = JSON.parse(calls[1].body);
    expect(escalation).toMatchObject({
      event: 'escalation',
      status: 'firing',
      reason: 'no action left',
      incident: { id: 'inc-1' },
    });
    // The warning alert ends as the critical one fires.
    expect(escalation.alerts.map((a: Alert) => [a.labels.severity, a.endsAt])).toEqual([
      ['warning', '2027-01-15T08:00:20.000Z'],
      ['critical', undefined],
    ]);
  });

  it('refuses bad options with an ArgumentError naming them', () => {
    expect(() => new AlertSender({})).toThrow(ArgumentError);
    expect(() => new AlertSender({ alertmanager: { url: 'am:9093' } })).toThrow(/alertmanager\.url/);
    expect(() => new AlertSender({ webhook: { url: 'https://x/', secret: '' } })).toThrow(/webhook\.secret/);
    expect(() => new AlertSender({ webhook: { url: 'https://x/' }, retries: -1 })).toThrow(/retries/);
    expect(() => new AlertSender({ webhook: { url: 'https://x/', timeoutMs: 0 } })).toThrow(
      /webhook\.timeoutMs/,
    );
  });
});
