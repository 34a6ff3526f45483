/**
 * Writes a drawing's shapes (mesh.ts) as inline SVG, for pages that must carry their pictures
 * with them (the run report): the same shapes the playground paints on its canvas.
 */
import { escapeXml } from '../load/svg-chart.ts';
import type { Shape } from './mesh.ts';

/** Rounds a coordinate to a tenth of a pixel: plenty for the eye, and a smaller page. */
const r = (v: number): string => String(Math.round(v * 10) / 10);

/** The shapes as one `<svg>` element of `width` x `height`, titled `title` for screen readers. */
export function shapesSvg(shapes: readonly Shape[], width: number, height: number, title: string): string {
  const body = shapes.map(shapeSvg).join('');
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeXml(title)}">` +
    `<title>${escapeXml(title)}</title><g stroke-linecap="round" stroke-linejoin="round">${body}</g></svg>`
  );
}

function paint(
  fill: string | undefined,
  stroke: string | undefined,
  width: number | undefined,
  dash?: readonly number[],
): string {
  const line = stroke && width ? ` stroke="${stroke}" stroke-width="${r(width)}"` : '';
  return `fill="${fill ?? 'none'}"${line}${dash ? ` stroke-dasharray="${dash.join(' ')}"` : ''}`;
}

function shapeSvg(s: Shape): string {
  switch (s.type) {
    case 'line':
      return `<line x1="${r(s.x1)}" y1="${r(s.y1)}" x2="${r(s.x2)}" y2="${r(s.y2)}" stroke="${s.stroke}" stroke-width="${r(s.width)}"${s.dash ? ` stroke-dasharray="${s.dash.join(' ')}"` : ''}/>`;
    case 'circle':
      return `<circle cx="${r(s.x)}" cy="${r(s.y)}" r="${r(s.r)}" ${paint(s.fill, s.stroke, s.width, s.dash)}/>`;
    case 'square':
      return `<rect x="${r(s.x - s.half)}" y="${r(s.y - s.half)}" width="${r(2 * s.half)}" height="${r(2 * s.half)}" ${paint(s.fill, s.stroke, s.width)}/>`;
    case 'area': {
      const points =
        s.points.length === 1 ? [s.points[0], [s.points[0][0] + 0.01, s.points[0][1]]] : s.points;
      const d = `M${points.map(([x, y]) => `${r(x)} ${r(y)}`).join('L')}${points.length > 2 ? 'Z' : ''}`;
      const wide = r(2 * s.pad + 3);
      const pad = r(2 * s.pad);
      return (
        `<path d="${d}" fill="none" stroke="${s.border}" stroke-width="${wide}"/>` +
        `<path d="${d}" fill="#ffffff" stroke="#ffffff" stroke-width="${pad}"/>` +
        `<path d="${d}" fill="${s.fill}" stroke="${s.fill}" stroke-width="${pad}"/>`
      );
    }
    case 'text':
      return `<text x="${r(s.x)}" y="${r(s.y)}" fill="${s.color}" font-size="${s.size}" font-weight="600" text-anchor="middle" font-family="system-ui, sans-serif">${escapeXml(s.text)}</text>`;
  }
}
