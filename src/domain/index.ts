/**
 * domain: the one vocabulary every stage shares. Fault kinds and where each lives (node or
 * link); the remediation actions with their scope, duration, cost, failure chance and effect on
 * traffic; and typed targets (`{ node }` or `{ link: [a, b] }`) with helpers to print, parse and
 * compare them. The simulator, the runbooks' metadata, the planner's catalogue and the executors
 * all derive from it; it depends on nothing but src/errors.ts.
 */
export * from './actions.ts';
export * from './faults.ts';
export * from './targets.ts';
