/**
 * Helpers of the playground's end-to-end tests: open it on a fixed mesh, find where the
 * simulator's own fault schedule would strike (a target where each kind has something to break),
 * click a node or link on the canvas, inject, and step the clock.
 */
import { expect, type Page } from '@playwright/test';
import { printTarget, type Target } from '../../src/domain/targets.ts';
import { MeshSimulator, scheduleFaults, type SimFaultKind } from '../../src/sim/index.ts';

/** A small mesh on which every kind is detected, blamed right, named right and healed (checked from Node). */
export const MESH = { seed: 2, nodes: 30 };

/** The tick the playground's detectors finish learning the mesh's normal (a paused start stops there). */
export const WARM = 600;

/** Where the simulator's fault schedule puts a fault of `kind` on the playground's mesh. */
export function targetFor(kind: SimFaultKind, mesh = MESH): Target {
  const sim = new MeshSimulator({ seed: mesh.seed, topology: { kind: 'geometric', nodes: mesh.nodes } });
  return scheduleFaults({ seed: mesh.seed, topology: sim.topology, perKind: 1, kinds: [kind], hours: 1 })[0]
    .target;
}

/** Collects the page's uncaught errors and console errors, to assert there are none. */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  return errors;
}

/**
 * Opens the playground on `mesh` at `speed` and waits until the detectors have learnt its
 * normal. `paused` stops the clock at exactly tick WARM, so what follows is the same every run;
 * `store: 'memory'` keeps the knowledge in memory instead of IndexedDB.
 */
export async function openPlayground(
  page: Page,
  options: { mesh?: typeof MESH; speed?: string; paused?: boolean; store?: 'memory' } = {},
): Promise<void> {
  const { mesh = MESH, speed = 'Infinity', paused = false, store } = options;
  const flags = `${paused ? '&paused' : ''}${store ? `&store=${store}` : ''}`;
  await page.goto(`/?seed=${mesh.seed}&nodes=${mesh.nodes}&speed=${speed}${flags}`);
  const clock = page.locator('#clock');
  await expect(clock).toHaveAttribute('data-phase', paused ? 'paused' : 'running', { timeout: 90_000 });
  if (paused) await expect(clock).toHaveAttribute('data-tick', String(WARM));
}

/** Starts a new mesh (same seed and size) that stops at the end of its warm-up. */
export async function newMesh(page: Page): Promise<void> {
  const pause = page.locator('#pause');
  if ((await pause.getAttribute('aria-pressed')) !== 'true') await pause.click();
  await expect(pause).toHaveAttribute('aria-pressed', 'true');
  await page.click('#start');
  const clock = page.locator('#clock');
  await expect(clock).toHaveAttribute('data-tick', String(WARM), { timeout: 60_000 });
  await expect(clock).toHaveAttribute('data-phase', 'paused');
}

/** Clicks `target` where the canvas draws it. */
export async function clickOnMesh(page: Page, target: Target): Promise<void> {
  const at = await page.evaluate(
    (t) =>
      (
        globalThis as unknown as {
          playground: { positionOf(t: Target): { x: number; y: number } | undefined };
        }
      ).playground.positionOf(t),
    target,
  );
  expect(at, `${printTarget(target)} is drawn`).toBeDefined();
  await page.mouse.click(at!.x, at!.y);
}

/** Picks `target` on the canvas, chooses `kind` and injects it; resolves with the fault's table row. */
export async function injectByClick(page: Page, kind: SimFaultKind, target: Target) {
  await clickOnMesh(page, target);
  await expect(page.locator('#target')).toHaveValue(printTarget(target));
  await page.selectOption('#kind', kind);
  await page.click('#inject-button');
  await expect(page.locator('#inject-status')).toContainText(`Injected ${kind} at ${printTarget(target)}`);
  return faultRow(page, kind, target);
}

/** The faults table's row of the fault of `kind` at `target`. */
export function faultRow(page: Page, kind: SimFaultKind, target: Target) {
  return page.locator(`#faults tr[data-kind="${kind}"][data-target="${printTarget(target)}"]`);
}

/** Presses Step `count` times, each time waiting for the clock to show the next tick. */
export async function stepClock(page: Page, count: number): Promise<void> {
  const clock = page.locator('#clock');
  const start = Number(await clock.getAttribute('data-tick'));
  for (let k = 1; k <= count; k++) {
    await page.click('#step');
    await expect(clock).toHaveAttribute('data-tick', String(start + k));
  }
}
