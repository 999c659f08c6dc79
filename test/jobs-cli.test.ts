import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';

/** The `sluice jobs` command beside a running one (the demo, a scheduler) holding its metrics port. */
const MAIN = fileURLToPath(new URL('../cli/main.js', import.meta.url));

function sluice(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('close', (code) => resolve({ code, out, err }));
  });
}

describe('sluice jobs beside a running jobs tier', () => {
  let dir = '';
  let busy: Server;
  let port = 0;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-jobs-cli-'));
    busy = createServer((_q, r) => r.end());
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    port = (busy.address() as AddressInfo).port;
  });
  after(() => {
    busy.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const common = () => ['--port', String(port), '--sqlite-path', join(dir, 'sluice.db'), '--lake-dir', join(dir, 'lake'), '--state-dir', join(dir, 'jobs'), '--log-level', 'warn', '--no-progress'];

  test('a one-off run works while another process holds the metrics port', async () => {
    const r = await sluice(['jobs', 'run', 'events', ...common()]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /sluice jobs: events succeeded/);
    assert.doesNotMatch(r.err, /EADDRINUSE|\n\s+at /);
  });

  test('the scheduler on a taken port stops with one clear message, not a stack trace', async () => {
    const r = await sluice(['jobs', ...common()]);
    assert.notEqual(r.code, 0);
    assert.match(r.err, new RegExp(`port ${port} on 127.0.0.1 is already in use`));
    assert.doesNotMatch(r.err, /\n\s+at /, 'no stack trace');
  });
});
