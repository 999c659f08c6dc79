/**
 * bench:sim — how fast the fleet generates events with exact ground truth, writing gzip
 * upload bodies as `sluice sim --out` does. Goal (issue #2): 10M events in under 60 s on
 * 2 cores. Usage: npm run bench:sim [-- --events 10000000 --workers 2]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseUtcDay } from '../common/time.js';
import { generateFleet } from '../sdk-mock/generate.js';

const { values } = parseArgs({ options: { events: { type: 'string', default: '10000000' }, workers: { type: 'string', default: String(Math.min(4, cpus().length)) } } });
const target = Number(values.events);
const workers = Number(values.workers);
// Measured: the default fleet makes ~153 events per device over 14 days.
const devices = Math.ceil(target / 153);
const base = { seed: 42, apps: 20, days: 14, start: parseUtcDay('2026-01-01'), dupRate: 0.1, offlineRate: 0.02, maxOfflineDays: 100, skewRate: 0.03, legacyRate: 0.02, lossRate: 0.01, shards: 8, workers, devices };

async function run(label: string, out: string) {
  const t0 = performance.now();
  const r = await generateFleet({ ...base, out });
  const s = (performance.now() - t0) / 1000;
  const ev = r.truth.totals.generated;
  console.log(`${label.padEnd(28)} ${ev.toLocaleString('en')} events in ${s.toFixed(1)} s = ${Math.round(ev / s).toLocaleString('en')} events/s` + (out ? `, ${(r.bytes / 1e6).toFixed(0)} MB gzip of ${(r.rawBytes / 1e6).toFixed(0)} MB JSON, ${r.uploads.toLocaleString('en')} uploads` : ''));
  return { s, ev };
}

console.log(`bench:sim — ${devices.toLocaleString('en')} devices, ${workers} worker threads, ${cpus().length} cores`);
const truthOnly = await run('ground truth only', '');
const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-sim-'));
try {
  const full = await run('ground truth + upload files', dir);
  const rssMb = process.resourceUsage().maxRSS / 1024;
  console.log(`peak RSS ${rssMb.toFixed(0)} MB; writing the files costs ${(full.s / truthOnly.s).toFixed(2)}x the generation alone`);
  const ok = full.s < 60 * (full.ev / 10_000_000);
  console.log(`goal: 10M events with ground truth and files in < 60 s -> ${(full.s * (10_000_000 / full.ev)).toFixed(1)} s per 10M events: ${ok ? 'MET' : 'NOT MET'}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
