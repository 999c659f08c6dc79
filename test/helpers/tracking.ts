import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import type { Static } from '@sinclair/typebox';
import { createLogger } from '../../common/logger.js';
import { frameEvents } from '../../common/segment-events.js';
import { scanSegment, type Frame } from '../../common/segment-format.js';
import { createLake } from '../../lake/create-lake.js';
import type { Lake } from '../../lake/lake.js';
import { trackingSchema } from '../../tracking/options.js';
import { startTracking, type KeyStore, type RunningTracking } from '../../tracking/run.js';
import { tmp } from './fleet.js';
import type { Json } from './json.js';

export type TrackingCfg = Static<typeof trackingSchema>;

/** Tracking config for tests: its own temp dir, a free port, quiet logs. */
export function testTrackingConfig(over: Partial<TrackingCfg> = {}): TrackingCfg {
  const dir = over.dataDir ?? tmp('tracking');
  return Value.Default(trackingSchema, { port: 0, logLevel: 'silent', lakeDir: join(dir, 'lake'), sqlitePath: join(dir, 'sluice.db'), ...over, dataDir: dir }) as TrackingCfg;
}

export async function startTestTracking(over: Partial<TrackingCfg> = {}, lake?: Lake, keyStore?: KeyStore): Promise<RunningTracking & { cfg: TrackingCfg; lake: Lake }> {
  const cfg = testTrackingConfig(over);
  const l = lake ?? createLake(cfg);
  const t = await startTracking(cfg, l, createLogger('tracking-test', 'silent'), keyStore);
  return { ...t, cfg, lake: l };
}

/** Every frame of every segment file under a segment dir (open, sealed and shipped). */
export function readFrames(segmentDir: string): { file: string; frames: Frame[]; corrupt: string[] }[] {
  const out: { file: string; frames: Frame[]; corrupt: string[] }[] = [];
  const dirs = [segmentDir, join(segmentDir, 'shipped')].filter((d) => existsSync(d));
  for (const d of dirs) {
    for (const f of readdirSync(d).sort()) {
      if (!f.endsWith('.seg') && !f.endsWith('.seg.open')) continue;
      const frames: Frame[] = [];
      const corrupt: string[] = [];
      for (const item of scanSegment(readFileSync(join(d, f)))) {
        if (item.ok) frames.push(item.frame);
        else corrupt.push(`${f}@${item.offset}: ${item.reason}`);
      }
      out.push({ file: f, frames, corrupt });
    }
  }
  return out;
}

/** Every accepted event stored under a segment dir. */
export function storedEvents(segmentDir: string): Record<string, unknown>[] {
  return readFrames(segmentDir).flatMap((s) => s.frames.flatMap((f) => frameEvents(f)));
}

export async function post(url: string, body: string | Buffer, headers: Record<string, string> = {}): Promise<{ status: number; json: Json; headers: Headers }> {
  const res = await fetch(`${url}/v1/events`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = text;
  }
  return { status: res.status, json, headers: res.headers };
}
