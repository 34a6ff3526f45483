/** A minimal inline-SVG line chart for self-contained reports (no scripts, no external assets). */

/** One named line of points. */
export interface ChartSeries {
  name: string;
  color: string;
  points: ReadonlyArray<readonly [number, number]>;
}

/** What to draw. `xTicks` are [value, label] pairs; y ticks are chosen automatically. */
export interface ChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly ChartSeries[];
  xTicks?: ReadonlyArray<readonly [number, string]>;
  width?: number;
  height?: number;
}

/** Escapes text for HTML and SVG. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** About five round tick values covering [0, max]. */
function niceTicks(max: number): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / 5;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? raw;
  const ticks: number[] = [];
  for (let v = 0; v < max + step * 0.999; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

const label = (v: number): string =>
  Math.abs(v) >= 1000 ? v.toExponential(1) : String(Number(v.toPrecision(4)));

/** Renders a line chart as an <svg> element string. */
export function lineChart(options: ChartOptions): string {
  const width = options.width ?? 720;
  const height = options.height ?? 280;
  const margin = { left: 64, right: 40, top: 28, bottom: 44 };
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const all = options.series.flatMap((s) => s.points);
  const xs = all.map((p) => p[0]).concat((options.xTicks ?? []).map((t) => t[0]));
  const xMin = xs.length ? Math.min(...xs) : 0;
  const xMax = xs.length ? Math.max(...xs, xMin + 1e-9) : 1;
  const yTicks = niceTicks(all.length ? Math.max(...all.map((p) => p[1])) : 1);
  const yMax = yTicks[yTicks.length - 1];
  const px = (x: number): number => margin.left + ((x - xMin) / (xMax - xMin || 1)) * plotW;
  const py = (y: number): number => margin.top + plotH - (y / (yMax || 1)) * plotH;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeXml(options.title)}">`,
    `<text x="${width / 2}" y="18" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(options.title)}</text>`,
    `<rect x="${margin.left}" y="${margin.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#999"/>`,
  ];
  for (const t of yTicks) {
    const y = py(t).toFixed(1);
    parts.push(`<line x1="${margin.left}" x2="${margin.left + plotW}" y1="${y}" y2="${y}" stroke="#eee"/>`);
    parts.push(
      `<text x="${margin.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle" font-size="11">${label(t)}</text>`,
    );
  }
  const xTicks =
    options.xTicks ??
    niceTicks(xMax)
      .filter((t) => t >= xMin)
      .map((t) => [t, label(t)] as const);
  for (const [value, text] of xTicks) {
    const x = px(value).toFixed(1);
    parts.push(
      `<text x="${x}" y="${margin.top + plotH + 16}" text-anchor="middle" font-size="11">${escapeXml(text)}</text>`,
    );
  }
  parts.push(
    `<text x="${margin.left + plotW / 2}" y="${height - 6}" text-anchor="middle" font-size="12">${escapeXml(options.xLabel)}</text>`,
  );
  parts.push(
    `<text transform="translate(14 ${margin.top + plotH / 2}) rotate(-90)" text-anchor="middle" font-size="12">${escapeXml(options.yLabel)}</text>`,
  );
  options.series.forEach((s, i) => {
    if (s.points.length > 0) {
      const d = s.points.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ');
      parts.push(
        `<polyline fill="none" stroke="${s.color}" stroke-width="1.5" points="${d}"><title>${escapeXml(s.name)}</title></polyline>`,
      );
    }
    const lx = margin.left + 8 + i * 150;
    parts.push(`<rect x="${lx}" y="${margin.top + 6}" width="12" height="3" fill="${s.color}"/>`);
    parts.push(`<text x="${lx + 16}" y="${margin.top + 10}" font-size="11">${escapeXml(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}
