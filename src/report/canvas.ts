/**
 * Paints a drawing's shapes (mesh.ts) on a 2D canvas. Runs of shapes with the same style go into
 * one path, so a thousand nodes and their links cost a handful of fills and strokes per frame.
 */
import type { Shape } from './mesh.ts';

/** The part of a 2D context the painter uses (a page's canvas or an OffscreenCanvas). */
export type Canvas2D = CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D;

/** Clears the context's `width` x `height` pixels and paints `shapes` in order. */
export function paintShapes(ctx: Canvas2D, shapes: readonly Shape[], width: number, height: number): void {
  ctx.clearRect(0, 0, width, height);
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  for (let i = 0; i < shapes.length; ) {
    const first = shapes[i];
    let end = i + 1;
    while (end < shapes.length && sameStyle(first, shapes[end])) end++;
    paintRun(ctx, shapes, i, end);
    i = end;
  }
}

/** Whether two shapes can share one path: same type and the same paint. */
function sameStyle(a: Shape, b: Shape): boolean {
  if (a.type !== b.type) return false;
  if (a.type === 'line' && b.type === 'line')
    return a.stroke === b.stroke && a.width === b.width && (a.dash ?? []).join() === (b.dash ?? []).join();
  if (a.type === 'circle' && b.type === 'circle')
    return (
      a.fill === b.fill &&
      a.stroke === b.stroke &&
      a.width === b.width &&
      (a.dash ?? []).join() === (b.dash ?? []).join()
    );
  if (a.type === 'square' && b.type === 'square')
    return a.fill === b.fill && a.stroke === b.stroke && a.width === b.width;
  return false;
}

function paintRun(ctx: Canvas2D, shapes: readonly Shape[], from: number, to: number): void {
  const first = shapes[from];
  switch (first.type) {
    case 'line': {
      ctx.beginPath();
      for (let i = from; i < to; i++) {
        const s = shapes[i] as Extract<Shape, { type: 'line' }>;
        ctx.moveTo(s.x1, s.y1);
        ctx.lineTo(s.x2, s.y2);
      }
      ctx.setLineDash(first.dash ?? []);
      ctx.strokeStyle = first.stroke;
      ctx.lineWidth = first.width;
      ctx.stroke();
      ctx.setLineDash([]);
      return;
    }
    case 'circle':
    case 'square': {
      ctx.beginPath();
      for (let i = from; i < to; i++) {
        const s = shapes[i] as Extract<Shape, { type: 'circle' | 'square' }>;
        if (s.type === 'circle') {
          ctx.moveTo(s.x + s.r, s.y);
          ctx.arc(s.x, s.y, s.r, 0, 2 * Math.PI);
        } else ctx.rect(s.x - s.half, s.y - s.half, 2 * s.half, 2 * s.half);
      }
      if (first.fill) {
        ctx.fillStyle = first.fill;
        ctx.fill();
      }
      if (first.stroke && first.width) {
        ctx.setLineDash((first.type === 'circle' && first.dash) || []);
        ctx.strokeStyle = first.stroke;
        ctx.lineWidth = first.width;
        ctx.stroke();
        ctx.setLineDash([]);
      }
      return;
    }
    case 'area':
      for (let i = from; i < to; i++) paintArea(ctx, shapes[i] as Extract<Shape, { type: 'area' }>);
      return;
    case 'text':
      ctx.textAlign = 'center';
      ctx.textBaseline = 'alphabetic';
      for (let i = from; i < to; i++) {
        const s = shapes[i] as Extract<Shape, { type: 'text' }>;
        ctx.font = `600 ${s.size}px system-ui, sans-serif`;
        ctx.fillStyle = s.color;
        ctx.fillText(s.text, s.x, s.y);
      }
      return;
  }
}

/** A hull grown by its pad: the border stroked a little wider than the tint, then the tint over it. */
function paintArea(ctx: Canvas2D, area: Extract<Shape, { type: 'area' }>): void {
  const { points, pad } = area;
  ctx.beginPath();
  points.forEach(([x, y], k) => (k === 0 ? ctx.moveTo(x, y) : ctx.lineTo(x, y)));
  if (points.length > 1) ctx.closePath();
  else if (points.length === 1) ctx.lineTo(points[0][0] + 0.01, points[0][1]);
  ctx.strokeStyle = area.border;
  ctx.lineWidth = 2 * pad + 3;
  ctx.stroke();
  ctx.strokeStyle = '#ffffff';
  ctx.lineWidth = 2 * pad;
  ctx.stroke();
  ctx.fillStyle = '#ffffff';
  ctx.fill();
  ctx.strokeStyle = area.fill;
  ctx.stroke();
  ctx.fillStyle = area.fill;
  ctx.fill();
}
