/**
 * The report rollups of one app-day, computed from its facts in memory: what the rollup
 * SELECTs of store/migrations.ts compute from the stored facts (hour totals, app days and
 * hours by one dimension, ads per line item and hour, ads per day by one ad dimension, money
 * by slot). replaceAppDay inserts these rows instead of running those INSERT ... SELECTs, which
 * read back and sorted the rows it had just written: 20 statements per app-day, 7 s of
 * bench:jobs' SQLite load and 20 s of its MariaDB load. The migrations keep the SELECTs to fill
 * the tables from facts loaded before them; store-rollups.test.ts checks both give the same rows.
 *
 * Text keys group as MySQL compares VARCHARs (PAD SPACE: trailing spaces ignored), on every
 * backend, so 'x' and 'x ' in two facts make one rollup row (with the first one's value) and
 * never a duplicate key.
 */
import { asRows } from './rows.js';
import { factTable, type FactTable } from './fact-tables.js';
import type { AppDayFacts, AppHourlyRow, CampaignHourlyRow } from './facts.js';
import { AD_DIMENSIONS, EVENT_COUNT_COLUMNS, FILTER_ROLLUP_DIMENSIONS, REPORT_DIMENSIONS } from './migrations.js';

type Source = 'hourly' | 'campaign';
type SourceRow = AppHourlyRow | CampaignHourlyRow;
type RollupRow = Record<string, string | number>;

interface Rollup {
  table: FactTable<RollupRow>;
  source: Source;
  /** Columns copied from the fact and grouped on (same names in both tables). */
  group: readonly string[];
  /** The one dimension rolled up: `dim` holds its name, `value` its value. */
  dim: string | null;
  /** Columns summed (same names in both tables). */
  sums: readonly string[];
  /** Facts left out (money by slot counts only ads with a line item). */
  skip: ((r: SourceRow) => boolean) | null;
}

const AD_COUNTS = ['requests', 'impressions', 'clicks', 'interactions'] as const;
const text = (n: number, cols: readonly string[]) => cols.map((c) => [c, n] as const);
const ints = (cols: readonly string[]) => cols.map((c) => [c, 'i'] as const);

function rollup(name: string, source: Source, group: readonly (readonly [string, number | 'i'])[], dim: { name: string; width: number } | null, sums: readonly string[], skip: Rollup['skip'] = null): Rollup {
  const columns = [...group, ...(dim ? ([['dim', 16], ['value', dim.width]] as const) : []), ...ints(sums)];
  return { table: factTable<RollupRow>(name, columns), source, group: group.map(([c]) => c), dim: dim?.name ?? null, sums, skip };
}

const APP_HOUR = [['app_id', 64], ['hour', 'i'], ['day', 10]] as const;
const APP_DAY = [['app_id', 64], ['day', 10]] as const;

/** In the order the migrations define them. */
const ROLLUPS: readonly Rollup[] = [
  rollup('agg_app_hour_total', 'hourly', APP_HOUR, null, EVENT_COUNT_COLUMNS),
  ...REPORT_DIMENSIONS.map((d) => rollup('agg_app_dim_daily', 'hourly', APP_DAY, { name: d, width: 32 }, EVENT_COUNT_COLUMNS)),
  rollup('agg_campaign_hour_li', 'campaign', [...APP_HOUR, ...text(64, ['campaign_id', 'line_item_id'])], null, AD_COUNTS),
  ...AD_DIMENSIONS.map((d) => rollup('agg_campaign_dim_daily', 'campaign', [...APP_DAY, ['campaign_id', 64]], { name: d, width: 64 }, AD_COUNTS)),
  rollup('agg_money_slot_daily', 'campaign', [...APP_DAY, ...text(64, ['campaign_id', 'line_item_id', 'slot_id'])], null, ['impressions', 'clicks'], (r) => (r as CampaignHourlyRow).line_item_id === ''),
  ...FILTER_ROLLUP_DIMENSIONS.map((d) => rollup('agg_app_dim_hourly', 'hourly', APP_HOUR, { name: d, width: 32 }, EVENT_COUNT_COLUMNS)),
];

/** A text key part as MySQL compares it: without trailing spaces. */
function padSpace(v: string | number): string | number {
  if (typeof v !== 'string' || v.charCodeAt(v.length - 1) !== 32) return v;
  let end = v.length - 1;
  while (end > 0 && v.charCodeAt(end - 1) === 32) end--;
  return v.slice(0, end);
}

function rollUp(spec: Rollup, facts: readonly SourceRow[]): RollupRow[] {
  const out = new Map<string, RollupRow>();
  const parts: (string | number)[] = [];
  const rows = asRows(facts);
  for (let i = 0; i < facts.length; i++) {
    const f = facts[i]!;
    if (spec.skip?.(f)) continue;
    const r = rows[i] as Record<string, string | number>;
    parts.length = 0;
    for (const c of spec.group) parts.push(padSpace(r[c]!));
    if (spec.dim !== null) parts.push(padSpace(r[spec.dim]!));
    const key = parts.join('\u0000');
    let row = out.get(key);
    if (row === undefined) {
      // Every row of one rollup is built with its keys in one order: objects of one shape.
      row = {};
      for (const c of spec.group) row[c] = r[c]!;
      if (spec.dim !== null) (row.dim = spec.dim), (row.value = r[spec.dim]!);
      for (const c of spec.sums) row[c] = 0;
      out.set(key, row);
    }
    for (const c of spec.sums) (row[c] as number) += r[c] as number;
  }
  return [...out.values()];
}

/** The rollup rows of an app-day's facts, per rollup table (the dimensions of one table together: fewer, fuller INSERTs). */
export function appDayRollups(facts: AppDayFacts): [FactTable<RollupRow>, RollupRow[]][] {
  const out = new Map<string, [FactTable<RollupRow>, RollupRow[]]>();
  for (const spec of ROLLUPS) {
    const rows = rollUp(spec, spec.source === 'hourly' ? facts.hourly : facts.campaign);
    const have = out.get(spec.table.name);
    if (have) for (const r of rows) have[1].push(r);
    else out.set(spec.table.name, [spec.table, rows]);
  }
  return [...out.values()];
}
