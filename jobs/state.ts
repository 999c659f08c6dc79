/**
 * The jobs' state directory: the dedupe keys, the devices' delivered seqs, the per-day
 * counters (gaps, duplicates), which lake files were processed with which rows dropped, and
 * which app-days still have to be (re)loaded into the store.
 *
 * Every data file is written once under a fresh name; `manifest.json` names the current
 * ones and is replaced by an atomic rename, so a run killed at any point leaves the last
 * committed state. Files no manifest names are garbage, removed after a commit. The store
 * loads are derived from this state and idempotent: pending app-days are cleared only
 * after they are loaded, so a killed run reloads them identically.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AudienceDays } from './device-cohorts.js';
import type { Crossings } from './device-sessions.js';
import { JobError } from './errors.js';

interface PartitionState {
  /** Key run files, oldest first. */
  runs: string[];
  /** The partition's device seqs file, or null before any. */
  devices: string | null;
  /** Key records held in the runs (before duplicates across runs are merged away). */
  keys: number;
}

interface FileState {
  rows: number;
  /** File of the row numbers dropped as duplicates, or null when none. */
  drops: string | null;
}

export interface AppState {
  partitions: PartitionState[];
  /** Per "YYYY-MM-DD|platform": [seq gaps, duplicates removed], or null before any. */
  counters: string | null;
  /** Lake keys of the processed Parquet files of this app. */
  files: Record<string, FileState>;
  /**
   * Sessions across midnights (device-sessions.ts): the timeout the devices' session days were
   * walked with, and per day the start days of sessions with events on it. Absent in states
   * from before they were kept: the next dedupe walks every device again from the lake.
   */
  sessions?: { timeoutMs: number; crossings: Crossings };
  /** Active, new and returning devices per day (device-cohorts.ts); absent before: the next dedupe walks every device again. */
  audience?: AudienceDays;
}

export interface Manifest {
  format: 'sluice-jobs-state/1';
  generation: number;
  partitions: number;
  apps: Record<string, AppState>;
  /** App id -> UTC days (YYYY-MM-DD) whose facts must be (re)loaded. */
  pending: Record<string, string[]>;
  /** App id -> days loaded whose attribution and delivery are not refreshed yet. */
  derived: Record<string, string[]>;
  /**
   * How the dedupe keys were made (common/dedupe-key.ts); absent in states from before 2. Key
   * format 2 escapes a backslash, NUL or lone surrogate inside an id: ids without them keep
   * their key, so an older state stays valid for them (see the README, Batch jobs).
   */
  key_format?: number;
}

/** The dedupe key format this build writes. */
export const KEY_FORMAT = 2;

export type Counters = Record<string, [number, number]>;

const MANIFEST = 'manifest.json';

function emptyManifest(partitions: number): Manifest {
  return { format: 'sluice-jobs-state/1', generation: 0, partitions, apps: {}, pending: {}, derived: {}, key_format: KEY_FORMAT };
}

export function emptyApp(partitions: number): AppState {
  return { partitions: Array.from({ length: partitions }, () => ({ runs: [], devices: null, keys: 0 })), counters: null, files: {} };
}

/** The directory of an app's state (app ids are URL-encoded: they come from devices). */
export function appDir(stateDir: string, app: string): string {
  return join(stateDir, 'apps', encodeURIComponent(app));
}

export async function loadManifest(stateDir: string, partitions: number): Promise<Manifest> {
  await mkdir(stateDir, { recursive: true });
  const path = join(stateDir, MANIFEST);
  if (!existsSync(path)) return emptyManifest(partitions);
  let m: Manifest;
  try {
    m = JSON.parse(await readFile(path, 'utf8')) as Manifest;
  } catch (err) {
    throw new JobError('JOB_ERR_STATE_CORRUPT', `${path} cannot be read: ${(err as Error).message}`);
  }
  if (m.format !== 'sluice-jobs-state/1') throw new JobError('JOB_ERR_STATE_CORRUPT', `${path} is not a sluice jobs state (format ${String(m.format)})`);
  if (m.partitions !== partitions) {
    throw new JobError('JOB_ERR_STATE_CORRUPT', `${stateDir} holds ${m.partitions} dedupe partitions but --dedupe-partitions is ${partitions}; keep the value a state was made with`);
  }
  m.derived ??= {};
  return m;
}

/** Writes the manifest under a temporary name and renames it over the old one (atomic on POSIX). */
export async function commitManifest(stateDir: string, m: Manifest): Promise<void> {
  const tmp = join(stateDir, `${MANIFEST}.${process.pid}.tmp`);
  await writeFile(tmp, JSON.stringify(m));
  await rename(tmp, join(stateDir, MANIFEST));
}

export async function readCounters(stateDir: string, app: string, file: string | null): Promise<Counters> {
  if (file === null) return {};
  return JSON.parse(await readFile(join(appDir(stateDir, app), file), 'utf8')) as Counters;
}

/** Row numbers dropped from a file (sorted), from its drop list. */
export async function readDrops(stateDir: string, app: string, file: string | null): Promise<Uint32Array | null> {
  if (file === null) return null;
  const buf = await readFile(join(appDir(stateDir, app), file));
  return new Uint32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

/** Every file the manifest names, relative to the state dir. */
function referenced(m: Manifest): Set<string> {
  const keep = new Set<string>([MANIFEST]);
  for (const [app, s] of Object.entries(m.apps)) {
    const dir = join('apps', encodeURIComponent(app));
    if (s.counters) keep.add(join(dir, s.counters));
    s.partitions.forEach((p) => {
      for (const r of p.runs) keep.add(join(dir, r));
      if (p.devices) keep.add(join(dir, p.devices));
    });
    for (const f of Object.values(s.files)) if (f.drops) keep.add(join(dir, f.drops));
  }
  return keep;
}

/** Removes the files of older generations and of runs that died before their commit; answers how many. */
export async function collectGarbage(stateDir: string, m: Manifest): Promise<number> {
  const keep = referenced(m);
  let removed = 0;
  const walk = async (rel: string): Promise<void> => {
    const entries = await readdir(join(stateDir, rel), { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      const r = rel ? join(rel, e.name) : e.name;
      if (e.isDirectory()) await walk(r);
      else if (!keep.has(r)) {
        await rm(join(stateDir, r), { force: true });
        removed++;
      }
    }
  };
  await walk('');
  return removed;
}
