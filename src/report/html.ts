/**
 * The run report as one self-contained HTML page (`x0tta6bl4 run --html report.html`): the
 * figures against their targets, the mesh with every fault marked where it struck (the
 * playground's drawing, written as SVG), per-kind bars against the targets, the distributions of
 * time to detect and to recover, and a swimlane per fault. No script and nothing fetched: it
 * opens from a file, a mail attachment or a CI artifact alike.
 */
import { escapeXml } from '../load/svg-chart.ts';
import type { FaultOutcome, HealingReport, KindReport } from '../run/evaluate.ts';
import { distributionSvg, shareBar, swimlanesSvg } from './charts.ts';
import { type MeshLayout, meshShapes, placeMesh, type Strike } from './mesh.ts';
import { KIND_COLORS, kindColor, STEP_COLORS } from './palette.ts';
import { shapesSvg } from './svg.ts';
import { type FigureTarget, formatBound, formatFigure, meets, TARGETS } from './targets.ts';

/** What the page reports: a run's report.json (the CLI adds its status and run id). */
export interface RunReportInput extends HealingReport {
  status?: string;
  runId?: string;
  elapsedSeconds?: number;
}

/** The whole page for `report`, over the mesh `layout` it ran on. */
export function runReportHtml(report: RunReportInput, layout: MeshLayout): string {
  const kinds = Object.keys(report.byKind);
  const title = `x0tta6bl4 run: seed ${report.seed}, ${report.nodes} nodes, ${report.hours} simulated hours`;
  const facts = [
    `${report.overall.injected} faults injected`,
    `${report.ticks.toLocaleString('en')} ticks`,
    report.status ? `status ${report.status}` : '',
    report.runId ? `run ${report.runId}` : '',
    report.elapsedSeconds !== undefined ? `${report.elapsedSeconds.toFixed(1)} s of wall time` : '',
  ].filter(Boolean);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeXml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>${escapeXml(title)}</h1><p>${escapeXml(facts.join(' · '))}</p></header>
<main>
<section aria-labelledby="figures"><h2 id="figures">The run against its targets</h2>${figureCards(report)}</section>
<div class="pair">
<section aria-labelledby="mesh"><h2 id="mesh">Where the faults struck</h2>${meshFigure(report.faults, layout)}</section>
<section aria-labelledby="times"><h2 id="times">How long detection and recovery took</h2>${distributions(report.faults)}</section>
</div>
<section aria-labelledby="kinds"><h2 id="kinds">Per fault kind, against the targets</h2>${kindTable(report.byKind)}</section>
<section aria-labelledby="lanes"><h2 id="lanes">Every fault, from injection to healing</h2>
<p class="note">Seconds since each fault was injected, grouped by kind. Hover a mark for what happened then.</p>
<div class="lanes">${swimlanesSvg(report.faults, { kinds })}</div></section>
</main>
</body>
</html>
`;
}

/** The headline figures, each beside its target and marked met or not. */
function figureCards(report: HealingReport): string {
  const o = report.overall;
  const cards: Array<[FigureTarget, number | null]> = [
    [TARGETS.detectionRate, o.detectionRate],
    [TARGETS.mttdMedian, o.mttdMedian],
    [TARGETS.rootCauseTop1, o.rootCauseTop1],
    [TARGETS.diagnosisAccuracy, o.diagnosisAccuracy],
    [TARGETS.healedRate, o.healedRate],
    [TARGETS.mttrMedian, o.mttrMedian],
    [TARGETS.falseAlarmsPerHour, o.falseAlarmsPerHour],
    [TARGETS.actionsOnHealthyShare, o.actionsOnHealthyShare],
  ];
  return `<ul class="cards">${cards
    .map(([target, value]) => {
      const ok = meets(target, value);
      return `<li class="${ok ? 'met' : 'missed'}"><span class="label">${escapeXml(target.label)}</span><strong>${escapeXml(formatFigure(target, value))}</strong><span class="bound">target ${escapeXml(formatBound(target))}: ${ok ? 'met' : 'not met'}</span></li>`;
    })
    .join('')}</ul>`;
}

/** The mesh with a mark per fault in its kind's colour (hollow where the engine did not heal it). */
function meshFigure(faults: readonly FaultOutcome[], layout: MeshLayout): string {
  const geometry = placeMesh(layout, 620, 465);
  const index = new Map(layout.nodeIds.map((id, i) => [id, i]));
  const linkIndex = new Map<string, number>();
  for (let l = 0; l < layout.linkFrom.length; l++) {
    const a = layout.nodeIds[layout.linkFrom[l]];
    const b = layout.nodeIds[layout.linkTo[l]];
    linkIndex.set(`${a}|${b}`, l).set(`${b}|${a}`, l);
  }
  const strikes: Strike[] = faults.map((f) => ({
    ...(f.target.node !== undefined
      ? { node: index.get(f.target.node) }
      : { link: linkIndex.get(f.target.link.join('|')) }),
    color: kindColor(f.kind),
    hollow: f.healedAt === undefined,
  }));
  const n = layout.nodeIds.length;
  const m = layout.linkFrom.length;
  const shapes = meshShapes(geometry, {
    nodeHealth: new Uint8Array(n),
    nodeMarks: new Uint8Array(n),
    linkHealth: new Uint8Array(m),
    linkMarks: new Uint8Array(m),
    incidents: [],
    strikes: strikes.filter((s) => s.node !== undefined || s.link !== undefined),
  });
  const counts = new Map<string, number>();
  for (const f of faults) counts.set(f.kind, (counts.get(f.kind) ?? 0) + 1);
  const legend = [...counts]
    .map(
      ([kind, count]) =>
        `<li><span class="swatch" style="background:${KIND_COLORS[kind] ?? kindColor(kind)}"></span>${escapeXml(kind)} (${count})</li>`,
    )
    .join('');
  const svg = shapesSvg(
    shapes,
    geometry.width,
    geometry.height,
    `The mesh of ${n} nodes and ${m} links with ${faults.length} faults marked where they struck`,
  );
  return `<figure>${svg}<figcaption>A ring round a node or a thick line on a link for every fault, in its kind's colour; hollow or dashed where the engine did not heal it. Squares are gateways.</figcaption><ul class="legend">${legend}</ul></figure>`;
}

/** Per kind: the shares as bars against their targets, and the median times. */
function kindTable(byKind: Record<string, KindReport>): string {
  const rows = Object.entries(byKind)
    .map(
      ([kind, k]) =>
        `<tr><th scope="row"><span class="swatch" style="background:${kindColor(kind)}"></span>${escapeXml(kind)}<small>${k.injected} injected</small></th>` +
        `<td>${shareBar(k.injected ? k.detectionRate : null, TARGETS.detectionRate)}</td>` +
        `<td>${shareBar(k.detected ? k.rootCauseTop1 : null, TARGETS.rootCauseTop1)}</td>` +
        `<td>${shareBar(k.diagnosed ? k.diagnosisAccuracy : null, TARGETS.diagnosisAccuracy)}</td>` +
        `<td>${shareBar(k.injected ? k.healedRate : null, TARGETS.healedRate)}</td>` +
        `<td class="num${meets(TARGETS.mttdMedian, k.mttdMedian) ? '' : ' missed'}">${k.mttdMedian ?? 'n/a'}</td>` +
        `<td class="num${meets(TARGETS.mttrMedian, k.mttrMedian) ? '' : ' missed'}">${k.mttrMedian ?? 'n/a'}</td></tr>`,
    )
    .join('');
  return `<table class="kinds"><thead><tr><th scope="col">kind</th><th scope="col">detected</th><th scope="col">root cause first</th><th scope="col">kind named</th><th scope="col">healed</th><th scope="col">TTD p50</th><th scope="col">TTR p50</th></tr></thead><tbody>${rows}</tbody></table><p class="note">The black tick on each bar is the target; times in ticks (simulated seconds), targets ${escapeXml(formatBound(TARGETS.mttdMedian))} and ${escapeXml(formatBound(TARGETS.mttrMedian))}.</p>`;
}

/** Time to detect (injection to the incident opening) and to recover (detection to the healing action's completion). */
function distributions(faults: readonly FaultOutcome[]): string {
  const ttd = faults.filter((f) => f.detectedAt !== undefined).map((f) => f.detectedAt! - f.injectedAt);
  const ttr = faults
    .filter((f) => f.detectedAt !== undefined && f.healedAt !== undefined)
    .map((f) => f.healedAt! - f.detectedAt!);
  return (
    distributionSvg({
      title: 'Time to detect (injection to incident)',
      values: ttd,
      target: TARGETS.mttdMedian,
      color: STEP_COLORS.detected,
    }) +
    distributionSvg({
      title: 'Time to recover (detection to healed)',
      values: ttr,
      target: TARGETS.mttrMedian,
      color: STEP_COLORS.healed,
    })
  );
}

const STYLE = `
:root { font: 14px/1.45 system-ui, sans-serif; color: #1c2330; background: #f3f5f8; }
body { margin: 0; padding: 0 1rem 2rem; }
header, main { max-width: 78rem; margin: 0 auto; }
header { padding: 0.9rem 0 0.2rem; }
h1 { font-size: 1.35rem; margin: 0; }
header p, .note, figcaption { color: #4b5563; margin: 0.25rem 0; }
h2 { font-size: 1rem; margin: 0 0 0.5rem; }
section { background: #fff; border: 1px solid #d5dae3; border-radius: 8px; padding: 0.8rem 1rem; margin: 0.8rem 0; }
.pair { display: grid; grid-template-columns: repeat(auto-fit, minmax(30rem, 1fr)); gap: 0 0.9rem; }
.pair > section { min-width: 0; }
#times ~ svg { display: block; margin-bottom: 0.6rem; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(11rem, 1fr)); gap: 0.5rem; list-style: none; margin: 0; padding: 0; }
.cards li { border-left: 4px solid #3a9d5d; padding: 0.2rem 0.6rem; display: grid; }
.cards li.missed { border-left-color: #d1362f; }
.cards .label, .cards .bound { font-size: 12px; color: #4b5563; }
.cards strong { font-size: 1.3rem; font-variant-numeric: tabular-nums; }
.cards li.missed .bound { color: #b91c1c; font-weight: 600; }
figure { margin: 0; }
figure svg { max-width: 100%; height: auto; background: #fbfcfd; border: 1px solid #d5dae3; border-radius: 6px; }
.legend { display: flex; flex-wrap: wrap; gap: 0.2rem 0.9rem; list-style: none; padding: 0; margin: 0.4rem 0 0; font-size: 12.5px; }
.swatch { display: inline-block; width: 0.7rem; height: 0.7rem; border-radius: 2px; margin-right: 0.35rem; vertical-align: -1px; }
table.kinds { border-collapse: collapse; font-size: 12.5px; }
table.kinds th, table.kinds td { text-align: left; padding: 0.2rem 0.4rem; border-bottom: 1px solid #e5e8ee; vertical-align: middle; }
table.kinds thead th { color: #4b5563; font-weight: 600; }
table.kinds th small { display: block; color: #4b5563; font-weight: 400; margin-left: 1.05rem; }
table.kinds td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.kinds td.missed { color: #b91c1c; font-weight: 600; }
.lanes { overflow-x: auto; }
`;
