/**
 * Cluster: many engines over NATS JetStream. The mesh is split into topology regions with few
 * crossing links (partition.ts, layout.ts); telemetry goes to one JetStream subject per region;
 * each engine claims regions through leases in a JetStream key-value bucket (leases.ts), consumes
 * them with durable consumers and acknowledges after each checkpoint (region-worker.ts, engine.ts);
 * an engine that dies lets its leases lapse and the others take its regions over from the last
 * acknowledged message. Actions go out over request-reply with one owner per target
 * (nats-executor.ts). A simulated mesh can stand on the other side (publisher.ts, `sim
 * --publish`), or a real one behind the HTTP gateway (gateway.ts, `serve --publish`). The
 * modules take a NatsConnection from the caller, so the transport (TCP on Node, Deno and Bun,
 * WebSocket in a browser) is the caller's choice: nothing here imports a transport or a `node:`
 * builtin, and `x0tta6bl4/cluster` runs on all four runtimes.
 */
// The NATS clients' types this API takes and exposes, so its users and its documentation see them.
export type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
export type { KV } from '@nats-io/kv';
export type { NatsConnection } from '@nats-io/nats-core';
export {
  ClusterEngine,
  engineLeaseKey,
  regionLeaseKey,
  type ClusterEngineOptions,
  type ClusterEngineStats,
} from './engine.ts';
export { checkLayout, layoutOf, regionView, type ClusterLayout, type RegionView } from './layout.ts';
export { Leases, type LeaseValue } from './leases.ts';
export { incidentKey, NatsExecutor, type NatsExecutorOptions } from './nats-executor.ts';
export {
  crossingLinks,
  partitionGraph,
  type PartitionGraph,
  type Partitioning,
  type PartitionOptions,
} from './partition.ts';
export {
  frameMessages,
  SimPublisher,
  type ClusterRunResult,
  type EngineTally,
  type FaultWitness,
  type OpenIncident,
  type SimPublisherOptions,
} from './publisher.ts';
export { CheckpointFencedError, checkpointKey, CheckpointWriter } from './checkpoints.ts';
export { type GatewayStats, NatsGateway, type NatsGatewayOptions } from './gateway.ts';
export {
  type ClusterModels,
  DEFAULT_REGISTER_TICKS,
  RegionModels,
  regionModelName,
  regionModelPrefix,
} from './region-models.ts';
export {
  localIndex,
  regionBatch,
  regionRoutes,
  RegionWorker,
  type RegionCheckpoint,
  type WorkerContext,
  type WorkerCounts,
} from './region-worker.ts';
export {
  ACTIONS_SUBJECT,
  checkEngineId,
  EVENTS_STREAM,
  eventsSubject,
  keySegment,
  LAYOUT_KEY,
  LEASE_BUCKET,
  PROGRESS_SUBJECT,
  regionConsumer,
  STATE_BUCKET,
  TELEMETRY_STREAM,
  telemetrySubject,
  type ActionMessage,
  type ClusterEventMessage,
  type LoopEventPayload,
  type ProgressMessage,
  type TelemetryMessage,
} from './subjects.ts';
