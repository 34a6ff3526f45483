/**
 * Execute: carries out chosen actions behind safety rails (rate limit, circuit breaker,
 * cooldown, back-off, one action per incident, quorum), through an `Executor`: the plan-only one
 * (applies nothing), the webhook one (a signed JSON POST per action), or the command one, which
 * runs processes and so has its own server-side subpath, `x0tta6bl4/execute/command`.
 */
export * from './executor.ts';
export type { FetchFunction } from './http-post.ts';
export * from './plan-only.ts';
export * from './rails.ts';
export * from './webhook-executor.ts';
export * from './webhook-signature.ts';
