import { Type } from '@sinclair/typebox';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configFrom, loadConfig, type CommandSpec } from '../../common/config.js';
import { everyInterval } from '../../common/ticker.js';
import { createLogger } from '../../common/logger.js';
import { DAY_MS } from '../../common/time.js';
import { adserverSpec } from '../../adserver/options.js';
import { startAdServer } from '../../adserver/run.js';
import { jobsSpec } from '../../jobs/options.js';
import { startJobs } from '../../jobs/run.js';
import { createLake } from '../../lake/create-lake.js';
import { pipelineSpec } from '../../pipeline/options.js';
import { startPipeline } from '../../pipeline/run.js';
import { uiSpec } from '../../reporting-ui/options.js';
import { ensureUser, startUi } from '../../reporting-ui/run.js';
import { sendFleet } from '../../sdk-mock/http-sender.js';
import { resolveStart, simSpec } from '../../sdk-mock/options.js';
import { buildWorld } from '../../sdk-mock/world.js';
import { createStore } from '../../store/create-store.js';
import { trackingSpec } from '../../tracking/options.js';
import { startTracking } from '../../tracking/run.js';
import { seedWorld } from '../seed-world.js';
import { runSim } from './sim.js';

const demoSchema = Type.Object({
  dataDir: Type.String({ default: './data', description: 'where the demo keeps its files' }),
  devices: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 1000, description: 'devices in the demo fleet (1,000 have numbers in the UI within a minute on 2 cores)' }),
  seed: Type.Integer({ minimum: 0, default: 42, description: 'seed of the demo fleet' }),
  trackingPort: Type.Integer({ minimum: 0, maximum: 65535, default: 8081, description: 'port of the demo tracking server' }),
  adserverPort: Type.Integer({ minimum: 0, maximum: 65535, default: 8082, description: 'port of the demo ad server' }),
  pipelinePort: Type.Integer({ minimum: 0, maximum: 65535, default: 8083, description: 'port of the demo pipeline metrics' }),
  jobsPort: Type.Integer({ minimum: 0, maximum: 65535, default: 8084, description: 'port of the demo jobs metrics' }),
  uiPort: Type.Integer({ minimum: 0, maximum: 65535, default: 8080, description: 'port of the demo reporting UI' }),
  adRequestsPerSecond: Type.Number({ exclusiveMinimum: 0, maximum: 1000, default: 5, description: 'ad requests per second the demo devices make after the first load (impressions follow through the beacons)' }),
  liveDevices: Type.Integer({ minimum: 0, maximum: 100_000, default: 30, description: 'new devices an hour uploading their last 24 hours after the first load, as live traffic (0 = none)' }),
  keepRunning: Type.Boolean({ default: true, description: 'keep the servers up after the fleet is done (Ctrl-C stops them); --no-keep-running exits' }),
});

const PLATFORMS = [['ios', '17.4'], ['android', '14']] as const;
const COUNTRIES = ['US', 'GB', 'DE', 'IN', 'BR', 'FR'];

/** One device's ad request, and its impression beacon when an ad comes back. */
async function askForAd(adsUrl: string, world: ReturnType<typeof buildWorld>, r: number): Promise<void> {
  const app = world.apps[r % world.apps.length]!;
  const slot = app.slots[r % app.slots.length]!;
  const [platform, os] = PLATFORMS[r % 2]!;
  const q = new URLSearchParams({ app: app.app_id, slot: slot.slot_id, device: `demo-ads-${r % 5000}`, platform, os, country: COUNTRIES[r % COUNTRIES.length]! });
  const res = await fetch(`${adsUrl}/v1/ad?${q}`, { signal: AbortSignal.timeout(2000) });
  if (res.status !== 200) return void (await res.arrayBuffer());
  const answer = (await res.json()) as { ads?: { impression_url?: string }[] };
  const imp = answer.ads?.[0]?.impression_url;
  if (imp) await (await fetch(imp, { signal: AbortSignal.timeout(2000) })).arrayBuffer();
}

export const demoSpec: CommandSpec<typeof demoSchema> = {
  name: 'demo',
  summary: 'every tier on embedded defaults (SQLite, local lake) with a simulated fleet; prints the UI URL and demo log-ins',
  schema: demoSchema,
};

const SECRET = 'sluice-demo-secret-for-this-machine';
/** The demo's log-ins (printed at start; local demo data only). */
const DEMO_PASSWORD = 'sluice-demo';

type DemoConfig = ReturnType<typeof loadConfig<typeof demoSchema>>;
type World = ReturnType<typeof buildWorld>;
type Store = Awaited<ReturnType<typeof createStore>>;

/** The report store with the simulated world, its app keys file, and the demo's log-ins. */
async function seedDemo(cfg: DemoConfig, world: World, start: number) {
  mkdirSync(cfg.dataDir, { recursive: true });
  const keysFile = join(cfg.dataDir, 'app-keys.json');
  writeFileSync(keysFile, JSON.stringify({ apps: world.apps.map((a) => ({ app_id: a.app_id, app_key: a.app_key })) }));
  const storeOpts = { store: 'sqlite', sqlitePath: join(cfg.dataDir, 'sluice.db') } as const;
  const store = await createStore(configFrom(adserverSpec, storeOpts));
  // Goals of 10 impressions a device: the fleet's two weeks deliver about a third of a goal, on
  // the even pacing curve of the 45-day flight (a goal of 1e9 drew delivery as a flat 0).
  await seedWorld(store, world, start - DAY_MS, Date.now() + 30 * DAY_MS, cfg.devices * 10);
  const logins = [
    { email: 'admin@sluice.demo', role: 'admin' as const },
    { email: 'publisher@sluice.demo', role: 'publisher' as const, publisher_id: world.publishers[0]!.publisher_id },
    { email: 'advertiser@sluice.demo', role: 'advertiser' as const, advertiser_id: world.advertisers[0]!.advertiser_id },
  ];
  for (const u of logins) await ensureUser(store, { ...u, password: DEMO_PASSWORD });
  return { store, storeOpts, keysFile, logins };
}

/** Every tier on the demo's ports, each from a typed option object of its own options module. */
async function startTiers(cfg: DemoConfig, store: Store, storeOpts: { store: 'sqlite'; sqlitePath: string }, keysFile: string) {
  const log = createLogger('demo', 'warn');
  const lakeOpts = { lake: 'local', lakeDir: join(cfg.dataDir, 'lake') } as const;
  const quiet = { logLevel: 'warn' } as const;
  const liveToken = randomBytes(18).toString('base64url');
  const trkCfg = configFrom(trackingSpec, { ...lakeOpts, ...quiet, port: cfg.trackingPort, dataDir: join(cfg.dataDir, 'tracking'), rollSeconds: 10, shipIntervalMs: 1000, nodeId: 'demo', beaconSecret: SECRET, appKeys: keysFile, liveToken });
  const lake = createLake(trkCfg, 'demo');
  // The store takes the impression counts the ad server paces on (app keys come from the file).
  const tracking = await startTracking(trkCfg, lake, log, store);
  const ads = await startAdServer(configFrom(adserverSpec, { ...storeOpts, ...quiet, port: cfg.adserverPort, trackingUrl: tracking.url, beaconSecret: SECRET }), store, log);
  const pipeCfg = configFrom(pipelineSpec, { ...lakeOpts, ...storeOpts, ...quiet, port: cfg.pipelinePort });
  const pipeline = await startPipeline(pipeCfg, createLake(pipeCfg, 'demo'), store, log, false);
  const jobsCfg = configFrom(jobsSpec, { ...lakeOpts, ...storeOpts, ...quiet, port: cfg.jobsPort, stateDir: join(cfg.dataDir, 'jobs'), schedule: '* * * * *' });
  const jobsLake = createLake(jobsCfg, 'demo');
  // The jobs tier's own cron (every minute); a tick while a run works is skipped, and the store lock keeps runs apart.
  const jobs = await startJobs({ ...jobsCfg, scheduled: cfg.keepRunning }, jobsCfg, jobsLake, store, log);
  const metricsUrls = `adserver=${ads.url}/metrics,tracking=${tracking.url}/metrics,pipeline=${pipeline.url}/metrics,jobs=${jobs.url}/metrics`;
  const ui = await startUi(configFrom(uiSpec, { ...storeOpts, ...quiet, port: cfg.uiPort, trackingUrl: tracking.url, liveToken, metricsUrls }), store, log);
  const stopAll = async () => {
    await ui.close();
    await jobs.close();
    await pipeline.close();
    await ads.close();
    await tracking.close();
    await Promise.all([jobsLake.close(), lake.close()]);
    await store.close();
  };
  return { log, lake, tracking, ads, pipeline, pollMs: pipeCfg.pollIntervalMs, jobs, ui, stopAll };
}
type Tiers = Awaited<ReturnType<typeof startTiers>>;

/**
 * The pipeline works on each sealed segment while the fleet still uploads (one pass at a time):
 * waiting for the whole upload first left a core idle and put the numbers ~30 s later.
 */
function pipelinePasses(t: Tiers) {
  let pass: Promise<unknown> = Promise.resolve();
  const piped = { events: 0, files: 0 };
  const once = () => {
    const next = pass.then(() => t.pipeline.runOnce()).then((rs) => {
      for (const r of rs) (piped.events += r.events), (piped.files += r.files.length);
    });
    pass = next.catch(() => undefined);
    return next;
  };
  const stop = everyInterval(() => once().catch((err: unknown) => t.log.error({ err }, 'pipeline pass failed')), t.pollMs);
  return { once, stop, piped, settled: () => pass };
}

/** Two weeks of the fleet over HTTP, through the pipeline and one jobs run: numbers in the UI at once. */
async function firstLoad(cfg: DemoConfig, t: Tiers, passes: ReturnType<typeof pipelinePasses>, days: number, t0: number): Promise<void> {
  const simOut = join(cfg.dataDir, 'sim');
  const at = () => `[${Math.round((performance.now() - t0) / 1000)} s]`;
  console.log(`sluice demo: ${at()} ${cfg.devices} simulated devices upload two weeks of events to tracking`);
  await runSim(configFrom(simSpec, { devices: cfg.devices, seed: cfg.seed, days, target: t.tracking.url, out: simOut }));
  await t.tracking.segments.roll();
  await t.tracking.shipper.shipOnce();
  await passes.once();
  console.log(`sluice demo: ${at()} every segment is in ${t.lake.location}/segments; the pipeline wrote ${passes.piped.events} events into ${passes.piped.files} Parquet files`);
  const first = await t.jobs.run('events');
  console.log(`sluice demo: jobs ${first.status}: ${first.stats.rows} events, ${first.stats.duplicates} duplicates removed, ${first.stats.appDays} app-days in the store; the numbers are in the UI now (${t.ui.url}), ${Math.round((performance.now() - t0) / 1000)} s after start; exact expected numbers in ${join(simOut, 'truth.json')}`);
}

/**
 * Live traffic at about the fleet's own pace: one new device at a time, --live-devices an hour,
 * each uploading its last 24 hours (a whole fleet-day of devices every round made yesterday 10x);
 * devices also ask for ads (and show the ones they get), so the ad server's latency,
 * why-not-served counters and the monitoring rules have traffic to show.
 */
function liveTraffic(cfg: DemoConfig, t: Tiers, world: World): () => void {
  const simCfg = configFrom(simSpec, { seed: cfg.seed, progress: false, target: t.tracking.url });
  let liveDevice = cfg.devices;
  const stopLive = cfg.liveDevices > 0
    ? everyInterval(() => sendFleet({ ...simCfg, target: t.tracking.url, start: Date.now() - DAY_MS, days: 1, devices: 1, firstDevice: liveDevice++, concurrency: 1 }, t.log).then(() => undefined, (err: unknown) => t.log.warn({ err }, 'a live device failed to upload')), 3_600_000 / cfg.liveDevices)
    : () => {};
  const stopAds = everyInterval(() => askForAd(t.ads.url, world, Math.floor(Math.random() * 1e9)), 1000 / cfg.adRequestsPerSecond);
  return () => (stopLive(), stopAds());
}

/**
 * `sluice demo` (= `npm start`): every tier on embedded defaults (SQLite, a local lake under
 * the data directory). The simulated world goes into the report store with an admin, a
 * publisher and an advertiser log-in; tracking, the ad server, the pipeline, the jobs (every
 * minute) and the reporting UI start; two weeks of a device fleet upload over HTTP, go through
 * the pipeline and one jobs run, so numbers are there at once; then new devices keep uploading.
 */
export async function demoCommand(argv: readonly string[]): Promise<void> {
  const cfg = loadConfig(demoSpec, argv);
  const t0 = performance.now();
  const days = 14;
  const start = resolveStart('', days);
  const world = buildWorld(cfg.seed, 20);
  const { store, storeOpts, keysFile, logins } = await seedDemo(cfg, world, start);
  const t = await startTiers(cfg, store, storeOpts, keysFile);
  const slot = world.apps[0]!.slots[0]!;
  console.log(
    `sluice demo: reporting UI on ${t.ui.url} (API docs ${t.ui.url}/docs); tracking ${t.tracking.url}, ad server ${t.ads.url}, pipeline ${t.pipeline.url}/metrics, jobs ${t.jobs.url}/metrics\n` +
      `  log in as ${logins.map((u) => u.email).join(', ')} with password '${DEMO_PASSWORD}'\n` +
      `  try: curl '${t.ads.url}/v1/ad?app=${world.apps[0]!.app_id}&slot=${slot.slot_id}&device=demo-device&platform=ios&os=17.2&country=US'`,
  );
  const passes = pipelinePasses(t);
  await firstLoad(cfg, t, passes, days, t0);
  if (!cfg.keepRunning) {
    passes.stop();
    await passes.settled();
    await t.stopAll();
    return;
  }
  // From here on: the pipeline picks up each sealed segment, the jobs run every minute, new devices keep uploading.
  const stopLive = liveTraffic(cfg, t, world);
  console.log('sluice demo: servers keep running, live devices keep uploading and asking for ads, jobs run every minute; press Ctrl-C to stop.');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  stopLive();
  passes.stop();
  await t.stopAll();
  // A live round may still be sending; its uploads are the SDK's to retry.
  process.exit(0);
}
