/**
 * What a readiness check is and what it records. A check runs or inspects something real and
 * returns an observation: its status, the actual figure or finding, and the evidence it rests
 * on. The runner turns observations into results and refuses a pass that carries no evidence.
 */

/**
 * The areas a production-readiness review of a deployment covers. The repository's own conventions
 * are a lint (scripts/lint-repo.ts), not part of this review.
 */
export const CATEGORIES = ['Testing', 'Performance', 'Security', 'Infrastructure', 'Deployment'] as const;

/** One of {@link CATEGORIES}. */
export type Category = (typeof CATEGORIES)[number];

/**
 * `not-applicable`: the thing inspected does not exist here (no deployment keys or store
 * given); it neither passes nor fails the run unless `--strict`.
 */
export type CheckStatus = 'pass' | 'fail' | 'not-applicable';

/** JSON-safe facts a check observed: measured figures, files, counts, error messages. */
export type Evidence = Record<string, unknown>;

/** What one run of a check found. */
export interface Observation {
  /** Whether the check passed, failed or did not apply. */
  status: CheckStatus;
  /** The measured figure or finding, short (e.g. "p99 3.2 ms"). */
  actual: string;
  /** The facts behind the finding. */
  evidence: Evidence;
}

/** Settings and shared services a check may use; see context.ts. */
export interface CheckContext {
  /** Root of the x0tta6bl4 package this module belongs to (a checkout or an installed copy). */
  readonly packageRoot: string | null;
  /** Public-keys JSON (x0tta6bl4-keys/1) of the deployment, if given. */
  readonly keysPath: string | null;
  /** PGlite knowledge-store directory of the deployment, if given. */
  readonly storePath: string | null;
  /** Wall clock in ms since the epoch (injectable for tests). */
  now(): number;
  /** A fresh empty temporary directory, removed when the run ends (Node, Deno, Bun). */
  tempDir(): Promise<string>;
  /** Runs `compute` once per run for `key` and shares its promise with every later caller. */
  shared<T>(key: string, compute: () => Promise<T>): Promise<T>;
}

/** A readiness check. */
export interface Check {
  /** Stable kebab-case id, e.g. `perf.loop-p99`. */
  readonly id: string;
  /** What it checks, in a few words. */
  readonly title: string;
  /** The group it is reported under. */
  readonly category: Category;
  /** A failed critical check makes the run fail (non-zero exit code). */
  readonly critical: boolean;
  /** What passing means, with its threshold (e.g. "p99 < 100 ms"). */
  readonly expected: string;
  /** Longest the check may take before it fails as timed out (ms). Default 30,000. */
  readonly timeoutMs?: number;
  /** Runs the check once; a throw counts as a failure with the error as evidence. */
  run(context: CheckContext): Promise<Observation>;
}

/** An observation that passes when `passed` is true and fails otherwise. */
export function verdict(passed: boolean, actual: string, evidence: Evidence): Observation {
  return { status: passed ? 'pass' : 'fail', actual, evidence };
}

/** The first `limit` findings plus a count of the rest, for evidence. */
export function sample(findings: readonly string[], limit = 10): string[] {
  return findings.length <= limit
    ? [...findings]
    : [...findings.slice(0, limit), `... and ${findings.length - limit} more`];
}

/** An observation for a check whose subject does not exist in this run. */
export function notApplicable(actual: string, evidence: Evidence): Observation {
  return { status: 'not-applicable', actual, evidence };
}
