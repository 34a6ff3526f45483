/**
 * The names and messages the engines and the telemetry publishers share over NATS: one JetStream
 * stream of telemetry with a subject per topology region, one stream of the engines' loop events,
 * the key-value buckets of leases (with a time to live, so a dead engine's lapse) and of
 * checkpoints and the cluster's layout (kept), and the request-reply subject actions go out on.
 * Messages are JSON: small, readable with the `nats` CLI, the same on every runtime.
 */
import { ArgumentError } from '../errors.ts';

/** The telemetry stream: every region's subject. */
export const TELEMETRY_STREAM = 'X0TTA6BL4_TELEMETRY';
/** The loop events stream: every engine's subject. */
export const EVENTS_STREAM = 'X0TTA6BL4_EVENTS';
/** The bucket of leases (regions, engines, incidents): entries lapse unless refreshed. */
export const LEASE_BUCKET = 'x0tta6bl4-leases';
/** Seconds a lease lives unless its engine refreshes it (the lease bucket's time to live). */
export const DEFAULT_LEASE_SECONDS = 4;
/** The bucket of the layout and each region's checkpoint: entries are kept. */
export const STATE_BUCKET = 'x0tta6bl4-state';
/** The key of the layout in {@link STATE_BUCKET}. */
export const LAYOUT_KEY = 'layout';
/** Where actions are requested (request-reply); whoever carries them out answers. */
export const ACTIONS_SUBJECT = 'x0tta6bl4.actions';
/** Where engines say how far each region is processed (core NATS; repeated, so a lost one is replaced). */
export const PROGRESS_SUBJECT = 'x0tta6bl4.progress';

/** The telemetry subject of region `region`. */
export function telemetrySubject(region: number): string {
  return `x0tta6bl4.telemetry.${region}`;
}

/** The loop events subject of engine `engine`. */
export function eventsSubject(engine: string): string {
  return `x0tta6bl4.events.${engine}`;
}

/** The durable consumer of region `region` for one claim `claim` (`''`: the prefix of them all). */
export function regionConsumer(region: number, claim: string): string {
  return `region-${region}-${claim}`;
}

/**
 * A KV key segment for any id: KV keys take only `[-_=/.a-zA-Z0-9]`, node ids may hold anything
 * (`db:5432`, `web front`), so every other character is written `=` and its code in hex.
 */
export function keySegment(id: string): string {
  return id.replace(/[^-_a-zA-Z0-9]/g, (c) => `=${c.codePointAt(0)!.toString(16)}`);
}

/** A checked engine id: what subjects and keys can carry. */
export function checkEngineId(id: string): string {
  if (!/^[-_a-zA-Z0-9]{1,64}$/.test(id))
    throw new ArgumentError('engine', `expected 1 to 64 of [-_a-zA-Z0-9], got ${JSON.stringify(id)}`);
  return id;
}

/** One region's telemetry at one tick: the nodes that reported and each metric's values for them. */
export interface TelemetryMessage {
  /** The region. */
  region: number;
  /** The tick (the loop's time). */
  tick: number;
  /** Indices (in the layout's node order) of the nodes that reported. */
  nodes: number[];
  /** Per metric, one value per entry of `nodes` (null where a node sent none: the gateway's sparse ticks). */
  metrics: Record<string, number[]>;
  /** Every node's next hop (layout indices, -1 for none), when the routes changed at this tick. */
  routes?: number[];
}

/** An engine's word on how far it processed a region. */
export interface ProgressMessage {
  /** The engine. */
  engine: string;
  /** The region. */
  region: number;
  /** The last tick processed. */
  tick: number;
}

/** A request on {@link ACTIONS_SUBJECT}. */
export type ActionMessage =
  | {
      op: 'apply' | 'dryRun' | 'rollback';
      /** The requesting engine. */
      engine: string;
      /** The action (an ActionRequest). */
      request: {
        id: string;
        incidentId: string;
        action: string;
        target: { node: string } | { link: [string, string] };
      };
    }
  | { op: 'reachable'; engine: string; node: string };

/** A loop event as JSON carries it (a LoopEvent). */
export type LoopEventPayload = { type: string; ts: number } & Record<string, unknown>;

/** What an engine publishes on its events subject: a loop event, or a batch of ticks acknowledged. */
export type ClusterEventMessage =
  | { kind: 'loop'; engine: string; region: number; event: LoopEventPayload }
  | { kind: 'acked'; engine: string; region: number; from: number; to: number; samples: number };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A message as bytes. */
export function encode(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

/** Bytes as a message; throws an ArgumentError naming `what` for bytes that are not JSON. */
export function decode<T>(bytes: Uint8Array, what: string): T {
  try {
    return JSON.parse(decoder.decode(bytes)) as T;
  } catch (error) {
    throw new ArgumentError(what, `not JSON: ${(error as Error).message}`);
  }
}
