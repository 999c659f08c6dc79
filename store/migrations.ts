/**
 * The report store's schema: ONE numbered list of migrations for both backends. The SQL keeps
 * to what SQLite and MySQL/MariaDB share (VARCHAR, TEXT, MEDIUMTEXT, BIGINT, INTEGER, DOUBLE,
 * explicit primary keys, foreign keys with ON DELETE CASCADE, CREATE INDEX). Timestamps are
 * BIGINT epoch ms, UTC. The one dialect difference is the MySQL table options (InnoDB,
 * utf8mb4 with a binary collation so that ids, keys and hashes compare exactly, whatever the
 * database's default collation is), added by `table()`.
 *
 * Never edit an applied migration: add a new one with the next version.
 */

type Statement = string | { sqlite: string; mysql: string };

interface Migration {
  version: number;
  name: string;
  statements: readonly Statement[];
}

const MYSQL_TABLE_OPTIONS = ' ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin';

/** A CREATE TABLE for both dialects: MySQL gets the engine and character set. */
function table(sql: string): Statement {
  return { sqlite: sql, mysql: sql + MYSQL_TABLE_OPTIONS };
}

export function statementFor(s: Statement, dialect: 'sqlite' | 'mysql'): string {
  return typeof s === 'string' ? s : s[dialect];
}

/** The bookkeeping table, created before any migration runs. */
export const SCHEMA_MIGRATIONS: Statement = table(
  'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER NOT NULL PRIMARY KEY, name VARCHAR(255) NOT NULL, applied_at BIGINT NOT NULL)',
);

const ID = 'VARCHAR(64) NOT NULL';
const DAY = 'VARCHAR(10) NOT NULL';
const COUNT = 'BIGINT NOT NULL';
const DIM = (n: number): string => `VARCHAR(${n}) NOT NULL`;
const EVENT_COUNTS = ['events', 'app_open', 'app_close', 'app_background', 'app_foreground', 'ad_request', 'ad_impression', 'ad_click', 'ad_interaction', 'custom', 'sessions', 'session_ms']
  .map((c) => `${c} ${COUNT}`)
  .join(', ');

/** The dimensions of agg_app_hourly that agg_app_dim_daily rolls up, one at a time. */
export const REPORT_DIMENSIONS = ['platform', 'os_version', 'app_version', 'country', 'device_class'] as const;
export type ReportDimension = (typeof REPORT_DIMENSIONS)[number];
export const EVENT_COUNT_COLUMNS = ['events', 'app_open', 'app_close', 'app_background', 'app_foreground', 'ad_request', 'ad_impression', 'ad_click', 'ad_interaction', 'custom', 'sessions', 'session_ms'] as const;
const SUMS = EVENT_COUNT_COLUMNS.map((c) => `SUM(${c})`).join(', ');
/** SELECT of the hour totals from agg_app_hourly (a WHERE may follow). */
export const ROLLUP_HOUR_SELECT = `SELECT app_id, hour, day, ${SUMS} FROM agg_app_hourly`;
/** SELECT of one dimension's daily rows from agg_app_hourly (a WHERE may follow). */
export const rollupDimSelect = (d: ReportDimension): string => `SELECT app_id, day, '${d}', ${d}, ${SUMS} FROM agg_app_hourly`;

/** The dimensions a report may be filtered on; agg_app_dim_hourly rolls them up per hour, one at a time. */
export const FILTER_ROLLUP_DIMENSIONS = ['platform', 'country', 'app_version'] as const;
/** SELECT of one filter dimension's hourly rows from agg_app_hourly (a WHERE may follow). */
export const rollupDimHourSelect = (d: (typeof FILTER_ROLLUP_DIMENSIONS)[number]): string => `SELECT app_id, hour, day, '${d}', ${d}, ${SUMS} FROM agg_app_hourly`;

/** The columns of agg_campaign_hourly that agg_campaign_dim_daily rolls up, one at a time. */
export const AD_DIMENSIONS = ['creative_id', 'slot_id', 'platform', 'country'] as const;
type AdDimension = (typeof AD_DIMENSIONS)[number];
const AD_SUMS = 'SUM(requests), SUM(impressions), SUM(clicks), SUM(interactions)';
const AD_COUNTS = ['requests', 'impressions', 'clicks', 'interactions'].map((c) => `${c} ${COUNT}`).join(', ');
/** SELECT of the per line item hour rows from agg_campaign_hourly (a WHERE may follow). */
export const ROLLUP_AD_HOUR_SELECT = `SELECT app_id, hour, day, campaign_id, line_item_id, ${AD_SUMS} FROM agg_campaign_hourly`;
/** SELECT of one ad dimension's daily rows from agg_campaign_hourly (a WHERE may follow). */
export const rollupAdDimSelect = (d: AdDimension): string => `SELECT app_id, day, campaign_id, '${d}', ${d}, ${AD_SUMS} FROM agg_campaign_hourly`;

/** SELECT of the per line item and slot day rows (money by slot) from agg_campaign_hourly (a WHERE follows). */
export const MONEY_SLOT_SELECT = 'SELECT app_id, day, campaign_id, line_item_id, slot_id, SUM(impressions), SUM(clicks) FROM agg_campaign_hourly';

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'campaign model, app keys, revision, delivery',
    statements: [
      table(`CREATE TABLE publishers (id ${ID} PRIMARY KEY, name VARCHAR(255) NOT NULL)`),
      table(
        `CREATE TABLE apps (id ${ID} PRIMARY KEY, publisher_id ${ID}, name VARCHAR(255) NOT NULL, platform VARCHAR(16) NOT NULL,
          attribution_lookback_days INTEGER NOT NULL, attribution_model VARCHAR(16) NOT NULL,
          FOREIGN KEY (publisher_id) REFERENCES publishers (id) ON DELETE CASCADE)`,
      ),
      'CREATE INDEX apps_publisher ON apps (publisher_id)',
      table(
        `CREATE TABLE slots (id ${ID} PRIMARY KEY, app_id ${ID}, name VARCHAR(255) NOT NULL, size VARCHAR(16) NOT NULL,
          FOREIGN KEY (app_id) REFERENCES apps (id) ON DELETE CASCADE)`,
      ),
      'CREATE INDEX slots_app ON slots (app_id)',
      table(`CREATE TABLE advertisers (id ${ID} PRIMARY KEY, name VARCHAR(255) NOT NULL)`),
      table(
        `CREATE TABLE campaigns (id ${ID} PRIMARY KEY, advertiser_id ${ID}, name VARCHAR(255) NOT NULL,
          start_at BIGINT NOT NULL, end_at BIGINT NOT NULL, status VARCHAR(16) NOT NULL, budget_micros BIGINT NOT NULL,
          priority INTEGER NOT NULL, exclusion_labels TEXT NOT NULL,
          FOREIGN KEY (advertiser_id) REFERENCES advertisers (id) ON DELETE CASCADE)`,
      ),
      'CREATE INDEX campaigns_advertiser ON campaigns (advertiser_id)',
      table(
        `CREATE TABLE line_items (id ${ID} PRIMARY KEY, campaign_id ${ID}, name VARCHAR(255) NOT NULL,
          start_at BIGINT NOT NULL, end_at BIGINT NOT NULL, status VARCHAR(16) NOT NULL, goal_type VARCHAR(16) NOT NULL,
          goal BIGINT NOT NULL, delivery VARCHAR(16) NOT NULL, country_split TEXT NULL, targeting TEXT NOT NULL,
          cap_count INTEGER NOT NULL, cap_window_ms BIGINT NOT NULL, cpm_micros BIGINT NOT NULL, slot_ids TEXT NOT NULL,
          FOREIGN KEY (campaign_id) REFERENCES campaigns (id) ON DELETE CASCADE)`,
      ),
      'CREATE INDEX line_items_campaign ON line_items (campaign_id)',
      table(
        `CREATE TABLE creatives (id ${ID} PRIMARY KEY, line_item_id ${ID}, name VARCHAR(255) NOT NULL, kind VARCHAR(16) NOT NULL,
          size VARCHAR(16) NOT NULL, payload MEDIUMTEXT NOT NULL, click_url TEXT NOT NULL, weight DOUBLE NOT NULL,
          FOREIGN KEY (line_item_id) REFERENCES line_items (id) ON DELETE CASCADE)`,
      ),
      'CREATE INDEX creatives_line_item ON creatives (line_item_id)',
      // Only the SHA-256 of a key (base64url, 43 characters) is kept.
      table(
        `CREATE TABLE app_keys (hash VARCHAR(64) NOT NULL PRIMARY KEY, app_id ${ID}, created_at BIGINT NOT NULL,
          FOREIGN KEY (app_id) REFERENCES apps (id) ON DELETE CASCADE)`,
      ),
      'CREATE INDEX app_keys_app ON app_keys (app_id)',
      // One row (id 1): bumped in the same transaction as every write to the campaign model.
      table('CREATE TABLE model_revision (id INTEGER NOT NULL PRIMARY KEY, rev BIGINT NOT NULL)'),
      'INSERT INTO model_revision (id, rev) VALUES (1, 0)',
      // Delivered counts per line item, UTC hour (epoch ms of its start) and country; loads set, never add.
      table(
        `CREATE TABLE delivery (line_item_id ${ID}, hour BIGINT NOT NULL, country VARCHAR(8) NOT NULL,
          impressions BIGINT NOT NULL, clicks BIGINT NOT NULL, PRIMARY KEY (line_item_id, hour, country))`,
      ),
      'CREATE INDEX delivery_hour ON delivery (hour)',
    ],
  },
  {
    version: 2,
    name: 'users, api keys, job runs and locks',
    statements: [
      table(
        `CREATE TABLE users (id ${ID} PRIMARY KEY, email VARCHAR(255) NOT NULL UNIQUE, password_hash VARCHAR(255) NOT NULL,
          role VARCHAR(16) NOT NULL CHECK (role IN ('admin', 'publisher', 'advertiser')),
          publisher_id VARCHAR(64) NULL, advertiser_id VARCHAR(64) NULL, created_at BIGINT NOT NULL,
          FOREIGN KEY (publisher_id) REFERENCES publishers (id) ON DELETE CASCADE,
          FOREIGN KEY (advertiser_id) REFERENCES advertisers (id) ON DELETE CASCADE)`,
      ),
      table(
        `CREATE TABLE api_keys (hash VARCHAR(64) NOT NULL PRIMARY KEY, user_id ${ID}, created_at BIGINT NOT NULL,
          FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE)`,
      ),
      'CREATE INDEX api_keys_user ON api_keys (user_id)',
      // `rows` is a reserved word in MariaDB and MySQL 8, hence row_count.
      table(
        `CREATE TABLE job_runs (id ${ID} PRIMARY KEY, workflow VARCHAR(128) NOT NULL, partition_key VARCHAR(255) NOT NULL,
          status VARCHAR(16) NOT NULL, started_at BIGINT NOT NULL, finished_at BIGINT NULL, row_count BIGINT NULL, error TEXT NULL)`,
      ),
      'CREATE INDEX job_runs_partition ON job_runs (workflow, partition_key)',
      table('CREATE TABLE job_locks (partition_key VARCHAR(255) NOT NULL PRIMARY KEY, owner VARCHAR(255) NOT NULL, expires_at BIGINT NOT NULL)'),
    ],
  },
  {
    // The fact tables of store/facts.ts (columns named as its row types). Dimensions are never
    // NULL ('' for unknown) and form the primary keys; in MySQL every key stays under InnoDB's
    // 3072 bytes in utf8mb4 (4 bytes a character). `count` is a function name, reserved once
    // mysql2's IGNORE_SPACE is on, hence quoted (backticks work in SQLite too). job_runs and
    // job_locks came with version 2; listing runs newest first gets its indexes here.
    version: 3,
    name: 'fact tables, restatements, job run indexes',
    statements: [
      table(
        `CREATE TABLE agg_app_hourly (app_id ${ID}, hour BIGINT NOT NULL, day ${DAY}, platform ${DIM(16)}, os_version ${DIM(32)},
          app_version ${DIM(32)}, country ${DIM(8)}, device_class ${DIM(32)}, ${EVENT_COUNTS}, devices ${COUNT},
          PRIMARY KEY (app_id, hour, platform, os_version, app_version, country, device_class))`,
      ),
      table(
        `CREATE TABLE agg_app_daily (app_id ${ID}, day ${DAY}, platform ${DIM(16)}, ${EVENT_COUNTS}, devices ${COUNT},
          devices_hll MEDIUMTEXT NOT NULL, seq_gaps ${COUNT}, duplicates ${COUNT}, PRIMARY KEY (app_id, day, platform))`,
      ),
      table(
        `CREATE TABLE agg_campaign_hourly (app_id ${ID}, hour BIGINT NOT NULL, day ${DAY}, campaign_id ${DIM(64)},
          line_item_id ${DIM(64)}, creative_id ${DIM(64)}, slot_id ${DIM(64)}, platform ${DIM(16)}, country ${DIM(8)},
          requests ${COUNT}, impressions ${COUNT}, clicks ${COUNT}, interactions ${COUNT},
          PRIMARY KEY (app_id, hour, campaign_id, line_item_id, creative_id, slot_id, platform, country))`,
      ),
      'CREATE INDEX agg_campaign_hourly_campaign ON agg_campaign_hourly (campaign_id, hour)',
      'CREATE INDEX agg_campaign_hourly_hour ON agg_campaign_hourly (hour, line_item_id)',
      table(
        `CREATE TABLE agg_custom_daily (app_id ${ID}, day ${DAY}, name ${DIM(128)}, prop ${DIM(128)}, value ${DIM(256)},
          \`count\` ${COUNT}, PRIMARY KEY (app_id, day, name, prop, value))`,
      ),
      table(
        `CREATE TABLE touches (app_id ${ID}, day ${DAY}, device_id ${DIM(128)}, ts BIGINT NOT NULL, kind VARCHAR(16) NOT NULL,
          campaign_id ${DIM(64)}, creative_id ${DIM(64)}, ord BIGINT NOT NULL, PRIMARY KEY (app_id, day, device_id, ts, ord))`,
      ),
      table(
        `CREATE TABLE agg_attribution_daily (app_id ${ID}, day ${DAY}, campaign_id ${DIM(64)}, creative_id ${DIM(64)},
          model ${DIM(32)}, conversions DOUBLE NOT NULL, PRIMARY KEY (app_id, day, campaign_id, creative_id, model))`,
      ),
      table(
        `CREATE TABLE restatements (run_id ${ID}, app_id ${ID}, hour BIGINT NOT NULL, metric VARCHAR(16) NOT NULL,
          old_value BIGINT NOT NULL, new_value BIGINT NOT NULL, at BIGINT NOT NULL, PRIMARY KEY (run_id, app_id, hour, metric))`,
      ),
      'CREATE INDEX restatements_app_at ON restatements (app_id, at)',
      'CREATE INDEX restatements_at ON restatements (at)',
      'CREATE INDEX job_runs_started ON job_runs (started_at)',
      'CREATE INDEX job_runs_workflow_started ON job_runs (workflow, started_at)',
    ],
  },
  {
    // Report rollups the reporting UI reads (30-day ranges in milliseconds): totals per app and
    // hour, and per app, day and one dimension. replaceAppDay keeps them in step with
    // agg_app_hourly in the same transaction; the INSERTs here fill them from facts loaded before.
    version: 4,
    name: 'report rollups: app hour totals, app day by dimension; users by tenant',
    statements: [
      table(`CREATE TABLE agg_app_hour_total (app_id ${ID}, hour BIGINT NOT NULL, day ${DAY}, ${EVENT_COUNTS}, PRIMARY KEY (app_id, hour))`),
      table(
        `CREATE TABLE agg_app_dim_daily (app_id ${ID}, day ${DAY}, dim VARCHAR(16) NOT NULL, value ${DIM(32)}, ${EVENT_COUNTS},
          PRIMARY KEY (app_id, day, dim, value))`,
      ),
      `INSERT INTO agg_app_hour_total ${ROLLUP_HOUR_SELECT} GROUP BY app_id, hour, day`,
      ...REPORT_DIMENSIONS.map((d) => `INSERT INTO agg_app_dim_daily ${rollupDimSelect(d)} GROUP BY app_id, day, ${d}`),
      'CREATE INDEX users_publisher ON users (publisher_id)',
      'CREATE INDEX users_advertiser ON users (advertiser_id)',
    ],
  },
  {
    // Ad rollups for the reports: per line item and hour (delivery, and groupings by campaign,
    // line item, app, hour or day), and per day and one ad dimension (creative, slot, platform,
    // country). replaceAppDay keeps them in step; the INSERTs fill them from earlier loads.
    version: 5,
    name: 'report rollups: ads per line item and hour, ads per day by dimension',
    statements: [
      table(
        `CREATE TABLE agg_campaign_hour_li (app_id ${ID}, hour BIGINT NOT NULL, day ${DAY}, campaign_id ${DIM(64)}, line_item_id ${DIM(64)}, ${AD_COUNTS},
          PRIMARY KEY (app_id, hour, campaign_id, line_item_id))`,
      ),
      'CREATE INDEX agg_campaign_hour_li_campaign ON agg_campaign_hour_li (campaign_id, hour)',
      table(
        `CREATE TABLE agg_campaign_dim_daily (app_id ${ID}, day ${DAY}, campaign_id ${DIM(64)}, dim VARCHAR(16) NOT NULL, value ${DIM(64)}, ${AD_COUNTS},
          PRIMARY KEY (app_id, day, campaign_id, dim, value))`,
      ),
      'CREATE INDEX agg_campaign_dim_daily_campaign ON agg_campaign_dim_daily (campaign_id, day)',
      `INSERT INTO agg_campaign_hour_li ${ROLLUP_AD_HOUR_SELECT} GROUP BY app_id, hour, day, campaign_id, line_item_id`,
      ...AD_DIMENSIONS.map((d) => `INSERT INTO agg_campaign_dim_daily ${rollupAdDimSelect(d)} GROUP BY app_id, day, campaign_id, ${d}`),
      // The delivery refresh reads the hour ranges by primary key (app_id, hour) now; this index
      // only slowed every load (the campaign facts are the largest table).
      { sqlite: 'DROP INDEX agg_campaign_hourly_hour', mysql: 'DROP INDEX agg_campaign_hourly_hour ON agg_campaign_hourly' },
    ],
  },
  {
    // API keys get a public id (to list and revoke them) and an optional expiry. Keys made
    // before take an id from their hash (the hash of a 192-bit secret reveals nothing of it).
    version: 6,
    name: 'api keys: id for revocation, optional expiry',
    statements: [
      'ALTER TABLE api_keys ADD COLUMN id VARCHAR(64) NULL',
      'ALTER TABLE api_keys ADD COLUMN expires_at BIGINT NULL',
      { sqlite: "UPDATE api_keys SET id = 'key_' || SUBSTR(hash, 1, 16)", mysql: "UPDATE api_keys SET id = CONCAT('key_', SUBSTR(hash, 1, 16))" },
      'CREATE UNIQUE INDEX api_keys_id ON api_keys (id)',
    ],
  },
  {
    // Rows the pipeline or the jobs could not store, set aside in the lake's quarantine/ (one
    // entry per lake object, app, day and reason), for data health. The key stays under
    // InnoDB's 3072 bytes: (400 + 64 + 10 + 32) characters of 4 bytes.
    version: 7,
    name: 'quarantined rows',
    statements: [
      table(
        `CREATE TABLE quarantined_rows (lake_key VARCHAR(400) NOT NULL, source VARCHAR(16) NOT NULL, app_id VARCHAR(64) NOT NULL, day VARCHAR(10) NOT NULL,
          reason VARCHAR(32) NOT NULL, row_count BIGINT NOT NULL, detail VARCHAR(1000) NOT NULL, at BIGINT NOT NULL, PRIMARY KEY (lake_key, app_id, day, reason))`,
      ),
      'CREATE INDEX quarantined_rows_app_at ON quarantined_rows (app_id, at)',
      'CREATE INDEX quarantined_rows_at ON quarantined_rows (at)',
    ],
  },
  {
    // Audience (store/audience.ts): active, new and returning devices and day +1/+7/+30
    // retention per app and first-seen day; distinct devices per app, day and app_version.
    version: 8,
    name: 'audience: cohorts per first-seen day, devices per app version',
    statements: [
      table(`CREATE TABLE agg_audience_daily (app_id ${ID}, day ${DAY}, devices ${COUNT}, new_devices ${COUNT}, d1 ${COUNT}, d7 ${COUNT}, d30 ${COUNT}, PRIMARY KEY (app_id, day))`),
      table(`CREATE TABLE agg_app_version_daily (app_id ${ID}, day ${DAY}, app_version ${DIM(32)}, devices ${COUNT}, PRIMARY KEY (app_id, day, app_version))`),
    ],
  },
  {
    // Funnels over custom events (definitions, publishers make them), devices per funnel step
    // and UTC day, and campaign reach: per app, day and campaign the impressions and a
    // HyperLogLog of the devices that saw one, and their total per campaign and day over every
    // app (store/funnels.ts). Loads replace an app-day and keep the totals in step.
    version: 9,
    name: 'funnels and campaign reach',
    statements: [
      table(
        `CREATE TABLE funnels (id ${ID} PRIMARY KEY, app_id ${ID}, name VARCHAR(100) NOT NULL, steps TEXT NOT NULL, created_at BIGINT NOT NULL,
          FOREIGN KEY (app_id) REFERENCES apps (id) ON DELETE CASCADE)`,
      ),
      'CREATE INDEX funnels_app ON funnels (app_id)',
      table(`CREATE TABLE agg_funnel_daily (app_id ${ID}, day ${DAY}, funnel_id ${ID}, step INTEGER NOT NULL, devices ${COUNT}, PRIMARY KEY (app_id, day, funnel_id, step))`),
      'CREATE INDEX agg_funnel_daily_funnel ON agg_funnel_daily (funnel_id, day)',
      table(`CREATE TABLE agg_campaign_reach_daily (app_id ${ID}, day ${DAY}, campaign_id ${DIM(64)}, impressions ${COUNT}, devices_hll MEDIUMTEXT NOT NULL, PRIMARY KEY (app_id, day, campaign_id))`),
      'CREATE INDEX agg_campaign_reach_daily_campaign ON agg_campaign_reach_daily (campaign_id, day)',
      // Per campaign and day over every app: what the reach report reads (one sketch a day, not one per app and day).
      table(`CREATE TABLE agg_campaign_reach_total (campaign_id ${DIM(64)}, day ${DAY}, impressions ${COUNT}, devices_hll MEDIUMTEXT NOT NULL, PRIMARY KEY (campaign_id, day))`),
    ],
  },
  {
    // Money (common/money.ts): a line item's price model and price (cpm_micros carried over as a
    // cpm price, then dropped), a campaign's ISO 4217 currency, a publisher's revenue share.
    version: 10,
    name: 'money: price model and price, campaign currency, publisher revenue share',
    statements: [
      "ALTER TABLE publishers ADD COLUMN rev_share_bps INTEGER NOT NULL DEFAULT 7000",
      "ALTER TABLE campaigns ADD COLUMN currency VARCHAR(3) NOT NULL DEFAULT 'USD'",
      "ALTER TABLE line_items ADD COLUMN price_model VARCHAR(8) NOT NULL DEFAULT 'cpm'",
      'ALTER TABLE line_items ADD COLUMN price_micros BIGINT NOT NULL DEFAULT 0',
      'UPDATE line_items SET price_micros = cpm_micros',
      'ALTER TABLE line_items DROP COLUMN cpm_micros',
      // Ads per app, day, line item and slot: publisher revenue by slot reads whole days here
      // (replaceAppDay keeps it in step), not the hourly facts.
      table(
        `CREATE TABLE agg_money_slot_daily (app_id ${ID}, day ${DAY}, campaign_id ${DIM(64)}, line_item_id ${DIM(64)}, slot_id ${DIM(64)},
          impressions ${COUNT}, clicks ${COUNT}, PRIMARY KEY (app_id, day, campaign_id, line_item_id, slot_id))`,
      ),
      `INSERT INTO agg_money_slot_daily ${MONEY_SLOT_SELECT} WHERE line_item_id <> '' GROUP BY app_id, day, campaign_id, line_item_id, slot_id`,
    ],
  },
  {
    // Filtered reports (platform, country or app version = value) per hour: an app's hour has a
    // few dozen rows here against thousands in agg_app_hourly. replaceAppDay keeps it in step;
    // the INSERTs fill it from facts loaded before. (Version 11 was reserved for this work.)
    version: 11,
    name: 'report rollup: app hour by filter dimension',
    statements: [
      table(
        `CREATE TABLE agg_app_dim_hourly (app_id ${ID}, hour BIGINT NOT NULL, day ${DAY}, dim VARCHAR(16) NOT NULL, value ${DIM(32)}, ${EVENT_COUNTS},
          PRIMARY KEY (app_id, hour, dim, value))`,
      ),
      ...FILTER_ROLLUP_DIMENSIONS.map((d) => `INSERT INTO agg_app_dim_hourly ${rollupDimHourSelect(d)} GROUP BY app_id, hour, day, ${d}`),
    ],
  },
  {
    // Fleet delivery (store/fleet.ts): each ad server node's decisions and eligible traffic per
    // pacing unit, each tracking node's impression beacons per line item, so goals hold across
    // the fleet. Rows are set whole by their node; `updated_at` tells which nodes are alive,
    // `live_until` until when a row's live (pending) figure holds.
    version: 12,
    name: 'fleet delivery: ad server units and tracking impressions per node',
    statements: [
      table(
        `CREATE TABLE fleet_ad_units (node_id VARCHAR(128) NOT NULL, unit_key VARCHAR(128) NOT NULL, decided BIGINT NOT NULL, decided_live BIGINT NOT NULL,
          live_until BIGINT NOT NULL, eligible_rate DOUBLE NOT NULL, updated_at BIGINT NOT NULL, PRIMARY KEY (node_id, unit_key))`,
      ),
      table(
        `CREATE TABLE fleet_impressions (node_id VARCHAR(128) NOT NULL, line_item_id VARCHAR(128) NOT NULL, impressions BIGINT NOT NULL, impressions_live BIGINT NOT NULL,
          live_until BIGINT NOT NULL, updated_at BIGINT NOT NULL, PRIMARY KEY (node_id, line_item_id))`,
      ),
    ],
  },
];
