/**
 * The sessions and aggregates of some days of one app, from its Parquet files minus the rows
 * the dedupe step dropped. Events are grouped by device and put in seq order, sessionized
 * with the rules of common/sessions.ts, and counted into cells: hourly per dimensions,
 * daily per platform (exact devices plus a HyperLogLog), per ad (campaign, line item,
 * creative, slot) and hour, per custom event (name, prop, value) and day, and the clicks and
 * conversions attribution reads.
 *
 * The caller passes the files of the emitted days and of the days around them that shape their
 * sessions (a session is counted on the hour its first event falls in, with that event's
 * dimensions, and may run across any number of midnights): from the start of every session
 * with events in the emitted days to the end of every session starting in them (the range
 * comes from device-sessions.ts). Events of the days around are not counted.
 */
import { DAY_MS, HOUR_MS, utcDay } from '../common/time.js';
import { countingSort, type Groups } from './counting-sort.js';
import { sessionizeInto, sessionType } from '../common/sessions.js';
import type { Lake } from '../lake/lake.js';
import { splitAppDayFacts, type RefusedFactRow } from '../store/fact-check.js';
import { EVENT_TYPE_COLUMNS, type AppDailyRow, type AppDayFacts, type AppHourlyRow, type CampaignHourlyRow, type CustomDailyRow, type TouchRow } from '../store/facts.js';
import { JobError } from './errors.js';
import { Hll } from '../common/hll.js';
import { dictionaryIds, grow, newDictionary, readParquetColumns, type IntColumn, type StrColumn } from './parquet-columns.js';
import type { Counters } from './state.js';
import { VersionDevices, type AppVersionDailyRow } from './version-devices.js';
import { FunnelCounter, type FunnelDef } from './funnels.js';
import { ReachCounter } from './campaign-reach.js';
import type { CampaignReachRow, FunnelDailyRow } from '../store/funnels.js';

export interface AggregateAppTask {
  app: string;
  /** UTC days (YYYY-MM-DD) to emit facts for. */
  days: string[];
  /** Lake keys of the Parquet files of those days and of the days that shape their sessions, with the rows to drop. */
  files: { key: string; drops: Uint32Array | null }[];
  counters: Counters;
  sessionTimeoutMs: number;
  /** The custom event name that counts as a conversion for attribution. */
  conversionEvent: string;
  /** The app's funnels (jobs/funnels.ts); none when absent. */
  funnels?: FunnelDef[];
}

export interface AggregateAppResult {
  app: string;
  /** Facts per emitted day (every emitted day is present, maybe with no rows). */
  facts: Record<string, AppDayFacts>;
  /** Rows read, and rows counted in the emitted days. */
  rowsRead: number;
  rowsCounted: number;
  /** Per day, the fact rows the store would refuse (taken out of `facts`), for the quarantine. */
  refused: Record<string, RefusedFactRow[]>;
  /** Distinct devices per emitted day and app_version (version-devices.ts). */
  versions: Record<string, AppVersionDailyRow[]>;
  /** Per emitted day, funnel and campaign reach rows (store/funnels.ts; every emitted day is present). */
  funnelReach: Record<string, { funnels: FunnelDailyRow[]; reach: CampaignReachRow[] }>;
}

const COLUMNS = ['device_id', 'seq', 'type', 'event_time', 'platform', 'os_version', 'app_version', 'country', 'device_class', 'campaign_id', 'line_item_id', 'creative_id', 'slot_id', 'name', 'props'];
const DIMS = ['platform', 'os_version', 'app_version', 'country', 'device_class'] as const;
const AD = ['campaign_id', 'line_item_id', 'creative_id', 'slot_id'] as const;
const N_TYPES = EVENT_TYPE_COLUMNS.length;
type EventType = (typeof EVENT_TYPE_COLUMNS)[number];
const TYPE_INDEX = new Map<string, number>(EVENT_TYPE_COLUMNS.map((t, i) => [t, i]));
/** Each event type's index in Cell.counts: its position in EVENT_TYPE_COLUMNS (events of other types count at T_OTHER). */
const AT = Object.fromEntries(TYPE_INDEX) as Record<EventType, number>;
const T_REQUEST = AT.ad_request;
const T_IMPRESSION = AT.ad_impression;
const T_CLICK = AT.ad_click;
const T_INTERACTION = AT.ad_interaction;
const T_CUSTOM = AT.custom;
const T_OTHER = N_TYPES;
/** Cells are keyed by numbers packed from small ids; these bound the ids. */
const TUPLE_BITS = 2 ** 20;
const AD_BITS = 2 ** 16;
const PC_BITS = 2 ** 12;
/** Custom event keys: day (< 2^17) x name x props stays below 2^53. */
const NAME_BITS = 2 ** 12;
const PROPS_BITS = 2 ** 24;

/** Counts of one cell; one shape for every hourly and daily cell (V8 keeps one hidden class). */
class Cell {
  counts = new Float64Array(N_TYPES + 1);
  sessions = 0;
  sessionMs = 0;
  devices = 0;
  lastDev = -1;
  hll: Hll | null = null;
  constructor(readonly hourOrDay: number, readonly dims: number) {}
}

class AdCell {
  requests = 0;
  impressions = 0;
  clicks = 0;
  interactions = 0;
  constructor(readonly hour: number, readonly ad: number, readonly pc: number) {}
}

/** Per-row arrays over all files, grown as batches come; strings become small dictionary ids. */
class Rows {
  n = 0;
  dev = new Int32Array(1 << 14);
  seq = new Float64Array(1 << 14);
  time = new Float64Array(1 << 14);
  type = new Uint8Array(1 << 14);
  /** Where a row came from, for the session rules: 0 an SDK upload, 1 a Segment-spec SDK, 2 an ad beacon. */
  fromSource = new Uint8Array(1 << 14);
  tuple = new Int32Array(1 << 14);
  ad = new Int32Array(1 << 14);
  // Custom events by dictionary ids: props JSON is parsed once per distinct text, not per event (1.9 s of 33 in the profile).
  customName = new Int32Array(1 << 14);
  customProps = new Int32Array(1 << 14);

  /** Room for `need` rows. */
  grow(need: number): void {
    [this.dev, this.tuple, this.ad] = [grow(this.dev, need), grow(this.tuple, need), grow(this.ad, need)];
    [this.seq, this.time] = [grow(this.seq, need), grow(this.time, need)];
    this.type = grow(this.type, need);
    this.fromSource = grow(this.fromSource, need);
    [this.customName, this.customProps] = [grow(this.customName, need), grow(this.customProps, need)];
  }
}

/** The run's dictionaries, and its dimension tuples and ad combinations (ids into them, and their values). */
class Dicts {
  readonly nameDict = newDictionary();
  readonly propsDict = newDictionary();
  readonly devDict = newDictionary();
  readonly dimDicts = DIMS.map(() => newDictionary());
  readonly adDicts = AD.map(() => newDictionary());
  readonly typeDict = newDictionary();
  readonly srcDict = newDictionary();
  readonly tuples = new Map<string, number>();
  readonly tupleDims: string[][] = [];
  readonly ads = new Map<string, number>([['', 0]]);
  readonly adDims: string[][] = [['', '', '', '']];
}

type ColumnBatch = ReturnType<typeof readParquetColumns>[number];

/** One batch's columns as dictionary ids (and its integer columns). */
interface BatchIds {
  rows: number;
  devIds: Int32Array;
  typeIds: Int32Array;
  /** Per type id, its index in Cell.counts. */
  typeOf: number[];
  dimIds: Int32Array[];
  adIds: Int32Array[];
  sq: IntColumn;
  et: IntColumn;
  nameIds: Int32Array;
  propsIds: Int32Array;
  srcIds: Int32Array | null;
  /** Per source id, its kind (Rows.fromSource). */
  srcKind: number[];
}

/** Every file's rows but its drops, into `rows` and `dicts`; returns the rows read (drops included). */
async function readFiles(task: AggregateAppTask, lake: Lake, rows: Rows, dicts: Dicts): Promise<number> {
  let rowsRead = 0;
  for (const file of task.files) {
    const buf = await lake.get(file.key);
    let fileRow = 0;
    let dropAt = 0;
    const drops = file.drops;
    for (const b of readParquetColumns(buf, COLUMNS, ['source'])) {
      rowsRead += b.rows;
      rows.grow(rows.n + b.rows);
      dropAt = appendBatch(task.app, batchIds(b, dicts), drops, fileRow, dropAt, rows, dicts);
      fileRow += b.rows;
    }
    if (drops !== null && dropAt !== drops.length) throw new JobError('JOB_ERR_STATE_CORRUPT', `${file.key}: its drop list names rows past the end of the file`);
  }
  return rowsRead;
}

function batchIds(b: ColumnBatch, dicts: Dicts): BatchIds {
  const { devDict, typeDict, dimDicts, adDicts, nameDict, propsDict, srcDict } = dicts;
  const str = (c: string) => b.columns.get(c) as StrColumn;
  const devIds = dictionaryIds(str('device_id'), devDict.dict, devDict.names);
  const typeIds = dictionaryIds(str('type'), typeDict.dict, typeDict.names);
  const dimIds = DIMS.map((c, k) => dictionaryIds(str(c), dimDicts[k]!.dict, dimDicts[k]!.names));
  const adIds = AD.map((c, k) => dictionaryIds(str(c), adDicts[k]!.dict, adDicts[k]!.names));
  const sq = b.columns.get('seq') as IntColumn;
  const et = b.columns.get('event_time') as IntColumn;
  const nameIds = dictionaryIds(str('name'), nameDict.dict, nameDict.names);
  // null props stay id 0, like ''; both mean no props.
  const propsIds = dictionaryIds(str('props'), propsDict.dict, propsDict.names);
  const typeOf = typeDict.names.map((t) => TYPE_INDEX.get(t) ?? T_OTHER);
  // Events of Segment-spec SDKs and ad beacons have session rules of their own (common/sessions.ts, sessionType).
  const src = b.columns.get('source') as StrColumn | undefined;
  const srcIds = src ? dictionaryIds(src, srcDict.dict, srcDict.names) : null;
  const srcKind = srcDict.names.map((x) => (x === 'segment' ? 1 : x === 'beacon' ? 2 : 0));
  return { rows: b.rows, devIds, typeIds, typeOf, dimIds, adIds, sq, et, nameIds, propsIds, srcIds, srcKind };
}

/**
 * Appends a batch's rows but those in `drops` (sorted row numbers in the file; the batch starts
 * at row `fileRow`, the next drop is drops[dropAt]); returns the next drop's index.
 */
function appendBatch(app: string, b: BatchIds, drops: Uint32Array | null, fileRow: number, dropAt: number, rows: Rows, dicts: Dicts): number {
  const { devIds, typeIds, typeOf, dimIds, adIds, sq, et, nameIds, propsIds, srcIds, srcKind } = b;
  const { dev, seq, time, type, fromSource, tuple, ad, customName, customProps } = rows;
  const { tuples, ads } = dicts;
  let n = rows.n;
  // Rows of one upload share their context: the tuple key is built only when an id changes.
  let prevT = -1;
  let prevA = 0;
  const lastDim = [-1, -1, -1, -1, -1];
  const lastAd = [0, 0, 0, 0];
  let lastA = 0;
  for (let i = 0; i < b.rows; i++, fileRow++) {
    if (drops !== null && dropAt < drops.length && drops[dropAt] === fileRow) {
      dropAt++;
      continue;
    }
    let same = prevT >= 0;
    for (let k = 0; k < 5; k++) if (dimIds[k]![i] !== lastDim[k]) (same = false), (lastDim[k] = dimIds[k]![i]!);
    if (!same) {
      const key = lastDim.join(',');
      prevT = tuples.get(key) ?? newCombination(app, 'dimension', tuples, dicts.tupleDims, dicts.dimDicts, TUPLE_BITS, key, lastDim);
    }
    // Most rows are no ad (ids all 0), and an ad's request, impression and click come a few
    // rows apart: both skip the key join (10 % of aggregateApp's self time before).
    let adSame = true;
    const [a0, a1, a2, a3] = [adIds[0]![i]!, adIds[1]![i]!, adIds[2]![i]!, adIds[3]![i]!];
    if ((a0 | a1 | a2 | a3) === 0) prevA = 0;
    else if (a0 === lastAd[0] && a1 === lastAd[1] && a2 === lastAd[2] && a3 === lastAd[3]) prevA = lastA;
    else (adSame = false), (lastAd[0] = a0), (lastAd[1] = a1), (lastAd[2] = a2), (lastAd[3] = a3);
    if (!adSame) {
      const key = lastAd.join(',');
      prevA = lastA = ads.get(key) ?? newCombination(app, 'ad', ads, dicts.adDims, dicts.adDicts, AD_BITS, key, lastAd);
    }
    const ty = typeOf[typeIds[i]!]!;
    dev[n] = devIds[i]!;
    seq[n] = sq.present[i] ? sq.values[i]! : Number.NaN;
    time[n] = et.values[i]!;
    type[n] = ty;
    fromSource[n] = srcIds === null ? 0 : srcKind[srcIds[i]!]!;
    tuple[n] = prevT;
    ad[n] = prevA;
    customName[n] = nameIds[i]!;
    customProps[n] = propsIds[i]!;
    n++;
  }
  rows.n = n;
  return dropAt;
}

/** Registers a combination of dictionary ids `ids` (joined: `key`) with its values; returns its id (at most `bits` of them in a run). */
function newCombination(app: string, what: string, byKey: Map<string, number>, values: string[][], dicts: readonly { names: string[] }[], bits: number, key: string, ids: readonly number[]): number {
  const id = values.length;
  byKey.set(key, id);
  values.push(ids.map((x, k) => dicts[k]!.names[x]!));
  if (id >= bits) throw new JobError('JOB_ERR_BAD_INPUT', `app ${app}: more than ${bits} ${what} combinations in one run`);
  return id;
}

/** What counting reads besides the rows, looked up once per run. */
interface Lookups {
  app: string;
  emit: Set<number>;
  sessionTimeoutMs: number;
  devNames: string[];
  conversionId: number;
  adDims: string[][];
  /** The campaign of each ad combination, looked up once instead of per impression (-1: none). */
  adCampaign: Int32Array;
  /** Per tuple, its (platform, country) id: an index in pcDims. */
  tuplePc: number[];
  pcDims: [string, string][];
  /** Per tuple, its platform's and app version's dictionary ids. */
  tuplePlat: Int32Array;
  tupleVer: Int32Array;
  platformOf: Map<number, string>;
}

/** What counting writes: cells, touches and device sets, and the last cells it used. */
class Tally {
  readonly hourly = new Map<number, Cell>();
  readonly daily = new Map<number, Cell>();
  readonly adCells = new Map<number, AdCell>();
  readonly customCounts = new Map<number, number>();
  readonly touches: TouchRow[] = [];
  rowsCounted = 0;
  // The last cells, kept from device to device (countEvents).
  lastHKey = -1;
  lastH: Cell | null = null;
  lastDKey = -1;
  lastD: Cell | null = null;
  lastAdKey = -1;
  lastAdCell: AdCell | undefined = undefined;
  /** One device's session types and times, and its sessions (sessionizeInto): reused from device to device. */
  readonly typeNames: string[] = [];
  readonly times: number[] = [];
  readonly sessions: number[] = [];
  constructor(readonly funnels: FunnelCounter, readonly reach: ReachCounter, readonly versions: VersionDevices) {}
}

/** The look-ups counting needs, and an empty tally. */
function prepareCounting(task: AggregateAppTask, emit: Set<number>, dicts: Dicts): { look: Lookups; tally: Tally } {
  const { nameDict, propsDict, dimDicts, tupleDims, adDims } = dicts;
  const conversionId = nameDict.dict.get(task.conversionEvent) ?? -1;
  if (nameDict.names.length >= NAME_BITS || propsDict.names.length >= PROPS_BITS) throw new JobError('JOB_ERR_BAD_INPUT', `app ${task.app}: more than ${NAME_BITS} custom event names or ${PROPS_BITS} distinct props in one run`);
  const funnels = new FunnelCounter(task.funnels ?? [], nameDict.dict, nameDict.names.length);
  const reach = new ReachCounter();
  const adCampaign = Int32Array.from(adDims, (dims) => (dims[0] === '' ? -1 : reach.campaignIndex(dims[0]!)));
  const platformOf = new Map<number, string>();
  const pcIds = new Map<string, number>();
  const pcDims: [string, string][] = [];
  const tuplePc = tupleDims.map(([p, , , c]) => {
    const k = `${p}\u0000${c}`;
    let id = pcIds.get(k);
    if (id === undefined) pcIds.set(k, (id = pcDims.push([p!, c!]) - 1));
    return id;
  });
  if (pcDims.length >= PC_BITS) throw new JobError('JOB_ERR_BAD_INPUT', `app ${task.app}: more than ${PC_BITS} platform x country combinations`);
  // The platform id of each tuple, looked up once instead of per row.
  const tuplePlat = Int32Array.from(tupleDims, (dims) => dimDicts[0]!.dict.get(dims[0]!)!);
  const tupleVer = Int32Array.from(tupleDims, (dims) => dimDicts[2]!.dict.get(dims[2]!)!);
  const versions = new VersionDevices();
  for (const [id] of dimDicts[0]!.names.entries()) platformOf.set(id, dimDicts[0]!.names[id]!);
  const { app, sessionTimeoutMs } = task;
  const look: Lookups = { app, emit, sessionTimeoutMs, devNames: dicts.devDict.names, conversionId, adDims, adCampaign, tuplePc, pcDims, tuplePlat, tupleVer, platformOf };
  return { look, tally: new Tally(funnels, reach, versions) };
}

/** Counts every device's events and sessions, its rows put in (seq, event_time) order first. */
function countDevices(rows: Rows, { start: startOf, order }: Groups, look: Lookups, tally: Tally): void {
  const { seq, time } = rows;
  const before = (a: number, b: number): number => {
    const sa = seq[a]!;
    const sb = seq[b]!;
    return sa === sb || Number.isNaN(sa) || Number.isNaN(sb) ? time[a]! - time[b]! : sa - sb;
  };
  for (let d = 0; d < startOf.length - 1; d++) {
    const slice = order.subarray(startOf[d]!, startOf[d + 1]!);
    let sorted = true;
    for (let i = 1; i < slice.length && sorted; i++) sorted = before(slice[i - 1]!, slice[i]!) <= 0;
    if (!sorted) slice.set(Array.from(slice).sort(before));
    tally.typeNames.length = 0;
    tally.times.length = 0;
    countEvents(d, slice, rows, look, tally);
    tally.funnels.endDevice();
    countSessions(slice, rows.tuple, look, tally);
  }
}

/** Counts device d's rows (`slice`, in order) of the emitted days, and lists its session types and times (lists emptied by the caller). */
function countEvents(d: number, slice: Int32Array, rows: Rows, look: Lookups, out: Tally): void {
  const { time, type, fromSource, tuple, ad, customName, customProps } = rows;
  const { app, emit, devNames, conversionId, adDims, adCampaign, tuplePc, tuplePlat, tupleVer } = look;
  const { hourly, daily, adCells, customCounts, touches, funnels, reach, versions, typeNames, times } = out;
  let { lastHKey, lastH, lastDKey, lastD, lastAdKey, lastAdCell, rowsCounted } = out;
  const ords = new Map<number, number>();
  for (let i = 0; i < slice.length; i++) {
    const r = slice[i]!;
    const t = time[r]!;
    const typeName = EVENT_TYPE_COLUMNS[type[r]!] ?? 'other';
    const src = fromSource[r]!;
    typeNames.push(src === 0 ? typeName : sessionType(typeName, src === 1 ? 'segment' : 'beacon'));
    times.push(t);
    const day = Math.floor(t / DAY_MS);
    if (!emit.has(day)) continue;
    rowsCounted++;
    const hour = Math.floor(t / HOUR_MS);
    const tu = tuple[r]!;
    const ty = type[r]!;
    // A device's rows mostly share hour and dimensions: the last cell is reused without a Map look-up.
    const hKey = hour * TUPLE_BITS + tu;
    const h = hKey === lastHKey ? lastH! : (lastH = cellOf(hourly, hour, tu, (lastHKey = hKey)));
    h.counts[ty]!++;
    if (h.lastDev !== d) (h.lastDev = d), h.devices++;
    const pid = tuplePlat[tu]!;
    versions.add(day, tupleVer[tu]!, d);
    const dKey = day * TUPLE_BITS + pid;
    const dc = dKey === lastDKey ? lastD! : (lastD = cellOf(daily, day, pid, (lastDKey = dKey)));
    dc.counts[ty]!++;
    if (dc.lastDev !== d) {
      dc.lastDev = d;
      dc.devices++;
      (dc.hll ??= new Hll()).add(devNames[d]!);
    }
    const a = ad[r]!;
    if (a !== 0 && (ty === T_REQUEST || ty === T_IMPRESSION || ty === T_CLICK || ty === T_INTERACTION)) {
      const pc = tuplePc[tu]!;
      const key = (hour * PC_BITS + pc) * AD_BITS + a;
      // The keys pass 2^31 (heap numbers, slow to hash): a device's ad events mostly repeat the last cell.
      let c = key === lastAdKey ? lastAdCell : adCells.get(key);
      if (c === undefined) adCells.set(key, (c = new AdCell(hour, a, pc)));
      (lastAdKey = key), (lastAdCell = c);
      if (ty === T_REQUEST) c.requests++;
      else if (ty === T_IMPRESSION) {
        c.impressions++;
        if (adCampaign[a]! >= 0) reach.impression(day, adCampaign[a]!, d, devNames[d]!);
      }
      else if (ty === T_CLICK) c.clicks++;
      else c.interactions++;
      if (ty === T_CLICK && adDims[a]![0] !== '') addTouch(touches, ords, app, day, t, devNames[d]!, 'click', adDims[a]![0]!, adDims[a]![2]!);
    }
    if (ty === T_CUSTOM) {
      const nameId = customName[r]!;
      funnels.event(day, nameId);
      if (nameId === conversionId) addTouch(touches, ords, app, day, t, devNames[d]!, 'conversion', '', '');
      const key = (day * NAME_BITS + nameId) * PROPS_BITS + customProps[r]!;
      customCounts.set(key, (customCounts.get(key) ?? 0) + 1);
    }
  }
  (out.lastHKey = lastHKey), (out.lastH = lastH), (out.lastDKey = lastDKey), (out.lastD = lastD);
  (out.lastAdKey = lastAdKey), (out.lastAdCell = lastAdCell), (out.rowsCounted = rowsCounted);
}

/** A click or conversion for attribution, numbered in its device's touches of the day (`ords`: per day, the next number). */
function addTouch(touches: TouchRow[], ords: Map<number, number>, app_id: string, day: number, ts: number, device_id: string, kind: TouchRow['kind'], campaign_id: string, creative_id: string): void {
  const ord = ords.get(day) ?? 0;
  ords.set(day, ord + 1);
  touches.push({ app_id, day: utcDay(ts), device_id, ts, kind, campaign_id, creative_id, ord });
}

/** Counts a device's sessions, from the session types and times countEvents listed, in the hour and day they start. */
function countSessions(slice: Int32Array, tuple: Int32Array, look: Lookups, out: Tally): void {
  const { hourly, daily, sessions } = out;
  sessions.length = 0;
  sessionizeInto(out.typeNames, out.times, 0, out.times.length, look.sessionTimeoutMs, sessions);
  for (let i = 0; i < sessions.length; i += 4) {
    const start = sessions[i + 1]!;
    const day = Math.floor(start / DAY_MS);
    if (!look.emit.has(day)) continue;
    const ms = sessions[i + 2]! - start;
    const tu = tuple[slice[sessions[i]!]!]!;
    const hour = Math.floor(start / HOUR_MS);
    const h = cellOf(hourly, hour, tu, hour * TUPLE_BITS + tu);
    h.sessions++;
    h.sessionMs += ms;
    const pid = look.tuplePlat[tu]!;
    const dc = cellOf(daily, day, pid, day * TUPLE_BITS + pid);
    dc.sessions++;
    dc.sessionMs += ms;
  }
}

/** The cell of `key` in `m`, made (for hour or day `at` and dimensions `dims`) if new. */
function cellOf(m: Map<number, Cell>, at: number, dims: number, key: number): Cell {
  let c = m.get(key);
  if (c === undefined) m.set(key, (c = new Cell(at, dims)));
  return c;
}

export async function aggregateApp(task: AggregateAppTask, lake: Lake): Promise<AggregateAppResult> {
  const emit = new Set(task.days.map((d) => Math.round(Date.parse(`${d}T00:00:00Z`) / DAY_MS)));
  const rows = new Rows();
  const dicts = new Dicts();
  const rowsRead = await readFiles(task, lake, rows, dicts);
  const groups = countingSort(rows.dev, rows.n, dicts.devDict.names.length); // device d's rows, in row order
  const { look, tally } = prepareCounting(task, emit, dicts);
  countDevices(rows, groups, look, tally);
  const { hourly, daily, adCells, customCounts, touches } = tally;
  const { tupleDims, adDims } = dicts;
  const facts = toFacts(task, emit, { hourly, daily, adCells, customCounts, nameNames: dicts.nameDict.names, propsTexts: dicts.propsDict.names, touches, tupleDims, adDims, pcDims: look.pcDims, platformOf: look.platformOf });
  const refused = refuseRows(task.app, facts);
  const funnelRows = tally.funnels.rows(task.app);
  const reachRows = tally.reach.rows(task.app);
  const funnelReach: AggregateAppResult['funnelReach'] = {};
  for (const day of Object.keys(facts)) funnelReach[day] = { funnels: funnelRows.get(day) ?? [], reach: reachRows.get(day) ?? [] };
  return { app: task.app, facts, rowsRead, rowsCounted: tally.rowsCounted, refused, versions: tally.versions.rows(task.app, emit, dicts.dimDicts[2]!.names), funnelReach };
}

/**
 * The store's own row rules, here on the worker: a row it would refuse (a lone surrogate in a
 * prop value, say) goes to the quarantine instead of failing the whole load. Takes them out of `facts`.
 */
function refuseRows(app: string, facts: Record<string, AppDayFacts>): Record<string, RefusedFactRow[]> {
  const refused: Record<string, RefusedFactRow[]> = {};
  for (const day of Object.keys(facts)) {
    const split = splitAppDayFacts(app, day, facts[day]!);
    if (split.refused.length === 0) continue;
    facts[day] = split.facts;
    refused[day] = split.refused;
  }
  return refused;
}

interface Cells {
  hourly: Map<number, Cell>;
  daily: Map<number, Cell>;
  adCells: Map<number, AdCell>;
  /** Events per (day, name id, props id), keyed (day * NAME_BITS + name) * PROPS_BITS + props. */
  customCounts: Map<number, number>;
  nameNames: string[];
  propsTexts: string[];
  touches: TouchRow[];
  tupleDims: string[][];
  adDims: string[][];
  pcDims: [string, string][];
  platformOf: Map<number, string>;
}

function counts(c: Cell) {
  const k = c.counts;
  let events = 0;
  for (let i = 0; i <= N_TYPES; i++) events += k[i]!;
  return {
    events,
    app_open: k[AT.app_open]!, app_close: k[AT.app_close]!, app_background: k[AT.app_background]!, app_foreground: k[AT.app_foreground]!,
    ad_request: k[AT.ad_request]!, ad_impression: k[AT.ad_impression]!, ad_click: k[AT.ad_click]!, ad_interaction: k[AT.ad_interaction]!, custom: k[AT.custom]!,
    sessions: c.sessions, session_ms: c.sessionMs,
  };
}

/** The cells as store rows, per emitted day. */
function toFacts(task: AggregateAppTask, emit: Set<number>, c: Cells): Record<string, AppDayFacts> {
  const app_id = task.app;
  const facts: Record<string, AppDayFacts> = {};
  const of = (dayNum: number) => (facts[utcDay(dayNum * DAY_MS)] ??= { hourly: [], daily: [], campaign: [], custom: [], touches: [] });
  for (const d of emit) of(d);
  for (const h of c.hourly.values()) {
    const [platform, os_version, app_version, country, device_class] = c.tupleDims[h.dims]!;
    const dayNum = Math.floor((h.hourOrDay * HOUR_MS) / DAY_MS);
    const row: AppHourlyRow = { app_id, hour: h.hourOrDay * HOUR_MS, day: utcDay(dayNum * DAY_MS), platform: platform!, os_version: os_version!, app_version: app_version!, country: country!, device_class: device_class!, devices: h.devices, ...counts(h) };
    of(dayNum).hourly.push(row);
  }
  const seen = new Set<string>();
  for (const dc of c.daily.values()) {
    const day = utcDay(dc.hourOrDay * DAY_MS);
    const platform = c.platformOf.get(dc.dims)!;
    const [gaps, dups] = task.counters[`${day}|${platform}`] ?? [0, 0];
    seen.add(`${day}|${platform}`);
    const row: AppDailyRow = { app_id, day, platform, devices: dc.devices, devices_hll: (dc.hll ?? new Hll()).toBase64(), seq_gaps: gaps, duplicates: dups, ...counts(dc) };
    of(dc.hourOrDay).daily.push(row);
  }
  // Days where every event was a duplicate still report their duplicates.
  for (const [key, [gaps, dups]] of Object.entries(task.counters)) {
    const [day, platform] = key.split('|') as [string, string];
    const dayNum = Math.round(Date.parse(`${day}T00:00:00Z`) / DAY_MS);
    if (seen.has(key) || !emit.has(dayNum) || (gaps === 0 && dups === 0)) continue;
    const zero = new Cell(dayNum, 0);
    of(dayNum).daily.push({ app_id, day, platform, devices: 0, devices_hll: new Hll().toBase64(), seq_gaps: gaps, duplicates: dups, ...counts(zero) });
  }
  for (const a of c.adCells.values()) {
    const [campaign_id, line_item_id, creative_id, slot_id] = c.adDims[a.ad]!;
    const [platform, country] = c.pcDims[a.pc]!;
    const dayNum = Math.floor((a.hour * HOUR_MS) / DAY_MS);
    const row: CampaignHourlyRow = { app_id, hour: a.hour * HOUR_MS, day: utcDay(dayNum * DAY_MS), campaign_id: campaign_id!, line_item_id: line_item_id!, creative_id: creative_id!, slot_id: slot_id!, platform, country, requests: a.requests, impressions: a.impressions, clicks: a.clicks, interactions: a.interactions };
    of(dayNum).campaign.push(row);
  }
  // (day, name, prop, value) counts: one row with prop '' per event counts the name itself (props may be absent or several).
  const rows = new Map<string, CustomDailyRow>();
  const parsed = new Map<number, [string, string][]>();
  const add = (dayNum: number, name: string, prop: string, value: string, count: number) => {
    const k = `${dayNum}\u0000${name}\u0000${prop}\u0000${value}`;
    const r = rows.get(k);
    if (r) r.count += count;
    else rows.set(k, { app_id, day: utcDay(dayNum * DAY_MS), name, prop, value, count });
  };
  for (const [key, count] of c.customCounts) {
    const propsId = key % PROPS_BITS;
    const rest = (key - propsId) / PROPS_BITS;
    const nameId = rest % NAME_BITS;
    const dayNum = (rest - nameId) / NAME_BITS;
    const name = c.nameNames[nameId]!;
    add(dayNum, name, '', '', count);
    let pairs = parsed.get(propsId);
    if (!pairs) {
      let obj: Record<string, unknown> = {};
      try {
        if (propsId !== 0) obj = JSON.parse(c.propsTexts[propsId]!) as Record<string, unknown>;
      } catch {
        obj = {};
      }
      parsed.set(propsId, (pairs = Object.keys(obj).map((k) => [k, String(obj[k])] as [string, string])));
    }
    for (const [prop, value] of pairs) add(dayNum, name, prop, value, count);
  }
  for (const r of rows.values()) facts[r.day]!.custom.push(r);
  for (const t of c.touches) facts[t.day]!.touches.push(t);
  return facts;
}
