import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchChromium, SHOTS } from './helpers/browser.js';
import { PASSWORD, startUiFixture, type UiFixture } from './helpers/ui.js';

/**
 * The Audience page in Chromium (scripts/chromium.sh installs it when missing) on audience rows
 * put in the store: the cohort table shows count and percent per day +1/+7/+30, shaded by
 * percent, and a dash (not 0 %) for days the data has not reached; the charts draw; another
 * publisher's app is not found. Screenshot in .test-artifacts/ui/audience.png.
 */
let fx: UiFixture;
let browser: Browser;
before(async () => {
  fx = await startUiFixture();
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await fx?.close();
});

test('the audience page shows cohorts with percents and dashes for days not reached, and the charts', async () => {
  const day = (n: number) => `2026-03-${String(n).padStart(2, '0')}`;
  // Data up to March 10: the March 1 cohort is known on +1 and +7, not +30; March 10's on nothing yet.
  await fx.store.replaceAudience('app_a1', [
    { app_id: 'app_a1', day: day(1), devices: 10, new_devices: 10, d1: 5, d7: 2, d30: 0 },
    ...[2, 3, 4, 5, 6, 7, 8, 9].map((n) => ({ app_id: 'app_a1', day: day(n), devices: 6, new_devices: 0, d1: 0, d7: 0, d30: 0 })),
    { app_id: 'app_a1', day: day(10), devices: 8, new_devices: 4, d1: 0, d7: 0, d30: 0 },
  ]);
  await fx.store.replaceAppVersions('app_a1', day(1), day(10), [
    { app_id: 'app_a1', day: day(1), app_version: '1.0.0', devices: 10 },
    { app_id: 'app_a1', day: day(10), app_version: '1.0.0', devices: 2 },
    { app_id: 'app_a1', day: day(10), app_version: '1.1.0', devices: 6 },
  ]);
  const page = await (await browser.newContext({ timezoneId: 'UTC', viewport: { width: 1300, height: 900 } })).newPage();
  await page.goto(`${fx.url}/#/login`);
  await page.getByTestId('login-email').fill(fx.world.users.pubA.email);
  await page.getByTestId('login-password').fill(PASSWORD);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('events').waitFor();
  await page.goto(`${fx.url}/#/audience?app=app_a1&from=${day(1)}&to=${day(10)}&tz=UTC`);
  const rows = page.getByTestId('cohort-table').locator('tbody tr');
  await rows.first().waitFor();
  const cells = async (i: number) => (await rows.nth(i).locator('td').allTextContents()).map((t) => t.trim());
  assert.deepEqual(await cells(0), [day(1), '10', '50% 5', '20% 2', '–']);
  assert.deepEqual(await cells(1), [day(10), '4', '–', '–', '–']);
  const shade = await rows.nth(0).locator('td').nth(2).evaluate((el) => (el as unknown as { style: { backgroundColor: string } }).style.backgroundColor);
  assert.match(shade, /^rgba\(47, 111, 237, 0\.3\)$/, 'a 50 % cell is shaded at half the full alpha');
  await page.getByTestId('new-returning-chart').locator('canvas').waitFor();
  await page.getByTestId('version-chart').locator('canvas').waitFor();
  assert.deepEqual(await page.getByTestId('version-table').locator('tbody tr td:first-child').allTextContents(), ['1.1.0', '1.0.0']);
  assert.deepEqual((await page.getByTestId('audience-days').locator('tbody tr').nth(9).locator('td').allTextContents()).map((t) => t.trim()), [day(10), '8', '4', '4']);
  await page.screenshot({ path: join(SHOTS, 'audience.png'), fullPage: true });
  // Another publisher's app by URL: the page shows the error, not its numbers.
  await page.goto(`${fx.url}/#/audience?app=app_b1&from=${day(1)}&to=${day(10)}`);
  await page.getByTestId('error').waitFor();
  assert.match((await page.getByTestId('error').textContent())!, /UI_ERR_NOT_FOUND/);
  await page.context().close();
});

test("today is not a whole day: yesterday's cohort shows no day 1 yet, not a drop to what today has so far", async () => {
  const today = new Date().toISOString().slice(0, 10);
  const yesterday = new Date(Date.parse(`${today}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
  const before = new Date(Date.parse(`${today}T00:00:00Z`) - 2 * 86_400_000).toISOString().slice(0, 10);
  // Devices first seen the day before yesterday and yesterday; today, a few minutes in, only 1 is back.
  await fx.store.replaceAudience('app_a2', [
    { app_id: 'app_a2', day: before, devices: 10, new_devices: 10, d1: 6, d7: 0, d30: 0 },
    { app_id: 'app_a2', day: yesterday, devices: 14, new_devices: 8, d1: 1, d7: 0, d30: 0 },
    { app_id: 'app_a2', day: today, devices: 1, new_devices: 0, d1: 0, d7: 0, d30: 0 },
  ]);
  const cookie = await fx.login(fx.world.users.pubA.email);
  const res = await fetch(`${fx.url}/api/apps/app_a2/audience?from=${before}&to=${today}&tz=UTC`, { headers: { cookie } });
  const body = (await res.json()) as { last_day: string; cohorts: { day: string; d1: number | null }[] };
  assert.equal(res.status, 200);
  assert.equal(body.last_day, yesterday);
  assert.deepEqual(body.cohorts.map((c) => [c.day, c.d1]), [[before, 6], [yesterday, null]]);
});

test("over all apps, a day +k is known only once every app's data has reached it", async () => {
  const day = (n: number) => `2026-05-${String(n).padStart(2, '0')}`;
  // app_a1's audience is loaded up to May 10, app_a2's only up to May 3 (its jobs lag).
  await fx.store.replaceAudience('app_a1', [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((n) => ({ app_id: 'app_a1', day: day(n), devices: 5, new_devices: n === 1 ? 5 : 0, d1: n === 1 ? 3 : 0, d7: n === 1 ? 2 : 0, d30: 0 })));
  await fx.store.replaceAudience('app_a2', [1, 2, 3].map((n) => ({ app_id: 'app_a2', day: day(n), devices: 4, new_devices: n === 1 ? 4 : 0, d1: n === 1 ? 2 : 0, d7: 0, d30: 0 })));
  const cookie = await fx.login(fx.world.users.pubA.email);
  const res = await fetch(`${fx.url}/api/apps/all/audience?from=${day(1)}&to=${day(10)}&tz=UTC`, { headers: { cookie } });
  const body = (await res.json()) as { last_day: string; cohorts: { day: string; devices: number; d1: number | null; d7: number | null }[] };
  assert.equal(res.status, 200);
  assert.equal(body.last_day, day(3));
  // May 1's day 7 (May 8) is not known for app_a2: a dash, not app_a1's 2 over both apps' 9 devices.
  assert.deepEqual(body.cohorts.map((c) => [c.day, c.devices, c.d1, c.d7]), [[day(1), 9, 5, null]]);
});
