import { ConfigError } from '../common/errors.js';
import { MysqlStore } from './mysql-store.js';
import type { StoreOptions } from './options.js';
import { refineStore } from './options.js';
import { SqliteStore } from './sqlite-store.js';
import type { ReportStore } from './store.js';

const DEFAULTS: StoreOptions = { store: 'sqlite', sqlitePath: './data/sluice.db', mysqlUrl: '' };

/**
 * Opens the report store the options name and applies its pending migrations. Takes a
 * whole tier config too (other keys are ignored). Missing options take their defaults; unusable ones throw one ConfigError listing every problem
 * (`command` names the command in it). A store that cannot be reached or migrated is
 * closed again and the StoreError (STORE_ERR_UNAVAILABLE...) is thrown.
 */
export async function createStore(options: Partial<StoreOptions>, command = 'store'): Promise<ReportStore> {
  const cfg: StoreOptions = { ...DEFAULTS };
  for (const k of Object.keys(DEFAULTS) as (keyof StoreOptions)[]) {
    const v = options[k];
    if (v !== undefined) (cfg as Record<string, unknown>)[k] = v;
  }
  const problems = refineStore(cfg);
  if (problems.length > 0) throw new ConfigError(problems, command);
  let store: ReportStore;
  switch (cfg.store) {
    case 'sqlite':
      store = new SqliteStore({ path: cfg.sqlitePath });
      break;
    case 'mysql':
      store = new MysqlStore({ url: cfg.mysqlUrl });
      break;
    default:
      throw new ConfigError([`--store: expected sqlite or mysql, got ${JSON.stringify(cfg.store)}`], command);
  }
  try {
    await store.migrate();
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}
