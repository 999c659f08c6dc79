/**
 * bench:fleet — what running ad servers as a fleet costs, with 10,000 line items:
 *  1. a fleet plan against the report store (SQLite): one node writes its 10,000 unit rows
 *     and reads the fleet's sums, with three nodes' rows in the table; per plan and as a share of
 *     the default plan interval;
 *  2. the HAProxy hop that routes each device to one node (consistent hashing on `device`, the
 *     README's config) against the same ad server asked directly, with wrk: req/s and p50/p99,
 *     and the ratio; one node behind it (two cores here: server on core 0, wrk and HAProxy on 1);
 *  3. what sharing cap counters instead would add per served ad at the very least: one upsert
 *     of a device x line item counter in an in-process SQLite (a networked store costs a round trip more).
 * Usage: npm run bench:fleet [-- --seconds 8 --connections 64]
 */
import Database from 'better-sqlite3';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { SqliteStore } from '../store/sqlite-store.js';
import { seedCampaignModel } from '../store/seed.js';
import { haproxyConfig } from '../test/helpers/haproxy.js';
import { adFixture } from './adserver-fixture.js';
import { ensureTool } from './ensure-tool.js';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '8' }, connections: { type: 'string', default: '64' }, 'line-items': { type: 'string', default: '10000' } } });
const seconds = Number(values.seconds);
const conns = Number(values.connections);
const LI = Number(values['line-items']);
const SLOTS = 1000;
const wrk = ensureTool('wrk');
const haproxy = ensureTool('haproxy');
const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-fleet-'));
const dbPath = join(dir, 'sluice.db');
const fixture = adFixture(LI, SLOTS);
const store = new SqliteStore({ path: dbPath });
await store.migrate();
await seedCampaignModel(store, fixture);
console.log(`bench:fleet — ${LI.toLocaleString('en')} line items over ${SLOTS} slots`);

// 1. A fleet plan's store work, three nodes' rows in the table.
const rows = (node: number) => fixture.line_items.map((li, i) => ({ unit_key: li.id, decided: 1000 + i + node, decided_live: i % 17, live_until: Date.now() + 3_600_000, eligible_rate: 3.5 + node }));
const now = Date.now();
for (const n of [1, 2]) await store.publishAdUnits(`node${n}`, rows(n), now);
await store.publishImpressions('trk0', fixture.line_items.map((li, i) => ({ line_item_id: li.id, impressions: 900 + i, impressions_live: i % 13, live_until: now + 3_600_000 })), now);
const times: number[] = [];
for (let k = 0; k < 10; k++) {
  const t0 = performance.now();
  await store.publishAdUnits('node0', rows(0), Date.now());
  const snap = await store.fleetDelivery(Date.now() - 180_000, Date.now());
  times.push(performance.now() - t0);
  if (snap.units.size !== LI || snap.nodes !== 3) throw new Error(`fleet read ${snap.units.size} units of ${snap.nodes} nodes`);
}
times.sort((a, b) => a - b);
const med = times[5]!;
console.log(`fleet plan (write ${LI.toLocaleString('en')} rows, read the fleet's sums): median ${med.toFixed(0)} ms, min ${times[0]!.toFixed(0)} ms (${((100 * med) / 60_000).toFixed(2)} % of the default 60 s plan interval, off the request path)`);
await store.close();

// 2. Direct against through HAProxy.
writeFileSync(join(dir, 'req.lua'), `
math.randomseed(42)
request = function()
  local i = math.random(${SLOTS}) - 1
  return wrk.format("GET", "/v1/ad?app=app_" .. (i % 100) .. "&slot=slot_" .. i .. "&device=d" .. math.random(200000) .. "&country=US&platform=ios&os=17.1")
end
done = function(summary, latency, requests)
  io.write(string.format("P50 %d\\nP99 %d\\n", latency:percentile(50), latency:percentile(99)))
end
`);
const main = fileURLToPath(new URL('../cli/main.js', import.meta.url));
function load(port: number): { rps: number; p50: number; p99: number } {
  const url = `http://127.0.0.1:${port}`;
  execFileSync('taskset', ['-c', '1', wrk, '-t1', `-c${conns}`, '-d2s', '-s', join(dir, 'req.lua'), url]);
  const out = execFileSync('taskset', ['-c', '1', wrk, '-t1', `-c${conns}`, `-d${seconds}s`, '-s', join(dir, 'req.lua'), url], { encoding: 'utf8' });
  const num = (re: RegExp) => Number((out.match(re) ?? [])[1] ?? NaN);
  return { rps: num(/Requests\/sec:\s+([\d.]+)/), p50: num(/P50 (\d+)/) / 1000, p99: num(/P99 (\d+)/) / 1000 };
}
const adsPort = 18402;
const ads: ChildProcess = spawn('taskset', ['-c', '0', process.execPath, main, 'adserver', '--store', 'sqlite', '--sqlite-path', dbPath, '--port', String(adsPort), '--log-level', 'error', '--beacon-secret', 'bench-secret-0123456789'], { stdio: ['ignore', 'pipe', 'inherit'] });
await new Promise<void>((resolve, reject) => {
  ads.stdout!.on('data', (c: Buffer) => c.toString().includes('listening') && resolve());
  ads.once('exit', (c) => reject(new Error(`ad server exited ${c}`)));
});
writeFileSync(join(dir, 'haproxy.cfg'), haproxyConfig(adsPort + 1, [{ name: 'ads0', port: adsPort }]));
const hp = spawn('taskset', ['-c', '1', haproxy, '-f', join(dir, 'haproxy.cfg'), '-db'], { stdio: 'ignore' });
const direct = load(adsPort);
const proxied = load(adsPort + 1);
hp.kill('SIGTERM');
ads.kill('SIGTERM');
const row = (name: string, r: typeof direct) => `${name.padEnd(24)}${Math.round(r.rps).toLocaleString('en')} req/s, p50 ${r.p50.toFixed(3)} ms, p99 ${r.p99.toFixed(3)} ms`;
console.log(row('ad server, direct:', direct));
console.log(row('through HAProxy:', proxied));
console.log(`HAProxy hop: ${(proxied.rps / direct.rps).toFixed(2)} of the direct req/s, +${(proxied.p50 - direct.p50).toFixed(3)} ms at p50 (wrk and HAProxy share one core)`);

// 3. Shared cap counters, the floor: one upsert per served ad in an in-process SQLite.
const db = new Database(join(dir, 'caps.db'));
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.exec('CREATE TABLE caps (device TEXT NOT NULL, line_item TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (device, line_item))');
const up = db.prepare('INSERT INTO caps (device, line_item, n) VALUES (?, ?, 1) ON CONFLICT (device, line_item) DO UPDATE SET n = n + 1 RETURNING n');
const N = 50_000;
const t0 = performance.now();
for (let i = 0; i < N; i++) up.get(`d${i % 20_000}`, `li_${i % 97}`);
const us = ((performance.now() - t0) / N) * 1000;
db.close();
console.log(`shared cap counter, in-process SQLite upsert per served ad: ${us.toFixed(1)} us (against 0 with devices hashed to nodes; a networked store adds a round trip)`);
rmSync(dir, { recursive: true, force: true });
