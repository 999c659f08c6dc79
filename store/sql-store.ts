/**
 * Everything the two backends share: the store's logic written once against a small
 * executor (run SQL with bound parameters), so SQLite and MySQL differ only in how they
 * run a statement, open a transaction, take the migration lock and name their errors.
 */
import type { Advertiser, App, Campaign, CampaignSnapshot, Creative, Delivery, LineItem, Publisher, Slot } from './model.js';
import type { FactStore } from './facts.js';
import { AudienceSql } from './audience-sql.js';
import type { AudienceStore } from './audience.js';
import { FactSql } from './fact-sql.js';
import { FleetSql } from './fleet-sql.js';
import type { FleetStore } from './fleet.js';
import { FunnelSql } from './funnel-sql.js';
import type { FunnelStore } from './funnels.js';
import { JobSql } from './job-sql.js';
import { FilterSql, type FilterQueries } from './filter-sql.js';
import { HealthSql, type HealthQueries } from './health-sql.js';
import { InventorySql, type InventoryQueries } from './inventory-sql.js';
import { ReportSql } from './report-sql.js';
import { MoneySql, type MoneyQueries } from './money-sql.js';
import type { ReportQueries } from './reports.js';
import { UserSql } from './user-sql.js';
import type { UserStore } from './users.js';
import { conflict, invalid, notFound, StoreError, StoreErrorCode } from './errors.js';
import { MIGRATIONS, SCHEMA_MIGRATIONS, statementFor } from './migrations.js';
import { ADVERTISER, APP, CAMPAIGN, CREATIVE, LINE_ITEM, PUBLISHER, SLOT, SQL } from './rows.js';
import type { EntitySpec, Row } from './rows.js';
import { hashAppKey, newAppKey, newId } from './store.js';
import type { DeliveredTotals, New, Patch, ReportStore } from './store.js';
import { check, HOUR_MS } from './validate.js';
import { campaignDefaults, lineItemDefaults, publisherDefaults, type NewCampaign, type NewLineItem, type NewPublisher } from './money-defaults.js';

export interface Executor {
  /** Rows of a query (none for a statement that returns none). */
  all(sql: string, params?: readonly unknown[]): Promise<Row[]>;
  /** Runs a statement; answers the number of rows it changed. */
  run(sql: string, params?: readonly unknown[]): Promise<number>;
}

/** What the fact and job SQL (fact-sql.ts, job-sql.ts) need of a store. */
export interface SqlAccess {
  readonly kind: 'sqlite' | 'mysql';
  query<T>(fn: (x: Executor) => Promise<T>): Promise<T>;
  transaction<T>(mode: 'write' | 'snapshot', fn: (x: Executor) => Promise<T>): Promise<T>;
}

const DELIVERY_CHUNK = 100;
const COUNTRY_RE = /^[A-Za-z0-9_-]{0,8}$/;

export abstract class SqlStore implements ReportStore {
  abstract readonly kind: 'sqlite' | 'mysql';
  abstract readonly location: string;

  /** Runs fn outside any explicit transaction. */
  protected abstract query<T>(fn: (x: Executor) => Promise<T>): Promise<T>;
  /** Runs fn in a transaction: 'write' takes the write lock at once, 'snapshot' is one consistent read. */
  protected abstract transaction<T>(mode: 'write' | 'snapshot', fn: (x: Executor) => Promise<T>): Promise<T>;
  /** Runs fn while holding a lock that other processes migrating the same database respect. */
  protected abstract withMigrationLock<T>(fn: (x: Executor) => Promise<T>): Promise<T>;
  abstract close(): Promise<void>;

  async migrate(): Promise<number> {
    return this.withMigrationLock(async (x) => {
      await x.run(statementFor(SCHEMA_MIGRATIONS, this.kind));
      const done = new Set((await x.all(SQL.appliedMigrations)).map((r) => Number(r.version)));
      let applied = 0;
      for (const m of MIGRATIONS) {
        if (done.has(m.version)) continue;
        for (const s of m.statements) await x.run(statementFor(s, this.kind));
        await x.run(SQL.recordMigration, [m.version, m.name, Date.now()]);
        applied++;
      }
      return applied;
    });
  }

  async appliedMigrations(): Promise<number[]> {
    return this.query(async (x) => (await x.all(SQL.appliedMigrations)).map((r) => Number(r.version)));
  }

  // ---- the campaign model: one generic implementation per operation ----

  private async create<T extends { id: string }>(spec: EntitySpec<T>, input: New<T>): Promise<T> {
    const e = spec.pick({ ...input, id: input.id ?? newId(spec.prefix) });
    const problems = spec.check(e);
    if (problems.length > 0) throw invalid(spec.what, problems);
    try {
      return await this.transaction('write', async (x) => {
        await x.run(SQL.bumpRevision);
        await this.checkParent(x, spec, e);
        await x.run(spec.sql.insert, spec.insertParams(e));
        return e;
      });
    } catch (err) {
      if (err instanceof StoreError && err.code === StoreErrorCode.CONFLICT) throw conflict(`${spec.what} ${JSON.stringify(e.id)} already exists`, err);
      throw err;
    }
  }

  private async get<T extends { id: string }>(spec: EntitySpec<T>, id: string): Promise<T | undefined> {
    const rows = await this.query((x) => x.all(spec.sql.get, [String(id)]));
    return rows[0] ? spec.fromRow(rows[0]) : undefined;
  }

  private async list<T extends { id: string }>(spec: EntitySpec<T>, parentId?: string): Promise<T[]> {
    const rows = await this.query((x) => (parentId === undefined ? x.all(spec.sql.list) : x.all(spec.sql.listByParent, [String(parentId)])));
    return rows.map((r) => spec.fromRow(r));
  }

  private async update<T extends { id: string }>(spec: EntitySpec<T>, id: string, patch: Patch<T>): Promise<T> {
    return this.transaction('write', async (x) => {
      await x.run(SQL.bumpRevision);
      const rows = await x.all(spec.sql.get, [String(id)]);
      if (!rows[0]) throw notFound(spec.what, id);
      const current = spec.fromRow(rows[0]);
      const changes = Object.fromEntries(Object.entries(patch).filter(([k, v]) => v !== undefined && k !== 'id'));
      const next = spec.pick({ ...current, ...changes, id: current.id });
      const problems = spec.check(next);
      if (problems.length > 0) throw invalid(spec.what, problems);
      if (spec.parent && next[spec.parent.column] !== current[spec.parent.column]) await this.checkParent(x, spec, next);
      await x.run(spec.sql.update, spec.updateParams(next));
      return next;
    });
  }

  private async remove<T extends { id: string }>(spec: EntitySpec<T>, id: string): Promise<void> {
    await this.transaction('write', async (x) => {
      await x.run(SQL.bumpRevision);
      if ((await x.run(spec.sql.delete, [String(id)])) === 0) throw notFound(spec.what, id);
    });
  }

  /** A clear message for an unknown parent; the foreign key stays the guard against races. */
  private async checkParent<T extends { id: string }>(x: Executor, spec: EntitySpec<T>, e: T): Promise<void> {
    if (!spec.parent) return;
    const pid = e[spec.parent.column] as string;
    if ((await x.all(spec.sql.parentExists, [pid])).length === 0) {
      throw invalid(spec.what, [`${spec.parent.column}: unknown ${spec.parent.what} ${JSON.stringify(pid)}`]);
    }
  }

  createPublisher = (p: NewPublisher) => this.create(PUBLISHER, publisherDefaults(p));
  getPublisher = (id: string) => this.get(PUBLISHER, id);
  listPublishers = () => this.list(PUBLISHER);
  updatePublisher = (id: string, p: Patch<Publisher>) => this.update(PUBLISHER, id, p);
  deletePublisher = (id: string) => this.remove(PUBLISHER, id);

  createApp = (a: New<App>) => this.create(APP, a);
  getApp = (id: string) => this.get(APP, id);
  listApps = (f?: { publisher_id?: string }) => this.list(APP, f?.publisher_id);
  updateApp = (id: string, p: Patch<App>) => this.update(APP, id, p);
  deleteApp = (id: string) => this.remove(APP, id);

  createSlot = (s: New<Slot>) => this.create(SLOT, s);
  getSlot = (id: string) => this.get(SLOT, id);
  listSlots = (f?: { app_id?: string }) => this.list(SLOT, f?.app_id);
  updateSlot = (id: string, p: Patch<Slot>) => this.update(SLOT, id, p);
  deleteSlot = (id: string) => this.remove(SLOT, id);

  createAdvertiser = (a: New<Advertiser>) => this.create(ADVERTISER, a);
  getAdvertiser = (id: string) => this.get(ADVERTISER, id);
  listAdvertisers = () => this.list(ADVERTISER);
  updateAdvertiser = (id: string, p: Patch<Advertiser>) => this.update(ADVERTISER, id, p);
  deleteAdvertiser = (id: string) => this.remove(ADVERTISER, id);

  createCampaign = (c: NewCampaign) => this.create(CAMPAIGN, campaignDefaults(c));
  getCampaign = (id: string) => this.get(CAMPAIGN, id);
  listCampaigns = (f?: { advertiser_id?: string }) => this.list(CAMPAIGN, f?.advertiser_id);
  updateCampaign = (id: string, p: Patch<Campaign>) => this.update(CAMPAIGN, id, p);
  deleteCampaign = (id: string) => this.remove(CAMPAIGN, id);

  createLineItem = (l: NewLineItem) => this.create(LINE_ITEM, lineItemDefaults(l));
  getLineItem = (id: string) => this.get(LINE_ITEM, id);
  listLineItems = (f?: { campaign_id?: string }) => this.list(LINE_ITEM, f?.campaign_id);
  updateLineItem = (id: string, p: Patch<LineItem>) => this.update(LINE_ITEM, id, p);
  deleteLineItem = (id: string) => this.remove(LINE_ITEM, id);

  createCreative = (c: New<Creative>) => this.create(CREATIVE, c);
  getCreative = (id: string) => this.get(CREATIVE, id);
  listCreatives = (f?: { line_item_id?: string }) => this.list(CREATIVE, f?.line_item_id);
  updateCreative = (id: string, p: Patch<Creative>) => this.update(CREATIVE, id, p);
  deleteCreative = (id: string) => this.remove(CREATIVE, id);

  // ---- app keys: only SHA-256 hashes are stored ----

  async createAppKey(appId: string): Promise<string> {
    const key = newAppKey();
    await this.setAppKey(appId, key);
    return key;
  }

  async setAppKey(appId: string, key: string): Promise<void> {
    if (typeof key !== 'string' || key.length < 8 || key.length > 256 || /\s/.test(key)) {
      throw invalid('app key', ['key: expected 8 to 256 characters without spaces']);
    }
    const hash = hashAppKey(key);
    try {
      await this.transaction('write', async (x) => {
        if ((await x.all(SQL.appExists, [String(appId)])).length === 0) throw invalid('app key', [`app_id: unknown app ${JSON.stringify(appId)}`]);
        const owner = await x.all(SQL.keyOwner, [hash]);
        if (owner[0]) {
          if (String(owner[0].app_id) === appId) return;
          throw conflict('the key is already registered to another app');
        }
        await x.run(SQL.insertKey, [hash, appId, Date.now()]);
      });
    } catch (err) {
      if (err instanceof StoreError && err.code === StoreErrorCode.CONFLICT) throw conflict('the key is already registered to another app', err);
      throw err;
    }
  }

  async appForKey(key: string): Promise<string | undefined> {
    if (typeof key !== 'string' || key === '') return undefined;
    const rows = await this.query((x) => x.all(SQL.keyOwner, [hashAppKey(key)]));
    return rows[0] ? String(rows[0].app_id) : undefined;
  }

  async listAppKeyHashes(): Promise<{ hash: string; app_id: string }[]> {
    const rows = await this.query((x) => x.all(SQL.listKeys));
    return rows.map((r) => ({ hash: String(r.hash), app_id: String(r.app_id) }));
  }

  // ---- what the ad server reads ----

  async campaignRevision(): Promise<number> {
    const rows = await this.query((x) => x.all(SQL.revision));
    return Number(rows[0]?.rev ?? 0);
  }

  async loadCampaignSnapshot(): Promise<CampaignSnapshot> {
    return this.transaction('snapshot', async (x) => {
      const rev = await x.all(SQL.revision);
      const read = async <T extends { id: string }>(spec: EntitySpec<T>): Promise<T[]> => (await x.all(spec.sql.list)).map((r) => spec.fromRow(r));
      return {
        revision: Number(rev[0]?.rev ?? 0),
        apps: await read(APP),
        slots: await read(SLOT),
        advertisers: await read(ADVERTISER),
        campaigns: await read(CAMPAIGN),
        line_items: await read(LINE_ITEM),
        creatives: await read(CREATIVE),
      };
    });
  }

  // ---- pacing feedback ----

  async upsertDelivery(rows: readonly Delivery[]): Promise<void> {
    const problems: string[] = [];
    rows.forEach((r, i) => {
      const c = check(r).id('line_item_id').int('hour').int('impressions').int('clicks');
      if (c.problems.length === 0 && r.hour % HOUR_MS !== 0) c.problems.push(`hour: expected the start of a UTC hour in epoch ms, got ${r.hour}`);
      if (typeof r.country !== 'string' || !COUNTRY_RE.test(r.country)) c.problems.push(`country: expected a code of at most 8 letters or digits, got ${JSON.stringify(r.country)}`);
      problems.push(...c.problems.map((p) => `row ${i}: ${p}`));
    });
    if (problems.length > 0) throw invalid('delivery', problems.slice(0, 20));
    if (rows.length === 0) return;
    const params = (rs: readonly Delivery[]) => rs.flatMap((r) => [r.line_item_id, r.hour, r.country, r.impressions, r.clicks]);
    await this.transaction('write', async (x) => {
      let i = 0;
      for (; i + DELIVERY_CHUNK <= rows.length; i += DELIVERY_CHUNK) await x.run(SQL.replaceDelivery(DELIVERY_CHUNK), params(rows.slice(i, i + DELIVERY_CHUNK)));
      for (const r of rows.slice(i)) await x.run(SQL.replaceDelivery(1), params([r]));
    });
  }

  async deliveredByLineItem(since: number): Promise<Map<string, DeliveredTotals>> {
    if (typeof since !== 'number' || !Number.isFinite(since)) throw invalid('delivery query', [`since: expected epoch ms, got ${String(since)}`]);
    const rows = await this.query((x) => x.all(SQL.delivered, [since]));
    return new Map(rows.map((r) => [String(r.line_item_id), { impressions: Number(r.impressions), clicks: Number(r.clicks) }]));
  }

  // ---- facts and job bookkeeping (fact-sql.ts, job-sql.ts), made on first use: `kind` is set by the subclass ----

  private factSql: FactSql | undefined;
  private jobSql: JobSql | undefined;
  private access(): SqlAccess {
    return { kind: this.kind, query: (fn) => this.query(fn), transaction: (mode, fn) => this.transaction(mode, fn) };
  }
  private get facts(): FactSql {
    return (this.factSql ??= new FactSql(this.access()));
  }
  private get jobs(): JobSql {
    return (this.jobSql ??= new JobSql(this.access()));
  }
  private userSql: UserSql | undefined;
  private reportSql: ReportSql | undefined;
  private get users(): UserSql {
    return (this.userSql ??= new UserSql(this.access()));
  }
  private get reports(): ReportSql {
    return (this.reportSql ??= new ReportSql(this.access()));
  }

  createUser: UserStore['createUser'] = (...a) => this.users.createUser(...a);
  getUser: UserStore['getUser'] = (...a) => this.users.getUser(...a);
  userByEmail: UserStore['userByEmail'] = (...a) => this.users.userByEmail(...a);
  listUsers: UserStore['listUsers'] = (...a) => this.users.listUsers(...a);
  deleteUser: UserStore['deleteUser'] = (...a) => this.users.deleteUser(...a);
  createApiKey: UserStore['createApiKey'] = (...a) => this.users.createApiKey(...a);
  userForApiKey: UserStore['userForApiKey'] = (...a) => this.users.userForApiKey(...a);
  listApiKeys: UserStore['listApiKeys'] = (...a) => this.users.listApiKeys(...a);
  revokeApiKey: UserStore['revokeApiKey'] = (...a) => this.users.revokeApiKey(...a);

  hourTotals: ReportQueries['hourTotals'] = (...a) => this.reports.hourTotals(...a);
  dayDevices: ReportQueries['dayDevices'] = (...a) => this.reports.dayDevices(...a);
  dimensionTotals: ReportQueries['dimensionTotals'] = (...a) => this.reports.dimensionTotals(...a);
  customTotals: ReportQueries['customTotals'] = (...a) => this.reports.customTotals(...a);
  campaignTotals: ReportQueries['campaignTotals'] = (...a) => this.reports.campaignTotals(...a);
  lineItemHours: ReportQueries['lineItemHours'] = (...a) => this.reports.lineItemHours(...a);
  latestHours: ReportQueries['latestHours'] = (...a) => this.reports.latestHours(...a);
  private moneySqlInst: MoneySql | undefined;
  moneyCounts: MoneyQueries['moneyCounts'] = (...a) => (this.moneySqlInst ??= new MoneySql(this.access())).moneyCounts(...a);

  private audienceSql: AudienceSql | undefined;
  private get audience(): AudienceSql {
    return (this.audienceSql ??= new AudienceSql(this.access()));
  }
  replaceAudience: AudienceStore['replaceAudience'] = (...a) => this.audience.replaceAudience(...a);
  replaceAppVersions: AudienceStore['replaceAppVersions'] = (...a) => this.audience.replaceAppVersions(...a);
  audienceDays: AudienceStore['audienceDays'] = (...a) => this.audience.audienceDays(...a);
  audienceLastDay: AudienceStore['audienceLastDay'] = (...a) => this.audience.audienceLastDay(...a);
  appVersions: AudienceStore['appVersions'] = (...a) => this.audience.appVersions(...a);
  private filterSql: FilterSql | undefined;
  private get filters(): FilterSql {
    return (this.filterSql ??= new FilterSql(this.access()));
  }
  filteredHours: FilterQueries['filteredHours'] = (...a) => this.filters.filteredHours(...a);
  filteredDays: FilterQueries['filteredDays'] = (...a) => this.filters.filteredDays(...a);
  filteredDimensionTotals: FilterQueries['filteredDimensionTotals'] = (...a) => this.filters.filteredDimensionTotals(...a);
  private healthSql: HealthSql | undefined;
  private get health(): HealthSql {
    return (this.healthSql ??= new HealthSql(this.access()));
  }
  appDayHealth: HealthQueries['appDayHealth'] = (...a) => this.health.appDayHealth(...a);
  restatementsPage: HealthQueries['restatementsPage'] = (...a) => this.health.restatementsPage(...a);
  quarantinedPage: HealthQueries['quarantinedPage'] = (...a) => this.health.quarantinedPage(...a);
  jobRunsPage: HealthQueries['jobRunsPage'] = (...a) => this.health.jobRunsPage(...a);
  private inventorySql: InventorySql | undefined;
  slotDays: InventoryQueries['slotDays'] = (...a) => (this.inventorySql ??= new InventorySql(this.access())).slotDays(...a);

  replaceAppDay: FactStore['replaceAppDay'] = (...a) => this.facts.replaceAppDay(...a);
  replaceAttribution: FactStore['replaceAttribution'] = (...a) => this.facts.replaceAttribution(...a);
  touches: FactStore['touches'] = (...a) => this.facts.touches(...a);
  refreshDelivery: FactStore['refreshDelivery'] = (...a) => this.facts.refreshDelivery(...a);
  appHourly: FactStore['appHourly'] = (...a) => this.facts.appHourly(...a);
  appDaily: FactStore['appDaily'] = (...a) => this.facts.appDaily(...a);
  campaignHourly: FactStore['campaignHourly'] = (...a) => this.facts.campaignHourly(...a);
  customDaily: FactStore['customDaily'] = (...a) => this.facts.customDaily(...a);
  attribution: FactStore['attribution'] = (...a) => this.facts.attribution(...a);
  restatements: FactStore['restatements'] = (...a) => this.facts.restatements(...a);
  recordQuarantine: FactStore['recordQuarantine'] = (...a) => this.facts.recordQuarantine(...a);
  quarantined: FactStore['quarantined'] = (...a) => this.facts.quarantined(...a);

  // ---- funnels and campaign reach (funnel-sql.ts) ----
  private funnelSql: FunnelSql | undefined;
  private get funnels(): FunnelSql {
    return (this.funnelSql ??= new FunnelSql(this.access()));
  }
  createFunnel: FunnelStore['createFunnel'] = (...a) => this.funnels.createFunnel(...a);
  getFunnel: FunnelStore['getFunnel'] = (...a) => this.funnels.getFunnel(...a);
  listFunnels: FunnelStore['listFunnels'] = (...a) => this.funnels.listFunnels(...a);
  deleteFunnel: FunnelStore['deleteFunnel'] = (...a) => this.funnels.deleteFunnel(...a);
  replaceFunnelReachDay: FunnelStore['replaceFunnelReachDay'] = (...a) => this.funnels.replaceFunnelReachDay(...a);
  funnelDaily: FunnelStore['funnelDaily'] = (...a) => this.funnels.funnelDaily(...a);
  campaignReach: FunnelStore['campaignReach'] = (...a) => this.funnels.campaignReach(...a);

  // ---- fleet delivery (fleet-sql.ts) ----
  private fleetSql: FleetSql | undefined;
  private get fleet(): FleetSql {
    return (this.fleetSql ??= new FleetSql(this.access()));
  }
  publishAdUnits: FleetStore['publishAdUnits'] = (...a) => this.fleet.publishAdUnits(...a);
  publishImpressions: FleetStore['publishImpressions'] = (...a) => this.fleet.publishImpressions(...a);
  fleetDelivery: FleetStore['fleetDelivery'] = (...a) => this.fleet.fleetDelivery(...a);
  pruneFleet: FleetStore['pruneFleet'] = (...a) => this.fleet.pruneFleet(...a);

  startJobRun: FactStore['startJobRun'] = (...a) => this.jobs.startJobRun(...a);
  finishJobRun: FactStore['finishJobRun'] = (...a) => this.jobs.finishJobRun(...a);
  listJobRuns: FactStore['listJobRuns'] = (...a) => this.jobs.listJobRuns(...a);
  acquireJobLock: FactStore['acquireJobLock'] = (...a) => this.jobs.acquireJobLock(...a);
  releaseJobLock: FactStore['releaseJobLock'] = (...a) => this.jobs.releaseJobLock(...a);
  renewJobLock: FactStore['renewJobLock'] = (...a) => this.jobs.renewJobLock(...a);
  jobLockHolder: FactStore['jobLockHolder'] = (...a) => this.jobs.jobLockHolder(...a);
}
