/**
 * Learned success rates: one Beta(alpha, beta) posterior of "this action heals incidents with
 * this signature", updated by every verified outcome. Runbook recommendations set the prior.
 */
import type { Posterior } from '../knowledge/records.ts';

/** Beta posteriors keyed by (signature, action). */
export class SuccessRates {
  readonly #table = new Map<string, Posterior>();

  /** Posteriors starting from `initial` (copied), e.g. restored from the knowledge store. */
  constructor(initial: readonly Posterior[] = []) {
    for (const p of initial) this.#table.set(key(p.signature, p.action), { ...p });
  }

  /** The posterior, or the prior Beta(1 + prior, 1) when never observed. */
  get(signature: string, action: string, prior = 0): Posterior {
    return this.#table.get(key(signature, action)) ?? { signature, action, alpha: 1 + prior, beta: 1 };
  }

  /** Records one outcome and returns the updated posterior. */
  observe(signature: string, action: string, healed: boolean, prior = 0): Posterior {
    const p = { ...this.get(signature, action, prior) };
    if (healed) p.alpha += 1;
    else p.beta += 1;
    this.#table.set(key(signature, action), p);
    return p;
  }

  /** Copies of every posterior. */
  all(): Posterior[] {
    return [...this.#table.values()].map((p) => ({ ...p }));
  }
}

/** Posterior mean. */
export function mean(p: Posterior): number {
  return p.alpha / (p.alpha + p.beta);
}

/** Posterior standard deviation. */
export function spread(p: Posterior): number {
  const n = p.alpha + p.beta;
  return Math.sqrt((p.alpha * p.beta) / (n * n * (n + 1)));
}

function key(signature: string, action: string): string {
  return `${signature}\u0000${action}`;
}
