/**
 * Plan: from a diagnosis to a ranked, explained list of remediation candidates. Owns the
 * action catalogue, policies, learned success rates, the decision engine and its LoRA
 * adapter's configuration.
 */
export * from './actions.ts';
export * from './policy.ts';
export * from './posteriors.ts';
export * from './decision.ts';
export * from './lora.ts';
