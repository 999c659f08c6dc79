/**
 * The job bookkeeping of the report store (store/facts.ts): runs and partition locks, written
 * once for both backends against the shared executor.
 *
 * A lock is one row per partition key. Taking it is one write transaction: insert the row
 * when there is none (INSERT OR IGNORE / INSERT IGNORE: a concurrent taker's insert makes
 * ours a no-op, never an error), otherwise take it over with a conditional UPDATE that only
 * matches when the lock has expired or is already ours. Both statements read the latest
 * committed row under its write lock, so of two callers at once exactly one wins; in MySQL
 * a deadlock between them rolls one back whole and it runs again (mysql-store.ts).
 */
import { conflict, invalid, notFound } from './errors.js';
import type { JobRun } from './facts.js';
import type { Row } from './rows.js';
import type { SqlAccess } from './sql-store.js';
import { newId } from './store.js';

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 10_000;
/** TEXT holds 65,535 bytes; a longer error is cut (recording a failure must not fail). */
const ERROR_MAX_BYTES = 65_535;

const COLUMNS = 'id, workflow, partition_key, status, started_at, finished_at, row_count, error';
const SQL = {
  insertRun: `INSERT INTO job_runs (${COLUMNS}) VALUES (?, ?, ?, 'running', ?, NULL, NULL, NULL)`,
  runStatus: 'SELECT status FROM job_runs WHERE id = ?',
  finishRun: "UPDATE job_runs SET status = ?, finished_at = ?, row_count = ?, error = ? WHERE id = ? AND status = 'running'",
  listRuns: `SELECT ${COLUMNS} FROM job_runs ORDER BY started_at DESC, id DESC LIMIT ?`,
  listWorkflowRuns: `SELECT ${COLUMNS} FROM job_runs WHERE workflow = ? ORDER BY started_at DESC, id DESC LIMIT ?`,
  lockRow: 'SELECT owner FROM job_locks WHERE partition_key = ?',
  lockHolder: 'SELECT owner, expires_at FROM job_locks WHERE partition_key = ?',
  insertLock: {
    sqlite: 'INSERT OR IGNORE INTO job_locks (partition_key, owner, expires_at) VALUES (?, ?, ?)',
    mysql: 'INSERT IGNORE INTO job_locks (partition_key, owner, expires_at) VALUES (?, ?, ?)',
  },
  takeLock: 'UPDATE job_locks SET owner = ?, expires_at = ? WHERE partition_key = ? AND (owner = ? OR expires_at <= ?)',
  releaseLock: 'DELETE FROM job_locks WHERE partition_key = ? AND owner = ?',
  renewLock: 'UPDATE job_locks SET expires_at = ? WHERE partition_key = ? AND owner = ?',
} as const;

function text(problems: string[], field: string, v: unknown, max: number): void {
  if (typeof v !== 'string' || v.trim() === '' || [...v].length > max) problems.push(`${field}: expected a non-empty string of at most ${max} characters, got ${JSON.stringify(v)}`);
}
function ms(problems: string[], field: string, v: unknown, min = 0): void {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) problems.push(`${field}: expected an integer >= ${min}, got ${JSON.stringify(v)}`);
}
function refuse(what: string, problems: string[]): void {
  if (problems.length > 0) throw invalid(what, problems);
}

function cut(s: string): string {
  if (Buffer.byteLength(s) <= ERROR_MAX_BYTES) return s;
  // Cut on a character boundary, leaving room for the marker.
  const b = Buffer.from(s).subarray(0, ERROR_MAX_BYTES - 16).toString('utf8').replace(/\uFFFD$/, '');
  return `${b} ...[cut]`;
}

function fromRow(r: Row): JobRun {
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return {
    id: String(r.id),
    workflow: String(r.workflow),
    partition_key: String(r.partition_key),
    status: String(r.status) as JobRun['status'],
    started_at: Number(r.started_at),
    finished_at: num(r.finished_at),
    row_count: num(r.row_count),
    error: r.error === null || r.error === undefined ? null : String(r.error),
  };
}

/** startJobRun, finishJobRun, listJobRuns, acquireJobLock, releaseJobLock and jobLockHolder; SqlStore delegates to it. */
/** The arguments of taking or renewing a job lock, checked once for both (refused with every problem). */
function checkLockArgs(partitionKey: string, owner: string, ttlMs: number, now: number): void {
  const problems: string[] = [];
  text(problems, 'partition_key', partitionKey, 255);
  text(problems, 'owner', owner, 255);
  ms(problems, 'ttlMs', ttlMs, 1);
  ms(problems, 'now', now);
  refuse('job lock', problems);
}

export class JobSql {
  constructor(private readonly db: SqlAccess) {}

  async startJobRun(workflow: string, partitionKey: string, at: number): Promise<string> {
    const problems: string[] = [];
    text(problems, 'workflow', workflow, 128);
    text(problems, 'partition_key', partitionKey, 255);
    ms(problems, 'started_at', at);
    refuse('job run', problems);
    const id = newId('run_');
    await this.db.query((x) => x.run(SQL.insertRun, [id, workflow, partitionKey, at]));
    return id;
  }

  /** A run finishes once: finishing it again (or one that is not running) is STORE_ERR_CONFLICT. */
  async finishJobRun(id: string, status: 'succeeded' | 'failed', at: number, rowCount: number | null, error: string | null): Promise<void> {
    const problems: string[] = [];
    if (status !== 'succeeded' && status !== 'failed') problems.push(`status: expected succeeded or failed, got ${JSON.stringify(status)}`);
    ms(problems, 'finished_at', at);
    if (rowCount !== null) ms(problems, 'row_count', rowCount);
    if (error !== null && typeof error !== 'string') problems.push(`error: expected a string or null, got ${typeof error}`);
    refuse('job run', problems);
    await this.db.transaction('write', async (x) => {
      // Conditional, so that of two finishers at once only one matches.
      if ((await x.run(SQL.finishRun, [status, at, rowCount, error === null ? null : cut(error), String(id)])) === 1) return;
      const rows = await x.all(SQL.runStatus, [String(id)]);
      if (!rows[0]) throw notFound('job run', String(id));
      throw conflict(`job run ${JSON.stringify(id)} has already finished (${String(rows[0].status)})`);
    });
  }

  /** Newest first (started_at, then id, descending); `limit` defaults to 100. */
  async listJobRuns(filter: { workflow?: string; limit?: number }): Promise<JobRun[]> {
    const { workflow, limit = DEFAULT_LIMIT } = filter ?? {};
    const problems: string[] = [];
    if (workflow !== undefined && typeof workflow !== 'string') problems.push(`workflow: expected a string, got ${JSON.stringify(workflow)}`);
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_LIMIT) problems.push(`limit: expected an integer from 1 to ${MAX_LIMIT}, got ${JSON.stringify(limit)}`);
    refuse('job runs query', problems);
    // MySQL 8 refuses a LIMIT bound as a double (how mysql2 sends numbers); a string it takes.
    const lim = this.db.kind === 'mysql' ? String(limit) : limit;
    const rows = await this.db.query((x) => (workflow === undefined ? x.all(SQL.listRuns, [lim]) : x.all(SQL.listWorkflowRuns, [workflow, lim])));
    return rows.map(fromRow);
  }

  async acquireJobLock(partitionKey: string, owner: string, ttlMs: number, now: number): Promise<boolean> {
    checkLockArgs(partitionKey, owner, ttlMs, now);
    const expires = now + ttlMs;
    return this.db.transaction('write', async (x) => {
      if ((await x.all(SQL.lockRow, [partitionKey])).length === 0) {
        if ((await x.run(SQL.insertLock[this.db.kind], [partitionKey, owner, expires])) === 1) return true;
      }
      // mysql2 sets FOUND_ROWS: a matched row counts even when extending changes nothing.
      return (await x.run(SQL.takeLock, [owner, expires, partitionKey, owner, now])) === 1;
    });
  }

  async renewJobLock(partitionKey: string, owner: string, ttlMs: number, now: number): Promise<boolean> {
    checkLockArgs(partitionKey, owner, ttlMs, now);
    // Only a row we still own: a lock released or taken over meanwhile is never made again here.
    return (await this.db.query((x) => x.run(SQL.renewLock, [now + ttlMs, partitionKey, owner]))) === 1;
  }

  async jobLockHolder(partitionKey: string): Promise<{ owner: string; expires_at: number } | undefined> {
    if (typeof partitionKey !== 'string') refuse('job lock', ['partition_key: expected a string']);
    const rows = await this.db.query((x) => x.all(SQL.lockHolder, [partitionKey]));
    return rows[0] ? { owner: String(rows[0].owner), expires_at: Number(rows[0].expires_at) } : undefined;
  }

  async releaseJobLock(partitionKey: string, owner: string): Promise<void> {
    const problems: string[] = [];
    if (typeof partitionKey !== 'string') problems.push('partition_key: expected a string');
    if (typeof owner !== 'string') problems.push('owner: expected a string');
    refuse('job lock', problems);
    await this.db.query((x) => x.run(SQL.releaseLock, [partitionKey, owner]));
  }
}
