/**
 * The HTML form of a readiness report: one self-contained page (inline CSS, no scripts, no
 * external resources) with the verdict, counts per category and every check with its evidence.
 */
import { CATEGORIES } from './check.ts';
import type { CheckResult, ReadinessReport } from './runner.ts';

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

const STYLE = `
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#1d232a}
h1{font-size:1.5rem;margin:0 0 .25rem}.meta{color:#5b6570;margin:0 0 1rem}
.verdict{display:inline-block;padding:.35rem .8rem;border-radius:.3rem;font-weight:600;color:#fff}
.ready{background:#1a7f37}.not-ready{background:#c62828}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #e3e6ea;vertical-align:top}
th{background:#f4f6f8;font-weight:600}.pass{color:#1a7f37;font-weight:600}.fail{color:#c62828;font-weight:600}.not-applicable{color:#9a6700;font-weight:600}
.critical{font-size:.75rem;background:#fde7e9;color:#8c1d18;border-radius:.2rem;padding:0 .3rem;margin-left:.3rem}
code{font-size:.85em}pre{background:#f6f8fa;padding:.5rem;overflow:auto;max-height:20rem;margin:.3rem 0 0;font-size:.8rem}
`;

function row(c: CheckResult): string {
  return (
    `<tr><td class="${c.status}">${c.status}</td><td><code>${escapeHtml(c.id)}</code>${c.critical ? '<span class="critical">critical</span>' : ''}<br>${escapeHtml(c.title)}</td>` +
    `<td>${escapeHtml(c.expected)}</td><td>${escapeHtml(c.actual)}<details><summary>evidence (${c.durationMs} ms)</summary>` +
    `<pre>${escapeHtml(JSON.stringify(c.evidence, null, 2))}</pre></details></td></tr>`
  );
}

/** The report as a standalone HTML document. */
export function renderReadinessReportHtml(report: ReadinessReport): string {
  const s = report.summary;
  const sections = CATEGORIES.map((category) => {
    const results = report.checks.filter((c) => c.category === category);
    if (results.length === 0) return '';
    const passed = results.filter((c) => c.status === 'pass').length;
    return (
      `<h2>${escapeHtml(category)} <small>${passed}/${results.length} passed</small></h2>` +
      `<table><thead><tr><th>Status</th><th>Check</th><th>Expected</th><th>Actual</th></tr></thead><tbody>${results.map(row).join('')}</tbody></table>`
    );
  }).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>x0tta6bl4 readiness report</title><style>${STYLE}</style></head>
<body><h1>x0tta6bl4 production readiness</h1>
<p class="meta">${escapeHtml(report.runtime)} &middot; ${escapeHtml(report.startedAt)} &middot; ${(report.durationMs / 1000).toFixed(1)} s${report.strict ? ' &middot; strict' : ''}</p>
<p><span class="verdict ${report.ready ? 'ready' : 'not-ready'}">${report.ready ? 'READY' : 'NOT READY'}</span>
 ${s.passed} passed, ${s.failed} failed (${s.criticalFailed} critical), ${s.notApplicable} not applicable, of ${s.total} checks</p>
${sections}
</body></html>
`;
}
