/**
 * An open-loop HTTP load generator for bench:adserver: requests are due at a fixed rate
 * whatever the server does, and each one's latency is counted from when it was due, not from
 * when a connection was free to send it (so a stalled server shows in the tail: coordinated
 * omission corrected, as wrk2 does). Raw keep-alive sockets, one request in flight per
 * connection, responses framed by Content-Length. Prints one JSON line.
 * Usage: node dist/bench/open-loop.js --port P --rate R --seconds S [--warmup S] [--connections C] [--slots N] [--apps N]
 */
import { connect, type Socket } from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { port: { type: 'string' }, rate: { type: 'string' }, seconds: { type: 'string', default: '10' }, warmup: { type: 'string', default: '2' }, connections: { type: 'string', default: '64' }, slots: { type: 'string', default: '1000' }, apps: { type: 'string', default: '100' } } });
const port = Number(values.port);
const rate = Number(values.rate);
const seconds = Number(values.seconds);
/** Requests due in the first seconds are sent but not counted: the client's and server's JIT warm-up and connection start showed as a 70-90 ms tail against bare uWS too. */
const warmupMs = Number(values.warmup) * 1000;
const SLOTS = Number(values.slots);
const APPS = Number(values.apps);

/** The same mix as the wrk script: a random slot of its app, a random device of 200,000, half iOS, half Android. */
function path(): string {
  const i = Math.floor(Math.random() * SLOTS);
  const p = Math.random() < 0.5 ? 'ios&os=17.1&w=1179&h=2556' : 'android&os=14&w=1080&h=2340';
  return `/v1/ad?app=app_${i % APPS}&slot=slot_${i}&device=d${1 + Math.floor(Math.random() * 200_000)}&country=US&platform=${p}`;
}

interface Conn {
  sock: Socket;
  busy: boolean;
  due: number;
  buf: Buffer;
}

const latencies: number[] = [];
const backlog: number[] = [];
let sent = 0;
let done = 0;
let errors = 0;
const conns: Conn[] = [];

function send(c: Conn, due: number): void {
  c.busy = true;
  c.due = due;
  sent++;
  c.sock.write(`GET ${path()} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
}

function onData(c: Conn, chunk: Buffer): void {
  c.buf = c.buf.length === 0 ? chunk : Buffer.concat([c.buf, chunk]);
  for (;;) {
    const head = c.buf.indexOf('\r\n\r\n');
    if (head < 0) return;
    const m = /content-length: *(\d+)/i.exec(c.buf.toString('latin1', 0, head));
    const len = m ? Number(m[1]) : 0;
    if (c.buf.length < head + 4 + len) return;
    const status = Number(c.buf.toString('latin1', 9, 12));
    if (status >= 300) errors++;
    c.buf = c.buf.subarray(head + 4 + len);
    if (c.due >= t0 + warmupMs) latencies.push(performance.now() - c.due);
    done++;
    c.busy = false;
    const next = backlog.shift();
    if (next !== undefined) send(c, next);
  }
}

await Promise.all(Array.from({ length: Number(values.connections) }, () => new Promise<void>((resolve, reject) => {
  const c: Conn = { sock: connect(port, '127.0.0.1', () => resolve()), busy: false, due: 0, buf: Buffer.alloc(0) };
  c.sock.setNoDelay(true);
  c.sock.on('data', (d) => onData(c, d));
  c.sock.on('error', reject);
  conns.push(c);
})));

let t0 = Number.POSITIVE_INFINITY;
const total = Math.round((rate * (warmupMs + seconds * 1000)) / 1000);
let issued = 0;
/** Issues every request due by now: to a free connection, else to the backlog (its clock runs from when it was due). */
function tick(): void {
  const now = performance.now();
  while (issued < total && t0 + (issued * 1000) / rate <= now) {
    const due = t0 + (issued * 1000) / rate;
    issued++;
    const free = conns.find((c) => !c.busy);
    if (free) send(free, due);
    else backlog.push(due);
  }
  if (issued < total) setImmediate(tick);
}
t0 = performance.now();
tick();
while (done < total) await new Promise((r) => setTimeout(r, 20));
const elapsed = (performance.now() - t0) / 1000;
const counted = latencies.length;
for (const c of conns) c.sock.destroy();
latencies.sort((a, b) => a - b);
const q = (p: number): number => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!;
console.log(JSON.stringify({ rate, achieved: done / elapsed, sent, counted, errors, p50: q(50), p99: q(99), p999: q(99.9), max: latencies[latencies.length - 1] }));
