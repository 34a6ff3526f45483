/**
 * Knowledge: what the loop remembers. Incidents, actions and outcomes, learned success rates
 * per (signature, action), adaptive thresholds and saved state, behind one `KnowledgeStore`
 * interface with a memory and a PGlite (embedded Postgres) backend.
 */
export type * from './records.ts';
export type { KnowledgeStore } from './store.ts';
export { MemoryStore } from './memory-store.ts';
export { WriteQueue, type WriteQueueStats } from './write-queue.ts';
