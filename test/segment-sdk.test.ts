/**
 * Apps instrumented with the real Segment (`@segment/analytics-node`) and RudderStack
 * (`@rudderstack/rudder-sdk-node`) SDKs send to a real tracking server over loopback, through a
 * proxy that loses the first answers (so the SDKs retry batches tracking already stored); the
 * pipeline and the jobs then run, and the store holds exactly what was sent, each message once.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Analytics as SegmentAnalytics } from '@segment/analytics-node';
import RudderAnalytics from '@rudderstack/rudder-sdk-node';
import { SqliteStore } from '../store/sqlite-store.js';
import { runPipelineOnce } from './helpers/pipeline.js';
import { runJobs } from './helpers/jobs.js';
import { startTestTracking, storedEvents } from './helpers/tracking.js';

const HOUR = 3_600_000;
/** Two hours ago, on an hour boundary: inside retention, never in the future. */
const T0 = Math.floor(Date.now() / HOUR) * HOUR - 2 * HOUR;

/** An HTTP proxy to `target` that, for the first `lose` POSTs of each write key (Authorization), forwards them but answers 503 (the ack is lost). */
async function lossyProxy(target: string, lose: number): Promise<{ url: string; lost: number; forwarded: number; close(): Promise<void> }> {
  const state = { lost: 0, forwarded: 0 };
  const lostBy = new Map<string, number>();
  const t = new URL(target);
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const up = request({ host: t.hostname, port: t.port, path: req.url, method: req.method, headers: { ...req.headers, host: t.host, 'content-length': String(body.length) } }, (ures) => {
        const out: Buffer[] = [];
        ures.on('data', (c: Buffer) => out.push(c));
        ures.on('end', () => {
          state.forwarded++;
          const who = req.headers.authorization ?? '';
          if (req.method === 'POST' && ures.statusCode === 200 && (lostBy.get(who) ?? 0) < lose) {
            lostBy.set(who, (lostBy.get(who) ?? 0) + 1);
            state.lost++;
            res.writeHead(503, { 'content-type': 'application/json' }).end('{"code":"PROXY_LOST_ACK"}');
            return;
          }
          res.writeHead(ures.statusCode ?? 502, ures.headers).end(Buffer.concat(out));
        });
      });
      up.on('error', () => res.writeHead(502).end());
      up.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get lost() {
      return state.lost;
    },
    get forwarded() {
      return state.forwarded;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

interface Sent {
  /** Distinct messages per app. */
  messages: Map<string, number>;
  /** Distinct custom events per app and name. */
  custom: Map<string, number>;
}

function count(sent: Sent, app: string, name: string | null): void {
  sent.messages.set(app, (sent.messages.get(app) ?? 0) + 1);
  if (name !== null) sent.custom.set(`${app}|${name}`, (sent.custom.get(`${app}|${name}`) ?? 0) + 1);
}

const MOBILE_CONTEXT = (os: string) => ({ os: { name: os, version: '17.4' }, app: { version: '2.1.0', build: '45' }, device: { model: 'Pixel 8' }, screen: { width: 1080, height: 2400 }, locale: 'en-US', location: { country: 'DE' } });

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-segment-sdk-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('apps with Segment and RudderStack SDKs', () => {
  it('reach the store through tracking, the pipeline and the jobs exactly once per messageId, retries and replays included', async () => {
    const lakeDir = join(dir, 'lake');
    await writeFile(join(dir, 'keys.json'), JSON.stringify({ wk_segment: 'app_seg', wk_rudder: 'app_rud', wk_activity: 'app_act', k_native: 'app_nat' }));
    const tracking = await startTestTracking({ appKeys: join(dir, 'keys.json'), lakeDir, dataDir: join(dir, 'tracking') });
    const proxy = await lossyProxy(tracking.url, 1);
    const sent: Sent = { messages: new Map(), custom: new Map() };
    try {
      // Segment's Node SDK: 3 users of an iOS app, lifecycle events, screens, tracks with properties, an identify.
      const seg = new SegmentAnalytics({ writeKey: 'wk_segment', host: proxy.url, flushAt: 15, maxRetries: 5, httpRequestTimeout: 5000 });
      const segErrors: unknown[] = [];
      seg.on('error', (e) => segErrors.push(e));
      for (let u = 0; u < 3; u++) {
        const base = { userId: `user-${u}`, context: MOBILE_CONTEXT('iOS') };
        let t = T0 + u * 60_000;
        seg.track({ ...base, event: 'Application Opened', timestamp: new Date((t += 1000)) });
        count(sent, 'app_seg', null);
        seg.screen({ ...base, name: 'Home', properties: { tab: 'top' }, timestamp: new Date((t += 1000)) });
        count(sent, 'app_seg', 'screen');
        seg.track({ ...base, event: 'Level Up', properties: { level: 3 + u, boosted: u === 1, extra: { a: 1 } }, timestamp: new Date((t += 1000)) });
        count(sent, 'app_seg', 'Level Up');
        seg.identify({ ...base, traits: { email: `u${u}@example.com` }, timestamp: new Date((t += 1000)) });
        count(sent, 'app_seg', 'identify');
        seg.track({ ...base, event: 'Application Backgrounded', timestamp: new Date((t += 1000)) });
        count(sent, 'app_seg', null);
      }
      // A device replaying a message days later: the same messageId twice.
      seg.track({ anonymousId: 'anon-7', event: 'Purchase', messageId: 'msg-replayed-1', properties: { price: 4.99 }, timestamp: new Date(T0 + 10_000), context: MOBILE_CONTEXT('iOS') });
      seg.track({ anonymousId: 'anon-7', event: 'Purchase', messageId: 'msg-replayed-1', properties: { price: 4.99 }, timestamp: new Date(T0 + 10_000), context: MOBILE_CONTEXT('iOS') });
      count(sent, 'app_seg', 'Purchase');
      await seg.closeAndFlush({ timeout: 30_000 });
      assert.deepEqual(segErrors, [], 'the Segment SDK delivered everything');

      // RudderStack's Node SDK: an Android app.
      const rud = new RudderAnalytics('wk_rudder', { dataPlaneUrl: proxy.url, flushAt: 10, retryCount: 5, logLevel: 'error' });
      // Each message's callback runs once its batch is delivered (after any retries) or given up.
      const delivered: Promise<void>[] = [];
      const done = () => {
        let cb!: (err?: Error) => void;
        delivered.push(new Promise<void>((resolve, reject) => (cb = (err?: Error) => (err ? reject(err) : resolve()))));
        return cb;
      };
      for (let u = 0; u < 4; u++) {
        const base = { anonymousId: `anon-r${u}`, context: MOBILE_CONTEXT('Android') };
        let t = T0 + u * 60_000;
        rud.track({ ...base, event: 'Application Opened', timestamp: new Date((t += 1000)) }, done());
        count(sent, 'app_rud', null);
        rud.screen({ ...base, name: 'Feed', timestamp: new Date((t += 1000)) }, done());
        count(sent, 'app_rud', 'screen');
        rud.track({ ...base, event: 'Add To Cart', properties: { sku: `sku-${u}`, qty: 1 }, timestamp: new Date((t += 1000)) }, done());
        count(sent, 'app_rud', 'Add To Cart');
      }
      await rud.flush();
      await Promise.all(delivered);

      // No lifecycle events: two bursts of activity ten minutes apart, from a Segment-spec app and, the same, from a native one.
      const at = [0, 5_000, 10_000, 600_000, 605_000].map((d) => T0 + 30 * 60_000 + d);
      const seg2 = await fetch(`${tracking.url}/v1/batch`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from('wk_activity:').toString('base64')}`, 'content-type': 'application/json' }, body: JSON.stringify({ batch: at.map((t, i) => ({ type: 'track', messageId: `act-${i}`, anonymousId: 'reader', event: 'Article Read', timestamp: new Date(t).toISOString() })) }) });
      assert.equal(seg2.status, 200);
      const nat = await fetch(`${tracking.url}/v1/events`, { method: 'POST', headers: { 'x-sluice-app-key': 'k_native', 'content-type': 'application/json' }, body: JSON.stringify({ device: { device_id: 'reader', app_id: 'app_nat', platform: 'ios' }, events: at.map((t, i) => ({ event_id: `nat-${i}`, seq: i, type: 'custom', name: 'article_read', ts: t })) }) });
      assert.equal(nat.status, 200);
    } finally {
      await proxy.close();
      await tracking.close();
    }
    assert.equal(proxy.lost, 2, 'one ack per SDK was lost, so each sent that batch again');
    const stored = storedEvents(join(dir, 'tracking', 'segments'));
    const distinct = [...sent.messages.values()].reduce((a, b) => a + b, 0);
    assert.ok(stored.length > distinct, `tracking stored the retried batches again (${stored.length} events for ${distinct} distinct messages)`);

    const dbPath = join(dir, 'sluice.db');
    const store = new SqliteStore({ path: dbPath });
    await store.migrate();
    await store.close();
    await runPipelineOnce(lakeDir, dbPath);
    const store2 = new SqliteStore({ path: dbPath });
    try {
      const run = await runJobs(lakeDir, store2, { stateDir: join(dir, 'state') });
      assert.equal(run.status, 'succeeded', run.error ?? '');
      for (const [app, n] of sent.messages) {
        const hourly = await store2.appHourly(app, T0 - HOUR, T0 + 2 * HOUR);
        assert.equal(hourly.reduce((s, r) => s + r.events, 0), n, `${app}: every distinct message counted once`);
        assert.ok(hourly.every((r) => r.country === 'DE' && r.app_version === '2.1.0'), `${app}: the context filled the dimensions`);
        assert.ok(hourly.reduce((s, r) => s + r.app_open, 0) > 0 && hourly.reduce((s, r) => s + r.sessions, 0) > 0, `${app}: lifecycle events open sessions`);
      }
      // Sessions from activity for the Segment-spec app: a gap over the timeout (30 s) ends one; the native rules keep one open.
      const sessionsOf = async (app: string) => (await store2.appHourly(app, T0 - HOUR, T0 + 2 * HOUR)).reduce((a, r) => [a[0]! + r.sessions, a[1]! + r.session_ms], [0, 0]);
      assert.deepEqual(await sessionsOf('app_act'), [2, 10_000 + 30_000 + 5_000 + 30_000], 'two sessions, each to its last event + 30 s');
      assert.deepEqual(await sessionsOf('app_nat'), [1, 605_000 + 30_000], 'a native app without lifecycle events: one session');
      const day = new Date(T0).toISOString().slice(0, 10);
      for (const [key, n] of sent.custom) {
        const [app, name] = key.split('|') as [string, string];
        const rows = await store2.customDaily(app, day, day);
        const total = rows.filter((r) => r.name === name && r.prop === '').reduce((s, r) => s + r.count, 0);
        assert.equal(total, n, `${app}: custom event ${name}`);
      }
      const levels = (await store2.customDaily('app_seg', day, day)).filter((r) => r.name === 'Level Up' && r.prop === 'boosted');
      assert.deepEqual(levels.map((r) => [r.value, r.count]).sort(), [['false', 2], ['true', 1]], 'boolean properties become text props');
    } finally {
      await store2.close();
    }
  });
});
