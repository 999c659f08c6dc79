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

/** What the concurrent device loops of one send share: the world, the options, the pacing and the counts. */
interface Sender {
  o: SendOptions;
  log: Logger;
  world: World;
  appCum: number[];
  truth: TruthAccumulator;
  url: string;
  stats: SendStats;
  backoff: number;
  maxBackoff: number;
  warned: Set<string>;
  first: number;
  nextDevice: number;
  eventsMade: number;
  devicesDone: number;
  nextSlot: number;
}

async function pace(s: Sender): Promise<void> {
  const { o } = s;
  if (o.rate <= 0) return;
  const now = Date.now();
  s.nextSlot = Math.max(s.nextSlot, now) + 1000 / o.rate;
  const wait = s.nextSlot - 1000 / o.rate - now;
  if (wait > 0) await sleep(wait);
}

function warnOnce(s: Sender, key: string, msg: string, extra: object): void {
  if (s.warned.has(key)) return;
  s.warned.add(key);
  s.log.warn(extra, msg);
}

function drop(s: Sender, up: Upload): void {
  s.stats.droppedUploads++;
  s.stats.droppedEvents += up.events.length;
}

async function post(s: Sender, d: SimDevice, up: Upload, key: string): Promise<Response> {
  const body = await gzip(uploadBody(d, up, Date.now() + d.skewMs));
  return fetch(s.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', 'x-sluice-app-key': key },
    body,
    signal: AbortSignal.timeout(s.o.timeoutMs),
  });
}

/** Acts on the server's answer: true when the upload is settled (acked, split and sent, or dropped), false to retry it. */
async function settled(s: Sender, d: SimDevice, up: Upload, res: Response): Promise<boolean> {
  const { stats } = s;
  if (res.ok) {
    const answer = (await res.json().catch(() => ({}))) as Answer;
    const rejected = answer.rejected ?? [];
    stats.eventsSent += up.events.length;
    stats.rejected += rejected.length;
    stats.accepted += answer.accepted ?? up.events.length - rejected.length;
    for (const r of rejected) stats.rejectedByCode[r.code] = (stats.rejectedByCode[r.code] ?? 0) + 1;
    s.o.onAck?.(d, up, answer);
    return true;
  }
  await res.arrayBuffer().catch(() => undefined);
  if (res.status === 413 && up.events.length > 1) {
    stats.splits++;
    const half = Math.ceil(up.events.length / 2);
    await sendOne(s, d, { at: up.at, events: up.events.slice(0, half) });
    await sendOne(s, d, { at: up.at, events: up.events.slice(half) });
    return true;
  }
  if (res.status !== 408 && res.status !== 429 && res.status < 500) {
    warnOnce(s, `status ${res.status}`, 'server refused an upload; the SDK drops it', { status: res.status });
    drop(s, up);
    return true;
  }
  return false;
}

async function sendOne(s: Sender, d: SimDevice, up: Upload): Promise<void> {
  const { o } = s;
  const key = s.world.apps[d.app]!.app_key;
  for (let attempt = 0; ; attempt++) {
    await pace(s);
    s.stats.attempts++;
    let wait: number | undefined;
    try {
      const res = await post(s, d, up, key);
      if (await settled(s, d, up, res)) return;
      wait = retryAfterMs(res.headers.get('retry-after'));
    } catch (err) {
      warnOnce(s, `error ${(err as Error).name}`, 'upload failed; retrying', { err: (err as Error).message });
    }
    if (attempt >= o.maxRetries) {
      warnOnce(s, 'gave up', 'an upload ran out of retries; the SDK drops it', { retries: o.maxRetries });
      drop(s, up);
      return;
    }
    s.stats.retries++;
    // Full jitter keeps a fleet that failed together from retrying together.
    await sleep(wait ?? Math.random() * Math.min(s.maxBackoff, s.backoff * 2 ** attempt));
  }
}

async function deviceLoop(s: Sender): Promise<void> {
  const { o } = s;
  for (let i = s.nextDevice++; i < s.first + o.devices; i = s.nextDevice++) {
    const d = simulateDevice(s.world, s.appCum, o, i);
    s.truth.addDevice(d);
    s.eventsMade += d.events.length;
    for (const up of d.uploads) {
      s.stats.uploads++;
      await sendOne(s, d, up);
    }
    s.devicesDone++;
  }
}

/**
 * Uploads the fleet to a tracking server as real SDKs would: each device sends its uploads
 * in order and keeps a batch until a 2xx; timeouts, 429 and 5xx are retried with
 * exponential backoff and jitter, honouring Retry-After; a 413 splits the batch in two.
 * The replays the fleet plans (lost acks, OnClose kills) are sent as real second uploads.
 */
export async function sendFleet(o: SendOptions, log: Logger, onProgress?: (events: number, devices: number) => void): Promise<SendResult> {
  const world = buildWorld(o.seed, o.apps);
  const first = o.firstDevice ?? 0;
  const s: Sender = {
    o, log, world,
    appCum: appCumulative(world),
    truth: new TruthAccumulator(world, o.start, o.days),
    url: new URL('/v1/events', o.target).href,
    stats: { uploads: 0, attempts: 0, retries: 0, splits: 0, eventsSent: 0, accepted: 0, rejected: 0, rejectedByCode: {}, droppedUploads: 0, droppedEvents: 0 },
    backoff: o.backoffMs ?? 250,
    maxBackoff: o.maxBackoffMs ?? 30_000,
    warned: new Set<string>(),
    first,
    nextDevice: first,
    eventsMade: 0,
    devicesDone: 0,
    nextSlot: Date.now(),
  };
  const timer = onProgress ? setInterval(() => onProgress(s.eventsMade, s.devicesDone), 200) : undefined;
  try {
    await Promise.all(Array.from({ length: Math.min(o.concurrency, o.devices) }, () => deviceLoop(s)));
  } finally {
    if (timer) clearInterval(timer);
  }
  onProgress?.(s.eventsMade, s.devicesDone);
  return { world, truth: s.truth.toJSON(generatorInfo({ ...o, out: '', shards: 1, workers: 1 })), stats: s.stats };
}
