import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
import type { Logger } from '../common/logger.js';
import { simulateDevice, uploadBody, type SimDevice, type Upload } from './device.js';
import type { FleetOptions } from './generate.js';
import { generatorInfo } from './generate.js';
import { TruthAccumulator, type GroundTruth } from './ground-truth.js';
import { appCumulative, buildWorld, type World } from './world.js';

const gzip = promisify(gzipCb);

interface SendOptions extends Omit<FleetOptions, 'out' | 'shards' | 'workers'> {
  target: string;
  concurrency: number;
  timeoutMs: number;
  maxRetries: number;
  /** Uploads per second at most; 0 for no cap. */
  rate: number;
  /** First backoff step, ms; doubles per failed attempt up to maxBackoffMs. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Index of the first device (default 0): a later round of the same world sends new devices. */
  firstDevice?: number;
  /** Called for each upload the server answered 2xx, with its answer. */
  onAck?: (device: SimDevice, upload: Upload, answer: Answer) => void;
}

interface SendStats {
  uploads: number;
  attempts: number;
  retries: number;
  splits: number;
  eventsSent: number;
  accepted: number;
  rejected: number;
  /** Rejections by reason code, from the server's answers. */
  rejectedByCode: Record<string, number>;
  /** Uploads the SDK gave up on: a 4xx other than 408/413/429, or out of retries. */
  droppedUploads: number;
  droppedEvents: number;
}

interface SendResult {
  world: World;
  truth: GroundTruth;
  stats: SendStats;
}

interface Answer {
  accepted?: number;
  rejected?: { index: number; code: string }[];
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Seconds or an HTTP date, as Retry-After allows; undefined when absent or unreadable. */
function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (header === null) return undefined;
  const secs = Number(header);
  if (Number.isFinite(secs) && secs >= 0) return secs * 1000;
  const at = Date.parse(header);
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}

/**
 * Uploads the fleet to a tracking server as real SDKs would: each device sends its uploads
 * in order and keeps a batch until a 2xx; timeouts, 429 and 5xx are retried with
 * exponential backoff and jitter, honouring Retry-After; a 413 splits the batch in two.
 * The replays the fleet plans (lost acks, OnClose kills) are sent as real second uploads.
 */
export async function sendFleet(o: SendOptions, log: Logger, onProgress?: (events: number, devices: number) => void): Promise<SendResult> {
  const world = buildWorld(o.seed, o.apps);
  const appCum = appCumulative(world);
  const truth = new TruthAccumulator(world, o.start, o.days);
  const url = new URL('/v1/events', o.target).href;
  const stats: SendStats = { uploads: 0, attempts: 0, retries: 0, splits: 0, eventsSent: 0, accepted: 0, rejected: 0, rejectedByCode: {}, droppedUploads: 0, droppedEvents: 0 };
  const backoff = o.backoffMs ?? 250;
  const maxBackoff = o.maxBackoffMs ?? 30_000;
  const warned = new Set<string>();
  const first = o.firstDevice ?? 0;
  let nextDevice = first;
  let eventsMade = 0;
  let devicesDone = 0;
  let nextSlot = Date.now();

  const pace = async (): Promise<void> => {
    if (o.rate <= 0) return;
    const now = Date.now();
    nextSlot = Math.max(nextSlot, now) + 1000 / o.rate;
    const wait = nextSlot - 1000 / o.rate - now;
    if (wait > 0) await sleep(wait);
  };

  const warnOnce = (key: string, msg: string, extra: object): void => {
    if (warned.has(key)) return;
    warned.add(key);
    log.warn(extra, msg);
  };

  const sendOne = async (d: SimDevice, up: Upload): Promise<void> => {
    const key = world.apps[d.app]!.app_key;
    for (let attempt = 0; ; attempt++) {
      await pace();
      stats.attempts++;
      let wait: number | undefined;
      try {
        const body = await gzip(uploadBody(d, up, Date.now() + d.skewMs));
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', 'x-sluice-app-key': key },
          body,
          signal: AbortSignal.timeout(o.timeoutMs),
        });
        if (res.ok) {
          const answer = (await res.json().catch(() => ({}))) as Answer;
          const rejected = answer.rejected ?? [];
          stats.eventsSent += up.events.length;
          stats.rejected += rejected.length;
          stats.accepted += answer.accepted ?? up.events.length - rejected.length;
          for (const r of rejected) stats.rejectedByCode[r.code] = (stats.rejectedByCode[r.code] ?? 0) + 1;
          o.onAck?.(d, up, answer);
          return;
        }
        await res.arrayBuffer().catch(() => undefined);
        if (res.status === 413 && up.events.length > 1) {
          stats.splits++;
          const half = Math.ceil(up.events.length / 2);
          await sendOne(d, { at: up.at, events: up.events.slice(0, half) });
          await sendOne(d, { at: up.at, events: up.events.slice(half) });
          return;
        }
        if (res.status !== 408 && res.status !== 429 && res.status < 500) {
          warnOnce(`status ${res.status}`, 'server refused an upload; the SDK drops it', { status: res.status });
          stats.droppedUploads++;
          stats.droppedEvents += up.events.length;
          return;
        }
        wait = retryAfterMs(res.headers.get('retry-after'));
      } catch (err) {
        warnOnce(`error ${(err as Error).name}`, 'upload failed; retrying', { err: (err as Error).message });
      }
      if (attempt >= o.maxRetries) {
        warnOnce('gave up', 'an upload ran out of retries; the SDK drops it', { retries: o.maxRetries });
        stats.droppedUploads++;
        stats.droppedEvents += up.events.length;
        return;
      }
      stats.retries++;
      // Full jitter keeps a fleet that failed together from retrying together.
      await sleep(wait ?? Math.random() * Math.min(maxBackoff, backoff * 2 ** attempt));
    }
  };

  const deviceLoop = async (): Promise<void> => {
    for (let i = nextDevice++; i < first + o.devices; i = nextDevice++) {
      const d = simulateDevice(world, appCum, o, i);
      truth.addDevice(d);
      eventsMade += d.events.length;
      for (const up of d.uploads) {
        stats.uploads++;
        await sendOne(d, up);
      }
      devicesDone++;
    }
  };

  const timer = onProgress ? setInterval(() => onProgress(eventsMade, devicesDone), 200) : undefined;
  try {
    await Promise.all(Array.from({ length: Math.min(o.concurrency, o.devices) }, deviceLoop));
  } finally {
    if (timer) clearInterval(timer);
  }
  onProgress?.(eventsMade, devicesDone);
  return { world, truth: truth.toJSON(generatorInfo({ ...o, out: '', shards: 1, workers: 1 })), stats };
}
