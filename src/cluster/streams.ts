/**
 * What the telemetry side of a cluster sets up on NATS and answers there, shared by the simulated
 * mesh (publisher.ts, which starts a fresh run) and the HTTP gateway (gateway.ts, which joins a
 * running cluster): the telemetry and events streams, the state and lease buckets, the layout in
 * the state bucket, and the subscription that answers the engines' action requests.
 *
 * A gateway may start before or after the engines, and again after a restart: it creates what is
 * missing and keeps what is there. The layout is written once (create-if-absent, so two gateways
 * starting together agree on one) and checked on every later start against the topology the
 * gateway was given: engines partitioned one way must not be fed a mesh drawn another.
 */
import type { JetStreamManager } from '@nats-io/jetstream';
import { type KV, Kvm } from '@nats-io/kv';
import type { Msg, NatsConnection, Subscription } from '@nats-io/nats-core';
import { ArgumentError } from '../errors.ts';
import type { Topology } from '../serve/topology.ts';
import { type ClusterLayout, checkLayout, layoutOf } from './layout.ts';
import {
  ACTIONS_SUBJECT,
  type ActionMessage,
  decode,
  EVENTS_STREAM,
  encode,
  LAYOUT_KEY,
  LEASE_BUCKET,
  STATE_BUCKET,
  TELEMETRY_STREAM,
} from './subjects.ts';

/** Regions a new layout gets when none is asked for (at most one per node). */
export const DEFAULT_REGIONS = 6;

/** The streams' subjects. */
const STREAM_SUBJECTS: Readonly<Record<string, string>> = {
  [TELEMETRY_STREAM]: 'x0tta6bl4.telemetry.>',
  [EVENTS_STREAM]: 'x0tta6bl4.events.>',
};

/** Creates the telemetry and events streams where they do not exist; existing ones are kept as they are. */
export async function ensureStreams(jsm: JetStreamManager): Promise<void> {
  const existing = await streamNames(jsm);
  for (const [name, subject] of Object.entries(STREAM_SUBJECTS))
    if (!existing.has(name)) await jsm.streams.add({ name, subjects: [subject] });
}

/** Deletes a previous run's streams and buckets and creates the telemetry and events streams afresh. */
export async function replaceStreams(jsm: JetStreamManager): Promise<void> {
  const existing = await streamNames(jsm);
  for (const name of [TELEMETRY_STREAM, EVENTS_STREAM, `KV_${STATE_BUCKET}`, `KV_${LEASE_BUCKET}`])
    if (existing.has(name)) await jsm.streams.delete(name);
  await ensureStreams(jsm);
}

async function streamNames(jsm: JetStreamManager): Promise<Set<string>> {
  const names = new Set<string>();
  for await (const name of jsm.streams.names()) names.add(name);
  return names;
}

/**
 * The state bucket (kept entries) and the lease bucket (entries live `leaseSeconds` unless
 * refreshed), each opened if it exists and created if not.
 */
export async function openBuckets(
  connection: NatsConnection,
  leaseSeconds: number,
): Promise<{ state: KV; leases: KV }> {
  if (!(leaseSeconds >= 1))
    throw new ArgumentError('leaseSeconds', `expected >= 1, got ${String(leaseSeconds)}`);
  const kvm = new Kvm(connection);
  const state = await kvm.create(STATE_BUCKET, { history: 1 });
  const leases = await kvm.create(LEASE_BUCKET, { history: 1, ttl: leaseSeconds * 1000 });
  return { state, leases };
}

/**
 * The layout in force: the one in the state bucket, checked against `topology` (the same nodes in
 * the same order, the same links) and `regions` when they are given; or, when the bucket holds
 * none, one drawn on `topology` in `regions` regions (default {@link DEFAULT_REGIONS}, at most one
 * per node) and written create-if-absent (a layout written meanwhile by another is read and
 * checked instead). Throws an ArgumentError naming `topology` or `regions` for a layout that does
 * not match, or for no layout and no topology to draw one on.
 */
export async function settleLayout(state: KV, topology?: Topology, regions?: number): Promise<ClusterLayout> {
  for (let attempt = 0; ; attempt++) {
    const entry = await state.get(LAYOUT_KEY);
    if (entry && entry.operation === 'PUT') {
      const layout = checkLayout(decode(entry.value, LAYOUT_KEY));
      if (topology) checkSameMesh(layout.topology, topology);
      if (regions !== undefined && regions !== layout.regions)
        throw new ArgumentError(
          'regions',
          `the cluster's layout has ${layout.regions} regions, not ${regions} (engines are partitioned by it)`,
        );
      return layout;
    }
    if (!topology)
      throw new ArgumentError('topology', `no cluster layout in bucket ${STATE_BUCKET}: give the topology`);
    const count = regions ?? Math.min(DEFAULT_REGIONS, topology.nodes.length);
    if (!Number.isInteger(count) || count < 1 || count > topology.nodes.length)
      throw new ArgumentError(
        'regions',
        `expected an integer in 1..${topology.nodes.length} (the nodes), got ${String(count)}`,
      );
    const layout = layoutOf(topology, count);
    try {
      await state.create(LAYOUT_KEY, encode(layout));
      return layout;
    } catch (error) {
      // Written by another since it was read: read that one (once; a second failure is real).
      if (attempt > 0) throw error;
    }
  }
}

/** Throws an ArgumentError naming `topology` unless `given` is the mesh `layout` holds. */
function checkSameMesh(layout: Topology, given: Topology): void {
  const why = (detail: string) =>
    new ArgumentError(
      'topology',
      `does not match the cluster's layout in bucket ${STATE_BUCKET} (${detail}); the engines are partitioned by that one`,
    );
  if (layout.nodes.length !== given.nodes.length)
    throw why(`${given.nodes.length} nodes, the layout has ${layout.nodes.length}`);
  layout.nodes.forEach((node, i) => {
    if (node.id !== given.nodes[i].id)
      throw why(
        `node ${i} is ${JSON.stringify(given.nodes[i].id)}, the layout's is ${JSON.stringify(node.id)}`,
      );
  });
  const key = ([a, b]: readonly [string, string]) => (a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`);
  const links = new Set(layout.links.map(key));
  const givenLinks = new Set(given.links.map(key));
  if (links.size !== givenLinks.size || [...givenLinks].some((link) => !links.has(link)))
    throw why('its links differ');
}

/** A result as an action request's answer. */
export interface ActionAnswer {
  /** Whether the action (or check) succeeded. */
  ok: boolean;
  /** Why not. */
  reason?: string;
}

/**
 * Answers the requests on ACTIONS_SUBJECT: each readable one goes to `act` with a function that
 * answers it (once); one that is not JSON is answered `{ ok: false, reason }` here. Returns the
 * subscription (unsubscribe to stop answering).
 */
export function answerActions(
  connection: NatsConnection,
  act: (request: ActionMessage, reply: (answer: ActionAnswer) => void, message: Msg) => void,
): Subscription {
  return connection.subscribe(ACTIONS_SUBJECT, {
    callback: (error, message) => {
      if (error) return;
      const reply = (answer: ActionAnswer) => void message.respond(encode(answer));
      let request: ActionMessage;
      try {
        request = decode<ActionMessage>(message.data, ACTIONS_SUBJECT);
      } catch (failure) {
        reply({ ok: false, reason: (failure as Error).message });
        return;
      }
      act(request, reply, message);
    },
  });
}
