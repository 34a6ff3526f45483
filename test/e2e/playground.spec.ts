import { AxeBuilder } from '@axe-core/playwright';
import { expect, type Page, test } from '@playwright/test';
import { printTarget } from '../../src/domain/targets.ts';
import { SIM_FAULT_KINDS } from '../../src/sim/index.ts';
import {
  faultRow,
  injectByClick,
  MESH,
  newMesh,
  openPlayground,
  stepClock,
  targetFor,
  WARM,
  watchErrors,
} from './playground.ts';

/** Simulated seconds within which an injected fault must be healed. */
const HEAL_WITHIN = 300;

// One page for the nine kinds and the panels: the engine and its database start once (PGlite
// takes seconds to open), each kind gets a new mesh, and what the engine learns carries over as
// it would for a person trying one fault after another.
test.describe('one visit: the nine fault kinds one after another, then the panels', () => {
  test.describe.configure({ mode: 'serial' });
  let page: Page;
  let errors: string[];

  test.beforeAll(async ({ browser, baseURL }) => {
    const context = await browser.newContext({ baseURL, viewport: { width: 1400, height: 1000 } });
    page = await context.newPage();
    errors = watchErrors(page);
    await openPlayground(page, { paused: true });
  });

  test.afterAll(async () => {
    await page.context().close();
  });

  for (const [n, kind] of SIM_FAULT_KINDS.entries()) {
    test(`${kind}, clicked on the mesh, is detected, blamed on its target, named and healed`, async () => {
      // A new mesh stopped at the end of its warm-up, so the fault strikes at the same tick every run.
      if (n > 0) await newMesh(page);
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
      const story = page
        .locator('.story:not([data-past])', {
          has: page.locator(`[data-role="diagnosis"]:text-is("${kind}")`),
        })
        .first();
      await expect(story).toHaveAttribute('data-status', 'resolved');
      const blamed = (await row.getAttribute('data-root-cause')) ?? '';
      await expect(story.locator('[data-role="root-cause"]')).toHaveText(blamed);
      await expect(story.locator('li[data-step="action"]').first()).toBeVisible();
      await expect(page.locator('[data-counter="healed"] dd')).toHaveText('1 of 1');
      // Earlier meshes' incidents stay listed, read back from the store.
      await expect(page.locator('.story[data-past]')).toHaveCount(n, { timeout: 10_000 });
    });
  }

  test('a runbook a diagnosis cites opens to be read', async () => {
    const cite = page.locator('.story li[data-step="diagnosis"] button.cite').first();
    const id = (await cite.textContent()) ?? '';
    await cite.click();
    const dialog = page.locator('#runbook');
    await expect(dialog).toBeVisible();
    await expect(dialog.locator('#runbook-title')).not.toHaveText('Runbook');
    await expect(dialog).toContainText(id.startsWith('incident:') ? 'past incident' : 'Recommended actions');
    await dialog.getByRole('button', { name: 'Close' }).click();
    await expect(dialog).toBeHidden();
  });

  test('the RAG box ranks runbooks, and the incidents healed so far, for words of your own', async () => {
    await page.fill(
      '#rag-query',
      'the node crashed and stopped answering, its neighbours lost every packet to it',
    );
    await page.locator('#rag').getByRole('button', { name: 'Search' }).click();
    const hits = page.locator('#rag-hits li');
    await expect(hits.first()).toBeVisible();
    expect(await hits.count()).toBeGreaterThanOrEqual(3);
    const scores = await hits.evaluateAll((items) =>
      items.map((li) => Number((li as HTMLElement).dataset.score)),
    );
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    await expect(hits.first()).toContainText('node-crash');
    // What the engine learnt this visit: the node crash it healed is retrieved too.
    await expect(page.locator('#rag-hits li[data-source="incident"]').first()).toContainText('node-crash');
    await page.locator('#rag-hits li[data-source="runbook"] button.link').first().click();
    await expect(page.locator('#runbook')).toContainText('Symptoms');
    await page.locator('#runbook').getByRole('button', { name: 'Close' }).click();
    await page.fill('#rag-query', '   ');
    await page.locator('#rag').getByRole('button', { name: 'Search' }).click();
    await expect(page.locator('#rag-status')).toContainText('Not searched');
  });

  test('no serious or critical accessibility violations on the full page', async () => {
    await page.locator('.story').first().scrollIntoViewIfNeeded();
    const results = await new AxeBuilder({ page }).analyze();
    const serious = results.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    expect(serious).toEqual([]);
  });

  test('a bad injection is refused with its reason, and nothing is injected', async () => {
    const rows = await page.locator('#faults tbody tr').count();
    await page.fill('#target', 'n1');
    await page.selectOption('#kind', 'partition');
    await page.click('#inject-button');
    await expect(page.locator('#inject-status')).toContainText('partition strikes a link');
    await page.fill('#target', 'no-such-node');
    await page.selectOption('#kind', 'node-crash');
    await page.click('#inject-button');
    await expect(page.locator('#inject-status')).toContainText('no-such-node');
    await expect(page.locator('#faults tbody tr')).toHaveCount(rows);
  });

  test('the audit log verifies, and after Tamper, Verify names the edited entry', async () => {
    const audit = page.locator('#audit');
    await expect(audit.locator('tbody tr[data-sealed="true"]').first()).toBeVisible({ timeout: 15_000 });
    await expect(audit.locator('tbody')).toContainText(/action|result|resolution/);
    await audit.getByRole('button', { name: 'Verify' }).click();
    const status = page.locator('#audit-status');
    await expect(status).toHaveAttribute('data-state', 'verified', { timeout: 15_000 });
    await expect(status).toContainText(/Verified: \d+ entries in \d+ signed batches/);
    const entry = await page.locator('#tamper-entry').inputValue();
    expect(entry).toMatch(/^\d+$/);
    await audit.getByRole('button', { name: 'Tamper' }).click();
    await expect(status).toContainText(`Tampered with entry #${entry}`);
    await audit.getByRole('button', { name: 'Verify' }).click();
    await expect(status).toHaveAttribute('data-state', 'failed', { timeout: 15_000 });
    await expect(status).toHaveAttribute('data-position', entry);
    await expect(status).toContainText(`Verification failed at entry #${entry}: altered`);
    await expect(audit.locator(`tbody tr[data-seq="${entry}"]`)).toHaveClass('failed');
  });

  test('no console errors during the visit', () => {
    expect(errors).toEqual([]);
  });
});

test('the controls work from the keyboard alone', async ({ page }) => {
  const errors = watchErrors(page);
  await openPlayground(page, { speed: '20', store: 'memory' });
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

test('views match their baselines: the mesh mid-incident, then the faults and the incident healed', async ({
  page,
}) => {
  const errors = watchErrors(page);
  await page.setViewportSize({ width: 1400, height: 1000 });
  await openPlayground(page, { paused: true, store: 'memory' });
  await expect(page.locator('#storage-note')).toContainText('in memory');
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

test('a reload keeps the incident history, what was learnt and the signed log; Forget clears them', async ({
  page,
}) => {
  const errors = watchErrors(page);
  await openPlayground(page, { paused: true });
  await expect(page.locator('#storage-note')).toContainText('IndexedDB): 0 incidents');
  await expect(page.locator('#storage-note')).toHaveAttribute('data-learnt-rates', '0');
  const row = await injectByClick(page, 'memory-leak', targetFor('memory-leak'));
  await page.click('#pause');
  await expect(row).toHaveAttribute('data-state', 'healed', { timeout: 60_000 });
  // The resolution is in the log and signed: by then the incident's records are stored too.
  await expect(page.locator('#audit tbody tr', { hasText: 'resolution' }).first()).toHaveAttribute(
    'data-sealed',
    'true',
    { timeout: 15_000 },
  );
  const incident = await page.locator('.story').first().getAttribute('data-incident');

  await page.reload();
  await expect(page.locator('#clock')).toHaveAttribute('data-phase', 'paused', { timeout: 90_000 });
  await expect(page.locator('#storage-note')).toContainText(/IndexedDB\): [1-9]\d* incidents?/);
  // The planner starts from the success rates the healed incident taught it.
  await expect(page.locator('#storage-note')).toHaveAttribute('data-learnt-rates', /^[1-9]\d*$/);
  const earlier = page.locator(`.story[data-past][data-incident="${incident}"]`);
  await expect(earlier).toHaveAttribute('data-status', 'resolved');
  await expect(earlier).toContainText('earlier session');
  await expect(earlier.locator('[data-role="diagnosis"]')).toHaveText('memory-leak');
  // The RAG analyzer still knows the incident it learnt from.
  await page.fill('#rag-query', 'memory keeps growing on one node until it is restarted');
  await page.locator('#rag').getByRole('button', { name: 'Search' }).click();
  await expect(page.locator('#rag-hits li[data-source="incident"]').first()).toContainText('memory-leak');
  // The log goes on from where it was, and still verifies (entries signed by the last visit's key).
  await page.locator('#audit').getByRole('button', { name: 'Verify' }).click();
  await expect(page.locator('#audit-status')).toHaveAttribute('data-state', 'verified', { timeout: 15_000 });

  await page.click('#reset');
  await expect(page.locator('#storage-note')).toContainText('IndexedDB): 0 incidents', { timeout: 60_000 });
  await expect(page.locator('#clock')).toHaveAttribute('data-phase', 'paused', { timeout: 90_000 });
  await expect(page.locator('#storage-note')).toHaveAttribute('data-learnt-rates', '0');
  await expect(page.locator('.story')).toHaveCount(0);
  await expect(page.locator('#audit [data-role="summary"]')).toContainText('0 entries', { timeout: 10_000 });
  expect(errors).toEqual([]);
});

test('frames per second while a 500-node mesh runs as fast as it can', async ({ page }, testInfo) => {
  const errors = watchErrors(page);
  await openPlayground(page, { mesh: { seed: MESH.seed, nodes: 500 }, store: 'memory' });
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

test('the static site of npm run build:demo runs the playground from plain files', async ({ page }) => {
  const errors = watchErrors(page);
  const requests: string[] = [];
  page.on('request', (request) => requests.push(new URL(request.url()).pathname));
  await page.goto(
    `http://127.0.0.1:5175/?seed=${MESH.seed}&nodes=${MESH.nodes}&speed=Infinity&paused&store=memory`,
  );
  await expect(page.locator('#clock')).toHaveAttribute('data-phase', 'paused', { timeout: 90_000 });
  const row = await injectByClick(page, 'node-crash', targetFor('node-crash'));
  await page.click('#pause');
  await expect(row).toHaveAttribute('data-state', 'healed', { timeout: 60_000 });
  // Bundled files only: no TypeScript source was asked for.
  expect(requests.filter((path) => path.endsWith('.ts'))).toEqual([]);
  expect(requests.some((path) => /\/assets\/engine\.worker-.*\.js$/.test(path))).toBe(true);
  expect(errors).toEqual([]);
});
