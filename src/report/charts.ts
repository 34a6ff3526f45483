/**
 * The run report's charts as inline SVG (no script, no external asset): a bar against its
 * target, a distribution of times with its median, 95th percentile and target, and a swimlane per
 * injected fault showing when it was detected, diagnosed, acted on and healed.
 */
import { escapeXml } from '../load/svg-chart.ts';
import type { FaultOutcome } from '../run/evaluate.ts';
import { kindColor, STEP_COLORS } from './palette.ts';
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
  title: string;
  /** Ticks, one per fault. */
  values: readonly number[];
  target?: FigureTarget;
  color: string;
  width?: number;
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
  width?: number;
}

const LANE = 12;
const LABEL = 200;

/**
 * One lane per injected fault, grouped by kind: a line from its injection to its end, and marks
 * where it was detected, diagnosed, acted on (filled when the action healed it) and healed, in
 * seconds since its injection.
 */
export function swimlanesSvg(faults: readonly FaultOutcome[], options: SwimlaneOptions): string {
  const width = options.width ?? 900;
  const order = (kind: string) => {
    const i = options.kinds.indexOf(kind);
    return i < 0 ? options.kinds.length : i;
  };
  const sorted = [...faults].sort((a, b) => order(a.kind) - order(b.kind) || a.injectedAt - b.injectedAt);
  const lasting = (f: FaultOutcome) =>
    Math.max(0, (f.healedAt ?? f.endedAt ?? f.detectedAt ?? f.injectedAt) - f.injectedAt);
  const wanted = Math.min(options.maxSpan ?? 120, Math.max(10, quantile(sorted.map(lasting), 0.95) ?? 10));
  // A round step between gridlines, and the span a whole number of steps.
  const step = [1, 2, 5, 10, 15, 20, 30, 60].find((s) => wanted / s <= 10) ?? 60;
  const span = Math.ceil(wanted / step) * step;
  const plot = width - LABEL - 16;
  const x = (seconds: number) => LABEL + (Math.min(seconds, span) / span) * plot;
  const parts: string[] = [];
  let y = 34;
  // The time axis, on top.
  for (let s = 0; s <= span; s += step) {
    parts.push(
      `<line x1="${r(x(s))}" y1="26" x2="${r(x(s))}" y2="HEIGHT" stroke="#eef0f4"/>`,
      `<text x="${r(x(s))}" y="22" font-size="10" text-anchor="middle" ${FONT} fill="#4b5563">+${s}s</text>`,
    );
  }
  let kind = '';
  for (const f of sorted) {
    if (f.kind !== kind) {
      kind = f.kind;
      const count = sorted.filter((g) => g.kind === kind).length;
      const healed = sorted.filter((g) => g.kind === kind && g.healedAt !== undefined).length;
      y += 6;
      parts.push(
        `<rect x="4" y="${y - 9}" width="10" height="10" fill="${kindColor(kind)}"/>`,
        `<text x="19" y="${y}" font-size="11.5" font-weight="600" ${FONT} fill="#1c2330">${escapeXml(kind)} (${healed} of ${count} healed)</text>`,
      );
      y += LANE;
    }
    const mid = y - 4;
    const end = lasting(f);
    const target = f.target.node ?? f.target.link.join('-');
    parts.push(
      `<text x="${LABEL - 8}" y="${y}" font-size="10" text-anchor="end" ${FONT} fill="#4b5563">#${f.id} ${escapeXml(target)} at t=${f.injectedAt}</text>`,
      `<line x1="${r(x(0))}" y1="${mid}" x2="${r(x(end))}" y2="${mid}" stroke="${kindColor(f.kind)}" stroke-width="3" stroke-opacity="0.45"/>`,
      `<circle cx="${r(x(0))}" cy="${mid}" r="3" fill="${STEP_COLORS.injected}"><title>injected at t=${f.injectedAt}</title></circle>`,
    );
    if (end > span)
      parts.push(
        `<path d="M${r(x(span) - 5)} ${mid - 4}L${r(x(span))} ${mid}L${r(x(span) - 5)} ${mid + 4}" fill="none" stroke="${STEP_COLORS.ended}" stroke-width="1.5"><title>lasted ${end} s</title></path>`,
      );
    for (const a of f.actions)
      parts.push(
        `<rect x="${r(x(a.startedAt - f.injectedAt) - 1.5)}" y="${mid - 5}" width="3" height="10" fill="${a.outcome === 'healed' ? STEP_COLORS.acted : '#ffffff'}" stroke="${STEP_COLORS.acted}" stroke-width="1"><title>${escapeXml(`${a.action} at t=${a.startedAt}: ${a.outcome}`)}</title></rect>`,
      );
    if (f.detectedAt !== undefined)
      parts.push(
        `<circle cx="${r(x(f.detectedAt - f.injectedAt))}" cy="${mid}" r="3.5" fill="${STEP_COLORS.detected}"><title>detected after ${f.detectedAt - f.injectedAt} s (${escapeXml(f.incident ?? '')})</title></circle>`,
      );
    if (f.diagnosedAt !== undefined) {
      const d = x(f.diagnosedAt - f.injectedAt);
      parts.push(
        `<path d="M${r(d)} ${mid - 4}L${r(d + 4)} ${mid}L${r(d)} ${mid + 4}L${r(d - 4)} ${mid}Z" fill="${f.diagnosedKind === f.kind ? STEP_COLORS.diagnosed : '#ffffff'}" stroke="${STEP_COLORS.diagnosed}"><title>${escapeXml(`diagnosed ${f.diagnosedKind ?? 'unclear'}, root cause ranked ${f.rootCauseRank ?? 'not'}`)}</title></path>`,
      );
    }
    if (f.healedAt !== undefined)
      parts.push(
        `<circle cx="${r(x(f.healedAt - f.injectedAt))}" cy="${mid}" r="4" fill="none" stroke="${STEP_COLORS.healed}" stroke-width="2"><title>healed by ${escapeXml(f.healedBy ?? '')} after ${f.healedAt - f.injectedAt} s</title></circle>`,
      );
    y += LANE;
  }
  const height = y + 6;
  let at = LABEL;
  const legend = [
    ['injected', STEP_COLORS.injected],
    ['detected', STEP_COLORS.detected],
    ['diagnosed (hollow: wrong kind)', STEP_COLORS.diagnosed],
    ['action (filled: it healed)', STEP_COLORS.acted],
    ['healed', STEP_COLORS.healed],
  ]
    .map(([label, color]) => {
      const item = `<circle cx="${at + 5}" cy="6" r="4" fill="${color}"/><text x="${at + 13}" y="10" font-size="10.5" ${FONT} fill="#1c2330">${escapeXml(label)}</text>`;
      // About 6 pixels a character at this size, and a gap.
      at += 13 + label.length * 6 + 18;
      return item;
    })
    .join('');
  const title = `Swimlanes of ${faults.length} injected faults: seconds from injection to detection, diagnosis, action and healing`;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeXml(title)}"><title>${escapeXml(title)}</title>` +
    legend +
    parts.join('').replaceAll('y2="HEIGHT"', `y2="${height - 4}"`) +
    '</svg>'
  );
}
