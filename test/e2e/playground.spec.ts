import { AxeBuilder } from '@axe-core/playwright';
import { expect, test } from '@playwright/test';
import { printTarget } from '../../src/domain/targets.ts';
import { SIM_FAULT_KINDS } from '../../src/sim/index.ts';
import {
  faultRow,
  injectByClick,
  MESH,
  openPlayground,
  stepClock,
  targetFor,
  WARM,
  watchErrors,
} from './playground.ts';

/** Simulated seconds within which an injected fault must be healed. */
const HEAL_WITHIN = 300;

test.describe('each of the nine fault kinds, injected by clicking the mesh', () => {
  for (const kind of SIM_FAULT_KINDS) {
    test(`${kind} is detected, blamed on its target, named and healed on screen`, async ({ page }) => {
      const errors = watchErrors(page);
      // Paused at the end of the warm-up, so the fault strikes at the same tick every run.
      await openPlayground(page, { paused: true });
      const target = targetFor(kind);
      const row = await injectByClick(page, kind, target);
      await page.click('#pause');
      await expect(row).toHaveAttribute('data-state', 'healed', { timeout: 60_000 });
      await expect(row).toHaveAttribute('data-injected-at', String(WARM));
      // Rank 1: the injected target (for a partition, any link of the cut it brings down) is blamed first.
      await expect(row).toHaveAttribute('data-root-cause-rank', '1');
      if (kind !== 'partition') await expect(row).toHaveAttribute('data-root-cause', printTarget(target));
      await expect(row).toHaveAttribute('data-diagnosed-kind', kind);
      const healedAt = Number(await row.getAttribute('data-healed-at'));
      expect(healedAt - WARM).toBeLessThanOrEqual(HEAL_WITHIN);
      // The incident's story says the same in words, and that the engine acted.
      const story = page.locator('.story', {
        has: page.locator(`[data-role="diagnosis"]:text-is("${kind}")`),
      });
      await expect(story.first()).toHaveAttribute('data-status', 'resolved');
      const blamed = (await row.getAttribute('data-root-cause')) ?? '';
      await expect(story.first().locator('[data-role="root-cause"]')).toHaveText(blamed);
      await expect(story.first().locator('li[data-step="action"]').first()).toBeVisible();
      await expect(page.locator('[data-counter="healed"] dd')).toHaveText('1 of 1');
      expect(errors).toEqual([]);
    });
  }
});

test('a runbook a diagnosis cites opens to be read', async ({ page }) => {
  const errors = watchErrors(page);
  await openPlayground(page, { paused: true });
  const row = await injectByClick(page, 'memory-leak', targetFor('memory-leak'));
  await page.click('#pause');
  await expect(row).toHaveAttribute('data-diagnosed-kind', 'memory-leak', { timeout: 60_000 });
  const cite = page.locator('.story li[data-step="diagnosis"] button.cite').first();
  const id = await cite.textContent();
  await cite.click();
  const dialog = page.locator('#runbook');
  await expect(dialog).toBeVisible();
  await expect(dialog.locator('#runbook-title')).not.toHaveText('Runbook');
  await expect(dialog).toContainText('Recommended actions');
  expect(id).toMatch(/memory|leak|cache/);
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(dialog).toBeHidden();
  expect(errors).toEqual([]);
});

test('the controls work from the keyboard alone', async ({ page }) => {
  const errors = watchErrors(page);
  await openPlayground(page, { speed: '20' });
  const clock = page.locator('#clock');
  await page.locator('#seed').focus();
  await page.keyboard.press('Tab');
  await expect(page.locator('#nodes')).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(page.locator('#start')).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(page.locator('#speed')).toBeFocused();
  await page.keyboard.press('ArrowDown');
  await expect(page.locator('#speed')).toHaveValue('100');
  await page.keyboard.press('Tab');
  await expect(page.locator('#pause')).toBeFocused();
  await page.keyboard.press('Space');
  await expect(page.locator('#pause')).toHaveAttribute('aria-pressed', 'true');
  await expect(clock).toHaveAttribute('data-phase', 'paused');
  await expect(page.locator('#step')).toBeEnabled();
  await page.keyboard.press('Tab');
  await expect(page.locator('#step')).toBeFocused();
  const tick = Number(await clock.getAttribute('data-tick'));
  await page.keyboard.press('Enter');
  await expect(clock).toHaveAttribute('data-tick', String(tick + 1));

  // Inject by typing: the target, the fault (typed to select it), Enter.
  const target = targetFor('cpu-exhaustion');
  await page.locator('#target').focus();
  await page.keyboard.type(printTarget(target));
  await page.keyboard.press('Tab');
  await expect(page.locator('#kind')).toBeFocused();
  await page.keyboard.type('cpu');
  await expect(page.locator('#kind')).toHaveValue('cpu-exhaustion');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  await expect(page.locator('#inject-button')).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.locator('#inject-status')).toContainText(
    `Injected cpu-exhaustion at ${printTarget(target)}`,
  );
  await expect(faultRow(page, 'cpu-exhaustion', target)).toHaveCount(1);

  // A new mesh from the keyboard: Enter in the size field.
  await page.locator('#nodes').fill('20');
  await page.locator('#nodes').press('Enter');
  await expect(page.locator('#target-ids option')).toHaveCount(20, { timeout: 30_000 });
  expect(errors).toEqual([]);
});

test('a bad injection is refused with a reason, nothing injected', async ({ page }) => {
  const errors = watchErrors(page);
  await openPlayground(page, { paused: true });
  await page.fill('#target', 'n1');
  await page.selectOption('#kind', 'partition');
  await page.click('#inject-button');
  await expect(page.locator('#inject-status')).toContainText('partition strikes a link');
  await page.fill('#target', 'no-such-node');
  await page.selectOption('#kind', 'node-crash');
  await page.click('#inject-button');
  await expect(page.locator('#inject-status')).toContainText('no-such-node');
  await expect(page.locator('#faults tbody tr')).toHaveCount(0);
  expect(errors).toEqual([]);
});

test('no serious or critical accessibility violations, with a healed incident on screen', async ({
  page,
}) => {
  const errors = watchErrors(page);
  await openPlayground(page, { paused: true });
  const row = await injectByClick(page, 'bad-config', targetFor('bad-config'));
  await page.click('#pause');
  await expect(row).toHaveAttribute('data-state', 'healed', { timeout: 60_000 });
  await expect(page.locator('[data-chart="scores"]')).toBeVisible();
  const results = await new AxeBuilder({ page }).analyze();
  const serious = results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  expect(serious).toEqual([]);
  expect(errors).toEqual([]);
});

test('views match their baselines: the mesh mid-incident, then the faults and the incident healed', async ({
  page,
}) => {
  const errors = watchErrors(page);
  await page.setViewportSize({ width: 1400, height: 1000 });
  await openPlayground(page, { paused: true });
  const target = targetFor('node-crash');
  await injectByClick(page, 'node-crash', target);
  const options = { maxDiffPixelRatio: 0.01 };
  // Three seconds in: the node is down, the incident outlined, the failover under way.
  await stepClock(page, 3);
  await page.mouse.move(0, 0);
  await expect(page.locator('#mesh')).toHaveScreenshot('mesh-incident.png', options);
  await stepClock(page, 22);
  // The lists refresh a few times a second: wait for the story to reach its end.
  await expect(page.locator('.story li[data-step="resolved"]')).toHaveCount(1);
  await expect(page.locator('#faults')).toHaveScreenshot('faults.png', options);
  await expect(page.locator('#counters')).toHaveScreenshot('counters.png', options);
  await expect(page.locator('.story').first()).toHaveScreenshot('incident.png', options);
  expect(errors).toEqual([]);
});

test('frames per second while a 500-node mesh runs as fast as it can', async ({ page }, testInfo) => {
  const errors = watchErrors(page);
  await openPlayground(page, { mesh: { seed: MESH.seed, nodes: 500 } });
  // Frame times from requestAnimationFrame over three seconds, measured in the page.
  const times = await page.evaluate(
    () =>
      new Promise<number[]>((resolve) => {
        const seen: number[] = [];
        const frame = (t: number) => {
          seen.push(t);
          if (t - seen[0] < 3000) requestAnimationFrame(frame);
          else resolve(seen);
        };
        requestAnimationFrame(frame);
      }),
  );
  const fps = ((times.length - 1) * 1000) / (times[times.length - 1] - times[0]);
  const gaps = times
    .slice(1)
    .map((t, i) => t - times[i])
    .sort((a, b) => a - b);
  const p95 = gaps[Math.floor(gaps.length * 0.95)];
  const pace = Number(await page.locator('#clock').getAttribute('data-pace'));
  const figures = `${fps.toFixed(1)} frames/s (p95 frame ${p95.toFixed(1)} ms); engine ${pace}x real time at 500 nodes`;
  testInfo.annotations.push({ type: 'performance', description: figures });
  console.log(`playground performance: ${figures}`);
  // Sanity bounds only: the figures themselves are reported, not asserted.
  expect(fps).toBeGreaterThan(10);
  expect(pace).toBeGreaterThan(1);
  expect(errors).toEqual([]);
});
