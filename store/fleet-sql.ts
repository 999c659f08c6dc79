/**
 * Fleet delivery rows (store/fleet.ts) for both backends against the shared executor. REPLACE
 * sets a row whole on SQLite and MySQL alike; rows go in chunks of CHUNK in one transaction.
 */
import { invalid } from './errors.js';
import type { AdUnitCounts, FleetSnapshot, FleetStore, ImpressionCounts } from './fleet.js';
import type { SqlAccess } from './sql-store.js';

const CHUNK = 200;
const NODE_RE = /^[A-Za-z0-9_.:-]{1,128}$/;
const KEY_RE = /^[A-Za-z0-9_.:|-]{1,128}$/;

const values = (n: number, k: number): string => Array.from({ length: n }, () => `(${Array.from({ length: k }, () => '?').join(', ')})`).join(', ');
const SQL = {
  replaceUnits: (n: number) => `REPLACE INTO fleet_ad_units (node_id, unit_key, decided, decided_live, live_until, eligible_rate, updated_at) VALUES ${values(n, 7)}`,
  replaceImpressions: (n: number) => `REPLACE INTO fleet_impressions (node_id, line_item_id, impressions, impressions_live, live_until, updated_at) VALUES ${values(n, 6)}`,
  // A node's rows all carry the time of its last write: rows it stopped writing (units gone) are stale too.
  stampUnits: 'UPDATE fleet_ad_units SET updated_at = ? WHERE node_id = ?',
  units: `SELECT unit_key, SUM(decided) AS decided, SUM(CASE WHEN live_until > ? THEN decided_live ELSE 0 END) AS decided_live,
    SUM(CASE WHEN updated_at >= ? THEN eligible_rate ELSE 0 END) AS eligible_rate FROM fleet_ad_units GROUP BY unit_key`,
  nodes: 'SELECT COUNT(DISTINCT node_id) AS n FROM fleet_ad_units WHERE updated_at >= ?',
  impressions: `SELECT line_item_id, SUM(impressions) AS impressions, SUM(CASE WHEN live_until > ? THEN impressions_live ELSE 0 END) AS impressions_live
    FROM fleet_impressions GROUP BY line_item_id`,
  pruneUnits: 'DELETE FROM fleet_ad_units WHERE updated_at < ?',
  pruneImpressions: 'DELETE FROM fleet_impressions WHERE updated_at < ?',
} as const;

function count(problems: string[], field: string, v: unknown): void {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) problems.push(`${field}: expected a whole number >= 0, got ${JSON.stringify(v)}`);
}
function check(what: string, node: string, now: number, rows: readonly object[], row: (r: never, p: string[], i: number) => void): void {
  const problems: string[] = [];
  if (typeof node !== 'string' || !NODE_RE.test(node)) problems.push(`node: expected 1-128 of A-Z a-z 0-9 _ . : -, got ${JSON.stringify(node)}`);
  count(problems, 'now', now);
  rows.forEach((r, i) => row(r as never, problems, i));
  if (problems.length > 0) throw invalid(what, problems.slice(0, 20));
}

export class FleetSql implements FleetStore {
  constructor(private readonly db: SqlAccess) {}

  async publishAdUnits(node: string, rows: readonly AdUnitCounts[], now: number): Promise<void> {
    check('fleet ad units', node, now, rows, (r: AdUnitCounts, p, i) => {
      if (typeof r.unit_key !== 'string' || !KEY_RE.test(r.unit_key)) p.push(`rows[${i}].unit_key: expected a line item id (|country), got ${JSON.stringify(r.unit_key)}`);
      count(p, `rows[${i}].decided`, r.decided);
      count(p, `rows[${i}].decided_live`, r.decided_live);
      count(p, `rows[${i}].live_until`, r.live_until);
      if (typeof r.eligible_rate !== 'number' || !Number.isFinite(r.eligible_rate) || r.eligible_rate < 0) p.push(`rows[${i}].eligible_rate: expected a finite number >= 0, got ${JSON.stringify(r.eligible_rate)}`);
    });
    await this.db.transaction('write', async (x) => {
      for (let i = 0; i < rows.length; i += CHUNK) {
        const part = rows.slice(i, i + CHUNK);
        await x.run(SQL.replaceUnits(part.length), part.flatMap((r) => [node, r.unit_key, r.decided, r.decided_live, r.live_until, r.eligible_rate, now]));
      }
      await x.run(SQL.stampUnits, [now, node]);
    });
  }

  async publishImpressions(node: string, rows: readonly ImpressionCounts[], now: number): Promise<void> {
    check('fleet impressions', node, now, rows, (r: ImpressionCounts, p, i) => {
      if (typeof r.line_item_id !== 'string' || !KEY_RE.test(r.line_item_id)) p.push(`rows[${i}].line_item_id: expected a line item id, got ${JSON.stringify(r.line_item_id)}`);
      count(p, `rows[${i}].impressions`, r.impressions);
      count(p, `rows[${i}].impressions_live`, r.impressions_live);
      count(p, `rows[${i}].live_until`, r.live_until);
    });
    if (rows.length === 0) return;
    await this.db.transaction('write', async (x) => {
      for (let i = 0; i < rows.length; i += CHUNK) {
        const part = rows.slice(i, i + CHUNK);
        await x.run(SQL.replaceImpressions(part.length), part.flatMap((r) => [node, r.line_item_id, r.impressions, r.impressions_live, r.live_until, now]));
      }
    });
  }

  async fleetDelivery(liveSince: number, now: number): Promise<FleetSnapshot> {
    const problems = [liveSince, now].flatMap((v, i) => (typeof v === 'number' && Number.isFinite(v) ? [] : [`${i ? 'now' : 'liveSince'}: expected epoch ms, got ${String(v)}`]));
    if (problems.length > 0) throw invalid('fleet delivery query', problems);
    return this.db.transaction('snapshot', async (x) => {
      const units = await x.all(SQL.units, [now, liveSince]);
      const nodes = await x.all(SQL.nodes, [liveSince]);
      const imps = await x.all(SQL.impressions, [now]);
      return {
        nodes: Number(nodes[0]?.n ?? 0),
        units: new Map(units.map((r) => [String(r.unit_key), { decided: Number(r.decided), decided_live: Number(r.decided_live), eligible_rate: Number(r.eligible_rate) }])),
        impressions: new Map(imps.map((r) => [String(r.line_item_id), { impressions: Number(r.impressions), impressions_live: Number(r.impressions_live) }])),
      };
    });
  }

  async pruneFleet(before: number): Promise<number> {
    return this.db.transaction('write', async (x) => {
      const a = await x.run(SQL.pruneUnits, [before]);
      const b = await x.run(SQL.pruneImpressions, [before]);
      return a + b;
    });
  }
}
