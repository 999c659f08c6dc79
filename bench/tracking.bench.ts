/**
 * bench:tracking — durable ingest over loopback. The tracking server runs pinned to one core
 * (taskset -c 0), wrk on the other with 64 connections POSTs gzip batches of 50 events.
 * Prints events/s acknowledged durably, p50/p99 ack latency, and in the same run the raw rate
 * of appending the same frame bytes with the same fsync grouping the server achieved.
 * Then the same events as a Segment batch on POST /v1/batch (the Segment-shaped route), with its ratio to the native one.
 * Goal (issue #3): >= 200,000 events/s on one core.
 * Usage: npm run bench:tracking [-- --seconds 10 --connections 64]
 */
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { openSync, closeSync, fdatasyncSync, writevSync, rmSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { Codec, FrameKind, encodeFrame } from '../common/segment-format.js';
import { DAY_MS, floorDay } from '../common/time.js';
import { simulateDevice, uploadBody } from '../sdk-mock/device.js';
import { appCumulative, buildWorld } from '../sdk-mock/world.js';
import { ensureTool } from './ensure-tool.js';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '10' }, connections: { type: 'string', default: '64' }, port: { type: 'string', default: '18181' } } });
const seconds = Number(values.seconds);
const conns = Number(values.connections);
const port = Number(values.port);
const wrk = ensureTool('wrk');
const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-trk-'));

// A realistic 50-event batch from the fleet, dated last week so it passes retention.
const world = buildWorld(1, 4);
const knobs = { start: floorDay(Date.now()) - 8 * DAY_MS, days: 7, dupRate: 0, offlineRate: 0, maxOfflineDays: 0, skewRate: 0, legacyRate: 0, lossRate: 0 };
let dev = simulateDevice(world, appCumulative(world), knobs, 0);
for (let i = 1; dev.events.length < 50; i++) dev = simulateDevice(world, appCumulative(world), knobs, i);
const EVENTS = 50;
const json = uploadBody(dev, { at: 0, events: dev.events.slice(0, EVENTS) }, Date.now());
const body = gzipSync(json);
writeFileSync(join(dir, 'body.gz'), body);
writeFileSync(join(dir, 'post.lua'), `wrk.method = "POST"\nlocal f = io.open("${join(dir, 'body.gz')}", "rb")\nwrk.body = f:read("*a")\nf:close()\nwrk.headers["Content-Type"] = "application/json"\nwrk.headers["Content-Encoding"] = "gzip"\n`);
console.log(`bench:tracking — batches of ${EVENTS} events, ${json.length} bytes JSON (${Math.round(json.length / EVENTS)} B/event), ${body.length} bytes gzip; ${conns} connections, ${seconds} s`);

const main = fileURLToPath(new URL('../cli/main.js', import.meta.url));
const server = spawn('taskset', ['-c', '0', process.execPath, main, 'tracking', '--port', String(port), '--data-dir', join(dir, 'trk'), '--lake-dir', join(dir, 'lake'), '--log-level', 'error', '--ship-interval-ms', '1000', '--no-app-keys-from-store'], { stdio: ['ignore', 'pipe', 'inherit'] });
await new Promise<void>((resolve, reject) => {
  server.stdout!.on('data', (c: Buffer) => c.toString().includes('listening') && resolve());
  server.once('exit', (c) => reject(new Error(`server exited ${c}`)));
});

const url = `http://127.0.0.1:${port}/v1/events`;
// Warm up the JIT and the page cache, then measure.
execFileSync('taskset', ['-c', '1', wrk, '-t1', `-c${conns}`, '-d2s', '-s', join(dir, 'post.lua'), url], { encoding: 'utf8' });
const metricsBefore = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
const out = execFileSync('taskset', ['-c', '1', wrk, '-t1', `-c${conns}`, `-d${seconds}s`, '--latency', '-s', join(dir, 'post.lua'), url], { encoding: 'utf8' });
const metricsAfter = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();

// The same 50 events as a Segment batch (what Segment's and RudderStack's SDKs send), gzip as RudderStack sends it, on /v1/batch.
const up = JSON.parse(json.toString()) as { device: Record<string, unknown>; events: Record<string, unknown>[] };
const LIFE: Record<string, string> = { app_open: 'Application Opened', app_background: 'Application Backgrounded' };
const segBatch = {
  batch: up.events.map((e) => {
    const d = { ...up.device, ...e } as Record<string, unknown>;
    return {
      type: 'track', messageId: d.event_id, anonymousId: d.device_id, timestamp: new Date(Number(d.ts)).toISOString(),
      event: LIFE[String(d.type)] ?? String(d.name ?? d.type), properties: d.props ?? {},
      context: { os: { name: d.platform === 'ios' ? 'iOS' : 'Android', version: d.os_version }, app: { version: d.app_version }, device: { model: d.device_model }, locale: d.locale },
    };
  }),
  sentAt: new Date().toISOString(),
};
const segJson = Buffer.from(JSON.stringify(segBatch));
writeFileSync(join(dir, 'seg.gz'), gzipSync(segJson));
writeFileSync(join(dir, 'seg.lua'), `wrk.method = "POST"\nlocal f = io.open("${join(dir, 'seg.gz')}", "rb")\nwrk.body = f:read("*a")\nf:close()\nwrk.headers["Content-Type"] = "application/json"\nwrk.headers["Content-Encoding"] = "gzip"\nwrk.headers["Authorization"] = "Basic ${Buffer.from(`${String(up.device.app_id ?? up.events[0]!.app_id)}:`).toString('base64')}"\n`);
const segUrl = `http://127.0.0.1:${port}/v1/batch`;
const probe = await fetch(segUrl, { method: 'POST', body: gzipSync(segJson), headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', authorization: `Basic ${Buffer.from('bench:').toString('base64')}` } });
const probeAnswer = (await probe.json()) as { accepted?: number; code?: string };
if (probeAnswer.accepted !== EVENTS) throw new Error(`the Segment-shaped batch was not accepted whole: ${JSON.stringify(probeAnswer).slice(0, 300)}`);
execFileSync('taskset', ['-c', '1', wrk, '-t1', `-c${conns}`, '-d2s', '-s', join(dir, 'seg.lua'), segUrl], { encoding: 'utf8' });
const segOut = execFileSync('taskset', ['-c', '1', wrk, '-t1', `-c${conns}`, `-d${seconds}s`, '--latency', '-s', join(dir, 'seg.lua'), segUrl], { encoding: 'utf8' });
server.kill('SIGTERM');

const num = (re: RegExp, s: string) => Number((s.match(re) ?? [])[1] ?? NaN);
const ms = (re: RegExp) => {
  const m = out.match(re);
  if (!m) return NaN;
  return Number(m[1]) * (m[2] === 'us' ? 0.001 : m[2] === 's' ? 1000 : 1);
};
const rps = num(/Requests\/sec:\s+([\d.]+)/, out);
const non2xx = num(/Non-2xx or 3xx responses:\s+(\d+)/, out) || 0;
const p50 = ms(/50%\s+([\d.]+)(us|ms|s)/);
const p99 = ms(/99%\s+([\d.]+)(us|ms|s)/);
const metric = (name: string, s: string) => num(new RegExp(`^${name}\\{[^}]*\\} ([\\d.e+]+)$`, 'm'), s);
const frames = metric('sluice_tracking_frames_written_total', metricsAfter) - metric('sluice_tracking_frames_written_total', metricsBefore);
const syncs = metric('sluice_tracking_fsync_seconds_count', metricsAfter) - metric('sluice_tracking_fsync_seconds_count', metricsBefore);
const group = Math.max(1, Math.round(frames / syncs));
const evps = rps * EVENTS;
console.log(`server (1 core):  ${Math.round(rps).toLocaleString('en')} req/s = ${Math.round(evps).toLocaleString('en')} events/s acknowledged durably; ack latency p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms; ${non2xx} non-2xx`);
console.log(`group commit:     ${frames.toLocaleString('en')} frames in ${syncs.toLocaleString('en')} fdatasyncs = ${group} frames per sync`);
const segRps = num(/Requests\/sec:\s+([\d.]+)/, segOut);
const segNon2xx = num(/Non-2xx or 3xx responses:\s+(\d+)/, segOut) || 0;
const segP99 = ((m) => (m ? Number(m[1]) * (m[2] === 'us' ? 0.001 : m[2] === 's' ? 1000 : 1) : NaN))(segOut.match(/99%\s+([\d.]+)(us|ms|s)/));
console.log(`segment route:    ${Math.round(segRps * EVENTS).toLocaleString('en')} events/s on POST /v1/batch (${segJson.length} bytes JSON a batch, gzip); p99 ${segP99.toFixed(2)} ms; ${segNon2xx} non-2xx; ratio to the native route ${((segRps * EVENTS) / evps).toFixed(2)}`);

// Raw: the same frame bytes, appended `group` at a time with one fdatasync each, on the same core.
const frame = encodeFrame(FrameKind.Upload, Codec.Gzip, Date.now(), {}, body);
const rawFile = join(dir, 'raw.seg');
const fd = openSync(rawFile, 'w');
const batch = Array.from({ length: group }, () => frame);
let n = 0;
const t0 = performance.now();
while (performance.now() - t0 < Math.min(5, seconds) * 1000) {
  writevSync(fd, batch);
  fdatasyncSync(fd);
  n += group;
}
const rawS = (performance.now() - t0) / 1000;
closeSync(fd);
const rawEvps = (n * EVENTS) / rawS;
console.log(`raw append:       ${Math.round(rawEvps).toLocaleString('en')} events/s (${Math.round(n / rawS).toLocaleString('en')} frames/s of ${frame.length} B, ${group} per fdatasync, ${((n * frame.length) / rawS / 1e6).toFixed(0)} MB/s)`);
console.log(`ratio server/raw: ${(evps / rawEvps).toFixed(3)}`);
console.log(`goal >= 200,000 events/s on one core: ${evps >= 200_000 ? 'MET' : 'NOT MET'} (${Math.round(evps).toLocaleString('en')})`);
rmSync(dir, { recursive: true, force: true });
