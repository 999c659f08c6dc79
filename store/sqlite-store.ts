/**
 * The embedded report store: one SQLite file through better-sqlite3, in WAL mode with
 * foreign keys on. better-sqlite3 is synchronous, so the shared async logic runs one
 * operation at a time (a promise queue per file): a transaction's statements never
 * interleave with another caller's. Write transactions are BEGIN IMMEDIATE, so several processes sharing the
 * file queue on its lock (busy timeout) instead of failing half-way.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { StoreError, StoreErrorCode, conflict, invalid, unavailable } from './errors.js';
import type { Row } from './rows.js';
import { SqlStore } from './sql-store.js';
import type { Executor } from './sql-store.js';

export interface SqliteStoreOptions {
  /** File path, or ':memory:'. */
  path: string;
  /** How long a writer waits for another process's lock, ms. */
  busyTimeoutMs?: number;
}

/**
 * One queue per database file in this process: two stores on the same file (tiers of one
 * process each opening it) never start a transaction while the other is inside one, which
 * would block the event loop on the file lock until the busy timeout.
 */
const QUEUES = new Map<string, { tail: Promise<unknown> }>();
function queueFor(location: string): { tail: Promise<unknown> } {
  let q = QUEUES.get(location);
  if (q === undefined) QUEUES.set(location, (q = { tail: Promise.resolve() }));
  return q;
}

export class SqliteStore extends SqlStore {
  readonly kind = 'sqlite' as const;
  readonly location: string;
  private readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();
  private readonly queue: { tail: Promise<unknown> };
  private closed = false;
  private readonly x: Executor;

  constructor(options: SqliteStoreOptions) {
    super();
    const memory = options.path === ':memory:';
    this.location = memory ? 'sqlite::memory:' : `sqlite:${resolve(options.path)}`;
    this.queue = memory ? { tail: Promise.resolve() } : queueFor(this.location);
    try {
      if (!memory) mkdirSync(dirname(resolve(options.path)), { recursive: true });
      this.db = new Database(options.path, { timeout: options.busyTimeoutMs ?? 5000 });
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.db.pragma('foreign_keys = ON');
      // 64 MiB of page cache (default 2 MiB): loads insert into large composite-key B-trees; bench:jobs' load step 27.5 -> 25.5 s.
      this.db.pragma('cache_size = -65536');
      this.db.pragma('wal_autocheckpoint = 16384');
    } catch (err) {
      throw mapSqliteError(err, `cannot open the SQLite store at ${this.location}`);
    }
    this.x = {
      all: async (sql, params = []) => {
        const st = this.prepare(sql);
        if (st.reader) return st.all(...params) as Row[];
        st.run(...params);
        return [];
      },
      run: async (sql, params = []) => {
        const st = this.prepare(sql);
        if (st.reader) {
          st.all(...params);
          return 0;
        }
        return st.run(...params).changes;
      },
    };
  }

  private prepare(sql: string): Database.Statement {
    let st = this.statements.get(sql);
    if (st === undefined) {
      st = this.db.prepare(sql);
      this.statements.set(sql, st);
    }
    return st;
  }

  /** One operation at a time; errors leave as StoreErrors. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.tail.then(async () => {
      if (this.closed) throw unavailable(`the SQLite store at ${this.location} is closed`);
      try {
        return await fn();
      } catch (err) {
        throw mapSqliteError(err);
      }
    });
    this.queue.tail = run.catch(() => undefined);
    return run;
  }

  protected query<T>(fn: (x: Executor) => Promise<T>): Promise<T> {
    return this.serial(() => fn(this.x));
  }

  protected transaction<T>(mode: 'write' | 'snapshot', fn: (x: Executor) => Promise<T>): Promise<T> {
    return this.serial(async () => {
      this.prepare(mode === 'write' ? 'BEGIN IMMEDIATE' : 'BEGIN DEFERRED').run();
      try {
        const out = await fn(this.x);
        this.prepare('COMMIT').run();
        return out;
      } catch (err) {
        if (this.db.inTransaction) this.prepare('ROLLBACK').run();
        throw err;
      }
    });
  }

  protected withMigrationLock<T>(fn: (x: Executor) => Promise<T>): Promise<T> {
    // SQLite's DDL is transactional: the whole migration is one write transaction.
    return this.transaction('write', fn);
  }

  async close(): Promise<void> {
    await this.serial(async () => {
      this.closed = true;
      this.statements.clear();
      this.db.close();
    }).catch(() => undefined);
  }
}

/** better-sqlite3's error codes to the store's; StoreErrors pass through. */
export function mapSqliteError(err: unknown, context?: string): unknown {
  if (err instanceof StoreError) return err;
  const e = err as { code?: string; message?: string };
  const code = typeof e?.code === 'string' ? e.code : '';
  const msg = context ? `${context}: ${e?.message ?? String(err)}` : `SQLite: ${e?.message ?? String(err)}`;
  if (code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE') return conflict(msg, err);
  if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY') return invalid('reference', [msg]);
  if (code.startsWith('SQLITE_CONSTRAINT') || code === 'SQLITE_MISMATCH' || code === 'SQLITE_TOOBIG') return invalid('value', [msg]);
  if (/^SQLITE_(BUSY|LOCKED|CANTOPEN|IOERR|FULL|READONLY|NOTADB|CORRUPT|PROTOCOL|NOMEM)/.test(code) || /database connection is not open/i.test(e?.message ?? '')) {
    return new StoreError(StoreErrorCode.UNAVAILABLE, msg, undefined, err);
  }
  return err;
}
