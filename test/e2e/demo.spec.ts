import { expect, test } from '@playwright/test';

test('the demo page runs the scoring kernel in a Web Worker', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto('/');
  await page.click('#score');
  const output = page.locator('#score-result');
  await expect(output).toHaveAttribute('data-state', 'done', { timeout: 30_000 });
  await expect(output).toContainText(/best candidate: #\d+/);
  await expect(output).toContainText('1000 candidates scored');
  await page.screenshot({ path: 'test-results/demo-score.png', fullPage: true });
  expect(errors).toEqual([]);
});

test('the demo page runs the self-healing loop over a simulated mesh', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto('/');
  await page.click('#heal');
  const output = page.locator('#heal-result');
  await expect(output).toHaveAttribute('data-state', 'done', { timeout: 120_000 });
  await expect(output.locator('tr')).toHaveCount(10);
  await expect(output).toContainText('node-crash');
  await page.screenshot({ path: 'test-results/demo-heal.png', fullPage: true });
  expect(errors).toEqual([]);
});
