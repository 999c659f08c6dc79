import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { createLogger } from '../common/logger.js';
import { startAdServer, type RunningAdServer } from '../adserver/run.js';
import { parseRange } from '../reporting-ui/time-range.js';
import { launchChromium, SHOTS } from './helpers/browser.js';
import { PASSWORD, startUiFixture, type UiFixture } from './helpers/ui.js';

/**
 * The reporting UI in real Chromium (Debian's, installed by scripts/chromium.sh), driven by
 * playwright-core, against a real UI server and ad server on one SQLite store. Screenshots
 * go to .test-artifacts/ui/.
 */
describe('the reporting UI in a browser', () => {
  let fx: UiFixture;
  let ads: RunningAdServer;
  let browser: Browser;
  before(async () => {
    fx = await startUiFixture();
    ads = await startAdServer(
      { host: '127.0.0.1', port: 0, trackingUrl: 'http://127.0.0.1:9', beaconSecret: 'browser-test-secret', decisionTtlSeconds: 600, reloadIntervalMs: 200, planIntervalMs: 60_000, capMaxDevices: 10_000, maxAds: 1, prefetchMaxDays: 7 },
      fx.store, createLogger('ads', 'silent'),
    );
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await ads?.close();
    await fx?.close();
  });

  async function logIn(email: string): Promise<Page> {
    const ctx = await browser.newContext({ timezoneId: 'UTC', viewport: { width: 1300, height: 900 } });
    const page = await ctx.newPage();
    await page.goto(`${fx.url}/#/login`);
    await page.getByTestId('login-email').fill(email);
    await page.getByTestId('login-password').fill(PASSWORD);
    await page.getByTestId('login-submit').click();
    return page;
  }

  test('a publisher logs in and sees the numbers of the store for its apps', async () => {
    const page = await logIn(fx.world.users.pubA.email);
    await page.getByTestId('events').waitFor();
    await page.getByTestId('series-chart').locator('canvas').waitFor();
    const r = parseRange({ tz: 'UTC' });
    const hours = await fx.store.hourTotals(['app_a1', 'app_a2'], r.fromHour, r.toHour);
    const sum = (k: 'events' | 'sessions' | 'ad_impression') => hours.reduce((s, h) => s + h[k], 0);
    const shown = async (id: string) => Number((await page.getByTestId(id).textContent())!.replace(/,/g, ''));
    assert.ok(sum('events') > 0);
    assert.equal(await shown('events'), sum('events'));
    assert.equal(await shown('sessions'), sum('sessions'));
    assert.equal(await shown('impressions'), sum('ad_impression'));
    await page.screenshot({ path: join(SHOTS, 'publisher-overview.png'), fullPage: true });
    // The app page: breakdowns and the custom events explorer, drilled down by clicking.
    await page.goto(`${fx.url}/#/app?app=app_a1`);
    await page.getByTestId('breakdown-country').waitFor();
    await page.getByTestId('custom-name').getByText('level_up').click();
    await page.getByTestId('custom-prop').getByText('level').click();
    await page.getByTestId('custom-value').waitFor();
    assert.deepEqual(await page.getByTestId('custom-value').locator('tbody tr td:first-child').allTextContents(), ['10', '9']);
    await page.screenshot({ path: join(SHOTS, 'publisher-app.png'), fullPage: true });
    await page.context().close();
  });

  test("another publisher's app by URL or API answers not found, the admin API forbidden", async () => {
    const page = await logIn(fx.world.users.pubA.email);
    await page.getByTestId('events').waitFor();
    await page.goto(`${fx.url}/#/overview?app=app_b1`);
    await page.getByTestId('error').waitFor();
    assert.match((await page.getByTestId('error').textContent())!, /UI_ERR_NOT_FOUND/);
    await page.screenshot({ path: join(SHOTS, 'publisher-other-tenant.png') });
    const statuses = await page.evaluate(async () => Promise.all(['/api/apps/app_b1/overview', '/api/apps/app_b1/breakdown?dim=country', '/api/admin/advertisers', '/api/campaigns'].map(async (u) => (await fetch(u)).status)));
    assert.deepEqual(statuses, [404, 404, 403, 403]);
    // The picker offers only its own apps.
    assert.deepEqual((await page.getByTestId('app-picker').locator('option').allTextContents()).filter((t) => t.includes('(')).map((t) => t.match(/\((.+)\)/)![1]).sort(), ['app_a1', 'app_a2']);
    await page.context().close();
  });

  test('a page opened while the previous one still loads shows only its own content', async () => {
    const ctx = await browser.newContext({ timezoneId: 'UTC', viewport: { width: 1300, height: 900 } });
    const page = await ctx.newPage();
    // The overview's report answers late, as on a loaded server; the user moves on to data health meanwhile.
    let release: () => void = () => {};
    const late = new Promise<void>((r) => (release = r));
    await page.route('**/api/apps/*/overview*', async (route) => {
      await late;
      await route.continue();
    });
    await page.goto(`${fx.url}/#/login`);
    await page.getByTestId('login-email').fill(fx.world.users.pubA.email);
    await page.getByTestId('login-password').fill(PASSWORD);
    await page.getByTestId('login-submit').click();
    await page.waitForURL(/#\/overview/);
    await page.goto(`${fx.url}/#/health`);
    await page.getByTestId('health-completeness').waitFor();
    release();
    // Let the overview's late answer arrive and its page finish drawing (into a box no longer shown).
    await page.waitForResponse('**/api/apps/*/overview*');
    await page.evaluate(() => new Promise((r) => setTimeout(r, 200)));
    assert.equal(await page.getByTestId('events').count(), 0, 'no overview card above data health');
    assert.equal(await page.locator('h1').allTextContents().then((t) => t.join('|')), 'Data health');
    await ctx.close();
  });

  test("the range pickers show the range the report has: today in the report's zone, not the browser's", async () => {
    // One of these two zones is on another date than UTC at any moment (UTC+14 from 10:00 UTC, UTC-11 before 11:00 UTC).
    const dateIn = (tz: string) => new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
    const zone = ['Pacific/Kiritimati', 'Pacific/Pago_Pago'].find((z) => dateIn(z) !== dateIn('UTC'))!;
    const page = await logIn(fx.world.users.pubA.email);
    await page.getByTestId('events').waitFor();
    await page.goto(`${fx.url}/#/overview?tz=${encodeURIComponent(zone)}`);
    await page.locator('p.muted', { hasText: ` in ${zone}` }).waitFor();
    const shown = (await page.locator('p.muted', { hasText: ` in ${zone}` }).textContent())!;
    assert.equal(await page.getByTestId('range-to').inputValue(), dateIn(zone));
    assert.match(shown, new RegExp(`to ${dateIn(zone)} in `), 'the report covers the days the pickers show');
    await page.context().close();
  });

  test('the app page without an app picks the app it shows in its picker', async () => {
    const page = await logIn(fx.world.users.pubA.email);
    await page.getByTestId('events').waitFor();
    await page.goto(`${fx.url}/#/app`);
    await page.getByTestId('breakdown-country').waitFor();
    const shown = (await page.locator('h1').getAttribute('data-app'))!;
    assert.equal(await page.locator('h1').textContent(), `App ${shown} (${shown})`, 'the heading names the app');
    assert.equal(await page.getByTestId('app-picker').inputValue(), shown);
    assert.ok(!(await page.getByTestId('app-picker').locator('option').allTextContents()).includes('All apps'));
    await page.context().close();
  });

  test('an advertiser makes an expiring API key in the page, uses it, and revokes it', async () => {
    const page = await logIn(fx.world.users.advX.email);
    await page.getByTestId('new-api-key').click();
    await page.getByTestId('key-expiry-days').fill('30');
    await page.getByTestId('create-key').click();
    const key = (await page.getByTestId('new-key').locator('pre').textContent())!;
    assert.match(key, /^sk_/);
    const rows = page.getByTestId('api-keys').locator('tbody tr');
    await rows.first().waitFor();
    assert.equal(await rows.count(), 1);
    assert.match((await rows.first().locator('td').nth(2).textContent())!, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC$/);
    await page.screenshot({ path: join(SHOTS, 'advertiser-api-keys.png'), fullPage: true });
    const as = () => fetch(`${fx.url}/api/campaigns`, { headers: { authorization: `Bearer ${key}` } });
    assert.equal((await as()).status, 200);
    await rows.first().getByRole('button', { name: 'Revoke' }).click();
    await page.getByText('No API keys yet.').waitFor();
    assert.equal((await as()).status, 401);
    await page.context().close();
  });

  test('an admin creates a campaign in the UI, with a targeting error shown in place, and the ad server serves it within 5 s', async (t) => {
    const page = await logIn(fx.world.users.admin.email);
    await page.getByTestId('events').waitFor();
    // Enums and references are selects (slot_ids a multiple one), the rest typed.
    const setField = async (k: string, v: string | string[]) => {
      const el = page.getByTestId(`field-${k}`);
      if ((await el.evaluate((e) => e.tagName)) === 'SELECT') await el.selectOption(v);
      else await el.fill(v as string);
    };
    const create = async (entity: string, fields: Record<string, string>, query = ''): Promise<string> => {
      await page.goto(`${fx.url}/#/admin?entity=${entity}${query}`);
      await page.getByTestId('admin-create').waitFor();
      for (const [k, v] of Object.entries(fields)) await setField(k, v);
      await page.getByTestId('admin-create').click();
      const msg = await page.getByTestId('admin-created').textContent({ timeout: 5000 });
      return msg!.replace('created ', '');
    };
    // Money typed in units is stored exactly in micros: 0.1 + 12 would not survive float arithmetic.
    const campaign = await create('campaigns', { advertiser_id: 'adv_x', name: 'Made in the browser', priority: '9', currency: 'EUR', budget_micros: '1,234.10', start_at: '2026-01-02T03:04' });
    const made = (await fx.store.getCampaign(campaign))!;
    assert.equal(made.budget_micros, 1_234_100_000);
    assert.equal(made.currency, 'EUR');
    assert.equal(made.start_at, await page.evaluate(() => new Date('2026-01-02T03:04').getTime()), 'the flight start in the browser time zone');
    // A typo in the targeting: the error and a caret under the spot appear as it is typed.
    await page.goto(`${fx.url}/#/admin?entity=line-items&campaign_id=${campaign}`);
    await page.getByTestId('field-targeting').fill('platform == "ios" and contry == "US"');
    await page.getByTestId('targeting-error').getByText(/\^/).waitFor();
    assert.match((await page.getByTestId('targeting-error').textContent())!, /country/);
    await page.screenshot({ path: join(SHOTS, 'admin-targeting-error.png'), fullPage: true });
    await page.getByTestId('field-targeting').fill('platform == "ios" and country == "US"');
    await setField('slot_ids', ['slot_a1']);
    await setField('price_model', 'cpc');
    await setField('price_micros', '0.35');
    await page.getByTestId('field-targeting').press('End');
    await page.getByTestId('preview-table').getByText('slot_a1').waitFor();
    assert.equal(await page.getByTestId('targeting-error').textContent(), '');
    await page.getByTestId('field-name').fill('iOS in the US');
    await page.getByTestId('admin-create').click();
    const lineItem = (await page.getByTestId('admin-created').textContent({ timeout: 5000 }))!.replace('created ', '');
    await page.screenshot({ path: join(SHOTS, 'admin-line-item.png'), fullPage: true });
    // Editing: pick the row, change the goal, save; the store has it.
    await page.goto(`${fx.url}/#/admin?entity=line-items`);
    await page.getByTestId('admin-list-line-items').getByText(lineItem).click();
    await page.getByTestId('field-goal').fill('250000');
    await page.getByTestId('admin-create').click();
    await page.getByTestId('admin-saved').waitFor();
    assert.equal((await fx.store.getLineItem(lineItem))!.goal, 250_000);
    assert.equal((await fx.store.getLineItem(lineItem))!.price_micros, 350_000, 'the price came back into the form as 0.35 and was saved unchanged');
    assert.equal((await fx.store.getLineItem(lineItem))!.price_model, 'cpc');
    assert.equal((await fx.store.getLineItem(lineItem))!.targeting, 'platform == "ios" and country == "US"');
    const creative = await create('creatives', { line_item_id: lineItem, name: 'Browser banner', size: '320x50', payload: 'https://cdn.example/browser.png' }, `&line_item_id=${lineItem}`);
    const created = Date.now();
    // The ad server picks the change up from the store without a restart.
    const url = `${ads.url}/v1/ad?app=app_a1&slot=slot_a1&device=browser-device&platform=ios&os=17.2&country=US`;
    let served = false;
    while (!served && Date.now() - created < 5000) {
      const res = await fetch(url);
      served = res.status === 200 && (await res.text()).includes(creative);
      if (!served) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(served, `creative ${creative} served within 5 s (${Date.now() - created} ms)`);
    t.diagnostic(`the new creative was served ${Date.now() - created} ms after it was created`);
    const other = await fetch(`${ads.url}/v1/ad?app=app_a1&slot=slot_a1&device=browser-device&platform=android&os=14&country=US`);
    assert.ok(other.status === 204 || !(await other.text()).includes(creative), 'the targeting keeps Android out');
    await page.context().close();
  });
});
