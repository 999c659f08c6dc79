/**
 * A real HAProxy in front of ad server processes, routing each device to one node by consistent
 * hashing on the `device` query parameter (the config the README documents). Installs Debian's
 * haproxy through scripts/haproxy.sh when missing (root, as CI has); answers null when it
 * cannot run here, and the caller hashes devices itself.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kill } from './child-tracking.js';

const SCRIPT = fileURLToPath(new URL('../../../scripts/haproxy.sh', import.meta.url));

export function haproxyConfig(port: number, servers: readonly { name: string; port: number }[]): string {
  return [
    'global',
    '  maxconn 4096',
    'defaults',
    '  mode http',
    '  timeout connect 1s',
    '  timeout client 10s',
    '  timeout server 10s',
    // A request sent to a node that just died goes to another one instead of failing.
    '  retries 2',
    '  option redispatch 1',
    'frontend ads',
    `  bind 127.0.0.1:${port}`,
    '  default_backend adservers',
    'backend adservers',
    // Each device to one node (its frequency caps live there); a node leaving moves only its devices.
    '  balance url_param device',
    '  hash-type consistent',
    // uWebSockets.js answers HTTP/1.1 with a Host header only (HAProxy's default check is HTTP/1.0).
    '  option httpchk',
    '  http-check send meth GET uri /livez ver HTTP/1.1 hdr Host adserver',
    // A slow answer is not a dead node (a starved node marked down and up again moves its devices, and their caps, twice).
    '  timeout check 2s',
    ...servers.map((s) => `  server ${s.name} 127.0.0.1:${s.port} check inter 300 fall 3 rise 2`),
    '',
  ].join('\n');
}

function tcpOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

export async function startHaproxy(dir: string, port: number, servers: readonly { name: string; port: number }[]): Promise<{ url: string; child: ChildProcess; stop(): Promise<void> } | null> {
  const found = spawnSync('bash', [SCRIPT, 'install'], { encoding: 'utf8' });
  if (found.status !== 0) return null;
  const bin = found.stdout.trim().split('\n').pop()!;
  const cfg = join(dir, 'haproxy.cfg');
  writeFileSync(cfg, haproxyConfig(port, servers));
  const child = spawn(bin, ['-f', cfg, '-db'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const deadline = Date.now() + 10_000;
  // Listening is not announced on a pipe: try the port until it answers (or haproxy exits).
  while (!(await tcpOpen(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await kill(child);
      throw new Error(`haproxy did not start: ${err.slice(0, 500)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url: `http://127.0.0.1:${port}`, child, stop: async () => void (await kill(child, 'SIGTERM')) };
}
