/**
 * Plan: from a diagnosis to a ranked, explained list of remediation candidates. Owns the
 * action catalogue, policies, learned success rates and the decision engine.
 */
export * from './actions.ts';
export * from './policy.ts';
export * from './posteriors.ts';
export * from './decision.ts';
