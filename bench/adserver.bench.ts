/**
 * bench:adserver — 10,000 live line items over 1,000 slots, seeded into a real SQLite store.
 * Prints: decisions/s of the decision function alone (no HTTP); requests/s and p50/p99/p999
 * over loopback at fixed concurrency for `sluice adserver` pinned to one core, and in the same
 * run a bare uWebSockets.js app answering a constant body on that core, with the ratio (goal
 * >= 0.7); the latency at a fixed rate of half that maximum, open loop (bench/open-loop.ts: counted
 * from when each request was due, so stalls are not hidden); and the server's RSS. Usage: npm run bench:adserver [-- --seconds 10 --connections 64]
 * [--profile DIR: the ad server under load runs with node --cpu-prof into DIR]
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CampaignIndex, type PacingRegistry } from '../adserver/campaign-index.js';
import { DecisionStats, book, decide } from '../adserver/decide.js';
import { FrequencyCaps } from '../adserver/frequency-caps.js';
import { answerJson } from '../adserver/answer.js';
import { vastCreative, vastXml } from '../adserver/vast.js';
import { planAll } from '../adserver/pacing.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { seedCampaignModel } from '../store/seed.js';
import { adFixture } from './adserver-fixture.js';
import { ensureTool } from './ensure-tool.js';
import type { TargetingContext } from '../common/targeting/request-context.js';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '10' }, connections: { type: 'string', default: '64' }, 'line-items': { type: 'string', default: '10000' }, slots: { type: 'string', default: '1000' }, profile: { type: 'string', default: '' } } });
const seconds = Number(values.seconds);
const conns = Number(values.connections);
const LI = Number(values['line-items']);
const SLOTS = Number(values.slots);
const wrk = ensureTool('wrk');
const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-ads-'));
const dbPath = join(dir, 'sluice.db');

const fixture = adFixture(LI, SLOTS);
let t0 = performance.now();
const store = new SqliteStore({ path: dbPath });
await store.migrate();
await seedCampaignModel(store, fixture);
const snap = await store.loadCampaignSnapshot();
await store.close();
console.log(`bench:adserver — ${snap.line_items.length.toLocaleString('en')} line items, ${snap.creatives.length.toLocaleString('en')} creatives over ${snap.slots.length.toLocaleString('en')} slots in ${snap.apps.length} apps (seeded into SQLite in ${((performance.now() - t0) / 1000).toFixed(1)} s)`);

// 1. The decision function alone.
const pacing: PacingRegistry = new Map();
// The index's own heap: live bytes after a full GC, before and after the build (the snapshot is held throughout). Needs --expose-gc (the npm script passes it).
const gc = (globalThis as { gc?: () => void }).gc;
gc?.();
const heap0 = process.memoryUsage().heapUsed;
t0 = performance.now();
const ix = CampaignIndex.build(snap, pacing);
const buildMs = performance.now() - t0;
gc?.();
const indexMb = gc ? (process.memoryUsage().heapUsed - heap0) / 1e6 : NaN;
planAll(pacing.values(), Date.now(), 0, 60_000);
const caps = new FrequencyCaps(2_000_000);
const stats = new DecisionStats();
stats.resize(ix.lineItems.length);
const ctxs: TargetingContext[] = [
  { platform: 'ios', os_version: '17.1', app_version: '1.0', device_model: 'iPhone16,1', screen_w: 1179, screen_h: 2556, country: 'US', region: 'CA', kv: { genre: 'puzzle' }, hour: 12, weekday: 'mon' },
  { platform: 'android', os_version: '14', app_version: '1.0', device_model: 'SM-S921B', screen_w: 1080, screen_h: 2340, country: 'DE', region: 'BE', kv: {}, hour: 20, weekday: 'sat' },
];
const answer = { trackingUrl: 'http://127.0.0.1:8081', secret: 'bench-secret-0123456789', ttlMs: 3_600_000 };
const now = Date.now();
// 1a. decide() alone: the choice over the slot's candidates, nothing booked or answered.
const devices = Array.from({ length: 200_000 }, (_, i) => `d${i}`);
const slotIds = Array.from({ length: SLOTS }, (_, i) => `slot_${i}`);
let d = 0;
t0 = performance.now();
while (performance.now() - t0 < 3000) {
  for (let k = 0; k < 1000; k++, d++) {
    const slot = slotIds[d % SLOTS]!;
    const entry = ix.slots.get(slot)!;
    decide(ix, entry, { app: entry.app.id, slot, device: devices[d % 200_000]!, n: 1, ctx: ctxs[d & 1]! }, caps, stats, now, Math.random);
  }
}
const aloneS = (performance.now() - t0) / 1000;
let cands = 0;
for (const e of ix.slots.values()) for (const t of e.tiers) cands += t.length;
console.log(`decide() alone:   ${Math.round(d / aloneS).toLocaleString('en')} decisions/s (${((aloneS / d) * 1e6).toFixed(2)} us each, goal <= 3 us) over ${(cands / ix.slots.size).toFixed(0)} candidates a slot, ${ix.tests.length} distinct targeting expressions`);
let n = 0;
let served = 0;
t0 = performance.now();
while (performance.now() - t0 < 3000) {
  for (let k = 0; k < 1000; k++, n++) {
    const slot = `slot_${n % SLOTS}`;
    const entry = ix.slots.get(slot)!;
    const req = { app: entry.app.id, slot, device: `d${n % 200_000}`, n: 1, ctx: ctxs[n & 1]! };
    const picks = decide(ix, entry, req, caps, stats, now, Math.random);
    if (picks.length) {
      book(picks, req.device, caps, now, now + 3_600_000);
      answerJson(req, picks, now, answer);
      served++;
    }
  }
}
const decS = (performance.now() - t0) / 1000;
console.log(`decision, booked and answered: ${Math.round(n / decS).toLocaleString('en')} decisions/s with the answer built and signed (${((decS / n) * 1e6).toFixed(2)} us each; ${Math.round((100 * served) / n)}% filled); index built in ${buildMs.toFixed(0)} ms, ${Number.isNaN(indexMb) ? 'its heap unknown (run with --expose-gc)' : `${indexMb.toFixed(0)} MB of heap`}`);

// 1c. The same decisions answered as VAST (GET /v1/vast), with a 15 s video creative's parts as the index keeps them.
const vastParts = vastCreative({ id: 'cr_video', line_item_id: 'li_video', name: 'Spring 15s', kind: 'video', size: '640x360', payload: JSON.stringify({ media_url: 'https://cdn.example/spring-15s.mp4', duration_s: 15 }), click_url: 'https://adv.example', weight: 1 }, 'cmp_video', 'li_video');
if (typeof vastParts === 'string') throw new Error(vastParts);
let nv = 0;
let vastBytes = 0;
t0 = performance.now();
while (performance.now() - t0 < 3000) {
  for (let k = 0; k < 1000; k++, nv++) {
    const slot = `slot_${nv % SLOTS}`;
    const entry = ix.slots.get(slot)!;
    const req = { app: entry.app.id, slot, device: `v${nv % 200_000}`, n: 1, ctx: ctxs[nv & 1]! };
    const picks = decide(ix, entry, req, caps, stats, now, Math.random);
    if (picks.length) {
      book(picks, req.device, caps, now, now + 3_600_000);
      vastBytes = vastXml(req, picks[0]!, vastParts, now, answer).length;
    }
  }
}
const vastS = (performance.now() - t0) / 1000;
console.log(`decision answered as VAST: ${Math.round(nv / vastS).toLocaleString('en')} decisions/s (${((vastS / nv) * 1e6).toFixed(2)} us each, ${vastBytes} bytes a document); ratio to the JSON answer ${(nv / vastS / (n / decS)).toFixed(2)}`);

// 2. Over HTTP: the ad server, then bare uWS, each pinned to core 0; wrk on core 1.
writeFileSync(join(dir, 'req.lua'), `
math.randomseed(42)
request = function()
  local i = math.random(${SLOTS}) - 1
  local p = (math.random(2) == 1) and "ios&os=17.1&w=1179&h=2556" or "android&os=14&w=1080&h=2340"
  return wrk.format("GET", "/v1/ad?app=app_" .. (i % ${snap.apps.length}) .. "&slot=slot_" .. i .. "&device=d" .. math.random(200000) .. "&country=US&platform=" .. p)
end
done = function(summary, latency, requests)
  io.write(string.format("P50 %d\\nP99 %d\\nP999 %d\\nSTATUS_ERRORS %d\\n", latency:percentile(50), latency:percentile(99), latency:percentile(99.9), summary.errors.status))
end
`);
const main = fileURLToPath(new URL('../cli/main.js', import.meta.url));

async function start(args: string[]): Promise<ChildProcess> {
  const child = spawn('taskset', ['-c', '0', process.execPath, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (c: Buffer) => c.toString().includes('listening') && resolve());
    child.once('exit', (c) => reject(new Error(`exited ${c}`)));
  });
  return child;
}

function load(port: number): { rps: number; p50: number; p99: number; p999: number; errors: number } {
  const url = `http://127.0.0.1:${port}`;
  execFileSync('taskset', ['-c', '1', wrk, '-t1', `-c${conns}`, '-d2s', '-s', join(dir, 'req.lua'), url]);
  const out = execFileSync('taskset', ['-c', '1', wrk, '-t1', `-c${conns}`, `-d${seconds}s`, '-s', join(dir, 'req.lua'), url], { encoding: 'utf8' });
  const num = (re: RegExp) => Number((out.match(re) ?? [])[1] ?? NaN);
  return { rps: num(/Requests\/sec:\s+([\d.]+)/), p50: num(/P50 (\d+)/) / 1000, p99: num(/P99 (\d+)/) / 1000, p999: num(/P999 (\d+)/) / 1000, errors: num(/STATUS_ERRORS (\d+)/) };
}

const adsPort = 18302;
const ads = await start([...(values.profile ? ['--cpu-prof', `--cpu-prof-dir=${values.profile}`] : []), main, 'adserver', '--store', 'sqlite', '--sqlite-path', dbPath, '--port', String(adsPort), '--log-level', 'error', '--beacon-secret', 'bench-secret-0123456789']);
const a = load(adsPort);
const rssKb = Number((readFileSync(`/proc/${ads.pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/) ?? [])[1]);
ads.kill('SIGTERM');
// 3. Open loop at half the measured maximum, on a fresh server: latency from when each request was due (coordinated omission corrected).
const half = Math.round(a.rps / 2);
const ads2 = await start([main, 'adserver', '--store', 'sqlite', '--sqlite-path', dbPath, '--port', String(adsPort + 10), '--log-level', 'error', '--beacon-secret', 'bench-secret-0123456789']);
type OpenLoop = { achieved: number; p50: number; p99: number; p999: number; max: number; errors: number };
const openLoop = (port: number): OpenLoop => JSON.parse(execFileSync('taskset', ['-c', '1', process.execPath, fileURLToPath(new URL('./open-loop.js', import.meta.url)), '--port', String(port), '--rate', String(half), '--seconds', String(seconds), '--slots', String(SLOTS), '--apps', String(snap.apps.length)], { encoding: 'utf8' }).trim()) as OpenLoop;
const ol = openLoop(adsPort + 10);
ads2.kill('SIGTERM');
const bare = await start([fileURLToPath(new URL('./uws-bare.js', import.meta.url)), '18303']);
const b = load(18303);
// The same open loop against bare uWS: the floor of this client and machine at that rate.
const olBare = openLoop(18303);
bare.kill('SIGTERM');
const row = (name: string, r: typeof a) => `${name.padEnd(18)}${Math.round(r.rps).toLocaleString('en')} req/s, p50 ${r.p50.toFixed(3)} ms, p99 ${r.p99.toFixed(3)} ms, p999 ${r.p999.toFixed(3)} ms${r.errors ? `, ${r.errors} non-2xx` : ''}`;
console.log(row('sluice adserver:', a));
console.log(row('bare uWS:', b));
console.log(`open loop at half: ${half.toLocaleString('en')} req/s due (${Math.round(ol.achieved).toLocaleString('en')} done), p50 ${ol.p50.toFixed(3)} ms, p99 ${ol.p99.toFixed(3)} ms, p999 ${ol.p999.toFixed(3)} ms, max ${ol.max.toFixed(1)} ms${ol.errors ? `, ${ol.errors} non-2xx` : ''} (goal p99 < 1 ms: ${ol.p99 < 1 ? 'MET' : 'NOT MET'})`);
console.log(`  bare uWS, same open loop: p50 ${olBare.p50.toFixed(3)} ms, p99 ${olBare.p99.toFixed(3)} ms, p999 ${olBare.p999.toFixed(3)} ms, max ${olBare.max.toFixed(1)} ms`);
console.log(`server RSS:       ${(rssKb / 1024).toFixed(0)} MB`);
const ratio = a.rps / b.rps;
console.log(`ratio adserver/bare: ${ratio.toFixed(3)} (goal >= 0.7: ${ratio >= 0.7 ? 'MET' : 'NOT MET'})`);
rmSync(dir, { recursive: true, force: true });
