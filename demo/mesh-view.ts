/**
 * The mesh on the page's canvas: drawn from each frame's view with the report's drawing code
 * (src/report), sized to the element and the screen's pixel ratio, with a tooltip on hover and
 * a pick (node or link) on click.
 */
import { type LinkTarget, linkTarget, type Target } from '../src/domain/targets.ts';
import {
  hitTest,
  LINK_HEALTH,
  MARK,
  type MeshGeometry,
  meshShapes,
  NODE_HEALTH,
  paintShapes,
  placeMesh,
} from '../src/report/index.ts';
import type { MeshInfo, View } from './protocol.ts';

/** The canvas, its geometry and what it last drew. */
export class MeshView {
  #info: MeshInfo | undefined;
  #geometry: MeshGeometry | undefined;
  #view: View | undefined;
  #selected: Target | undefined;
  readonly #ctx: CanvasRenderingContext2D;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly tooltip: HTMLElement,
    onPick: (target: Target) => void,
  ) {
    this.#ctx = canvas.getContext('2d')!;
    new ResizeObserver(() => this.#resize()).observe(canvas);
    canvas.addEventListener('click', (event) => {
      const target = this.#targetAt(event);
      if (target) onPick(target);
    });
    canvas.addEventListener('mousemove', (event) => this.#hover(event));
    canvas.addEventListener('mouseleave', () => (this.tooltip.hidden = true));
  }

  /** A new mesh: lays it out and forgets the old view and selection. */
  setMesh(info: MeshInfo): void {
    this.#info = info;
    this.#view = undefined;
    this.#selected = undefined;
    this.#resize();
  }

  /** Marks `target` as selected in the drawings that follow. */
  select(target: Target | undefined): void {
    this.#selected = target;
    this.#paint();
  }

  /** Draws a frame's view. */
  draw(view: View): void {
    this.#view = view;
    this.#paint();
  }

  /** Where node `id` is drawn, in the page's CSS pixels (for tests and tools that click it). */
  positionOf(target: Target): { x: number; y: number } | undefined {
    const info = this.#info;
    const g = this.#geometry;
    if (!info || !g) return undefined;
    const box = this.canvas.getBoundingClientRect();
    const index = (id: string) => info.nodeIds.indexOf(id);
    if (target.node !== undefined) {
      const i = index(target.node);
      return i < 0 ? undefined : { x: box.left + g.px[i], y: box.top + g.py[i] };
    }
    const [a, b] = target.link.map(index);
    if (a < 0 || b < 0) return undefined;
    return { x: box.left + (g.px[a] + g.px[b]) / 2, y: box.top + (g.py[a] + g.py[b]) / 2 };
  }

  #resize(): void {
    const info = this.#info;
    const width = this.canvas.clientWidth;
    const height = this.canvas.clientHeight;
    if (!info || width === 0 || height === 0) return;
    const ratio = window.devicePixelRatio || 1;
    this.canvas.width = Math.round(width * ratio);
    this.canvas.height = Math.round(height * ratio);
    this.#ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    this.#geometry = placeMesh(info, width, height);
    this.#paint();
  }

  #paint(): void {
    const g = this.#geometry;
    const view = this.#view;
    const info = this.#info;
    if (!g || !info) return;
    const n = info.nodeIds.length;
    const m = info.linkFrom.length;
    const nodeMarks = view ? view.nodeMarks.slice() : new Uint8Array(n);
    const linkMarks = view ? view.linkMarks.slice() : new Uint8Array(m);
    const selected = this.#selected;
    if (selected?.node !== undefined) nodeMarks[info.nodeIds.indexOf(selected.node)] |= MARK.selected;
    else if (selected?.link !== undefined) {
      const l = linkIndex(info, selected);
      if (l >= 0) linkMarks[l] |= MARK.selected;
    }
    const shapes = meshShapes(g, {
      nodeHealth: view?.nodeHealth ?? new Uint8Array(n),
      nodeMarks,
      linkHealth: view?.linkHealth ?? new Uint8Array(m),
      linkMarks,
      incidents: view?.incidents ?? [],
    });
    paintShapes(this.#ctx, shapes, g.width, g.height);
  }

  #targetAt(event: MouseEvent): Target | undefined {
    const info = this.#info;
    const g = this.#geometry;
    if (!info || !g) return undefined;
    const box = this.canvas.getBoundingClientRect();
    const hit = hitTest(g, event.clientX - box.left, event.clientY - box.top);
    if (hit === undefined) return undefined;
    if ('node' in hit) return { node: info.nodeIds[hit.node] };
    return linkTarget(info.nodeIds[info.linkFrom[hit.link]], info.nodeIds[info.linkTo[hit.link]]);
  }

  #hover(event: MouseEvent): void {
    const target = this.#targetAt(event);
    const info = this.#info;
    if (!target || !info) {
      this.tooltip.hidden = true;
      return;
    }
    const view = this.#view;
    let text: string;
    if (target.node !== undefined) {
      const i = info.nodeIds.indexOf(target.node);
      const role = info.isGateway[i] ? 'gateway' : 'node';
      text = `${role} ${target.node}: ${view ? NODE_HEALTH[view.nodeHealth[i]] : 'starting'}`;
    } else {
      const l = linkIndex(info, target);
      text = `link ${target.link.join('-')}: ${view ? LINK_HEALTH[view.linkHealth[l]] : 'starting'}`;
    }
    const box = this.canvas.getBoundingClientRect();
    this.tooltip.textContent = text;
    this.tooltip.style.left = `${event.clientX - box.left + 12}px`;
    this.tooltip.style.top = `${event.clientY - box.top + 12}px`;
    this.tooltip.hidden = false;
  }
}

/** Index of a link target in the mesh, or -1. */
function linkIndex(info: MeshInfo, target: LinkTarget): number {
  const a = info.nodeIds.indexOf(target.link[0]);
  const b = info.nodeIds.indexOf(target.link[1]);
  for (let l = 0; l < info.linkFrom.length; l++) {
    const [p, q] = [info.linkFrom[l], info.linkTo[l]];
    if ((p === a && q === b) || (p === b && q === a)) return l;
  }
  return -1;
}
