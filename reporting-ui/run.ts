/**
 * The reporting UI tier: opens nothing itself (the store is given), creates the bootstrap
 * admin when asked, starts the live feed and the monitor, and listens.
 */
import type { Logger } from '../common/logger.js';
import type { ReportStore } from '../store/store.js';
import { StoreError, StoreErrorCode } from '../store/errors.js';
import { LiveFeed } from './live-feed.js';
import { Monitor } from './monitor.js';
import { parseMetricsUrls, type UiOptions } from './options.js';
import { hashPassword } from './passwords.js';
import { buildUiApp } from './server.js';
import { Sessions } from './sessions.js';
import { UiMetrics } from './ui-metrics.js';

export interface UiTier {
  url: string;
  /** 'METHOD /url' of every API route. */
  routes: readonly string[];
  monitor: Monitor;
  live: LiveFeed;
  close(): Promise<void>;
}

type UiTierOptions = Pick<UiOptions, 'host' | 'port' | 'trackingUrl' | 'liveToken' | 'metricsUrls' | 'adminEmail' | 'adminPassword' | 'sessionHours' | 'secureCookies' | 'loginRatePerMinute'> & Partial<Pick<UiOptions, 'requestTimeoutMs' | 'maxInflightMb'>>;

/** Creates the user when its e-mail is not taken yet; answers whether it did. */
export async function ensureUser(store: ReportStore, u: { email: string; password: string; role: 'admin' | 'publisher' | 'advertiser'; publisher_id?: string; advertiser_id?: string }): Promise<boolean> {
  if (await store.userByEmail(u.email)) return false;
  try {
    await store.createUser({ ...u, password_hash: await hashPassword(u.password) });
    return true;
  } catch (err) {
    // Another process made it first.
    if (err instanceof StoreError && err.code === StoreErrorCode.CONFLICT) return false;
    throw err;
  }
}

export async function startUi(o: UiTierOptions, store: ReportStore, log: Logger): Promise<UiTier> {
  if (o.adminEmail && (await ensureUser(store, { email: o.adminEmail, password: o.adminPassword, role: 'admin' }))) log.info({ email: o.adminEmail }, 'created the admin user');
  const live = new LiveFeed(o.trackingUrl.replace(/\/$/, ''), o.liveToken);
  const monitor = new Monitor(parseMetricsUrls(o.metricsUrls).targets);
  monitor.start();
  const sessions = new Sessions(o.sessionHours * 3_600_000);
  const app = await buildUiApp({ store, sessions, log, secureCookies: o.secureCookies, sessionHours: o.sessionHours, loginRatePerMinute: o.loginRatePerMinute, requestTimeoutMs: o.requestTimeoutMs ?? 10_000, maxInflightBytes: (o.maxInflightMb ?? 16) * 1024 * 1024, live, monitor, metrics: new UiMetrics() });
  const url = await app.listen({ host: o.host, port: o.port });
  log.info({ url, live: live.enabled, monitoring: o.metricsUrls !== '' }, 'reporting UI is up');
  return {
    url,
    routes: app.apiRoutes,
    monitor,
    live,
    async close() {
      monitor.stop();
      live.stop();
      await app.close();
    },
  };
}
