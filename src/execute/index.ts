/**
 * Execute: carries out chosen actions behind safety rails (rate limit, circuit breaker,
 * cooldown, back-off, one action per incident, quorum), through an `Executor`.
 */
export * from './executor.ts';
export * from './rails.ts';
