/**
 * Funnels and campaign reach (store/funnels.ts) for both backends against the shared executor.
 * Values are always bound parameters; the daily rows go through the fact tables' checks.
 */
import { parseUtcDay } from '../common/time.js';
import { Hll } from '../common/hll.js';
import { conflict, invalid, notFound, StoreError, StoreErrorCode } from './errors.js';
import { factTable, insertRows, type FactTable } from './fact-tables.js';
import { funnelProblems, type CampaignReachDay, type CampaignReachRow, type Funnel, type FunnelDailyRow, type FunnelStore } from './funnels.js';
import type { Row } from './rows.js';
import type { SqlAccess } from './sql-store.js';
import { newId } from './store.js';

const FUNNEL_DAILY = factTable<FunnelDailyRow>('agg_funnel_daily', [['app_id', 64], ['day', 10], ['funnel_id', 64], ['step', 'i'], ['devices', 'i']]);
const CAMPAIGN_REACH = factTable<CampaignReachRow>('agg_campaign_reach_daily', [['app_id', 64], ['day', 10], ['campaign_id', 64], ['impressions', 'i'], ['devices_hll', 't']]);
const CAMPAIGN_REACH_TOTAL = factTable<CampaignReachDay>('agg_campaign_reach_total', [['campaign_id', 64], ['day', 10], ['impressions', 'i'], ['devices_hll', 't']]);
const MAX_PROBLEMS = 20;
const ID_RE = /^[A-Za-z0-9_.:-]{1,64}$/;

const SQL = {
  insertFunnel: 'INSERT INTO funnels (id, app_id, name, steps, created_at) VALUES (?, ?, ?, ?, ?)',
  appExists: 'SELECT id FROM apps WHERE id = ?',
  getFunnel: 'SELECT id, app_id, name, steps, created_at FROM funnels WHERE id = ?',
  listFunnels: 'SELECT id, app_id, name, steps, created_at FROM funnels WHERE app_id = ? ORDER BY created_at, id',
  deleteFunnel: 'DELETE FROM funnels WHERE id = ?',
  deleteFunnelRows: 'DELETE FROM agg_funnel_daily WHERE funnel_id = ?',
  funnelIds: 'SELECT id FROM funnels WHERE app_id = ?',
  deleteFunnelDay: 'DELETE FROM agg_funnel_daily WHERE app_id = ? AND day = ?',
  deleteReachDay: 'DELETE FROM agg_campaign_reach_daily WHERE app_id = ? AND day = ?',
  funnelDaily: `${FUNNEL_DAILY.select} WHERE funnel_id = ? AND day >= ? AND day <= ? ORDER BY day, step, app_id`,
  oldReach: 'SELECT campaign_id, impressions FROM agg_campaign_reach_daily WHERE app_id = ? AND day = ?',
  total: 'SELECT impressions, devices_hll FROM agg_campaign_reach_total WHERE campaign_id = ? AND day = ?',
  deleteTotal: 'DELETE FROM agg_campaign_reach_total WHERE campaign_id = ? AND day = ?',
  appRows: 'SELECT impressions, devices_hll FROM agg_campaign_reach_daily WHERE campaign_id = ? AND day = ?',
  campaignReach: `${CAMPAIGN_REACH_TOTAL.select} WHERE campaign_id = ? AND day >= ? AND day <= ? ORDER BY day`,
} as const;

function funnelOf(r: Row): Funnel {
  return { id: String(r.id), app_id: String(r.app_id), name: String(r.name), steps: JSON.parse(String(r.steps)) as string[], created_at: Number(r.created_at) };
}

function days(problems: string[], ...pairs: [string, unknown][]): void {
  for (const [field, v] of pairs) if (typeof v !== 'string' || Number.isNaN(parseUtcDay(v))) problems.push(`${field}: expected a UTC day YYYY-MM-DD, got ${JSON.stringify(v)}`);
}

export class FunnelSql implements FunnelStore {
  constructor(private readonly db: SqlAccess) {}

  async createFunnel(f: { id?: string; app_id: string; name: string; steps: string[] }, at = Date.now()): Promise<Funnel> {
    const problems = funnelProblems(f);
    const id = f.id ?? newId('fnl_');
    if (typeof id !== 'string' || !ID_RE.test(id)) problems.push(`id: expected 1 to 64 letters, digits, '_', '.', ':' or '-', got ${JSON.stringify(id)}`);
    if (typeof f.app_id !== 'string' || f.app_id === '') problems.push('app_id: expected an app id');
    if (problems.length > 0) throw invalid('funnel', problems);
    const funnel: Funnel = { id, app_id: f.app_id, name: f.name.trim(), steps: [...f.steps], created_at: at };
    try {
      return await this.db.transaction('write', async (x) => {
        if ((await x.all(SQL.appExists, [funnel.app_id])).length === 0) throw invalid('funnel', [`app_id: no app ${JSON.stringify(funnel.app_id)}`]);
        await x.run(SQL.insertFunnel, [funnel.id, funnel.app_id, funnel.name, JSON.stringify(funnel.steps), funnel.created_at]);
        return funnel;
      });
    } catch (err) {
      if (err instanceof StoreError && err.code === StoreErrorCode.CONFLICT) throw conflict(`funnel ${JSON.stringify(id)} already exists`, err);
      throw err;
    }
  }

  async getFunnel(id: string): Promise<Funnel | undefined> {
    const rows = await this.db.query((x) => x.all(SQL.getFunnel, [String(id)]));
    return rows[0] ? funnelOf(rows[0]) : undefined;
  }

  async listFunnels(appId: string): Promise<Funnel[]> {
    return (await this.db.query((x) => x.all(SQL.listFunnels, [String(appId)]))).map(funnelOf);
  }

  async deleteFunnel(id: string): Promise<void> {
    await this.db.transaction('write', async (x) => {
      if ((await x.run(SQL.deleteFunnel, [String(id)])) === 0) throw notFound('funnel', id);
      await x.run(SQL.deleteFunnelRows, [String(id)]);
    });
  }

  async replaceFunnelReachDay(appId: string, day: string, funnels: readonly FunnelDailyRow[], reach: readonly CampaignReachRow[]): Promise<void> {
    const problems: string[] = [];
    if (typeof appId !== 'string' || appId === '' || appId.length > 64) problems.push(`app_id: expected an app id, got ${JSON.stringify(appId)}`);
    days(problems, ['day', day]);
    const check = <T extends { app_id: string; day: string }>(table: FactTable<T>, rows: readonly T[], extra: (r: T) => string | undefined) => {
      for (const [i, r] of rows.entries()) {
        if (problems.length >= MAX_PROBLEMS) break;
        const where = `${table.name} row ${i}`;
        if (table.check(r, where, problems) !== null) continue;
        if (r.app_id !== appId || r.day !== day) problems.push(`${where}: expected app ${JSON.stringify(appId)} and day ${day}`);
        else {
          const p = extra(r);
          if (p) problems.push(`${where}: ${p}`);
        }
      }
    };
    check(FUNNEL_DAILY, funnels, (r) => (r.step >= 1 ? undefined : 'step: expected 1 or more'));
    check(CAMPAIGN_REACH, reach, (r) => {
      try {
        Hll.fromBase64(r.devices_hll);
        return undefined;
      } catch (err) {
        return `devices_hll: ${(err as Error).message}`;
      }
    });
    if (problems.length > 0) throw invalid('funnel and reach rows', problems.slice(0, MAX_PROBLEMS));
    const most = this.db.kind === 'sqlite' ? 1 : undefined;
    await this.db.transaction('write', async (x) => {
      // Rows of a funnel deleted since the job read the definitions are not loaded.
      const live = new Set((await x.all(SQL.funnelIds, [appId])).map((r) => String(r.id)));
      const old = new Map((await x.all(SQL.oldReach, [appId, day])).map((r) => [String(r.campaign_id), Number(r.impressions)]));
      await x.run(SQL.deleteFunnelDay, [appId, day]);
      await x.run(SQL.deleteReachDay, [appId, day]);
      await insertRows(x, FUNNEL_DAILY, funnels.filter((r) => live.has(r.funnel_id)), most);
      await insertRows(x, CAMPAIGN_REACH, reach, most);
      // The campaign-day totals over every app (store/funnels.ts says why a merge keeps them exact).
      const now = new Map(reach.map((r) => [r.campaign_id, r]));
      for (const c of new Set([...old.keys(), ...now.keys()])) {
        const row = now.get(c);
        let total: CampaignReachDay | null;
        if (row) {
          const t = (await x.all(SQL.total, [c, day]))[0];
          const hll = new Hll();
          if (t) hll.mergeBase64(String(t.devices_hll));
          hll.mergeBase64(row.devices_hll);
          total = { campaign_id: c, day, impressions: (t ? Number(t.impressions) : 0) - (old.get(c) ?? 0) + row.impressions, devices_hll: hll.toBase64() };
        } else {
          const rest = await x.all(SQL.appRows, [c, day]);
          const hll = new Hll();
          let impressions = 0;
          for (const r of rest) hll.mergeBase64(String(r.devices_hll)), (impressions += Number(r.impressions));
          total = rest.length > 0 ? { campaign_id: c, day, impressions, devices_hll: hll.toBase64() } : null;
        }
        await x.run(SQL.deleteTotal, [c, day]);
        if (total) await insertRows(x, CAMPAIGN_REACH_TOTAL, [total]);
      }
    });
  }

  async funnelDaily(funnelId: string, fromDay: string, toDay: string): Promise<FunnelDailyRow[]> {
    const problems: string[] = [];
    days(problems, ['fromDay', fromDay], ['toDay', toDay]);
    if (problems.length > 0) throw invalid('funnel read', problems);
    return (await this.db.query((x) => x.all(SQL.funnelDaily, [String(funnelId), fromDay, toDay]))).map((r) => FUNNEL_DAILY.fromRow(r));
  }

  async campaignReach(campaignId: string, fromDay: string, toDay: string): Promise<CampaignReachDay[]> {
    const problems: string[] = [];
    days(problems, ['fromDay', fromDay], ['toDay', toDay]);
    if (problems.length > 0) throw invalid('reach read', problems);
    return (await this.db.query((x) => x.all(SQL.campaignReach, [String(campaignId), fromDay, toDay]))).map((r) => CAMPAIGN_REACH_TOTAL.fromRow(r));
  }
}
