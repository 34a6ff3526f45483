/**
 * The run and replay reports as self-contained HTML pages (`x0tta6bl4 run --html report.html`,
 * `x0tta6bl4 replay --html`). A run's: the figures against their targets, the mesh with every
 * fault marked where it struck (the playground's drawing, written as SVG), per-kind bars against
 * the targets, the distributions of time to detect and to recover, and a swimlane per fault. A
 * replay's: the same per fault when it is scored against a run's truth, else its incidents on
 * the mesh; then a timeline per incident and its root causes, diagnosis and plans. No script and
 * nothing fetched: a page opens from a file, a mail attachment or a CI artifact alike.
 */
import { printTarget, type Target } from '../domain/targets.ts';
import { escapeXml } from '../load/svg-chart.ts';
import type { FaultOutcome, HealingReport, KindReport } from '../run/evaluate.ts';
import { describeCause, type ReplayIncident } from '../run/replay.ts';
import { distributionSvg, incidentLanesSvg, shareBar, swimlanesSvg, timeLabel } from './charts.ts';
import {
  type IncidentOutline,
  LINK_HEALTH,
  type MeshLayout,
  meshShapes,
  placeMesh,
  type Strike,
} from './mesh.ts';
import { INCIDENT_COLORS, KIND_COLORS, kindColor, NODE_COLORS, NODE_HEALTH, STEP_COLORS } from './palette.ts';
import { shapesSvg } from './svg.ts';
import { type FigureTarget, formatBound, formatFigure, meets, TARGETS } from './targets.ts';

/** What the page reports: a run's report.json (the CLI adds its status and run id). */
export interface RunReportInput extends HealingReport {
  /** How the run ended: finished, interrupted or failed. */
  status?: string;
  /** The run's id. */
  runId?: string;
  /** Wall-clock seconds the run took. */
  elapsedSeconds?: number;
}

/** The whole page for `report`, over the mesh `layout` it ran on. */
export function runReportHtml(report: RunReportInput, layout: MeshLayout): string {
  const title = `x0tta6bl4 run: seed ${report.seed}, ${report.nodes} nodes, ${report.hours} simulated hours`;
  const facts = [
    `${report.overall.injected} faults injected`,
    `${report.ticks.toLocaleString('en')} ticks`,
    report.status ? `status ${report.status}` : '',
    report.runId ? `run ${report.runId}` : '',
    report.elapsedSeconds !== undefined ? `${report.elapsedSeconds.toFixed(1)} s of wall time` : '',
  ];
  return page(title, facts, faultSections(report, layout, true));
}

/** What a replay's page reports: `replay --json`'s document (src/cli/replay.ts) has this shape. */
export interface ReplayReportInput {
  /** Seconds per tick, and where that came from. */
  tick: { seconds: number; source: string };
  /** The recording's format, ticks, samples and refused lines. */
  recording: { format: string; ticks: number; samples: number; refused: { count: number } };
  /** The baseline the loop learnt normal from, and the incidents it opened there. */
  baseline?: { ticks: number; samples: number; incidents: readonly ReplayIncident[] };
  /** The recording's incidents, in the order they opened. */
  incidents: readonly ReplayIncident[];
  /** With a run's truth: the live run's evaluator on the replay. */
  score?: FaultScore;
}

/** The part of a run's report about its faults: what both pages draw per fault. */
export type FaultScore = Pick<HealingReport, 'overall' | 'byKind' | 'faults'>;

/**
 * The whole page for a replay over the mesh `layout`: with a score against a run's truth, the
 * run report's view per fault (a dry run heals nothing, so healing figures are left out); without,
 * the incidents on the mesh (outlined, their first root causes ringed). Either way a timeline per
 * incident and what the engine found: root causes with their symptoms, diagnoses, plans.
 */
export function replayReportHtml(replay: ReplayReportInput, layout: MeshLayout): string {
  const { recording, baseline, tick, incidents, score } = replay;
  const count = (n: number) => n.toLocaleString('en');
  const title = `x0tta6bl4 replay: ${count(incidents.length)} incident${incidents.length === 1 ? '' : 's'} in ${count(recording.ticks)} ticks of ${tick.seconds} s${score ? ", scored against the run's truth" : ''}`;
  const facts = [
    `${count(recording.samples)} samples (${recording.format})`,
    `tick ${tick.source}`,
    `${count(recording.refused.count)} lines refused`,
    baseline
      ? `baseline of ${count(baseline.ticks)} ticks with ${baseline.incidents.length} incidents`
      : 'no baseline',
    'dry run: nothing was acted on',
  ];
  const sections = score
    ? faultSections(score, layout, false)
    : `<div class="pair">
<section aria-labelledby="mesh"><h2 id="mesh">Where the incidents were</h2>${incidentMeshFigure(incidents, layout)}</section>
<section aria-labelledby="summary"><h2 id="summary">What the replay found</h2>${incidentSummary(incidents)}</section>
</div>`;
  return page(
    title,
    facts,
    `${sections}
<section aria-labelledby="incident-lanes"><h2 id="incident-lanes">Every incident, from opening to close</h2>
<p class="note">Seconds since each incident opened, grouped by the kind its diagnosis named. Hover a mark for what happened then.</p>
<div class="lanes">${incidentLanesSvg(incidents)}</div></section>
<section aria-labelledby="findings"><h2 id="findings">Root causes, diagnoses and plans</h2>${incidentList(incidents)}</section>${
      baseline?.incidents.length
        ? `
<section aria-labelledby="baseline"><h2 id="baseline">Incidents while learning normal</h2>
<p class="note">The baseline is meant to be normal: these say it was not. They are not scored.</p>${incidentList(baseline.incidents)}</section>`
        : ''
    }`,
  );
}

/** The page around `body`: title, facts, style; no script and nothing fetched. */
function page(title: string, facts: readonly string[], body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeXml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>${escapeXml(title)}</h1><p>${escapeXml(facts.filter(Boolean).join(' · '))}</p></header>
<main>
${body}
</main>
</body>
</html>
`;
}

/**
 * The view per injected fault: figures against targets, the mesh with each fault marked, the
 * distributions, per-kind bars and a swimlane per fault. `healing` is false for a dry run, which
 * acts on nothing: its healing figures would only say so.
 */
function faultSections(report: FaultScore, layout: MeshLayout, healing: boolean): string {
  const kinds = Object.keys(report.byKind);
  return `<section aria-labelledby="figures"><h2 id="figures">${healing ? 'The run' : 'The replay'} against its targets</h2>${figureCards(report, healing)}</section>
<div class="pair">
<section aria-labelledby="mesh"><h2 id="mesh">Where the faults struck</h2>${meshFigure(report.faults, layout, healing)}</section>
<section aria-labelledby="times"><h2 id="times">How long detection${healing ? ' and recovery' : ''} took</h2>${distributions(report.faults, healing)}</section>
</div>
<section aria-labelledby="kinds"><h2 id="kinds">Per fault kind, against the targets</h2>${kindTable(report.byKind, healing)}</section>
<section aria-labelledby="lanes"><h2 id="lanes">Every fault, from injection to ${healing ? 'healing' : 'diagnosis'}</h2>
<p class="note">Seconds since each fault was injected, grouped by kind. Hover a mark for what happened then.</p>
<div class="lanes">${swimlanesSvg(report.faults, { kinds, healing })}</div></section>`;
}

/** The headline figures, each beside its target and marked met or not (healing ones only for a run that acts). */
function figureCards(report: FaultScore, healing: boolean): string {
  const o = report.overall;
  const cards: Array<[FigureTarget, number | null, boolean]> = [
    [TARGETS.detectionRate, o.detectionRate, true],
    [TARGETS.mttdMedian, o.mttdMedian, true],
    [TARGETS.rootCauseTop1, o.rootCauseTop1, true],
    [TARGETS.diagnosisAccuracy, o.diagnosisAccuracy, true],
    [TARGETS.healedRate, o.healedRate, healing],
    [TARGETS.mttrMedian, o.mttrMedian, healing],
    [TARGETS.falseAlarmsPerHour, o.falseAlarmsPerHour, true],
    [TARGETS.actionsOnHealthyShare, o.actionsOnHealthyShare, healing],
  ];
  return `<ul class="cards">${cards
    .filter(([, , shown]) => shown)
    .map(([target, value]) => {
      const ok = meets(target, value);
      return `<li class="${ok ? 'met' : 'missed'}"><span class="label">${escapeXml(target.label)}</span><strong>${escapeXml(formatFigure(target, value))}</strong><span class="bound">target ${escapeXml(formatBound(target))}: ${ok ? 'met' : 'not met'}</span></li>`;
    })
    .join('')}</ul>`;
}

/** Where a target is drawn: its node's index or its link's, in `layout`. */
function locate(layout: MeshLayout): (target: Target) => { node?: number; link?: number } {
  const index = new Map(layout.nodeIds.map((id, i) => [id, i]));
  const linkIndex = new Map<string, number>();
  for (let l = 0; l < layout.linkFrom.length; l++) {
    const a = layout.nodeIds[layout.linkFrom[l]];
    const b = layout.nodeIds[layout.linkTo[l]];
    linkIndex.set(`${a}\u0000${b}`, l).set(`${b}\u0000${a}`, l);
  }
  return (target) =>
    target.node !== undefined
      ? { node: index.get(target.node) }
      : { link: linkIndex.get(target.link.join('\u0000')) };
}

/**
 * The mesh with a mark per fault in its kind's colour, hollow where the engine did not heal it
 * (or, in a dry run, where no incident detected it).
 */
function meshFigure(faults: readonly FaultOutcome[], layout: MeshLayout, healing: boolean): string {
  const geometry = placeMesh(layout, 620, 465);
  const where = locate(layout);
  const strikes: Strike[] = faults.map((f) => ({
    ...where(f.target),
    color: kindColor(f.kind),
    hollow: (healing ? f.healedAt : f.detectedAt) === undefined,
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
  return `<figure>${svg}<figcaption>A ring round a node or a thick line on a link for every fault, in its kind's colour; hollow or dashed where ${healing ? 'the engine did not heal it' : 'no incident detected it'}. Squares are gateways.</figcaption><ul class="legend">${legend}</ul></figure>`;
}

/**
 * The mesh with every incident outlined (purple when handed to a human), its nodes amber and the
 * root cause its diagnosis ranked first red, ringed in the colour of the kind it named.
 */
function incidentMeshFigure(incidents: readonly ReplayIncident[], layout: MeshLayout): string {
  const geometry = placeMesh(layout, 620, 465);
  const where = locate(layout);
  const index = new Map(layout.nodeIds.map((id, i) => [id, i]));
  const n = layout.nodeIds.length;
  const m = layout.linkFrom.length;
  const nodeHealth = new Uint8Array(n);
  const linkHealth = new Uint8Array(m);
  const anomalous = NODE_HEALTH.indexOf('anomalous');
  const suspect = NODE_HEALTH.indexOf('suspect');
  const strikes: Strike[] = [];
  const outlines: IncidentOutline[] = [];
  for (const incident of incidents) {
    const nodes = incident.nodes.flatMap((id) => index.get(id) ?? []);
    for (const i of nodes) nodeHealth[i] = Math.max(nodeHealth[i], anomalous);
    outlines.push({ label: shortId(incident.id), nodes, escalated: incident.status === 'escalated' });
    const cause = incident.rootCauses[0];
    if (!cause) continue;
    const at = where(cause.target);
    if (at.node !== undefined) nodeHealth[at.node] = suspect;
    if (at.link !== undefined) linkHealth[at.link] = LINK_HEALTH.indexOf('suspect');
    if (at.node !== undefined || at.link !== undefined)
      strikes.push({
        ...at,
        color: kindColor(incident.diagnosis?.kind ?? ''),
        hollow: !incident.diagnosis?.kind,
      });
  }
  const shapes = meshShapes(geometry, {
    nodeHealth,
    nodeMarks: new Uint8Array(n),
    linkHealth,
    linkMarks: new Uint8Array(m),
    incidents: outlines,
    strikes,
  });
  const kinds = new Map<string, number>();
  for (const i of incidents) {
    const kind = i.diagnosis?.kind ?? 'no kind named';
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  }
  const legend = [
    `<li><span class="swatch" style="background:${NODE_COLORS.anomalous}"></span>in an incident</li>`,
    `<li><span class="swatch" style="background:${NODE_COLORS.suspect}"></span>root cause ranked first</li>`,
    `<li><span class="swatch" style="background:${INCIDENT_COLORS.escalated}"></span>escalated to a human</li>`,
    ...[...kinds].map(
      ([kind, count]) =>
        `<li><span class="swatch" style="background:${kindColor(kind)}"></span>${escapeXml(kind)} (${count})</li>`,
    ),
  ].join('');
  const svg = shapesSvg(
    shapes,
    geometry.width,
    geometry.height,
    `The mesh of ${n} nodes and ${m} links with ${incidents.length} incidents outlined and their first root causes marked`,
  );
  return `<figure>${svg}<figcaption>Each incident outlined round its nodes and labelled; its first root cause red (a node) or thick (a link), ringed in the colour of the kind diagnosed, hollow when none was named. Squares are gateways.</figcaption><ul class="legend">${legend}</ul></figure>`;
}

/** The incidents in figures: how many were diagnosed, planned for, escalated, and the kinds named. */
function incidentSummary(incidents: readonly ReplayIncident[]): string {
  const diagnosed = incidents.filter((i) => i.diagnosis).length;
  const named = incidents.filter((i) => i.diagnosis?.kind).length;
  const planned = incidents.filter((i) => i.plans.some((p) => p.outcome === 'dry-run')).length;
  const escalated = incidents.filter((i) => i.status === 'escalated').length;
  const resolved = incidents.filter((i) => i.status === 'resolved').length;
  const open = incidents.filter((i) => i.status === 'open').length;
  const kinds = new Map<string, number>();
  for (const i of incidents)
    if (i.diagnosis?.kind) kinds.set(i.diagnosis.kind, (kinds.get(i.diagnosis.kind) ?? 0) + 1);
  const rows: Array<[string, number]> = [
    ['incidents opened', incidents.length],
    ['diagnosed', diagnosed],
    ['a fault kind named', named],
    ['with a valid plan', planned],
    ['resolved', resolved],
    ['escalated to a human', escalated],
    ['still open at the end', open],
  ];
  const kindRows = [...kinds]
    .sort((a, b) => b[1] - a[1])
    .map(
      ([kind, count]) =>
        `<tr><th scope="row"><span class="swatch" style="background:${kindColor(kind)}"></span>${escapeXml(kind)}</th><td class="num">${count}</td></tr>`,
    )
    .join('');
  return (
    `<table class="kinds"><tbody>${rows.map(([label, value]) => `<tr><th scope="row">${label}</th><td class="num">${value}</td></tr>`).join('')}</tbody></table>` +
    (kindRows
      ? `<h3>Kinds the diagnoses named</h3><table class="kinds"><tbody>${kindRows}</tbody></table>`
      : '')
  );
}

/** Each incident in full: its nodes and metrics, ranked root causes with their symptoms, the diagnosis, the plans. */
function incidentList(incidents: readonly ReplayIncident[]): string {
  if (incidents.length === 0) return '<p class="note">No incident opened.</p>';
  return incidents
    .map((incident) => {
      const closed =
        incident.closedAt === undefined
          ? incident.status
          : `${incident.status} at ${timeLabel(incident.closedAt)}`;
      const causes = incident.rootCauses.length
        ? `<ol class="causes">${incident.rootCauses.map((c) => `<li>${escapeXml(describeCause(c))}</li>`).join('')}</ol>`
        : '<p class="note">No root cause ranked.</p>';
      const d = incident.diagnosis;
      const diagnosis = d
        ? `<p><b>Diagnosis</b> at ${escapeXml(timeLabel(d.at))}: ${d.kind ? `<span class="swatch" style="background:${kindColor(d.kind)}"></span>${escapeXml(d.kind)}` : 'no kind named'}; cites ${escapeXml(d.citations.join(', ') || 'nothing')}</p>`
        : '';
      const plans = incident.plans.length
        ? `<ul class="plans">${incident.plans
            .map(
              (p) =>
                `<li><b>${escapeXml(p.action)}</b> on ${escapeXml(printTarget(p.target))} at ${escapeXml(timeLabel(p.at))} (${escapeXml(p.outcome)}): ${escapeXml(p.explanation)}</li>`,
            )
            .join('')}</ul>`
        : '';
      const escalation = incident.escalation
        ? `<p><b>To a human:</b> ${escapeXml(incident.escalation)}</p>`
        : '';
      return `<article class="incident ${incident.status}" id="${escapeXml(incident.id)}"><h3>${escapeXml(incident.id)}</h3><p class="note">opened at ${escapeXml(timeLabel(incident.openedAt))}, ${escapeXml(closed)}; nodes ${escapeXml(incident.nodes.join(', '))}; metrics ${escapeXml(incident.metrics.join(', '))}</p><p><b>Root causes</b>, most likely first, with the symptoms behind each:</p>${causes}${diagnosis}${plans}${escalation}</article>`;
    })
    .join('');
}

/** `inc-12` of a `<run id>-inc-12`, short enough to label an outline. */
function shortId(id: string): string {
  return /-(inc-\d+)$/.exec(id)?.[1] ?? id;
}

/** Per kind: the shares as bars against their targets, and the median times (healing ones only for a run that acts). */
function kindTable(byKind: Record<string, KindReport>, healing: boolean): string {
  const rows = Object.entries(byKind)
    .map(
      ([kind, k]) =>
        `<tr><th scope="row"><span class="swatch" style="background:${kindColor(kind)}"></span>${escapeXml(kind)}<small>${k.injected} injected</small></th>` +
        `<td>${shareBar(k.injected ? k.detectionRate : null, TARGETS.detectionRate)}</td>` +
        `<td>${shareBar(k.detected ? k.rootCauseTop1 : null, TARGETS.rootCauseTop1)}</td>` +
        `<td>${shareBar(k.diagnosed ? k.diagnosisAccuracy : null, TARGETS.diagnosisAccuracy)}</td>` +
        (healing ? `<td>${shareBar(k.injected ? k.healedRate : null, TARGETS.healedRate)}</td>` : '') +
        `<td class="num${meets(TARGETS.mttdMedian, k.mttdMedian) ? '' : ' missed'}">${k.mttdMedian ?? 'n/a'}</td>` +
        (healing
          ? `<td class="num${meets(TARGETS.mttrMedian, k.mttrMedian) ? '' : ' missed'}">${k.mttrMedian ?? 'n/a'}</td>`
          : '') +
        '</tr>',
    )
    .join('');
  const heads = [
    'kind',
    'detected',
    'root cause first',
    'kind named',
    ...(healing ? ['healed'] : []),
    'TTD p50',
  ];
  if (healing) heads.push('TTR p50');
  const bounds = healing
    ? `targets ${escapeXml(formatBound(TARGETS.mttdMedian))} and ${escapeXml(formatBound(TARGETS.mttrMedian))}`
    : `target ${escapeXml(formatBound(TARGETS.mttdMedian))}`;
  return `<table class="kinds"><thead><tr>${heads.map((h) => `<th scope="col">${h}</th>`).join('')}</tr></thead><tbody>${rows}</tbody></table><p class="note">The black tick on each bar is the target; times in ticks (simulated seconds), ${bounds}.</p>`;
}

/** Time to detect (injection to the incident opening) and, for a run that acts, to recover (detection to the healing action's completion). */
function distributions(faults: readonly FaultOutcome[], healing: boolean): string {
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
    (healing
      ? distributionSvg({
          title: 'Time to recover (detection to healed)',
          values: ttr,
          target: TARGETS.mttrMedian,
          color: STEP_COLORS.healed,
        })
      : '')
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
h3 { font-size: 0.95rem; margin: 0.6rem 0 0.3rem; }
.incident { border-top: 1px solid #e5e8ee; padding: 0.4rem 0; }
.incident.escalated h3 { color: #7b3294; }
.incident p { margin: 0.2rem 0; }
.causes, .plans { margin: 0.2rem 0; padding-left: 1.6rem; font-size: 12.5px; }
`;
