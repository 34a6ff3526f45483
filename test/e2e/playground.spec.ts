import { expect, test } from '@playwright/test';
import { printTarget } from '../../src/domain/targets.ts';
import { injectByClick, openPlayground, targetFor, watchErrors } from './playground.ts';

/** Simulated seconds within which an injected fault must be healed. */
const HEAL_WITHIN = 300;

test('a node crash picked on the canvas is detected, blamed, diagnosed and healed, all on screen', async ({
  page,
}) => {
  const errors = watchErrors(page);
  await openPlayground(page);
  const target = targetFor('node-crash');
  const row = await injectByClick(page, 'node-crash', target);
  await expect(row).toHaveAttribute('data-state', 'healed', { timeout: 60_000 });
  await expect(row).toHaveAttribute('data-root-cause', printTarget(target));
  await expect(row).toHaveAttribute('data-diagnosed-kind', 'node-crash');
  const injected = Number(await row.getAttribute('data-injected-at'));
  const healed = Number(await row.getAttribute('data-healed-at'));
  expect(healed - injected).toBeLessThanOrEqual(HEAL_WITHIN);
  // The incident's story tells the same: blamed, named, acted on, verified, resolved.
  const story = page.locator('.story[data-status="resolved"]').first();
  await expect(story.locator('[data-role="root-cause"]')).toHaveText(printTarget(target));
  await expect(story.locator('[data-role="diagnosis"]')).toHaveText('node-crash');
  await expect(story.locator('li[data-step="verification"]')).toContainText('healed');
  await expect(page.locator('[data-counter="healed"] dd')).toHaveText('1 of 1');
  expect(errors).toEqual([]);
});
