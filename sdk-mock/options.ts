import { Type } from '@sinclair/typebox';
import { logLevelOption, type CommandSpec } from '../common/config.js';
import { DAY_MS, floorDay, parseUtcDay } from '../common/time.js';
import { cpus } from 'node:os';

const simSchema = Type.Object({
  devices: Type.Integer({ minimum: 1, maximum: 10_000_000, default: 1000, description: 'devices in the fleet' }),
  apps: Type.Integer({ minimum: 1, maximum: 10_000, default: 20, description: 'apps the devices use (owned by apps/4 publishers)' }),
  days: Type.Integer({ minimum: 1, maximum: 366, default: 14, description: 'days of device activity simulated' }),
  start: Type.String({ default: '', description: 'first simulated UTC day, YYYY-MM-DD (default: `days` days before today; pass it for runs that must match across days)' }),
  seed: Type.Integer({ minimum: 0, maximum: 4294967295, default: 42, description: 'seed: the same seed and options give byte-identical output' }),
  dupRate: Type.Number({ minimum: 0, maximum: 1, default: 0.1, description: 'share of events sent more than once (lost acks, app killed in OnClose, SDK bugs)' }),
  offlineRate: Type.Number({ minimum: 0, maximum: 1, default: 0.02, description: 'share of devices that go offline for a long stretch' }),
  maxOfflineDays: Type.Integer({ minimum: 0, maximum: 365, default: 100, description: 'longest offline stretch, days (events come that late)' }),
  skewRate: Type.Number({ minimum: 0, maximum: 1, default: 0.03, description: 'share of devices whose clock is off by 5 minutes to 12 hours' }),
  legacyRate: Type.Number({ minimum: 0, maximum: 1, default: 0.02, description: 'share of legacy devices that send no event_id' }),
  lossRate: Type.Number({ minimum: 0, maximum: 1, default: 0.01, description: 'share of devices that lose ~5% of their events before upload (sequence gaps)' }),
  out: Type.String({ default: '', description: 'directory for upload bodies, world.json and truth.json' }),
  target: Type.String({ default: '', description: 'tracking URL to upload to over HTTP, e.g. http://127.0.0.1:8081; with --out, world.json and truth.json go there too' }),
  concurrency: Type.Integer({ minimum: 1, maximum: 4096, default: 64, description: 'devices uploading at once over HTTP' }),
  timeoutMs: Type.Integer({ minimum: 100, maximum: 600_000, default: 10_000, description: 'HTTP request timeout before the SDK retries, ms' }),
  maxRetries: Type.Integer({ minimum: 0, maximum: 1000, default: 50, description: 'retries of one upload before the SDK gives up on it' }),
  rate: Type.Number({ minimum: 0, default: 0, description: 'cap on uploads per second over HTTP (0 = as fast as the server takes them)' }),
  workers: Type.Integer({ minimum: 1, maximum: 64, default: Math.max(1, Math.min(4, cpus().length)), description: 'worker threads generating the fleet' }),
  shards: Type.Integer({ minimum: 1, maximum: 256, default: 8, description: 'upload part files (output does not depend on workers)' }),
  progress: Type.Boolean({ default: true, description: 'show a progress bar when run in a terminal' }),
  logLevel: logLevelOption,
});

export const simSpec: CommandSpec<typeof simSchema> = {
  name: 'sim',
  summary: 'simulate a fleet of devices; write uploads and ground truth to files, or upload over HTTP',
  schema: simSchema,
  refine: (c) => {
    const p: string[] = [];
    if (c.start !== '' && Number.isNaN(parseUtcDay(c.start))) p.push(`--start: expected a date YYYY-MM-DD, got ${JSON.stringify(c.start)}`);
    if (c.out === '' && c.target === '') p.push('give --out DIR (files), --target URL (HTTP), or both');
    if (c.target !== '') {
      try {
        const u = new URL(c.target);
        if (u.protocol !== 'http:' && u.protocol !== 'https:') p.push(`--target: expected an http(s) URL, got ${JSON.stringify(c.target)}`);
      } catch {
        p.push(`--target: expected an http(s) URL, got ${JSON.stringify(c.target)}`);
      }
    }
    return p;
  },
};

/** The first simulated day: --start, or `days` days before today (UTC). */
export function resolveStart(start: string, days: number, now = Date.now()): number {
  return start !== '' ? parseUtcDay(start) : floorDay(now) - days * DAY_MS;
}
