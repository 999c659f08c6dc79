import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { createLogger } from '../common/logger.js';
import { sendFleet } from '../sdk-mock/http-sender.js';
import { buildWorld } from '../sdk-mock/world.js';
import { FLEET_DEFAULTS } from './helpers/fleet.js';
import { keyed, recount, type Received } from './helpers/recount.js';

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

test('over HTTP the fleet behaves like an SDK: retries, honours Retry-After, splits on 413, and delivers everything', async () => {
  const o = { ...FLEET_DEFAULTS, devices: 150, seed: 7 };
  const world = buildWorld(o.seed, o.apps);
  const keys = new Map(world.apps.map((a) => [a.app_id, a.app_key]));
  const stored: Received[] = [];
  const seen = { total: 0, e503: 0, e429: 0, lostAck: 0, dropped: 0, e413: 0, badKey: 0 };
  const server: Server = createServer(async (req, res) => {
    const n = ++seen.total;
    const raw = await readBody(req);
    const body = JSON.parse(gunzipSync(raw).toString('utf8')) as Received['body'];
    if (req.headers['x-sluice-app-key'] !== keys.get(String(body.device.app_id))) seen.badKey++;
    if (body.events.length > 60) {
      seen.e413++;
      res.writeHead(413).end('{"code":"TRK_ERR_BATCH_TOO_LARGE"}');
    } else if (n % 7 === 0) {
      seen.e503++;
      res.writeHead(503, { 'retry-after': '0' }).end();
    } else if (n % 17 === 0) {
      seen.e429++;
      res.writeHead(429, { 'retry-after': '0' }).end();
    } else if (n % 11 === 0) {
      // Stored, but the answer never arrives in time: the SDK must send it again.
      seen.lostAck++;
      stored.push({ body, receivedAt: Date.now() });
      setTimeout(() => res.destroy(), 400);
    } else if (n % 13 === 0) {
      seen.dropped++;
      res.destroy();
    } else {
      stored.push({ body, receivedAt: Date.now() });
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ accepted: body.events.length, rejected: [] }));
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  try {
    const { truth, stats } = await sendFleet(
      { ...o, target: `http://127.0.0.1:${port}`, concurrency: 16, timeoutMs: 250, maxRetries: 20, rate: 0, backoffMs: 5, maxBackoffMs: 50 },
      createLogger('sim-test', 'silent'),
    );
    assert.equal(seen.badKey, 0, 'every upload carries its app key');
    assert.ok(seen.e503 > 0 && seen.e429 > 0 && seen.lostAck > 0 && seen.dropped > 0 && seen.e413 > 0, JSON.stringify(seen));
    assert.equal(stats.droppedUploads, 0);
    assert.ok(stats.splits >= seen.e413 && stats.retries >= seen.e503 + seen.e429 + seen.lostAck + seen.dropped);
    const rc = recount(stored);
    const key = (r: { app_id: string; day: string; platform: string }) => `${r.app_id}|${r.day}|${r.platform}`;
    assert.deepEqual(keyed(rc.truthLike.app_days, key), keyed(truth.app_days, key));
    assert.deepEqual(keyed(rc.truthLike.campaign_days, (r) => r.campaign_id + r.day), keyed(truth.campaign_days, (r) => r.campaign_id + r.day));
    assert.deepEqual(keyed(rc.truthLike.audience_days, (r) => `${r.app_id}|${r.day}`), keyed(truth.audience_days, (r) => `${r.app_id}|${r.day}`), 'the audience truth recounts from the uploads');
    assert.deepEqual(keyed(rc.truthLike.app_versions, (r) => `${r.app_id}|${r.day}|${r.app_version}`), keyed(truth.app_versions, (r) => `${r.app_id}|${r.day}|${r.app_version}`));
    assert.equal(rc.truthLike.totals.delivered, truth.totals.delivered);
    assert.ok(rc.truthLike.totals.sent > truth.totals.sent, 'lost acks made the server see more copies than the fleet planned');
  } finally {
    server.close();
  }
});
