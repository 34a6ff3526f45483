/**
 * Runs readiness checks one after another (performance figures must not compete for the CPU)
 * and turns their observations into a report. A check that throws, times out, returns
 * something malformed or claims a pass without evidence is recorded as failed, with that as
 * its evidence: nothing passes by default.
 */
import { ArgumentError } from '../errors.ts';
import {
  CATEGORIES,
  type Category,
  type Check,
  type CheckContext,
  type CheckStatus,
  type Evidence,
  type Observation,
} from './check.ts';

/** One check's outcome, as it appears in every report format. */
export interface CheckResult {
  /** The check's id. */
  id: string;
  /** The check's title. */
  title: string;
  /** The check's category. */
  category: Category;
  /** Whether its failure fails the run. */
  critical: boolean;
  /** Whether it passed, failed or did not apply (a timeout or a throw fails). */
  status: CheckStatus;
  /** What passing means. */
  expected: string;
  /** What it found. */
  actual: string;
  /** The facts behind the finding. */
  evidence: Evidence;
  /** How long it ran. */
  durationMs: number;
}

/** Counts over a run. */
export interface ReadinessSummary {
  /** Checks run. */
  total: number;
  /** Checks that passed. */
  passed: number;
  /** Checks that failed. */
  failed: number;
  /** Checks that did not apply here. */
  notApplicable: number;
  /** Critical checks that failed: any makes the run not ready. */
  criticalFailed: number;
  /** Critical checks that did not apply: they fail the run under `strict`. */
  criticalNotApplicable: number;
}

/** Everything a readiness run found: what the JSON report contains. */
export interface ReadinessReport {
  /** Names the report's producer. */
  tool: 'x0tta6bl4 readiness';
  /** Wall-clock start, ISO 8601. */
  startedAt: string;
  /** How long the run took. */
  durationMs: number;
  /** The runtime it ran on, e.g. `node 20.20.2`. */
  runtime: string;
  /** Whether a critical check that did not apply failed the run. */
  strict: boolean;
  /** True when no critical check failed (and, under `strict`, none was not applicable). */
  ready: boolean;
  /** Counts over the run. */
  summary: ReadinessSummary;
  /** Every check's outcome, in run order. */
  checks: CheckResult[];
}

/** Options of {@link runChecks}. */
export interface RunOptions {
  /** Count a critical check that did not apply as a failure of the run. Default false. */
  strict?: boolean;
  /** Runtime description for the report (e.g. "node 20.20.2"). */
  runtime?: string;
  /** Called before and after each check (progress display). */
  onCheckStart?: (check: Check, index: number, total: number) => void;
  /** Called after each check with its outcome. */
  onCheckEnd?: (result: CheckResult, index: number, total: number) => void;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/** Runs `checks` in order against `context` and reports. Ids must be unique. */
export async function runChecks(
  checks: readonly Check[],
  context: CheckContext,
  options: RunOptions = {},
): Promise<ReadinessReport> {
  validate(checks);
  const startedAt = new Date(context.now()).toISOString();
  const start = performance.now();
  const results: CheckResult[] = [];
  for (const [index, check] of checks.entries()) {
    options.onCheckStart?.(check, index, checks.length);
    const began = performance.now();
    const observation = await observe(check, context);
    const result: CheckResult = {
      id: check.id,
      title: check.title,
      category: check.category,
      critical: check.critical,
      expected: check.expected,
      ...observation,
      durationMs: round(performance.now() - began),
    };
    results.push(result);
    options.onCheckEnd?.(result, index, checks.length);
  }
  const strict = options.strict ?? false;
  const summary = summarize(results);
  return {
    tool: 'x0tta6bl4 readiness',
    startedAt,
    durationMs: round(performance.now() - start),
    runtime: options.runtime ?? 'unknown',
    strict,
    ready: summary.criticalFailed === 0 && !(strict && summary.criticalNotApplicable > 0),
    summary,
    checks: results,
  };
}

/** The process exit code for a report: 0 when ready, 1 otherwise. */
export function exitCode(report: ReadinessReport): number {
  return report.ready ? 0 : 1;
}

/** Counts results by status and criticality. */
export function summarize(results: readonly CheckResult[]): ReadinessSummary {
  const count = (f: (r: CheckResult) => boolean) => results.filter(f).length;
  return {
    total: results.length,
    passed: count((r) => r.status === 'pass'),
    failed: count((r) => r.status === 'fail'),
    notApplicable: count((r) => r.status === 'not-applicable'),
    criticalFailed: count((r) => r.critical && r.status === 'fail'),
    criticalNotApplicable: count((r) => r.critical && r.status === 'not-applicable'),
  };
}

// A timed-out check is abandoned, not cancelled (nothing can stop a promise), and a check that
// blocks the thread cannot time out at all: checks keep their own work bounded.
async function observe(check: Check, context: CheckContext): Promise<Observation> {
  const timeoutMs = check.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<Observation>((resolve) => {
    timer = setTimeout(
      () => resolve({ status: 'fail', actual: `timed out after ${timeoutMs} ms`, evidence: { timeoutMs } }),
      timeoutMs,
    );
  });
  try {
    const observation = await Promise.race([Promise.resolve().then(() => check.run(context)), timeout]);
    return sanitize(observation);
  } catch (error) {
    return { status: 'fail', actual: 'the check could not run', evidence: { error: describeError(error) } };
  } finally {
    clearTimeout(timer);
  }
}

// A malformed or evidence-free observation is a failure, so a careless check cannot pass.
function sanitize(observation: Observation): Observation {
  if (
    observation === null ||
    typeof observation !== 'object' ||
    !['pass', 'fail', 'not-applicable'].includes(observation.status)
  ) {
    return {
      status: 'fail',
      actual: 'the check returned no valid observation',
      evidence: { returned: String(observation) },
    };
  }
  const raw =
    observation.evidence !== null && typeof observation.evidence === 'object' ? observation.evidence : {};
  const evidence = jsonSafe(raw) as Evidence;
  const actual = typeof observation.actual === 'string' ? observation.actual : String(observation.actual);
  if (Object.keys(evidence).length === 0) {
    return {
      status: 'fail',
      actual,
      evidence: { rejected: `reported '${observation.status}' without evidence` },
    };
  }
  return { status: observation.status, actual, evidence };
}

/** "Name: message" of anything thrown, with the cause's message when there is one. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? ` (cause: ${error.cause.message})` : '';
  return `${error.name}: ${error.message}${cause}`;
}

// Evidence goes into JSON and HTML: round-trip it so non-finite numbers and cycles cannot break them.
function jsonSafe(value: unknown): unknown {
  try {
    return JSON.parse(
      JSON.stringify(value, (_k, v: unknown) =>
        typeof v === 'number' && !Number.isFinite(v) ? String(v) : typeof v === 'bigint' ? String(v) : v,
      ),
    );
  } catch (error) {
    return { unserializable: describeError(error) };
  }
}

function validate(checks: readonly Check[]): void {
  if (!Array.isArray(checks)) throw new ArgumentError('checks', 'expected an array of checks');
  const seen = new Set<string>();
  checks.forEach((check, i) => {
    if (typeof check?.id !== 'string' || check.id === '' || typeof check.run !== 'function') {
      throw new ArgumentError(`checks[${i}]`, 'expected a check with an id and a run function');
    }
    if (!(CATEGORIES as readonly string[]).includes(check.category)) {
      throw new ArgumentError(`checks[${i}].category`, `unknown category ${String(check.category)}`);
    }
    if (seen.has(check.id)) throw new ArgumentError(`checks[${i}].id`, `duplicate id ${check.id}`);
    seen.add(check.id);
  });
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
