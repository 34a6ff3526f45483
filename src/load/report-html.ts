/**
 * A self-contained HTML report of one or more load results: summary tables and inline SVG
 * charts (latency over time, rate over time, percentile distribution corrected vs not).
 */
import type { LoadResult } from './run.ts';
import { escapeXml, lineChart } from './svg-chart.ts';
import type { LatencyStats } from './summary.ts';

const f = (v: number, digits = 3): string => (Number.isFinite(v) ? v.toFixed(digits) : String(v));

/** HDR-style x position of a percentile: its number of nines, capped at 5 (99.999). */
const nines = (p: number): number => Math.min(5, -Math.log10(Math.max(1e-5, 1 - p / 100)));

const latencyCells = (s: LatencyStats): string =>
  [s.min, s.mean, s.p50, s.p90, s.p95, s.p99, s.p999, s.max].map((v) => `<td>${f(v)}</td>`).join('');

function section(result: LoadResult): string {
  const s = result.summary;
  const latencyOverTime = lineChart({
    title: 'Latency over time (corrected, by completion second)',
    xLabel: 'second of run',
    yLabel: 'ms',
    series: [
      { name: 'p50', color: '#2a7', points: result.series.map((p) => [p.second, p.p50]) },
      { name: 'p99', color: '#d80', points: result.series.map((p) => [p.second, p.p99]) },
      { name: 'max', color: '#c22', points: result.series.map((p) => [p.second, p.max]) },
    ],
  });
  const rateOverTime = lineChart({
    title: 'Rate over time',
    xLabel: 'second of run',
    yLabel: 'ops/s',
    series: [
      { name: 'scheduled', color: '#888', points: result.series.map((p) => [p.second, p.scheduled]) },
      { name: 'started', color: '#27c', points: result.series.map((p) => [p.second, p.started]) },
      { name: 'errors', color: '#c22', points: result.series.map((p) => [p.second, p.errors]) },
      { name: 'dropped', color: '#a4c', points: result.series.map((p) => [p.second, p.dropped]) },
    ],
  });
  const distribution = lineChart({
    title: 'Latency by percentile',
    xLabel: 'percentile',
    yLabel: 'ms',
    xTicks: [
      [0, '0%'],
      [1, '90%'],
      [2, '99%'],
      [3, '99.9%'],
      [4, '99.99%'],
      [5, '99.999%'],
    ],
    series: [
      {
        name: 'corrected',
        color: '#c22',
        points: result.distribution.map((p) => [nines(p.percentile), p.corrected]),
      },
      {
        name: 'uncorrected',
        color: '#27c',
        points: result.distribution.map((p) => [nines(p.percentile), p.uncorrected]),
      },
    ],
  });
  const stages = result.stages
    .map(
      (st) =>
        `<tr><td>${escapeXml(st.label)}</td><td>${f(st.summary.achievedRate, 2)}</td><td>${st.summary.started}</td>` +
        `<td>${st.summary.failed + st.summary.timeouts}</td><td>${st.summary.dropped}</td>${latencyCells(st.summary.latency)}` +
        `<td>${st.complete ? '' : 'not completed'}</td></tr>`,
    )
    .join('\n');
  const thresholds = result.thresholds
    .map(
      (t) =>
        `<tr class="${t.passed ? 'ok' : 'fail'}"><td>${t.passed ? 'ok' : 'FAIL'}</td><td>${escapeXml(t.expression)}</td>` +
        `<td>${escapeXml(t.scope)}</td><td>${f(t.actual)}</td><td>${f(t.limit)}</td></tr>`,
    )
    .join('\n');
  const errors =
    Object.entries(s.errorsByKind)
      .map(([k, n]) => `${escapeXml(k)}: ${n}`)
      .join(', ') || 'none';
  const stress = result.stress
    ? `<p>Highest stable rate: ${result.stress.highestStableRate ?? 'none'} ops/s; first broken: ${result.stress.breakingRate ?? 'none'}; ` +
      `knee: ${result.stress.knee ? `${result.stress.knee.rate} ops/s (p99 ${f(result.stress.knee.p99)} ms)` : 'none'}.</p>`
    : '';
  return `<section>
<h2>${escapeXml(result.scenario)} <span class="${result.passed ? 'ok' : 'fail'}">${result.passed ? 'PASSED' : 'FAILED'}</span></h2>
<p>${result.model} model, started ${escapeXml(result.startedAt)}, ran ${f(result.durationMs / 1000, 1)} s of ${f(result.plannedMs / 1000, 1)} s planned;
target ${s.targetRate === null ? 'n/a' : f(s.targetRate, 2)} ops/s, achieved ${f(s.achievedRate, 2)} ops/s${result.batchSize > 1 ? ` (${Math.round(result.unitsPerSecond)} units/s)` : ''};
scheduled ${s.scheduled}, started ${s.started}, ok ${s.ok}, failed ${s.failed}, timeouts ${s.timeouts}, dropped ${s.dropped}; errors by kind: ${errors}.</p>
${stress}
<table><tr><th>latency ms</th><th>min</th><th>mean</th><th>p50</th><th>p90</th><th>p95</th><th>p99</th><th>p99.9</th><th>max</th></tr>
<tr><td>corrected</td>${latencyCells(s.latency)}</tr>
<tr><td>uncorrected</td>${latencyCells(s.uncorrectedLatency)}</tr></table>
${result.stages.length > 1 ? `<table><tr><th>stage</th><th>achieved/s</th><th>started</th><th>errors</th><th>dropped</th><th>min</th><th>mean</th><th>p50</th><th>p90</th><th>p95</th><th>p99</th><th>p99.9</th><th>max</th><th></th></tr>\n${stages}</table>` : ''}
${thresholds ? `<table class="text"><tr><th></th><th>threshold</th><th>scope</th><th>actual</th><th>limit</th></tr>\n${thresholds}</table>` : ''}
<div class="charts">${latencyOverTime}\n${distribution}\n${rateOverTime}</div>
</section>`;
}

/** A complete HTML document reporting the given results; it references nothing external. */
export function renderLoadReportHtml(
  results: readonly LoadResult[],
  title = 'x0tta6bl4 load report',
): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeXml(title)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;color:#222}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}
td:first-child,th:first-child,.text td{text-align:left}.ok{color:#2a7}.fail{color:#c22;font-weight:bold}
svg{margin:.5rem 1rem .5rem 0;background:#fff}section{border-top:1px solid #ddd;padding-top:1rem}
</style></head>
<body><h1>${escapeXml(title)}</h1>
<p>Corrected latency is measured from each iteration's intended start time (coordinated omission corrected); uncorrected from its actual start.</p>
${results.map(section).join('\n')}
</body></html>
`;
}
