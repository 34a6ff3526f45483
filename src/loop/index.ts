/**
 * Loop: wires the stages into the MAPE-K loop (Monitor -> Analyze -> Plan -> Execute over
 * Knowledge), one tick at a time, and publishes what happens as typed events.
 */
export { MapeKLoop, type IncidentProgress, type LoopOptions, type LoopStats } from './loop.ts';
export { LoopEvents, LoopEventMessage, type LoopEvent, type LoopEventType } from './events.ts';
export type * from './contracts.ts';
