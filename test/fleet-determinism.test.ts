import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { fleet } from './helpers/fleet.js';

function digest(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const ent of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, ent.name);
      if (ent.isDirectory()) walk(p);
      else out.set(relative(dir, p), createHash('sha256').update(readFileSync(p)).digest('hex'));
    }
  };
  walk(dir);
  return out;
}

test('the same seed gives byte-identical files, whatever the number of worker threads', async () => {
  const a = await fleet({ devices: 300, workers: 1 });
  const b = await fleet({ devices: 300, workers: 2 });
  const c = await fleet({ devices: 300, workers: 2, seed: 43 });
  try {
    const da = digest(a.dir);
    assert.ok(da.has('truth.json') && da.has('world.json') && da.has('uploads/index.ndjson') && da.has('uploads/part-000.bin'));
    assert.deepEqual(digest(b.dir), da);
    const dc = digest(c.dir);
    assert.notEqual(dc.get('truth.json'), da.get('truth.json'), 'another seed gives another fleet');
    assert.notEqual(dc.get('uploads/part-000.bin'), da.get('uploads/part-000.bin'));
  } finally {
    for (const r of [a, b, c]) rmSync(r.dir, { recursive: true, force: true });
  }
});
