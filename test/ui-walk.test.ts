import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { countSpend, formatMoney } from '../common/money.js';
import type { AppDayRow } from '../sdk-mock/ground-truth.js';
import { launchChromium, SHOTS } from './helpers/browser.js';
import { startTruthUi, TRUTH_PASSWORD, type TruthUi } from './helpers/truth-ui.js';
import type { Json } from './helpers/json.js';

/**
 * Every page each role can reach, in real Chromium, in UTC and in zones west and east of it:
 * the numbers on screen must equal what the fleet's devices did (truth.json), not only what the
 * store holds. Each page of the navigation needs a check here (a new page without one fails the
 * walk). Screenshots of every page go to .test-artifacts/ui/walk-<zone>-<role>-<page>.png (the report
 * pages in every zone, the others in UTC).
 */
const ZONES = ['UTC', 'America/Los_Angeles', 'Asia/Tokyo'];
const ROLES = ['admin', 'publisher', 'advertiser'] as const;
type Role = (typeof ROLES)[number];

interface Walk {
  page: Page;
  role: Role;
  tz: string;
  /** The apps the role sees. */
  apps: string[];
}

const number = (s: string | null): number => {
  assert.ok(s !== null && /^-?[\d,.]+$/.test(s.trim()), `a number on screen, got ${JSON.stringify(s)}`);
  return Number(s.replace(/,/g, ''));
};
const sum = <T>(rows: T[], f: (r: T) => number) => rows.reduce((n, r) => n + f(r), 0);

/** A table's rows as objects keyed by its header cells. */
async function tableRows(page: Page, testid: string): Promise<Record<string, string>[]> {
  return page.getByTestId(testid).evaluate((t) => {
    const keys = [...t.querySelectorAll('thead th')].map((th) => th.textContent ?? '');
    return [...t.querySelectorAll('tbody tr')].map((tr) => Object.fromEntries([...tr.querySelectorAll('td')].map((td, i) => [keys[i], td.textContent ?? ''])));
  });
}

/** Hovers each point of a chart and reads the legend a person would see: [x label, first series value]. */
async function hoverPoints(page: Page, testid: string): Promise<[string, string][]> {
  return page.getByTestId(testid).evaluate((el) => {
    const u = (el as unknown as { uplot: Json }).uplot;
    const out: [string, string][] = [];
    for (let i = 0; i < u.data[0].length; i++) {
      u.setCursor({ left: u.valToPos(u.data[0][i], 'x'), top: 10 });
      const cells = [...el.querySelectorAll('.u-legend .u-series')].map((s) => s.querySelector('.u-value')?.textContent ?? '');
      out.push([cells[0]!, cells[1]!]);
    }
    return out;
  });
}

describe('every page as every role in a browser, against the fleet ground truth', () => {
  let fx: TruthUi;
  let browser: Browser;
  before(async () => {
    fx = await startTruthUi(120, 21);
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await fx?.close();
  });

  const truthOf = (apps: string[]): AppDayRow[] => fx.truth.app_days.filter((r) => apps.includes(r.app_id));
  const range = () => `from=${fx.from}&to=${fx.to}`;

  async function open(w: Walk, hash: string): Promise<void> {
    const name = hash.split('?')[0]!;
    await w.page.locator('[data-ready]').evaluateAll((els) => els.forEach((e) => e.removeAttribute('data-ready')));
    await w.page.goto(`${fx.ui.url}/#/${hash}`);
    await w.page.locator(`[data-page="${name}"][data-ready]`).waitFor();
    const errors = await w.page.getByTestId('error').allTextContents();
    assert.deepEqual(errors, [], `#/${hash} as ${w.role} shows no error`);
  }

  /** Every page in UTC, the report pages in the other zones too (a full-page screenshot costs about a second here). */
  async function shot(w: Walk, name: string): Promise<void> {
    if (w.tz !== 'UTC' && !['overview', 'app', 'ads', 'audience', 'funnels', 'inventory'].includes(name)) return;
    await w.page.screenshot({ path: join(SHOTS, `walk-${w.tz.replace(/\//g, '_')}-${w.role}-${name}.png`), fullPage: true });
  }

  /** Each page's check, run after the page is open with the range covering every event. */
  const CHECKS: Record<string, (w: Walk) => Promise<void>> = {
    async overview(w) {
      await open(w, `overview?${range()}`);
      const t = truthOf(w.apps);
      const card = async (id: string) => number(await w.page.getByTestId(id).textContent());
      assert.equal(await card('events'), sum(t, (r) => r.events_total), 'events');
      assert.equal(await card('sessions'), sum(t, (r) => r.sessions), 'sessions');
      assert.equal(await card('impressions'), sum(t, (r) => r.events.ad_impression ?? 0), 'impressions');
      assert.equal(await card('clicks'), sum(t, (r) => r.events.ad_click ?? 0), 'clicks');
      await shot(w, 'overview');
      // One app: each daily point sits at its own day's midnight, whatever the browser's zone, and
      // its devices are the truth's devices of that UTC day.
      const app = w.apps[0]!;
      await open(w, `overview?${range()}&app=${app}`);
      const devices = new Map<string, number>();
      for (const r of truthOf([app])) devices.set(r.day, (devices.get(r.day) ?? 0) + r.unique_devices);
      const points = await hoverPoints(w.page, 'dau-chart');
      assert.ok(points.length >= 7, `${points.length} daily points`);
      for (const [label, value] of points) {
        const m = /^(\d{4}-\d{2}-\d{2}) 12:00am$/.exec(label);
        assert.ok(m, `a daily point reads as a day at midnight, got ${label} in ${w.tz}`);
        assert.equal(number(value), devices.get(m[1]!) ?? 0, `devices on ${m[1]}`);
      }
      // One local day: hourly points at the hours of the report's zone (the browser's).
      const day = [...devices.keys()].sort()[3]!;
      await open(w, `overview?from=${day}&to=${day}&app=${app}`);
      const hours = await hoverPoints(w.page, 'series-chart');
      assert.equal(hours.length, 24);
      assert.equal(hours[0]![0], `${day} 12:00am`);
      assert.equal(hours[13]![0], `${day} 1:00pm`);
      assert.match((await w.page.locator('p.muted').first().textContent())!, new RegExp(` in ${w.tz}`));
    },
    async app(w) {
      const app = w.apps[0]!;
      await open(w, `app?${range()}&app=${app}`);
      assert.equal(await w.page.locator('h1').getAttribute('data-app'), app);
      const t = truthOf([app]);
      const platforms = await tableRows(w.page, 'breakdown-platform');
      assert.deepEqual(
        new Map(platforms.map((r) => [r.value, number(r.events!)])),
        new Map(['ios', 'android'].map((p) => [p, sum(t.filter((r) => r.platform === p), (r) => r.events_total)] as const).filter(([, n]) => n > 0)),
        'events per platform',
      );
      const custom = fx.truth.custom.filter((r) => r.app_id === app);
      const names = await tableRows(w.page, 'custom-name');
      assert.ok(names.length > 0);
      for (const row of names) {
        const rows = custom.filter((r) => r.name === row.name);
        const firstProp = rows.map((r) => r.prop).sort()[0];
        assert.equal(number(row.count!), sum(rows.filter((r) => r.prop === firstProp), (r) => r.count), `custom event ${row.name}`);
      }
      await shot(w, 'app');
    },
    async audience(w) {
      const app = w.apps[0]!;
      await open(w, `audience?${range()}&app=${app}`);
      const truth = new Map(fx.truth.audience_days.filter((r) => r.app_id === app).map((r) => [r.day, r]));
      const days = await tableRows(w.page, 'audience-days');
      assert.ok(days.length > 0);
      for (const r of days) {
        const t = truth.get(r.day!);
        assert.equal(number(r.new!), t?.new_devices ?? 0, `${app} ${r.day} new devices`);
        assert.equal(number(r.returning!), t?.returning ?? 0, `${app} ${r.day} returning devices`);
      }
      // The cohort table: devices first seen each day, and of them those back the next day.
      const cohorts = await w.page.getByTestId('cohort-table').locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));
      assert.ok(cohorts.length > 0);
      for (const [day, devices, d1] of cohorts) {
        const t = truth.get(day!);
        assert.equal(number(devices!), t?.new_devices ?? 0, `${app} cohort of ${day}`);
        if (d1 !== '–') assert.equal(Number(/ ([\d,]+)$/.exec(d1!)![1]!.replace(/,/g, '')), t?.d1 ?? 0, `${app} cohort of ${day} on day 1`);
      }
      const versions = await tableRows(w.page, 'version-table');
      const last = [...fx.truth.app_versions.filter((r) => r.app_id === app)].map((r) => r.day).sort().at(-1);
      assert.deepEqual(new Map(versions.map((r) => [r.app_version, number(r.devices!)])), new Map(fx.truth.app_versions.filter((r) => r.app_id === app && r.day === last).map((r) => [r.app_version, r.devices])), `${app} versions on ${last}`);
      await shot(w, 'audience');
    },
    async ads(w) {
      if (w.role === 'publisher') {
        await open(w, `ads?${range()}`);
        const t = truthOf(w.apps);
        const rows = await tableRows(w.page, 'ads-platform');
        assert.equal(sum(rows, (r) => number(r.impressions!)), sum(t, (r) => r.events.ad_impression ?? 0), 'impressions on the apps');
        assert.equal(sum(rows, (r) => number(r.clicks!)), sum(t, (r) => r.events.ad_click ?? 0), 'clicks on the apps');
        return shot(w, 'ads');
      }
      const mine = fx.world.campaigns.filter((c) => w.role === 'admin' || c.advertiser_id === fx.advertiserId).map((c) => c.campaign_id);
      await open(w, `ads?${range()}`);
      const offered = (await w.page.getByTestId('campaign-picker').locator('option').evaluateAll((os) => os.map((o) => o.getAttribute('value') ?? '')));
      assert.ok(offered.length > 0 && offered.every((c) => mine.includes(c)), `${w.role} is offered only its campaigns: ${offered.join(', ')}`);
      for (const id of offered.slice(0, 2)) {
        await open(w, `ads?${range()}&campaign=${id}`);
        const t = fx.truth.campaign_days.filter((c) => c.campaign_id === id);
        const rows = await tableRows(w.page, 'campaign-platform');
        assert.equal(sum(rows, (r) => number(r.impressions!)), sum(t, (c) => c.impressions), `${id} impressions`);
        assert.equal(sum(rows, (r) => number(r.clicks!)), sum(t, (c) => c.clicks), `${id} clicks`);
        const items = await tableRows(w.page, 'line-items');
        assert.equal(sum(items, (r) => number(r.delivered_in_range!)), sum(t, (c) => c.impressions), `${id} delivered`);
        // Money: the spend at the line item's price on what the devices saw (flat fees go by time, see money.test).
        const price = fx.truth.money.line_items.find((l) => l.campaign_id === id)!;
        if (price.price_model !== 'flat') {
          const spend = countSpend(price.price_model, price.price_micros, sum(t, (c) => c.impressions), sum(t, (c) => c.clicks));
          assert.equal(await w.page.getByTestId('money-spend').textContent(), formatMoney(spend, price.currency), `${id} spend`);
        }
        if (id === offered[0]) await shot(w, 'ads');
      }
    },
    async funnels(w) {
      const app = w.apps[0]!;
      await open(w, `funnels?${range()}&app=${app}`);
      const funnel = fx.truth.funnels.find((f) => f.app_id === app);
      assert.ok(funnel, `the demo seeds a funnel for ${app}`);
      const steps = await tableRows(w.page, 'funnel-steps');
      const want = funnel.steps.map((_, k) => sum(funnel.days, (d) => d.devices[k] ?? 0));
      assert.ok(want[0]! > 0);
      assert.deepEqual(steps.map((r) => number(r.devices!)), want, `${app} ${funnel.name}: devices per step`);
      await shot(w, 'funnels');
    },
    async inventory(w) {
      await open(w, `inventory?${range()}`);
      const t = truthOf(w.apps);
      assert.equal(number(await w.page.getByTestId('inv-requests').textContent()), sum(t, (r) => r.events.ad_request ?? 0), 'ad requests');
      assert.equal(number(await w.page.getByTestId('inv-fills').textContent()), sum(t, (r) => r.events.ad_impression ?? 0), 'fills');
      await shot(w, 'inventory');
    },
    async health(w) {
      await open(w, `health?${range()}`);
      const rows = await tableRows(w.page, 'health-completeness');
      assert.ok(rows.length > 0);
      for (const r of rows) {
        assert.ok(w.apps.includes(r.app_id!), `${w.role} sees only its apps: ${r.app_id}`);
        const t = fx.truth.app_days.filter((x) => x.app_id === r.app_id && x.day === r.day);
        assert.equal(number(r.events!), sum(t, (x) => x.events_total), `${r.app_id} ${r.day} events`);
        assert.equal(number(r.seq_gaps!), sum(t, (x) => x.seq_gaps), `${r.app_id} ${r.day} events lost (seq gaps)`);
      }
      await shot(w, 'health');
    },
    async live(w) {
      await open(w, 'live');
      // No tracking tier here: the page says so instead of spinning.
      await w.page.getByTestId('live-status').filter({ hasNotText: 'connecting…' }).waitFor();
      await shot(w, 'live');
    },
    async admin(w) {
      await open(w, 'admin?entity=campaigns');
      const listed = (await tableRows(w.page, 'admin-list-campaigns')).map((r) => r.id);
      const stored = (await fx.store.listCampaigns()).map((c) => c.id);
      assert.deepEqual(listed.sort(), stored.slice(0, listed.length).sort());
      await shot(w, 'admin');
    },
    async monitoring(w) {
      await open(w, 'monitoring');
      assert.ok((await w.page.getByTestId('rules').locator('tbody tr').count()) > 0);
      await shot(w, 'monitoring');
    },
    async keys(w) {
      await open(w, 'keys');
      await w.page.getByText('No API keys yet.').waitFor();
      await shot(w, 'keys');
    },
  };

  for (const tz of ZONES) {
    for (const role of ROLES) {
      test(`every page a ${role} reaches shows the fleet's numbers in ${tz}`, async () => {
        const ctx = await browser.newContext({ timezoneId: tz, viewport: { width: 1300, height: 900 } });
        try {
          const page = await ctx.newPage();
          await page.goto(`${fx.ui.url}/#/login`);
          await page.getByTestId('login-email').fill(fx.users[role]);
          await page.getByTestId('login-password').fill(TRUTH_PASSWORD);
          await page.getByTestId('login-submit').click();
          await page.locator('[data-ready]').waitFor();
          const nav = await page.locator('#nav a').evaluateAll((as) => as.map((a) => (a.getAttribute('href') ?? '').replace(/^#\//, '')));
          const pages = [...nav, 'keys'];
          const apps = role === 'admin' ? fx.apps : role === 'publisher' ? fx.world.apps.filter((a) => a.publisher_id === fx.publisherId && fx.apps.includes(a.app_id)).map((a) => a.app_id) : [];
          const w: Walk = { page, role, tz, apps };
          for (const p of pages) {
            const check = CHECKS[p];
            assert.ok(check, `page ${p} (seen by ${role}) has a check in this walk`);
            await check(w);
          }
        } finally {
          await ctx.close();
        }
      });
    }
  }
});
