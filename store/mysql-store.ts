/**
 * The report store on a MySQL or MariaDB server through a mysql2 pool. Statements with
 * parameters go as server-side prepared statements (`execute`, cached per connection);
 * writes run in transactions that bump `model_revision` first, so model writers queue on
 * that one row and the revision moves with the data. Snapshots are REPEATABLE READ
 * transactions started WITH CONSISTENT SNAPSHOT. Tables are InnoDB, utf8mb4 (migrations.ts).
 */
import mysql from 'mysql2/promise';
import type { ExecuteValues, Pool, PoolConnection, ResultSetHeader } from 'mysql2/promise';
import { StoreError, StoreErrorCode, conflict, invalid, unavailable } from './errors.js';
import { parseMysqlUrl, redactMysqlUrl } from './options.js';
import type { Row } from './rows.js';
import { SqlStore } from './sql-store.js';
import type { Executor } from './sql-store.js';

interface MysqlStoreOptions {
  /** mysql://user:password@host:3306/database */
  url: string;
  /** Connections in the pool (default 5). */
  poolSize?: number;
  /** How long to wait for a connection to the server, ms (default 5000). */
  connectTimeoutMs?: number;
}

const DEADLOCK_RETRIES = 3;
const MIGRATION_LOCK = "SHA1(CONCAT('sluice.migrate.', DATABASE()))";

type Queryable = Pool | PoolConnection;

function executor(c: Queryable): Executor {
  const send = (sql: string, params: readonly unknown[]) => (params.length > 0 ? c.execute(sql, params as ExecuteValues[]) : c.query(sql));
  return {
    all: async (sql, params = []) => {
      const [rows] = await send(sql, params);
      return Array.isArray(rows) ? (rows as Row[]) : [];
    },
    run: async (sql, params = []) => {
      const [res] = await send(sql, params);
      return Array.isArray(res) ? 0 : (res as ResultSetHeader).affectedRows;
    },
  };
}

export class MysqlStore extends SqlStore {
  readonly kind = 'mysql' as const;
  readonly location: string;
  private readonly pool: Pool;
  private readonly x: Executor;
  private closed = false;

  constructor(options: MysqlStoreOptions) {
    super();
    const target = parseMysqlUrl(options.url);
    if (typeof target === 'string') throw invalid('MySQL URL', [`${target}, got ${redactMysqlUrl(options.url)}`]);
    this.location = `mysql://${encodeURIComponent(target.user)}@${target.host}:${target.port}/${target.database}`;
    this.pool = mysql.createPool({
      ...target,
      connectionLimit: options.poolSize ?? 5,
      waitForConnections: true,
      queueLimit: 0,
      connectTimeout: options.connectTimeoutMs ?? 5000,
      enableKeepAlive: true,
      idleTimeout: 60_000,
      charset: 'UTF8MB4_BIN',
      decimalNumbers: true,
      multipleStatements: false,
    });
    // Strict mode everywhere: a value that does not fit is an error, never silently cut; no engine but InnoDB.
    this.pool.pool.on('connection', (conn) => {
      // The callback keeps a failure (connection lost at once) from being an unhandled 'error' event; the next use reports it.
      conn.query("SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION,ERROR_FOR_DIVISION_BY_ZERO'", () => undefined);
    });
    this.x = executor(this.pool);
  }

  private async connection(): Promise<PoolConnection> {
    if (this.closed) throw unavailable(`the MySQL store at ${this.location} is closed`);
    try {
      return await this.pool.getConnection();
    } catch (err) {
      throw mapMysqlError(err, `cannot connect to ${this.location}`);
    }
  }

  /** Gives a connection back, or drops it when it broke (its next user would fail). */
  private done(conn: PoolConnection, err?: unknown): void {
    if (err !== undefined && isUnavailable(mapMysqlError(err))) conn.destroy();
    else conn.release();
  }

  protected async query<T>(fn: (x: Executor) => Promise<T>): Promise<T> {
    if (this.closed) throw unavailable(`the MySQL store at ${this.location} is closed`);
    try {
      return await fn(this.x);
    } catch (err) {
      throw mapMysqlError(err);
    }
  }

  protected async transaction<T>(mode: 'write' | 'snapshot', fn: (x: Executor) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const conn = await this.connection();
      let failure: unknown;
      try {
        if (mode === 'snapshot') {
          await conn.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
          await conn.query('START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY');
        } else {
          await conn.query('START TRANSACTION');
        }
        const out = await fn(executor(conn));
        await conn.query('COMMIT');
        return out;
      } catch (err) {
        failure = err;
        await conn.query('ROLLBACK').catch(() => undefined);
        // InnoDB chose this transaction as a deadlock victim: it was rolled back whole, so run it again.
        if ((err as { code?: string }).code === 'ER_LOCK_DEADLOCK' && attempt < DEADLOCK_RETRIES) continue;
        throw mapMysqlError(err);
      } finally {
        this.done(conn, failure);
      }
    }
  }

  protected async withMigrationLock<T>(fn: (x: Executor) => Promise<T>): Promise<T> {
    // MySQL commits DDL at once, so migrations cannot be one transaction; a named lock keeps
    // two processes from applying the same migration, and each is recorded right after it ran.
    const conn = await this.connection();
    let failure: unknown;
    try {
      const [rows] = await conn.query(`SELECT GET_LOCK(${MIGRATION_LOCK}, 60) AS ok`);
      if (Number((rows as Row[])[0]?.ok) !== 1) throw unavailable('timed out after 60 s waiting for another process to finish migrating');
      try {
        return await fn(executor(conn));
      } finally {
        await conn.query(`SELECT RELEASE_LOCK(${MIGRATION_LOCK})`).catch(() => undefined);
      }
    } catch (err) {
      failure = err;
      throw mapMysqlError(err);
    } finally {
      this.done(conn, failure);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end().catch(() => undefined);
  }
}

const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOENT',
  'PROTOCOL_CONNECTION_LOST', 'PROTOCOL_SEQUENCE_TIMEOUT', 'PROTOCOL_ENQUEUE_AFTER_FATAL_ERROR', 'PROTOCOL_ENQUEUE_AFTER_QUIT',
  'ER_SERVER_SHUTDOWN', 'ER_CON_COUNT_ERROR', 'ER_TOO_MANY_USER_CONNECTIONS', 'ER_ACCESS_DENIED_ERROR', 'ER_DBACCESS_DENIED_ERROR',
  'ER_BAD_DB_ERROR', 'ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT', 'ER_QUERY_INTERRUPTED', 'ER_CONNECTION_KILLED',
  'ER_OPTION_PREVENTS_STATEMENT', 'ER_CANT_LOCK', 'ER_NET_READ_ERROR', 'ER_NET_WRITE_INTERRUPTED', 'ER_HOST_IS_BLOCKED',
]);
const INVALID_CODES = new Set([
  'ER_NO_REFERENCED_ROW', 'ER_NO_REFERENCED_ROW_2', 'ER_ROW_IS_REFERENCED', 'ER_ROW_IS_REFERENCED_2', 'ER_DATA_TOO_LONG',
  'ER_TRUNCATED_WRONG_VALUE_FOR_FIELD', 'ER_TRUNCATED_WRONG_VALUE', 'ER_WARN_DATA_OUT_OF_RANGE', 'ER_BAD_NULL_ERROR',
  'ER_CONSTRAINT_FAILED', 'ER_CHECK_CONSTRAINT_VIOLATED',
]);

function isUnavailable(err: unknown): boolean {
  return err instanceof StoreError && err.code === StoreErrorCode.UNAVAILABLE;
}

/** mysql2's errors to the store's; StoreErrors pass through. Driver messages carry no password. */
function mapMysqlError(err: unknown, context?: string): unknown {
  if (err instanceof StoreError) return err;
  const e = (err ?? {}) as { code?: string; fatal?: boolean; message?: string };
  const code = typeof e.code === 'string' ? e.code : '';
  const msg = `${context ?? 'MySQL'}: ${e.message || code || String(err)}`;
  if (code === 'ER_DUP_ENTRY' || code === 'ER_DUP_KEY') return conflict(msg, err);
  if (INVALID_CODES.has(code)) return invalid('value', [msg]);
  if (UNAVAILABLE_CODES.has(code) || e.fatal === true || /closed state|Pool is closed|connection is closed/i.test(e.message ?? '')) {
    return new StoreError(StoreErrorCode.UNAVAILABLE, msg, undefined, err);
  }
  return err;
}
