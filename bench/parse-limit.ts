/**
 * The limit of bench:pipeline: gunzip + JSON.parse alone over the segments' frames, on `threads`
 * worker threads (frame i goes to thread i mod threads), timed from when every thread holds its
 * segments to when the last one is done. No pipeline can turn events into Parquet faster.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { Codec, scanSegment } from '../common/segment-format.js';

function segmentFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) out.push(...segmentFiles(join(dir, e.name)));
    else if (e.name.endsWith('.seg')) out.push(join(dir, e.name));
  }
  return out.sort();
}

/** Events parsed per second by `threads` threads, and the events counted. */
export async function parseLimit(segmentsDir: string, threads: number): Promise<{ events: number; seconds: number }> {
  const workers = Array.from({ length: threads }, (_, k) => new Worker(new URL(import.meta.url), { workerData: { segmentsDir, k, threads } }));
  await Promise.all(workers.map((w) => new Promise((ok, fail) => w.once('message', ok).once('error', fail))));
  const t0 = performance.now();
  const done = workers.map((w) => new Promise<number>((ok, fail) => w.once('message', ok).once('error', fail)));
  for (const w of workers) w.postMessage('go');
  const counts = await Promise.all(done);
  const seconds = (performance.now() - t0) / 1000;
  await Promise.all(workers.map((w) => w.terminate()));
  return { events: counts.reduce((a, b) => a + b, 0), seconds };
}

if (!isMainThread) {
  const { segmentsDir, k, threads } = workerData as { segmentsDir: string; k: number; threads: number };
  const segs = segmentFiles(segmentsDir).map((f) => readFileSync(f));
  parentPort!.postMessage('ready');
  parentPort!.once('message', () => {
    let events = 0;
    let i = 0;
    for (const seg of segs) {
      for (const item of scanSegment(seg)) {
        if (!item.ok || i++ % threads !== k) continue;
        const f = item.frame;
        const raw = f.codec === Codec.Gzip ? gunzipSync(f.body) : f.body;
        const parsed = JSON.parse(raw.toString('utf8')) as { events?: unknown[] } | unknown[];
        events += Array.isArray(parsed) ? parsed.length : (parsed.events?.length ?? 0);
      }
    }
    parentPort!.postMessage(events);
  });
}
