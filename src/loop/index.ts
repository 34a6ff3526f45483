/**
 * Loop: wires the stages into the MAPE-K loop (Monitor -> Analyze -> Plan -> Execute over
 * Knowledge), one tick at a time, and publishes what happens as typed events. The parts it takes
 * are interfaces (contracts.ts); AuditLogSink writes its audit trail to the signed audit log.
 */
export {
  type AnnouncedChange,
  CHANGE_GRACE_TICKS,
  MapeKLoop,
  type IncidentProgress,
  type LoopOptions,
  type LoopStats,
} from './loop.ts';
export { LOOP_STATE_VERSION, type LoopState, type SavedFlight, type SavedProgress } from './state.ts';
export { LOOP_DEFAULTS, type MetricRoles } from './options.ts';
export {
  EventStream,
  LoopEvents,
  LoopEventMessage,
  type LoopEvent,
  type LoopEventOf,
  type LoopEventsOptions,
  type LoopEventType,
} from './events.ts';
export type * from './contracts.ts';
export { AuditLogSink, type AuditLogSinkOptions, type AuditSinkStats } from './audit-sink.ts';
