import { STATUS_CODES } from 'node:http';
import uWS from 'uWebSockets.js';
import type { CampaignIndex } from './campaign-index.js';
import { book, decide, type DecisionStats } from './decide.js';
import { AdErrorCode, AdServerError } from './errors.js';
import { errorBody } from '../common/error-codes.js';
import type { FrequencyCaps } from './frequency-caps.js';
import { answerJson, type AnswerOptions } from './answer.js';
import { type AdMetrics, Outcome } from './metrics.js';
import { parseAdRequest, parseQuery } from './request.js';
import { NO_AD_VAST, vastXml } from './vast.js';
import { DAY_MS } from '../common/time.js';

/** What the HTTP layer needs from the running ad server; the index is swapped on reload. */
export interface AdServerState {
  index: CampaignIndex;
  caps: FrequencyCaps;
  stats: DecisionStats;
  metrics: AdMetrics;
  answer: AnswerOptions;
  maxAds: number;
  prefetchMaxDays: number;
  /** Called for a slot the index does not know (it may be new): cached look-up in the store. */
  unknownSlot(slot: string): void;
  extraMetrics(): Record<string, number>;
  /** `ok` false answers 503: the index may be stale (the store is down, hanging, or refreshes stopped). */
  health(): { ok: boolean; body: object };
}

const JSON_TYPE = 'application/json';
// Made once: these answers never change.
const INTERNAL_BODY = JSON.stringify(errorBody(500, AdErrorCode.INTERNAL, 'internal error'));
const NOT_FOUND_BODY = JSON.stringify(errorBody(404, AdErrorCode.NOT_FOUND, 'no such route'));
const XML_TYPE = 'application/xml; charset=utf-8';

/** uWS wants the whole status line: "414 URI Too Long". */
function statusLine(code: number): string {
  return `${code} ${STATUS_CODES[code] ?? ''}`;
}

function fail(res: uWS.HttpResponse, err: unknown, s: AdServerState, route: 'ad' | 'prefetch' | 'vast'): void {
  if (err instanceof AdServerError) {
    s.metrics.outcomes[route][err.statusCode < 500 ? Outcome.BadRequest : Outcome.Error]! += 1;
    res.writeStatus(statusLine(err.statusCode)).writeHeader('content-type', JSON_TYPE).end(JSON.stringify(errorBody(err.statusCode, err.code, err.message)));
    return;
  }
  s.metrics.outcomes[route][Outcome.Error]! += 1;
  res.writeStatus('500 Internal Server Error').writeHeader('content-type', JSON_TYPE).end(INTERNAL_BODY);
}

/** GET /v1/ad: the JSON answer of up to `n` ads, or 204 for an unknown slot or no fill. */
function serveAd(res: uWS.HttpResponse, req: uWS.HttpRequest, s: AdServerState): void {
  const t0 = performance.now();
  const now = Date.now();
  try {
    const r = parseAdRequest(parseQuery(req.getQuery() ?? ''), now, s.maxAds);
    const ix = s.index;
    const entry = ix.slots.get(r.slot);
    if (entry === undefined || entry.app.id !== r.app) {
      s.metrics.outcomes.ad[Outcome.UnknownSlot]! += 1;
      s.unknownSlot(r.slot);
      res.writeStatus('204 No Content').end();
    } else {
      const picks = decide(ix, entry, r, s.caps, s.stats, now, Math.random);
      if (picks.length === 0) {
        s.metrics.outcomes.ad[Outcome.NoFill]! += 1;
        s.stats.countNoFill(r.slot);
        res.writeStatus('204 No Content').end();
      } else {
        book(picks, r.device, s.caps, now, now + s.answer.ttlMs);
        s.metrics.outcomes.ad[Outcome.Served]! += 1;
        res.writeHeader('content-type', JSON_TYPE).writeHeader('cache-control', 'no-store').end(answerJson(r, picks, now, s.answer));
      }
    }
  } catch (err) {
    fail(res, err, s, 'ad');
  }
  s.metrics.observe((performance.now() - t0) / 1000);
}

// VAST 4.2 for video players: the same request, targeting, pacing and caps as /v1/ad, one ad.
function serveVast(res: uWS.HttpResponse, req: uWS.HttpRequest, s: AdServerState): void {
  const t0 = performance.now();
  const now = Date.now();
  try {
    const r = parseAdRequest(parseQuery(req.getQuery() ?? ''), now, 1);
    const entry = s.index.slots.get(r.slot);
    let xml = NO_AD_VAST;
    if (entry === undefined || entry.app.id !== r.app) {
      s.metrics.outcomes.vast[Outcome.UnknownSlot]! += 1;
      s.unknownSlot(r.slot);
    } else {
      const pick = decide(s.index, entry, { ...r, n: 1 }, s.caps, s.stats, now, Math.random, true, true)[0];
      const vast = pick?.cand.creatives[pick.creative]!.vast ?? null;
      if (pick === undefined || vast === null) {
        s.metrics.outcomes.vast[Outcome.NoFill]! += 1;
        s.stats.countNoFill(r.slot);
      } else {
        book([pick], r.device, s.caps, now, now + s.answer.ttlMs);
        s.metrics.outcomes.vast[Outcome.Served]! += 1;
        xml = vastXml(r, pick, vast, now, s.answer);
      }
    }
    // No ad is an empty VAST document with 200, as players expect.
    res.writeHeader('content-type', XML_TYPE).writeHeader('cache-control', 'no-store').writeHeader('access-control-allow-origin', '*').end(xml);
  } catch (err) {
    fail(res, err, s, 'vast');
  }
  s.metrics.observe((performance.now() - t0) / 1000);
}

/** GET /v1/ads/prefetch: one ad per coming day (`days`, 3 by default), or 204. */
function servePrefetch(res: uWS.HttpResponse, req: uWS.HttpRequest, s: AdServerState): void {
  const now = Date.now();
  try {
    const q = parseQuery(req.getQuery() ?? '');
    const r = parseAdRequest(q, now, 1);
    const days = q.days ? Number(q.days) : 3;
    if (!Number.isInteger(days) || days < 1 || days > s.prefetchMaxDays) throw new AdServerError(AdErrorCode.BAD_REQUEST, `days must be a whole number from 1 to ${s.prefetchMaxDays}`);
    const entry = s.index.slots.get(r.slot);
    if (entry === undefined || entry.app.id !== r.app) {
      s.metrics.outcomes.prefetch[Outcome.UnknownSlot]! += 1;
      s.unknownSlot(r.slot);
      res.writeStatus('204 No Content').end();
      return;
    }
    // One ad per coming day, chosen as if requested then; each counts as pending until it expires.
    const picks = [];
    const validity = [];
    for (let d = 0; d < days; d++) {
      const at = now + d * DAY_MS;
      const pick = decide(s.index, entry, { ...r, n: 1 }, s.caps, s.stats, at, Math.random, false)[0];
      if (!pick) continue;
      // Pending until its validity ends, like any decision until its token expires.
      book([pick], r.device, s.caps, at, at + DAY_MS);
      picks.push(pick);
      validity.push({ from: at, until: at + DAY_MS });
    }
    if (picks.length === 0) {
      s.metrics.outcomes.prefetch[Outcome.NoFill]! += 1;
      res.writeStatus('204 No Content').end();
      return;
    }
    s.metrics.outcomes.prefetch[Outcome.Served]! += 1;
    res.writeHeader('content-type', JSON_TYPE).end(answerJson(r, picks, now, s.answer, validity));
  } catch (err) {
    fail(res, err, s, 'prefetch');
  }
}

/** GET /healthz: 200, or 503 while the index may be stale. */
function serveHealth(res: uWS.HttpResponse, s: AdServerState): void {
  const h = s.health();
  res.writeStatus(h.ok ? '200 OK' : '503 Service Unavailable').writeHeader('content-type', JSON_TYPE).writeHeader('cache-control', 'no-store').end(JSON.stringify(h.body));
}

// Liveness for a load balancer: 200 while the process answers, even when the store is down
// (every node shares the store, so a /healthz check would take them all out of rotation).
function serveLivez(res: uWS.HttpResponse): void {
  res.writeHeader('content-type', JSON_TYPE).end('{"status":"serving"}');
}

/** GET /metrics: Prometheus text, answered once ready unless the client went away. */
function serveMetrics(res: uWS.HttpResponse, s: AdServerState): void {
  let aborted = false;
  res.onAborted(() => (aborted = true));
  void s.metrics.text(s.index, s.stats, s.extraMetrics()).then((text) => {
    if (!aborted) res.cork(() => res.writeHeader('content-type', 'text/plain; version=0.0.4').end(text));
  });
}

function notFound(res: uWS.HttpResponse): void {
  res.writeStatus('404 Not Found').writeHeader('content-type', JSON_TYPE).end(NOT_FOUND_BODY);
}

/**
 * The ad server's HTTP front on uWebSockets.js. Decisions are synchronous, from memory, so
 * each handler answers before returning (no onAborted bookkeeping, no promise per request).
 */
export function buildAdApp(s: AdServerState): uWS.TemplatedApp {
  const app = uWS.App();
  // Each route's handler is made once here; a request makes no closure.
  app.get('/v1/ad', (res, req) => serveAd(res, req, s));
  app.get('/v1/vast', (res, req) => serveVast(res, req, s));
  app.get('/v1/ads/prefetch', (res, req) => servePrefetch(res, req, s));
  app.get('/healthz', (res) => serveHealth(res, s));
  app.get('/livez', serveLivez);
  app.get('/metrics', (res) => serveMetrics(res, s));
  app.any('/*', notFound);
  return app;
}
