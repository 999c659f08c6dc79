import { loadConfig } from '../../common/config.js';
import { createLogger } from '../../common/logger.js';
import { utcDay } from '../../common/time.js';
import { generateFleet, type FleetOptions, writeFileAtomic, truthJson } from '../../sdk-mock/generate.js';
import { sendFleet } from '../../sdk-mock/http-sender.js';
import { resolveStart, simSpec } from '../../sdk-mock/options.js';
import type { Totals } from '../../sdk-mock/ground-truth.js';
import { createProgress } from '../progress.js';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

type SimConfig = ReturnType<typeof loadConfig<typeof simSpec.schema>>;

const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
const pct = (a: number, b: number) => `${((100 * a) / Math.max(1, b)).toFixed(1)}%`;

function totalsLine(t: Totals): string {
  return (
    `${t.devices} devices, ${t.generated} events generated (${t.lost_on_device} lost on device), ${t.sent} sent ` +
    `(${t.duplicates_sent} duplicates; ${pct(t.events_sent_more_than_once, t.delivered)} of events sent more than once), ` +
    `${t.long_offline_devices} devices long offline, ${t.skewed_devices} with skewed clocks`
  );
}

/** `sluice sim`: the device fleet, to files or over HTTP. */
export async function simCommand(argv: readonly string[]): Promise<void> {
  await runSim(loadConfig(simSpec, argv));
}

/** The fleet of a validated sim configuration (the demo composes one in code). */
export async function runSim(cfg: SimConfig): Promise<void> {
  const log = createLogger('sim', cfg.logLevel);
  const start = resolveStart(cfg.start, cfg.days);
  const fleet: FleetOptions = { ...cfg, start, out: cfg.out };
  const t0 = performance.now();
  const bar = createProgress(cfg.devices, 'devices', cfg.progress);
  const onProgress = (events: number, devices: number) => bar.update(devices, { events });
  try {
    if (cfg.target) {
      const r = await sendFleet({ ...cfg, start }, log, onProgress);
      bar.stop();
      if (cfg.out) {
        mkdirSync(cfg.out, { recursive: true });
        writeFileAtomic(join(cfg.out, 'world.json'), JSON.stringify(r.world, null, 2) + '\n');
        writeFileAtomic(join(cfg.out, 'truth.json'), truthJson(r.truth));
      }
      const s = r.stats;
      const secs = (performance.now() - t0) / 1000;
      console.log(
        `sim: ${totalsLine(r.truth.totals)}; uploaded to ${cfg.target} from ${utcDay(start)} over ${cfg.days} days: ` +
          `${s.uploads} uploads in ${s.attempts} attempts (${s.retries} retries, ${s.splits} splits), ${s.accepted} events accepted, ` +
          `${s.rejected} rejected${s.rejected ? ' ' + JSON.stringify(s.rejectedByCode) : ''}, ${s.droppedUploads} uploads dropped (${s.droppedEvents} events); ` +
          `${secs.toFixed(1)} s, ${Math.round(s.eventsSent / secs)} events/s${cfg.out ? `; truth in ${join(cfg.out, 'truth.json')}` : ''}`,
      );
      if (s.droppedUploads > 0) process.exitCode = 1;
      return;
    }
    const r = await generateFleet(fleet, onProgress);
    bar.stop();
    const secs = (performance.now() - t0) / 1000;
    console.log(
      `sim: ${totalsLine(r.truth.totals)}; from ${utcDay(start)} over ${cfg.days} days; ${r.uploads} uploads, ` +
        `${mb(r.bytes)} gzip (${mb(r.rawBytes)} JSON) in ${join(cfg.out, 'uploads')}, truth in ${join(cfg.out, 'truth.json')}; ` +
        `${secs.toFixed(1)} s, ${Math.round(r.truth.totals.generated / secs)} events/s`,
    );
  } finally {
    bar.stop();
  }
}
