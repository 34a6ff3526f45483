/** The terminal form of a readiness report: one line per check, grouped by category, and a verdict. */
import { CATEGORIES } from './check.ts';
import type { CheckResult, ReadinessReport } from './runner.ts';

const LABEL = { pass: 'PASS', fail: 'FAIL', 'not-applicable': 'N/A ' } as const;
const COLOUR = { pass: '\x1b[32m', fail: '\x1b[31m', 'not-applicable': '\x1b[33m' } as const;
const RESET = '\x1b[0m';

/** One check as a table row: status, criticality, id, actual, and for failures what was expected. */
export function formatCheckLine(result: CheckResult, options: { colour?: boolean } = {}): string {
  const label = options.colour
    ? `${COLOUR[result.status]}${LABEL[result.status]}${RESET}`
    : LABEL[result.status];
  const line = `${label} ${result.critical ? '!' : ' '} ${result.id.padEnd(32)} ${result.actual}`;
  return result.status === 'fail' ? `${line}\n${' '.repeat(40)}expected: ${result.expected}` : line;
}

/** The whole report as text (ANSI colours when `colour`). */
export function formatReport(report: ReadinessReport, options: { colour?: boolean } = {}): string {
  const lines = [`x0tta6bl4 readiness (${report.runtime}), ${report.startedAt}`, '  ! = critical', ''];
  for (const category of CATEGORIES) {
    const results = report.checks.filter((c) => c.category === category);
    if (results.length === 0) continue;
    lines.push(`${category}`);
    for (const result of results) lines.push(`  ${formatCheckLine(result, options)}`);
    lines.push('');
  }
  const s = report.summary;
  lines.push(
    `${s.passed} passed, ${s.failed} failed (${s.criticalFailed} critical), ${s.notApplicable} not applicable (${s.criticalNotApplicable} critical)` +
      ` of ${s.total} checks in ${(report.durationMs / 1000).toFixed(1)} s`,
  );
  lines.push(report.ready ? 'READY: no critical check failed' : `NOT READY: ${notReadyReason(report)}`);
  return lines.join('\n');
}

function notReadyReason(report: ReadinessReport): string {
  const failed = report.checks.filter((c) => c.critical && c.status === 'fail').map((c) => c.id);
  const missing = report.strict
    ? report.checks.filter((c) => c.critical && c.status === 'not-applicable').map((c) => c.id)
    : [];
  return [
    failed.length ? `critical checks failed: ${failed.join(', ')}` : '',
    missing.length ? `critical checks not applicable under --strict: ${missing.join(', ')}` : '',
  ]
    .filter(Boolean)
    .join('; ');
}
