import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';

/**
 * The report store's options, for any tier that opens the store: compose them into a
 * command's schema (`Type.Object({ ...storeSchema.properties, ...own })`) and add
 * `refineStore` to its refine. The MySQL URL carries a password: print it only through
 * `redactMysqlUrl`.
 */
export const storeSchema = Type.Object({
  store: Type.Union([Type.Literal('sqlite'), Type.Literal('mysql')], {
    default: 'sqlite',
    description: 'report store backend: sqlite (one embedded file) or mysql (a MySQL or MariaDB server)',
  }),
  sqlitePath: Type.String({ default: './data/sluice.db', description: 'SQLite database file when --store sqlite' }),
  mysqlUrl: Type.String({
    default: '',
    description: 'server and database when --store mysql, e.g. mysql://user:password@host:3306/sluice (the password is never logged)',
  }),
});

export type StoreOptions = Static<typeof storeSchema>;

interface MysqlTarget {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

const DB_RE = /^[A-Za-z0-9_$]{1,64}$/;

/** The parts of a mysql:// URL, user and password percent-decoded; a sentence when it is unusable. */
export function parseMysqlUrl(url: string): MysqlTarget | string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'expected a URL such as mysql://user:password@host:3306/sluice';
  }
  if (u.protocol !== 'mysql:' && u.protocol !== 'mariadb:') return `expected the mysql:// scheme, got ${u.protocol}//`;
  if (u.hostname === '') return 'the URL has no host';
  const port = u.port === '' ? 3306 : Number(u.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return 'the port must be 1 to 65535';
  const database = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (!DB_RE.test(database)) return 'give the database as the URL path, e.g. mysql://user:password@host:3306/sluice (letters, digits, _ or $)';
  if (u.username === '') return 'the URL has no user';
  let user: string;
  let password: string;
  try {
    user = decodeURIComponent(u.username);
    password = decodeURIComponent(u.password);
  } catch {
    return 'the user or password is badly percent-encoded';
  }
  return { host: u.hostname.replace(/^\[|\]$/g, ''), port, user, password, database };
}

/** The URL with its password replaced by ***, safe for logs and messages; '(unparsable URL)' if not a URL. */
export function redactMysqlUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable URL)';
  }
}

/** Problems with the store options, as sentences (empty when they are usable). Never repeats a password. */
export function refineStore(cfg: StoreOptions): string[] {
  const p: string[] = [];
  if (cfg.store === 'sqlite' && cfg.sqlitePath.trim() === '') p.push('--sqlite-path: give the database file for --store sqlite');
  if (cfg.store === 'mysql' && cfg.mysqlUrl === '') p.push('--mysql-url: give the server for --store mysql, e.g. mysql://user:password@host:3306/sluice');
  if (cfg.mysqlUrl !== '') {
    const parsed = parseMysqlUrl(cfg.mysqlUrl);
    if (typeof parsed === 'string') p.push(`--mysql-url: ${parsed}, got ${redactMysqlUrl(cfg.mysqlUrl)}`);
  }
  return p;
}
