/**
 * A real, throwaway MariaDB server for tests. Installs Debian's mariadb-server when no
 * mariadbd is found (scripts/mariadb.sh install; needs root, as CI has), initialises a fresh
 * data directory in a temporary folder, starts mariadbd on a free loopback port, waits until
 * it answers, and creates a user `sluice` with a random password. `createDatabase()` gives
 * each test its own database. Nothing is skipped: when MariaDB cannot be installed or
 * started, startMariaDb() throws with the reason and the end of the server's log.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, readFileSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mysql from 'mysql2/promise';
import type { Connection } from 'mysql2/promise';

export interface MariaDb {
  host: string;
  port: number;
  /** A new empty database (default character set utf8mb4_general_ci) that user `sluice` owns; its mysql:// URL. */
  createDatabase(name?: string): Promise<string>;
  /** Stops the server and removes its files. Safe to call twice. */
  stop(): Promise<void>;
  /** How long each step took, ms (install is 0 when MariaDB was already there). */
  timings: { installMs: number; initMs: number; startMs: number };
}

const SCRIPT = fileURLToPath(new URL('../../../scripts/mariadb.sh', import.meta.url));
const READY_TIMEOUT_MS = 60_000;

function which(names: readonly string[]): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin', '/usr/bin', '/usr/local/bin'];
  for (const n of names) {
    for (const d of dirs) {
      try {
        accessSync(join(d, n), constants.X_OK);
        return join(d, n);
      } catch {
        /* not here */
      }
    }
  }
  return undefined;
}

function fail(message: string): never {
  throw new Error(`MariaDB for the MySQL store tests: ${message}`);
}

/** Installs MariaDB when it is missing; answers how long that took. */
function ensureInstalled(): number {
  if (which(['mariadbd', 'mysqld'])) return 0;
  const t0 = Date.now();
  const r = spawnSync('bash', [SCRIPT, 'install'], { stdio: ['ignore', 'inherit', 'inherit'], timeout: 15 * 60_000 });
  if (r.status !== 0) fail(`'bash scripts/mariadb.sh install' failed (exit ${String(r.status)}${r.error ? `, ${r.error.message}` : ''}); install mariadb-server (Debian) as root`);
  if (!which(['mariadbd', 'mysqld'])) fail('mariadb-server was installed but no mariadbd or mysqld is on the PATH');
  return Date.now() - t0;
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve, reject) => srv.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

function logTail(file: string, stderr = ''): string {
  let log = '';
  try {
    log = readFileSync(file, 'utf8');
  } catch {
    /* not written yet */
  }
  const text = `${log}\n${stderr}`.trim();
  return text === '' ? '(nothing logged)' : text.split('\n').slice(-25).join('\n');
}

/** `bufferPoolMb`: InnoDB's buffer pool (64 MB for tests; bench:jobs gives a load-sized one). */
export async function startMariaDb(options: { bufferPoolMb?: number } = {}): Promise<MariaDb> {
  const installMs = ensureInstalled();
  const server = which(['mariadbd', 'mysqld'])!;
  const installDb = which(['mariadb-install-db', 'mysql_install_db']) ?? fail('no mariadb-install-db or mysql_install_db found');
  const asRoot = process.getuid?.() === 0 ? ['--user=root'] : [];
  const dir = await mkdtemp(join(tmpdir(), 'sluice-mariadb-'));
  const socket = join(dir, 'mysqld.sock');
  const errorLog = join(dir, 'error.log');

  let t0 = Date.now();
  const init = spawnSync(installDb, ['--no-defaults', `--datadir=${join(dir, 'data')}`, '--auth-root-authentication-method=normal', '--skip-test-db', ...asRoot], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    fail(`${installDb} failed (exit ${String(init.status)}):\n${(init.stderr || init.stdout || '').slice(-2000)}`);
  }
  const initMs = Date.now() - t0;

  t0 = Date.now();
  let child: ChildProcess | undefined;
  let port = 0;
  let root: Connection | undefined;
  let stderr = '';
  const killAtExit = () => {
    child?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', killAtExit);
  // A free port can be taken between the probe and the server's bind: then try another.
  for (let attempt = 1; attempt <= 3 && root === undefined; attempt++) {
    port = await freePort();
    child = spawn(
      server,
      [
        '--no-defaults', `--datadir=${join(dir, 'data')}`, `--socket=${socket}`, `--port=${port}`, '--bind-address=127.0.0.1',
        `--pid-file=${join(dir, 'mysqld.pid')}`, `--log-error=${errorLog}`, '--skip-name-resolve', '--skip-log-bin',
        // Throwaway data: speed over durability.
        `--innodb-buffer-pool-size=${options.bufferPoolMb ?? 64}M`, '--innodb-flush-log-at-trx-commit=0', '--innodb-doublewrite=0', '--sync-binlog=0',
        ...asRoot,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child.stderr!.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-4000)));
    // A forgotten stop() must not keep the test process alive: the exit hook kills the server.
    child.unref();
    (child.stderr as unknown as { unref(): void }).unref();
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    let gone = false;
    void exited.then(() => (gone = true));
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (root === undefined) {
      try {
        root = await mysql.createConnection({ socketPath: socket, user: 'root', password: '', connectTimeout: 2000 });
      } catch {
        if (gone) break;
        if (Date.now() > deadline) {
          child.kill('SIGKILL');
          process.removeListener('exit', killAtExit);
          killAtExit();
          fail(`mariadbd did not accept connections within ${READY_TIMEOUT_MS / 1000} s; its log ends:\n${logTail(errorLog, stderr)}`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    if (root === undefined && !/already in use|bind/i.test(logTail(errorLog, stderr))) {
      process.removeListener('exit', killAtExit);
      const tail = logTail(errorLog, stderr);
      killAtExit();
      fail(`mariadbd exited before accepting connections; its log ends:\n${tail}`);
    }
  }
  if (root === undefined) fail(`mariadbd could not bind a free port in 3 tries; its log ends:\n${logTail(errorLog, stderr)}`);
  const startMs = Date.now() - t0;

  // Anonymous users would shadow 'sluice'@'%' for local connections.
  const [anon] = await root.query("SELECT User, Host FROM mysql.user WHERE User = ''");
  for (const r of anon as { Host: string }[]) await root.query(`DROP USER ''@${root.escape(r.Host)}`);
  const password = randomBytes(12).toString('hex');
  await root.query(`CREATE USER 'sluice'@'%' IDENTIFIED BY ${root.escape(password)}`);

  let count = 0;
  let stopped = false;
  const proc = child!;
  return {
    host: '127.0.0.1',
    port,
    timings: { installMs, initMs, startMs },
    async createDatabase(name = `sluice_t${process.pid}_${++count}`) {
      if (!/^[a-z0-9_]{1,64}$/.test(name)) throw new Error(`bad database name ${name}`);
      await root!.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci`);
      await root!.query(`GRANT ALL PRIVILEGES ON \`${name}\`.* TO 'sluice'@'%'`);
      return `mysql://sluice:${password}@127.0.0.1:${port}/${name}`;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await root!.end().catch(() => undefined);
      if (proc.exitCode === null && proc.signalCode === null) {
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(timer);
      }
      process.removeListener('exit', killAtExit);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

let shared: Promise<MariaDb> | undefined;

/** One server per test process, started on first use; the test file stops it in its `after`. */
export function sharedMariaDb(): Promise<MariaDb> {
  shared ??= startMariaDb();
  return shared;
}
