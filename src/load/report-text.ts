/** Terminal rendering: a one-line progress indicator and a plain-text summary of a result. */
import type { LoadProgress } from './progress.ts';
import type { LoadResult } from './run.ts';
import type { LatencyStats } from './summary.ts';

const fixed = (value: number, digits = 2): string =>
  Number.isFinite(value) ? value.toFixed(digits) : String(value);
const count = (value: number): string => value.toLocaleString('en-US');

/** One line for a terminal status display (the CLI rewrites it in place with '\r'). */
export function formatProgress(p: LoadProgress): string {
  const share = p.plannedMs > 0 ? Math.min(100, (100 * p.elapsedMs) / p.plannedMs) : 100;
  return (
    `${p.scenario} ${fixed(p.elapsedMs / 1000, 1)}/${fixed(p.plannedMs / 1000, 1)} s (${share.toFixed(0)}%) ` +
    `stage ${p.stage + 1} started ${count(p.started)} done ${count(p.completed)} ` +
    `errors ${count(p.errors)} dropped ${count(p.dropped)} in flight ${count(p.inFlight)}`
  );
}

const COLUMNS = ['min', 'mean', 'p50', 'p90', 'p95', 'p99', 'p99.9', 'max'];
const latencyRow = (label: string, s: LatencyStats): string =>
  label.padEnd(14) +
  [s.min, s.mean, s.p50, s.p90, s.p95, s.p99, s.p999, s.max].map((v) => fixed(v, 3).padStart(10)).join('');

/** A multi-line human summary: counts, rates, latency (corrected and not), stages, thresholds. */
export function formatSummary(result: LoadResult): string {
  const s = result.summary;
  const lines: string[] = [];
  const shape =
    result.model === 'open' ? `open model, max ${count(result.maxInFlight ?? 0)} in flight` : 'closed model';
  lines.push(`scenario ${result.scenario} (${shape}, ${fixed(result.durationMs / 1000, 1)} s)`);
  lines.push(
    `  iterations   scheduled ${count(s.scheduled)}  started ${count(s.started)}  ok ${count(s.ok)}  ` +
      `failed ${count(s.failed)}  timeouts ${count(s.timeouts)}  dropped ${count(s.dropped)}`,
  );
  const target = s.targetRate === null ? '' : `target ${fixed(s.targetRate)}/s  `;
  const share = s.targetRate ? ` (${fixed((100 * s.achievedRate) / s.targetRate)}%)` : '';
  const units = result.batchSize > 1 ? `  = ${count(Math.round(result.unitsPerSecond))} units/s` : '';
  lines.push(`  rate         ${target}achieved ${fixed(s.achievedRate)}/s${share}${units}`);
  lines.push(`  error rate   ${fixed(100 * s.errorRate, 3)}%  dropped ${fixed(100 * s.droppedRate, 3)}%`);
  const kinds = Object.entries(s.errorsByKind);
  if (kinds.length > 0) lines.push(`  errors       ${kinds.map(([k, n]) => `${k} ${count(n)}`).join(', ')}`);
  lines.push(`  latency ms  ${COLUMNS.map((c) => c.padStart(10)).join('')}`);
  lines.push(`  ${latencyRow('corrected', s.latency)}`);
  lines.push(`  ${latencyRow('uncorrected', s.uncorrectedLatency)}`);
  if (result.stages.length > 1) {
    lines.push('  stages');
    for (const stage of result.stages) {
      const st = stage.summary;
      const note = stage.complete ? '' : '  (not completed)';
      lines.push(
        `    ${stage.label.padEnd(18)} achieved ${fixed(st.achievedRate).padStart(10)}/s  p50 ${fixed(st.latency.p50, 3)}  ` +
          `p99 ${fixed(st.latency.p99, 3)}  errors ${count(st.failed + st.timeouts)}  dropped ${count(st.dropped)}${note}`,
      );
    }
  }
  if (result.stress) {
    const { highestStableRate, breakingRate, knee } = result.stress;
    lines.push(
      `  stress       highest stable ${highestStableRate ?? 'none'} ops/s, broke at ${breakingRate ?? 'none'}, ` +
        `knee ${knee ? `${knee.rate} ops/s (p99 ${fixed(knee.p99, 3)} ms)` : 'none'}`,
    );
  }
  if (result.thresholds.length > 0) {
    lines.push('  thresholds');
    for (const t of result.thresholds) {
      lines.push(
        `    ${t.passed ? 'ok  ' : 'FAIL'} ${t.expression.padEnd(22)} ${t.scope.padEnd(18)} actual ${fixed(t.actual, 3)} limit ${fixed(t.limit, 3)}`,
      );
    }
  }
  lines.push(`  result       ${result.passed ? 'PASSED' : 'FAILED'}`);
  return lines.join('\n');
}
