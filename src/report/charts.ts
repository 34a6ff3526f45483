/**
 * The reports' charts as inline SVG (no script, no external asset): a bar against its target, a
 * distribution of times with its median, 95th percentile and target, a swimlane per injected
 * fault showing when it was detected, diagnosed, acted on and healed, and one per incident of a
 * replay showing when it was diagnosed, planned for and closed (both drawn by one lane chart).
 */
import { escapeXml } from '../load/svg-chart.ts';
import { printTarget } from '../domain/targets.ts';
import type { FaultOutcome } from '../run/evaluate.ts';
import { describeCause, type ReplayIncident } from '../run/replay.ts';
import { INCIDENT_COLORS, kindColor, STEP_COLORS } from './palette.ts';
import { type FigureTarget, formatBound, formatFigure, meets } from './targets.ts';

const FONT = 'font-family="system-ui, sans-serif"';
const r = (v: number): string => String(Math.round(v * 10) / 10);

/** The `p`-quantile (0..1) of `values` by the nearest rank; null when there are none. */
export function quantile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

/** A share (0..1) as a bar of `width` pixels, green when it meets `target` (drawn as a tick), red when not. */
export function shareBar(value: number | null, target: FigureTarget, width = 150): string {
  const height = 16;
  const scale = width - 44;
  const ok = meets(target, value);
  const label = `${target.label}: ${formatFigure(target, value)} (target ${formatBound(target)}, ${ok ? 'met' : 'not met'})`;
  const bar = value === null ? 0 : Math.max(0, Math.min(1, value)) * scale;
  const bound = (target.min ?? target.max ?? 0) * scale;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeXml(label)}"><title>${escapeXml(label)}</title>` +
    `<rect x="0" y="3" width="${scale}" height="10" fill="#eef0f4"/>` +
    `<rect x="0" y="3" width="${r(bar)}" height="10" fill="${ok ? '#3a9d5d' : '#d1362f'}"/>` +
    `<line x1="${r(bound)}" y1="0" x2="${r(bound)}" y2="${height}" stroke="#111827" stroke-width="1.5"/>` +
    `<text x="${scale + 4}" y="12.5" font-size="11" ${FONT} fill="#1c2330">${escapeXml(formatFigure(target, value))}</text></svg>`
  );
}

/** What a distribution chart shows. */
export interface DistributionOptions {
  /** The chart's heading. */
  title: string;
  /** Ticks, one per fault. */
  values: readonly number[];
  /** The target marked on the axis (its upper bound). */
  target?: FigureTarget;
  /** The bars' colour. */
  color: string;
  /** Pixels (default 520 x 190). */
  width?: number;
  /** Pixels. */
  height?: number;
}

/**
 * A histogram of times in ticks, one bar per tick up to the 99th percentile (the rest pile into a
 * last bar), with the median, the 95th percentile and the target marked.
 */
export function distributionSvg(options: DistributionOptions): string {
  const { title, values, target, color, width = 520, height = 190 } = options;
  const left = 36;
  const bottom = height - 30;
  const top = 26;
  const median = quantile(values, 0.5);
  const p95 = quantile(values, 0.95);
  const last = Math.max(1, quantile(values, 0.99) ?? 0, target?.max ?? 0);
  const counts = new Array<number>(last + 2).fill(0);
  for (const v of values) counts[Math.min(last + 1, Math.max(0, Math.round(v)))]++;
  const peak = Math.max(1, ...counts);
  const step = (width - left - 10) / counts.length;
  const x = (tick: number) => left + (tick + 0.5) * step;
  const y = (count: number) => bottom - (count / peak) * (bottom - top);
  const summary = `${title}: ${values.length} faults, median ${median ?? 'n/a'}, 95th percentile ${p95 ?? 'n/a'} ticks${target ? `, target ${formatBound(target)}` : ''}`;
  const parts = [
    `<text x="${left}" y="14" font-size="12.5" font-weight="600" ${FONT} fill="#1c2330">${escapeXml(title)}</text>`,
    `<line x1="${left}" y1="${bottom}" x2="${width - 10}" y2="${bottom}" stroke="#9aa3b2"/>`,
    `<text x="${left - 6}" y="${top + 4}" font-size="10" text-anchor="end" ${FONT} fill="#4b5563">${peak}</text>`,
    `<text x="${left - 6}" y="${bottom}" font-size="10" text-anchor="end" ${FONT} fill="#4b5563">0</text>`,
  ];
  counts.forEach((count, tick) => {
    if (count > 0)
      parts.push(
        `<rect x="${r(x(tick) - step * 0.4)}" y="${r(y(count))}" width="${r(step * 0.8)}" height="${r(bottom - y(count))}" fill="${color}"><title>${tick > last ? `> ${last}` : tick} ticks: ${count}</title></rect>`,
      );
  });
  const labelEvery = Math.max(1, Math.ceil(counts.length / 12));
  for (let tick = 0; tick < counts.length; tick += labelEvery)
    parts.push(
      `<text x="${r(x(tick))}" y="${bottom + 13}" font-size="10" text-anchor="middle" ${FONT} fill="#4b5563">${tick > last ? `>${last}` : tick}</text>`,
    );
  parts.push(
    `<text x="${width - 10}" y="${height - 3}" font-size="10" text-anchor="end" ${FONT} fill="#4b5563">ticks</text>`,
  );
  // Each mark's label on its own line, so marks on neighbouring ticks stay readable.
  const mark = (tick: number | null, stroke: string, label: string, line: number, dash = '') => {
    if (tick === null) return;
    const at = x(Math.min(tick, last + 1));
    parts.push(
      `<line x1="${r(at)}" y1="${top - 4}" x2="${r(at)}" y2="${bottom}" stroke="${stroke}" stroke-width="1.5"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`,
      `<text x="${r(at + 3)}" y="${top + 6 + 12 * line}" font-size="10" ${FONT} fill="${stroke}">${escapeXml(label)}</text>`,
    );
  };
  mark(median, '#111827', `median ${median}`, 0);
  if (p95 !== median) mark(p95, '#4b5563', `p95 ${p95}`, 1, '3 2');
  if (target?.max !== undefined) mark(target.max, '#d1362f', `target ${formatBound(target)}`, 2, '5 3');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeXml(summary)}"><title>${escapeXml(summary)}</title>${parts.join('')}</svg>`;
}

/** Options of {@link swimlanesSvg}. */
export interface SwimlaneOptions {
  /** Fault kinds in the order their groups appear (others follow). */
  kinds: readonly string[];
  /** Seconds after injection shown at most; a fault that lasts longer runs off the right edge. */
  maxSpan?: number;
  /** Pixels (default 900). */
  width?: number;
  /**
   * Whether the engine acted (a run) or only planned (a dry-run replay): a group then counts the
   * faults detected rather than healed, and the legend calls actions plans.
   */
  healing?: boolean;
}

/**
 * One lane per injected fault, grouped by kind: a line from its injection to its end, and marks
 * where it was detected, diagnosed, acted on (filled when the action healed it) and healed, in
 * seconds since its injection.
 */
export function swimlanesSvg(faults: readonly FaultOutcome[], options: SwimlaneOptions): string {
  const healing = options.healing ?? true;
  const order = (kind: string) => {
    const i = options.kinds.indexOf(kind);
    return i < 0 ? options.kinds.length : i;
  };
  const sorted = [...faults].sort((a, b) => order(a.kind) - order(b.kind) || a.injectedAt - b.injectedAt);
  const groups: LaneGroup[] = [];
  for (const f of sorted) {
    let group = groups.at(-1);
    if (group?.key !== f.kind) {
      const same = sorted.filter((g) => g.kind === f.kind);
      const counted = same.filter((g) => (healing ? g.healedAt : g.detectedAt) !== undefined).length;
      group = {
        key: f.kind,
        label: `${f.kind} (${counted} of ${same.length} ${healing ? 'healed' : 'detected'})`,
        color: kindColor(f.kind),
        lanes: [],
      };
      groups.push(group);
    }
    group.lanes.push(faultLane(f));
  }
  const legend: Array<[string, string]> = [
    ['injected', STEP_COLORS.injected],
    ['detected', STEP_COLORS.detected],
    ['diagnosed (hollow: wrong kind)', STEP_COLORS.diagnosed],
    healing
      ? ['action (filled: it healed)', STEP_COLORS.acted]
      : ['planned action (not applied)', STEP_COLORS.acted],
    ...(healing ? [['healed', STEP_COLORS.healed] as [string, string]] : []),
  ];
  const title = `Swimlanes of ${faults.length} injected faults: seconds from injection to detection, diagnosis, ${healing ? 'action and healing' : 'and the plans'}`;
  return lanesSvg(groups, legend, title, options.width ?? 900, options.maxSpan ?? 120);
}

/** A fault's lane: seconds since its injection. */
function faultLane(f: FaultOutcome): Lane {
  const at = (tick: number) => tick - f.injectedAt;
  const marks: LaneMark[] = [
    { at: 0, shape: 'dot', size: 3, color: STEP_COLORS.injected, title: `injected at t=${f.injectedAt}` },
    ...f.actions.map(
      (a): LaneMark => ({
        at: at(a.startedAt),
        shape: 'bar',
        color: STEP_COLORS.acted,
        hollow: a.outcome !== 'healed',
        title: `${a.action} at t=${a.startedAt}: ${a.outcome}`,
      }),
    ),
  ];
  if (f.detectedAt !== undefined)
    marks.push({
      at: at(f.detectedAt),
      shape: 'dot',
      size: 3.5,
      color: STEP_COLORS.detected,
      title: `detected after ${at(f.detectedAt)} s (${f.incident ?? ''})`,
    });
  if (f.diagnosedAt !== undefined)
    marks.push({
      at: at(f.diagnosedAt),
      shape: 'diamond',
      color: STEP_COLORS.diagnosed,
      hollow: f.diagnosedKind !== f.kind,
      title: `diagnosed ${f.diagnosedKind ?? 'unclear'}, root cause ranked ${f.rootCauseRank ?? 'not'}`,
    });
  if (f.healedAt !== undefined)
    marks.push({
      at: at(f.healedAt),
      shape: 'ring',
      color: STEP_COLORS.healed,
      title: `healed by ${f.healedBy ?? ''} after ${at(f.healedAt)} s`,
    });
  return {
    label: `#${f.id} ${f.target.node ?? f.target.link.join('-')} at t=${f.injectedAt}`,
    color: kindColor(f.kind),
    end: Math.max(0, (f.healedAt ?? f.endedAt ?? f.detectedAt ?? f.injectedAt) - f.injectedAt),
    marks,
  };
}

/** Options of {@link incidentLanesSvg}. */
export interface IncidentLaneOptions {
  /** Seconds after opening shown at most; an incident that lasts longer runs off the right edge. */
  maxSpan?: number;
  /** Pixels (default 900). */
  width?: number;
}

/**
 * One lane per incident a replay opened, grouped by the kind its diagnosis named: a line from its
 * opening to its close, and marks where it was diagnosed (its first root cause in the mark's
 * title), where a plan was made (hollow when the executor refused it) and where it was resolved
 * or handed to a human, in seconds since it opened.
 */
export function incidentLanesSvg(
  incidents: readonly ReplayIncident[],
  options: IncidentLaneOptions = {},
): string {
  const kindOf = (i: ReplayIncident) => i.diagnosis?.kind ?? NO_KIND;
  const kinds = [...new Set(incidents.map(kindOf))].sort((a, b) =>
    a === NO_KIND ? 1 : b === NO_KIND ? -1 : a.localeCompare(b),
  );
  const groups = kinds.map((kind): LaneGroup => {
    const members = incidents.filter((i) => kindOf(i) === kind);
    const escalated = members.filter((i) => i.status === 'escalated').length;
    return {
      key: kind,
      label: `${kind} (${members.length} incident${members.length === 1 ? '' : 's'}, ${escalated} escalated)`,
      color: kindColor(kind),
      lanes: [...members].sort((a, b) => a.openedAt - b.openedAt).map(incidentLane),
    };
  });
  const legend: Array<[string, string]> = [
    ['opened', STEP_COLORS.detected],
    ['diagnosed (hollow: no kind named)', STEP_COLORS.diagnosed],
    ['plan (hollow: refused)', STEP_COLORS.acted],
    ['resolved', STEP_COLORS.healed],
    ['escalated', INCIDENT_COLORS.escalated],
  ];
  const title = `Timelines of ${incidents.length} incidents: seconds from opening to diagnosis, plans and close`;
  return lanesSvg(groups, legend, title, options.width ?? 900, options.maxSpan ?? 600);
}

/** The group of incidents whose diagnosis named no kind. */
const NO_KIND = 'no kind named';

/** An incident's lane: seconds since it opened. */
function incidentLane(incident: ReplayIncident): Lane {
  const at = (seconds: number) => seconds - incident.openedAt;
  const cause = incident.rootCauses[0];
  const marks: LaneMark[] = [
    {
      at: 0,
      shape: 'dot',
      size: 3.5,
      color: STEP_COLORS.detected,
      title: `opened at ${timeLabel(incident.openedAt)} on ${incident.nodes.join(', ')}`,
    },
    ...incident.plans.map(
      (p): LaneMark => ({
        at: at(p.at),
        shape: 'bar',
        color: STEP_COLORS.acted,
        hollow: p.outcome !== 'dry-run',
        title: `plan (${p.outcome}): ${p.action} on ${printTarget(p.target)}: ${p.explanation}`,
      }),
    ),
  ];
  const diagnosis = incident.diagnosis;
  if (diagnosis)
    marks.push({
      at: at(diagnosis.at),
      shape: 'diamond',
      color: STEP_COLORS.diagnosed,
      hollow: diagnosis.kind === undefined,
      title: `diagnosed ${diagnosis.kind ?? 'no kind'}${cause ? `, root cause ${describeCause(cause)}` : ''}; cites ${diagnosis.citations.join(', ') || 'nothing'}`,
    });
  if (incident.closedAt !== undefined && incident.status !== 'open')
    marks.push({
      at: at(incident.closedAt),
      shape: 'ring',
      color: incident.status === 'escalated' ? INCIDENT_COLORS.escalated : STEP_COLORS.healed,
      title: `${incident.status} after ${at(incident.closedAt)} s${incident.escalation ? `: ${incident.escalation}` : ''}`,
    });
  const short = /-(inc-\d+)$/.exec(incident.id)?.[1] ?? incident.id;
  const label = `${short}${cause ? ` ${printTarget(cause.target)}` : ''}`;
  return {
    label: label.length > 34 ? `${label.slice(0, 33)}\u2026` : label,
    color: kindColor(incident.diagnosis?.kind ?? NO_KIND),
    end: Math.max(0, ...marks.map((m) => m.at)),
    marks,
  };
}

/** Seconds as a label: a date and time for Unix timestamps, else `t=<seconds>`. */
export function timeLabel(seconds: number): string {
  return seconds >= 1e9 ? new Date(seconds * 1000).toISOString().replace('.000Z', 'Z') : `t=${seconds}`;
}

/** A mark on a lane, at seconds since the lane's start. */
interface LaneMark {
  at: number;
  shape: 'dot' | 'diamond' | 'bar' | 'ring';
  color: string;
  /** Drawn white inside its outline. */
  hollow?: boolean;
  /** A dot's radius. */
  size?: number;
  /** What happened then, shown on hover. */
  title: string;
}

/** One lane: a label, a line from its start to `end` seconds, and its marks in drawing order. */
interface Lane {
  label: string;
  color: string;
  end: number;
  marks: LaneMark[];
}

/** Lanes under one heading. */
interface LaneGroup {
  key: string;
  label: string;
  color: string;
  lanes: Lane[];
}

const LANE = 12;
const LABEL = 200;

/**
 * Lanes grouped under headings, on a shared axis of seconds since each lane's start, with the
 * legend on top. The span covers the 95th percentile of the lanes' lengths (at least 10 s, at
 * most `maxSpan`) in whole steps of a round size; longer lanes run off the edge with an arrow.
 */
function lanesSvg(
  groups: readonly LaneGroup[],
  legend: ReadonlyArray<readonly [string, string]>,
  title: string,
  width: number,
  maxSpan: number,
): string {
  const ends = groups.flatMap((g) => g.lanes.map((l) => l.end));
  const wanted = Math.min(maxSpan, Math.max(10, quantile(ends, 0.95) ?? 10));
  // A round step between gridlines, and the span a whole number of steps.
  const step = [1, 2, 5, 10, 15, 20, 30, 60, 120, 300, 600].find((s) => wanted / s <= 10) ?? 600;
  const span = Math.ceil(wanted / step) * step;
  const plot = width - LABEL - 16;
  const x = (seconds: number) => LABEL + (Math.max(0, Math.min(seconds, span)) / span) * plot;
  const parts: string[] = [];
  let y = 34;
  // The time axis, on top.
  for (let s = 0; s <= span; s += step) {
    parts.push(
      `<line x1="${r(x(s))}" y1="26" x2="${r(x(s))}" y2="HEIGHT" stroke="#eef0f4"/>`,
      `<text x="${r(x(s))}" y="22" font-size="10" text-anchor="middle" ${FONT} fill="#4b5563">+${s}s</text>`,
    );
  }
  for (const group of groups) {
    y += 6;
    parts.push(
      `<rect x="4" y="${y - 9}" width="10" height="10" fill="${group.color}"/>`,
      `<text x="19" y="${y}" font-size="11.5" font-weight="600" ${FONT} fill="#1c2330">${escapeXml(group.label)}</text>`,
    );
    y += LANE;
    for (const lane of group.lanes) {
      const mid = y - 4;
      parts.push(
        `<text x="${LABEL - 8}" y="${y}" font-size="10" text-anchor="end" ${FONT} fill="#4b5563">${escapeXml(lane.label)}</text>`,
        `<line x1="${r(x(0))}" y1="${mid}" x2="${r(x(lane.end))}" y2="${mid}" stroke="${lane.color}" stroke-width="3" stroke-opacity="0.45"/>`,
      );
      if (lane.end > span)
        parts.push(
          `<path d="M${r(x(span) - 5)} ${mid - 4}L${r(x(span))} ${mid}L${r(x(span) - 5)} ${mid + 4}" fill="none" stroke="${STEP_COLORS.ended}" stroke-width="1.5"><title>lasted ${lane.end} s</title></path>`,
        );
      for (const mark of lane.marks) parts.push(markSvg(mark, x(mark.at), mid));
      y += LANE;
    }
  }
  const height = y + 6;
  let at = LABEL;
  const key = legend
    .map(([label, color]) => {
      const item = `<circle cx="${at + 5}" cy="6" r="4" fill="${color}"/><text x="${at + 13}" y="10" font-size="10.5" ${FONT} fill="#1c2330">${escapeXml(label)}</text>`;
      // About 6 pixels a character at this size, and a gap.
      at += 13 + label.length * 6 + 18;
      return item;
    })
    .join('');
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeXml(title)}"><title>${escapeXml(title)}</title>` +
    key +
    parts.join('').replaceAll('y2="HEIGHT"', `y2="${height - 4}"`) +
    '</svg>'
  );
}

/** One mark centred at (`cx`, `mid`). */
function markSvg(mark: LaneMark, cx: number, mid: number): string {
  const title = `<title>${escapeXml(mark.title)}</title>`;
  const fill = mark.hollow ? '#ffffff' : mark.color;
  switch (mark.shape) {
    case 'dot':
      return `<circle cx="${r(cx)}" cy="${mid}" r="${mark.size ?? 3}" fill="${mark.color}">${title}</circle>`;
    case 'bar':
      return `<rect x="${r(cx - 1.5)}" y="${mid - 5}" width="3" height="10" fill="${fill}" stroke="${mark.color}" stroke-width="1">${title}</rect>`;
    case 'diamond':
      return `<path d="M${r(cx)} ${mid - 4}L${r(cx + 4)} ${mid}L${r(cx)} ${mid + 4}L${r(cx - 4)} ${mid}Z" fill="${fill}" stroke="${mark.color}">${title}</path>`;
    case 'ring':
      return `<circle cx="${r(cx)}" cy="${mid}" r="4" fill="none" stroke="${mark.color}" stroke-width="2">${title}</circle>`;
  }
}
