import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { duck, fleetLake, runPipelineOnce } from './helpers/pipeline.js';
import { LocalLake } from '../lake/local-lake.js';

const MAIN = fileURLToPath(new URL('../cli/main.js', import.meta.url));

/** Every output row, as a sorted multiset of (partition, dedupe key, enriched columns). */
async function output(lakeDir: string): Promise<string[]> {
  const rows = await duck(lakeDir, (ev) => `select app_id || '|' || dt || '|' || dedupe_key || '|' || coalesce(app_name, '') || '|' || coalesce(advertiser_id, '') || '|' || device_class || '|' || segment from ${ev}`);
  return rows.map((r) => r[0] as string).sort();
}

test('a pipeline killed mid-segment and run again leaves exactly the output of an uninterrupted run', async (t) => {
  const fx = await fleetLake(100, 8, 1.5);
  try {
    const crashLake = join(fx.dir, 'lake-crash');
    cpSync(fx.lakeDir, crashLake, { recursive: true });
    // The reference: one uninterrupted run.
    await runPipelineOnce(fx.lakeDir, fx.dbPath);
    const want = await output(fx.lakeDir);
    assert.ok(want.length > 1000);

    // The crash: SIGKILL as soon as the first staged Parquet file of a segment is in the lake.
    const child = spawn(process.execPath, [MAIN, 'pipeline', '--once', '--lake', 'local', '--lake-dir', crashLake, '--store', 'sqlite', '--sqlite-path', fx.dbPath, '--port', '0', '--max-rows-per-file', '500', '--lease-ms', '1000', '--lease-renew-ms', '300', '--log-level', 'silent'], { stdio: 'ignore' });
    const exited = once(child, 'exit');
    const staging = join(crashLake, '_staging');
    let killedMidSegment = false;
    while (child.exitCode === null) {
      if (existsSync(staging) && readdirSync(staging).length > 0) {
        child.kill('SIGKILL');
        killedMidSegment = true;
        break;
      }
      await new Promise((r) => setTimeout(r, 2));
    }
    await exited;
    assert.ok(killedMidSegment, 'the kill landed while a segment was half written');
    const checkpoints = existsSync(join(crashLake, '_checkpoints')) ? readdirSync(join(crashLake, '_checkpoints')).length : 0;
    assert.ok(checkpoints < fx.segments.length, 'not every segment was finished before the kill');

    const { done } = await runPipelineOnce(crashLake, fx.dbPath);
    t.diagnostic(`killed with ${checkpoints} of ${fx.segments.length} segments done; the rerun did ${done.length}`);
    assert.deepEqual(await output(crashLake), want);
    assert.deepEqual(await new LocalLake({ dir: crashLake }).list('_staging/'), [], 'no staged leftovers');
  } finally {
    rmSync(fx.dir, { recursive: true, force: true });
  }
});
