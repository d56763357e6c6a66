// The journal from the keyboard, in Debian Chromium against `serve`: j/k move
// a visible row cursor that stays in view, Enter opens its run, Esc clears the
// selection, and no key acts while the user types in a text field.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { Lab } from '../../service/lab.ts';
import { missing, openLabSession, OUT, type LabSession } from './browser.ts';

const RUNS = 40;

describe('journal keyboard', { skip: missing, timeout: 180_000 }, () => {
  let session: LabSession | undefined;
  let page: Page;

  before(async () => {
    session = await openLabSession('keys', '#/runs', async (journal) => {
      const lab = Lab.open({ journalPath: journal, workers: 2 });
      try {
        const { runIds } = await lab.call('runs.start', { source: { preset: 'bare-metal' }, seeds: RUNS });
        await lab.call('runs.wait', { ids: runIds });
      } finally {
        await lab.close();
      }
    });
    page = session.page;
    await page.getByRole('checkbox', { name: /^Select / }).first().waitFor();
  });
  after(() => session?.close());

  const shot = (name: string): Promise<Buffer> => page.screenshot({ path: join(OUT, `e2e-keys-${name}.png`) });
  const cursorIndex = async (): Promise<number | null> => {
    const row = page.locator('[role=row][aria-current=true]');
    if ((await row.count()) === 0) return null;
    return Number(await row.getAttribute('aria-rowindex')) - 2;
  };
  // Runs in the page (a string: this file's Node types have no DOM).
  const cursorInView = (): Promise<boolean> =>
    page.evaluate(`(() => {
      const row = document.querySelector('[role=row][aria-current=true]');
      const grid = document.querySelector('[role=grid]');
      if (!row || !grid) return false;
      const r = row.getBoundingClientRect();
      const g = grid.getBoundingClientRect();
      return r.top >= g.top + 40 - 1 && r.bottom <= g.bottom + 1;
    })()`);

  it('shows every column at 1280 px, the default scenario columns included', async () => {
    const grid = page.getByRole('grid');
    const overflow = await grid.evaluate((el) => el.scrollWidth - el.clientWidth);
    assert.ok(overflow <= 0, `the journal scrolls sideways by ${overflow} px`);
    for (const header of ['Throughput', 'VM exits', 'vCPU busy', 'VMM lock']) await grid.getByRole('columnheader', { name: new RegExp(header) }).waitFor();
  });

  it('moves a visible cursor with j and k, keeps it in view and opens its run with Enter', async () => {
    assert.equal(await cursorIndex(), null, 'no cursor before a key is pressed');
    await page.keyboard.press('j');
    assert.equal(await cursorIndex(), 0);
    await page.keyboard.press('j');
    await page.keyboard.press('j');
    await page.keyboard.press('k');
    assert.equal(await cursorIndex(), 1);
    const outline = await page.locator('[role=row][aria-current=true]').evaluate((el) => (globalThis as unknown as { getComputedStyle(e: unknown): { boxShadow: string } }).getComputedStyle(el).boxShadow);
    assert.notEqual(outline, 'none', 'the cursor row is marked');
    await shot('cursor');
    // Far below the first screen of rows: the table scrolls to keep the cursor visible.
    for (let i = 0; i < 30; i++) await page.keyboard.press('j');
    assert.equal(await cursorIndex(), 31);
    assert.ok(await cursorInView(), 'the cursor row is scrolled into view');
    await shot('cursor-scrolled');
    for (let i = 0; i < 20; i++) await page.keyboard.press('j');
    assert.equal(await cursorIndex(), RUNS - 1, 'the cursor stops at the last run');
    assert.ok(await cursorInView());
    await page.keyboard.press('k');
    const name = await page.locator('[role=row][aria-current=true] .name a').innerText();
    const href = await page.locator('[role=row][aria-current=true] .name a').getAttribute('href');
    await page.keyboard.press('Enter');
    await page.waitForURL((u) => u.hash === href);
    await page.getByRole('heading', { name }).waitFor();
  });

  it('clears the selection with Esc, even with the focus on the ticked checkbox', async () => {
    await page.goBack();
    const boxes = page.getByRole('checkbox', { name: /^Select / });
    await boxes.nth(0).check();
    await boxes.nth(1).check();
    await page.getByText('2 selected').waitFor();
    await page.keyboard.press('Escape');
    await page.getByText('2 selected').waitFor({ state: 'detached' });
    assert.equal(await boxes.nth(0).isChecked(), false);
    await page.getByRole('button', { name: 'Compare (0)' }).waitFor();
  });

  it('never acts on keys typed into a text field', async () => {
    // The scenario filter's value box: typing there filters nothing until Filter is pressed.
    const field = page.getByRole('textbox', { name: 'Field value' });
    const before = await cursorIndex();
    assert.notEqual(before, null, 'the last ticked row holds the cursor');
    await field.click();
    await page.keyboard.type('jkn?c');
    assert.equal(await field.inputValue(), 'jkn?c');
    assert.equal(await cursorIndex(), before, 'j and k typed into a field move nothing');
    assert.match(page.url(), /#\/runs$/, 'n typed into a field opens no New run page');
    assert.equal(await page.getByRole('dialog').count(), 0, '? typed into a field opens no shortcut list');
    // Esc leaves the field; the keys work again.
    await page.keyboard.press('Escape');
    assert.equal(await field.evaluate((el) => el === (globalThis as unknown as { document: { activeElement: unknown } }).document.activeElement), false, 'Esc leaves the field');
    await page.keyboard.press('j');
    assert.equal(await cursorIndex(), (before ?? 0) + 1);
    await page.keyboard.press('?');
    const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
    await help.waitFor();
    const text = await help.innerText();
    for (const line of [/j\s+Next run in the journal/, /k\s+Previous run in the journal/, /Enter\s+Open the run under the cursor/, /x\s+Tick or untick the run under the cursor/, /Esc\s+Clear the selection/]) assert.match(text, line);
    await shot('help');
    await page.keyboard.press('Escape');
    await help.waitFor({ state: 'detached' });
  });

  it('ticks the run under the cursor with x, and compares two ticked that way with c', async () => {
    await page.keyboard.press('x');
    await page.keyboard.press('j');
    await page.keyboard.press('x');
    await page.getByText('2 selected').waitFor();
    await page.keyboard.press('x');
    await page.getByText('1 selected').waitFor();
    await page.keyboard.press('k');
    await page.keyboard.press('k');
    await page.keyboard.press('x');
    await page.getByText('2 selected').waitFor();
    await page.keyboard.press('c');
    await page.waitForURL(/#\/compare\?ids=[^,&]+,[^,&]+$/);
    await page.goBack();
    await page.keyboard.press('Escape');
  });

  it('exports the listed runs as a CSV file from the journal', async () => {
    await page.getByText('Export…').click();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('group', { name: 'Export the listed runs' }).getByRole('button', { name: 'CSV' }).click()]);
    assert.match(download.suggestedFilename(), /\.csv$/);
    const path = await download.path();
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    assert.equal(lines.length, RUNS + 1, 'a header and one line per run');
    assert.match(lines[0] ?? '', /name/);
    await page.getByRole('status').getByText(`Exported ${RUNS} runs as ${download.suggestedFilename()}.`).waitFor();
    assert.deepEqual(session?.pageErrors, []);
  });
});
