/**
 * The dedupe step for one app: reads the new Parquet files' keys, drops every event whose
 * (app, device, event id) key was seen before, in this input or in any earlier run, and
 * records what it kept. State is split into partitions by a hash of the device, handled one
 * at a time, so memory holds one partition's keys (bounded by the retention: keys of days
 * the tracking tier no longer accepts are dropped when runs are compacted).
 *
 * Within the input, files are taken in key order and rows in file order: the first copy of
 * an event is kept, so a re-run over the same input keeps the same rows.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { countingSort } from './counting-sort.js';
import { join } from 'node:path';
import { DAY_MS, utcDay } from '../common/time.js';
import type { Lake } from '../lake/lake.js';
import { addSeqs, type DeviceSeqs } from './device-seqs.js';
import { murmur128, murmur128String } from '../common/hash.js';
import { KEY_WORDS, makeRun, mergeRuns, readRun, runHas, sortedOrder, writeRun } from './key-runs.js';
import { dedupeKeyColumn, dictionaryIds, grow, newDictionary, readParquetColumns, type IntColumn, type StrColumn } from './parquet-columns.js';
import { SessionsUpdate } from './dedupe-sessions.js';
import { sessionType } from '../common/sessions.js';
import { appDir, readCounters, type AppState, type Counters } from './state.js';

export { readDrops } from './state.js';

export interface DedupeAppTask {
  stateDir: string;
  app: string;
  state: AppState;
  /** New lake keys of this app's Parquet files, sorted. */
  files: string[];
  generation: number;
  /** Keys of events on days before this (UTC day number) are forgotten at compaction. */
  minDay: number;
  /** Compact a partition when it would have more runs than this. */
  maxRuns: number;
  sessionTimeoutMs: number;
  /** Session days this many days before a device's last one are dropped. */
  retentionDays: number;
}

export interface DedupeAppResult {
  app: string;
  state: AppState;
  /** UTC days (YYYY-MM-DD) whose facts changed (with those whose sessions the new events change). */
  days: string[];
  rows: number;
  duplicates: number;
  /** Key records held after this run (all partitions). */
  keys: number;
  /** Every device's session days were walked again from the lake (a state from before they were kept, or another timeout). */
  rebuiltSessions: boolean;
}

const COLUMNS = ['dedupe_key', 'app_id', 'event_id', 'device_id', 'seq', 'event_time', 'platform', 'type'];

type ColumnBatch = ReturnType<typeof readParquetColumns>[number];
type PartitionState = AppState['partitions'][number];

/** Keys of every new row (KEY_WORDS words each: its hash, then its day) and what the later steps need of it, in file then row order. */
class NewRows {
  n = 0;
  keys = new Uint32Array(1 << 16);
  part = new Int32Array(1 << 14);
  fileOf = new Int32Array(1 << 14);
  rowOf = new Int32Array(1 << 14);
  seq = new Float64Array(1 << 14);
  time = new Float64Array(1 << 14);
  /** Session type ids (Dicts.sessDict). */
  typeOf = new Int32Array(1 << 14);
  devOf = new Int32Array(1 << 14);
  platOf = new Int32Array(1 << 14);

  /** Room for `need` rows. */
  grow(need: number): void {
    this.keys = grow(this.keys, need * KEY_WORDS);
    [this.part, this.fileOf, this.rowOf] = [grow(this.part, need), grow(this.fileOf, need), grow(this.rowOf, need)];
    [this.devOf, this.platOf, this.typeOf] = [grow(this.devOf, need), grow(this.platOf, need), grow(this.typeOf, need)];
    [this.seq, this.time] = [grow(this.seq, need), grow(this.time, need)];
  }
}

/** The run's dictionaries, and each device's partition. */
class Dicts {
  readonly devDict = newDictionary();
  readonly platDict = newDictionary();
  readonly typeDict = newDictionary();
  readonly srcDict = newDictionary();
  /** Session types (sessionType) by id. */
  readonly sessDict = newDictionary();
  /** Per device id, its partition. */
  readonly devPart: number[] = [];
}

/** The id of session type t in `sess`, added if new. */
function sessionTypeId(sess: Dicts['sessDict'], t: string): number {
  let id = sess.dict.get(t);
  if (id === undefined) sess.dict.set(t, (id = sess.names.push(t) - 1));
  return id;
}

/** 1. Keys of every new row, in file then row order. */
async function readKeys(task: DedupeAppTask, lake: Lake, partitions: number): Promise<{ rows: NewRows; dicts: Dicts }> {
  const rows = new NewRows();
  const dicts = new Dicts();
  for (let f = 0; f < task.files.length; f++) {
    const buf = await lake.get(task.files[f]!);
    let base = 0;
    for (const batch of readParquetColumns(buf, COLUMNS, ['source'])) {
      addBatch(batch, f, base, partitions, rows, dicts);
      base += batch.rows;
    }
  }
  return { rows, dicts };
}

/** Adds the keys of one batch of file f, its first row being row `base` of the file. */
function addBatch(batch: ColumnBatch, f: number, base: number, P: number, rows: NewRows, dicts: Dicts): void {
  const { devDict, platDict, typeDict, srcDict, sessDict, devPart } = dicts;
  const dk = dedupeKeyColumn(batch);
  const sq = batch.columns.get('seq') as IntColumn;
  const et = batch.columns.get('event_time') as IntColumn;
  rows.grow(rows.n + batch.rows);
  const { keys, part, fileOf, rowOf, devOf, platOf, typeOf, seq, time } = rows;
  const devId = dictionaryIds(batch.columns.get('device_id') as StrColumn, devDict.dict, devDict.names);
  const platId = dictionaryIds(batch.columns.get('platform') as StrColumn, platDict.dict, platDict.names);
  const typeId = dictionaryIds(batch.columns.get('type') as StrColumn, typeDict.dict, typeDict.names);
  // A row's type as the session rules see it: Segment-spec SDKs' events and ad beacons have rules of their own (common/sessions.ts, sessionType).
  const src = batch.columns.get('source') as StrColumn | undefined;
  const srcId = src ? dictionaryIds(src, srcDict.dict, srcDict.names) : null;
  // Per source and type, the session type's id (most rows: an SDK's, the type as it is).
  const bySource = srcDict.names.map((x) => typeDict.names.map((t) => sessionTypeId(sessDict, sessionType(t, x))));
  const asIs = typeDict.names.map((t) => sessionTypeId(sessDict, t));
  const h = new Uint32Array(4);
  // A device's partition is hashed once, not per row.
  for (let d = devPart.length; d < devDict.names.length; d++) {
    murmur128String(devDict.names[d]!, h);
    devPart.push(h[0]! % P);
  }
  let n = rows.n;
  for (let i = 0; i < batch.rows; i++, n++) {
    murmur128(dk.data, dk.start[i]!, dk.end[i]!, h);
    const o = n * KEY_WORDS;
    keys[o] = h[0]!;
    keys[o + 1] = h[1]!;
    keys[o + 2] = h[2]!;
    keys[o + 3] = h[3]!;
    keys[o + 4] = Math.floor(et.values[i]! / DAY_MS);
    const d = devId[i]!;
    part[n] = devPart[d]!;
    devOf[n] = d;
    platOf[n] = platId[i]!;
    fileOf[n] = f;
    rowOf[n] = base + i;
    seq[n] = sq.present[i] ? sq.values[i]! : Number.NaN;
    time[n] = et.values[i]!;
    typeOf[n] = srcId !== null ? bySource[srcId[i]!]![typeId[i]!]! : asIs[typeId[i]!]!;
  }
  rows.n = n;
}

/** What every partition's step reads, and adds to (counters, days, drops, sessions). */
interface Run {
  task: DedupeAppTask;
  dir: string;
  rows: NewRows;
  dicts: Dicts;
  /** Per `YYYY-MM-DD|platform`: [seq gaps, duplicates]. */
  counters: Counters;
  /** UTC day numbers whose facts changed. */
  days: Set<number>;
  /** Per file, the row numbers to drop. */
  drops: number[][];
  sessions: SessionsUpdate;
  /** The aggregation's device order: seq where both have one and they differ, else event time. */
  inDeviceOrder: (x: number, y: number) => number;
}

function bump(counters: Counters, day: number, platform: string, k: 0 | 1, by: number): void {
  const key = `${utcDay(day * DAY_MS)}|${platform}`;
  const c = counters[key] ?? (counters[key] = [0, 0]);
  c[k] += by;
}

/** 2. One partition with new rows (`rows`, row numbers): drops what is known, adds what is new. */
async function dedupePartition(run: Run, p: number, old: PartitionState, rows: Int32Array): Promise<{ partition: PartitionState; duplicates: number }> {
  const keys = run.rows.keys;
  const sub = new Uint32Array(rows.length * KEY_WORDS);
  // Word by word: a subarray per row was garbage for every key.
  for (let i = 0; i < rows.length; i++) for (let w = 0, src = rows[i]! * KEY_WORDS, dst = i * KEY_WORDS; w < KEY_WORDS; w++) sub[dst + w] = keys[src + w]!;
  const runs = await Promise.all(old.runs.map((r) => readRun(join(run.dir, r))));
  const { fresh, nFresh, duplicates } = dropSeen(run, rows, sub, runs);
  const { partRuns, held } = await writeKeys(run, p, old, runs, sub, fresh, nFresh);
  const devices = await updateDevices(run, p, old, rows, fresh, nFresh);
  return { partition: { runs: partRuns, devices, keys: held }, duplicates };
}

/**
 * Drops the rows whose key (in `sub`, row i's at i * KEY_WORDS) is in an earlier row or a run, in key order;
 * returns the others (`fresh`, indices into `rows`) and the count of the dropped.
 */
function dropSeen(run: Run, rows: Int32Array, sub: Uint32Array, runs: Uint32Array[]): { fresh: Int32Array; nFresh: number; duplicates: number } {
  const { drops, counters, days } = run;
  const { fileOf, rowOf, platOf } = run.rows;
  const platforms = run.dicts.platDict.names;
  const order = sortedOrder(sub, rows.length);
  const fresh = new Int32Array(rows.length);
  let nFresh = 0;
  let duplicates = 0;
  for (let i = 0; i < order.length; i++) {
    const k = order[i]!;
    const o = k * KEY_WORDS;
    const prev = i > 0 ? order[i - 1]! * KEY_WORDS : -1;
    const repeat = prev >= 0 && sub[prev] === sub[o] && sub[prev + 1] === sub[o + 1] && sub[prev + 2] === sub[o + 2] && sub[prev + 3] === sub[o + 3];
    let seen = repeat;
    for (let j = runs.length - 1; !seen && j >= 0; j--) seen = runHas(runs[j]!, sub, k);
    const r = rows[k]!;
    if (seen) {
      drops[fileOf[r]!]!.push(rowOf[r]!);
      duplicates++;
      bump(counters, sub[o + 4]!, platforms[platOf[r]!]!, 1, 1);
      days.add(sub[o + 4]!);
    } else {
      fresh[nFresh++] = k;
      days.add(sub[o + 4]!);
    }
  }
  return { fresh, nFresh, duplicates };
}

/** Writes the partition's run of fresh keys (merged with the old runs when there would be too many); returns its runs and the keys they hold. */
async function writeKeys(run: Run, p: number, old: PartitionState, runs: Uint32Array[], sub: Uint32Array, fresh: Int32Array, nFresh: number): Promise<{ partRuns: string[]; held: number }> {
  const { task, dir } = run;
  let newRun = makeRun(sub, fresh, nFresh);
  let partRuns = [...old.runs];
  if (runs.length + 1 > task.maxRuns) {
    newRun = mergeRuns([...runs, newRun], task.minDay);
    partRuns = [];
  }
  const runName = `p${p}-g${task.generation}.keys`;
  await writeRun(join(dir, runName), newRun);
  partRuns.push(runName);
  const held = (partRuns.length === 1 ? 0 : old.keys) + newRun.length / KEY_WORDS;
  return { partRuns, held };
}

/** Devices' delivered seqs: the gaps they close or open, per day; and their sessions. Returns the partition's new device seqs file. */
async function updateDevices(run: Run, p: number, old: PartitionState, rows: Int32Array, fresh: Int32Array, nFresh: number): Promise<string> {
  const { task, dir } = run;
  const devOf = run.rows.devOf;
  const devSeqs: Record<string, DeviceSeqs> = old.devices ? (JSON.parse(await readFile(join(dir, old.devices), 'utf8')) as Record<string, DeviceSeqs>) : {};
  const byDev = new Map<number, number[]>();
  for (let f = 0; f < nFresh; f++) {
    const r = rows[fresh[f]!]!;
    let list = byDev.get(devOf[r]!);
    if (!list) byDev.set(devOf[r]!, (list = []));
    list.push(r);
  }
  for (const [d, all] of byDev) updateDevice(run, p, devSeqs, d, all);
  const devName = `p${p}-g${task.generation}.dev.json`;
  await writeFile(join(dir, devName), JSON.stringify(devSeqs));
  return devName;
}

/** Device d's new rows (`all`, row numbers): its seqs in `devSeqs`, the counters of the gaps, and its sessions. */
function updateDevice(run: Run, p: number, devSeqs: Record<string, DeviceSeqs>, d: number, all: number[]): void {
  const { counters, days, inDeviceOrder } = run;
  const { seq, time, keys, platOf, typeOf } = run.rows;
  const platforms = run.dicts.platDict.names;
  // Files come in day order and a device's rows in seq order within one: mostly sorted already, so look before sorting.
  let sorted = true;
  for (let i = 1; sorted && i < all.length; i++) sorted = inDeviceOrder(all[i - 1]!, all[i]!) <= 0;
  if (!sorted) all.sort(inDeviceOrder);
  // With a seq on every row (the usual case) device order is seq order: no second sort.
  const list = all.every((r) => !Number.isNaN(seq[r]!)) ? all : all.filter((r) => !Number.isNaN(seq[r]!)).sort((x, y) => seq[x]! - seq[y]!);
  const name = run.dicts.devDict.names[d]!;
  const cur = devSeqs[name] ?? (devSeqs[name] = { platform: '', iv: [] });
  // '' also when the entry was made by a walk of its sessions alone (dedupe-sessions.ts).
  if (cur.platform === '') cur.platform = platforms[platOf[(list[0] ?? all[0])!]!]!;
  if (list.length > 0) {
    const delta = new Map<number, number>();
    cur.iv = addSeqs(cur.iv, list.map((r) => seq[r]!), list.map((r) => keys[r * KEY_WORDS + 4]!), delta);
    for (const [day, by] of delta) {
      if (by === 0) continue;
      bump(counters, day, cur.platform, 0, by);
      days.add(day);
    }
  }
  // Its sessions: continued from its last event, or walked again once the new files are recorded.
  const sessNames = run.dicts.sessDict.names;
  run.sessions.device(p, name, cur, { seq: all.map((r) => seq[r]!), time: all.map((r) => time[r]!), type: all.map((r) => sessNames[typeOf[r]!]!) }, days);
}

/** 3. Drop lists and rows per file into `state`. */
async function writeDrops(run: Run, state: AppState): Promise<void> {
  const { task, dir, drops } = run;
  for (let f = 0; f < task.files.length; f++) {
    const list = drops[f]!.sort((a, b) => a - b);
    let name: string | null = null;
    if (list.length > 0) {
      name = `drops-g${task.generation}-${f}.bin`;
      await writeFile(join(dir, name), Buffer.from(new Uint32Array(list).buffer));
    }
    state.files[task.files[f]!] = { rows: 0, drops: name };
  }
  const { fileOf, n } = run.rows;
  const perFile = new Int32Array(task.files.length);
  for (let r = 0; r < n; r++) perFile[fileOf[r]!]!++;
  task.files.forEach((f, i) => (state.files[f]!.rows = perFile[i]!));
}

export async function dedupeApp(task: DedupeAppTask, lake: Lake): Promise<DedupeAppResult> {
  const { app, stateDir, generation } = task;
  const P = task.state.partitions.length;
  const dir = appDir(stateDir, app);
  await mkdir(dir, { recursive: true });
  const { rows, dicts } = await readKeys(task, lake, P);

  // 2. Partition by partition: drop what is known, add what is new.
  const byPart = countingSort(rows.part, rows.n, P);
  const drops: number[][] = task.files.map(() => []);
  const counters: Counters = await readCounters(stateDir, app, task.state.counters);
  const state: AppState = { partitions: [], counters: task.state.counters, files: { ...task.state.files } };
  const sessions = new SessionsUpdate(task.state, task.sessionTimeoutMs, task.retentionDays);
  const { seq, time } = rows;
  const inDeviceOrder = (x: number, y: number): number => {
    const [sx, sy] = [seq[x]!, seq[y]!];
    return sx === sy || Number.isNaN(sx) || Number.isNaN(sy) ? time[x]! - time[y]! : sx - sy;
  };
  const run: Run = { task, dir, rows, dicts, counters, days: new Set<number>(), drops, sessions, inDeviceOrder };
  let duplicates = 0;
  let keyCount = 0;
  for (let p = 0; p < P; p++) {
    const old = task.state.partitions[p]!;
    const partRows = byPart.order.subarray(byPart.start[p]!, byPart.start[p + 1]!);
    const done = partRows.length === 0 ? { partition: old, duplicates: 0 } : await dedupePartition(run, p, old, partRows);
    state.partitions.push(done.partition);
    keyCount += done.partition.keys;
    duplicates += done.duplicates;
  }

  // 3. Drop lists per file, counters; the caller commits them in the manifest.
  await writeDrops(run, state);
  const counterName = `counters-g${generation}.json`;
  await writeFile(join(dir, counterName), JSON.stringify(counters));
  state.counters = counterName;
  state.sessions = await sessions.finish(lake, stateDir, app, dir, state, generation, run.days);
  state.audience = sessions.audience.finish();
  return { app, state, days: [...run.days].sort((a, b) => a - b).map((d) => utcDay(d * DAY_MS)), rows: rows.n, duplicates, keys: keyCount, rebuiltSessions: sessions.rebuild };
}
