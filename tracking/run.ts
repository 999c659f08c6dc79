import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { join } from 'node:path';
import type { Logger } from '../common/logger.js';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../common/time.js';
import type { Lake } from '../lake/lake.js';
import { AppKeys } from './app-keys.js';
import { ImpressionCounts } from './impression-counts.js';
import { fleetNodeId } from '../common/fleet-node.js';
import type { FleetStore } from '../store/fleet.js';
import { InflightBytes } from '../common/inflight-bytes.js';
import { createTrackingMetrics } from './metrics.js';
import { resolveNodeId, type trackingSchema } from './options.js';
import { SegmentLog } from './segment-log.js';
import { buildTrackingApp } from './server.js';
import { Shipper } from './shipper.js';

export interface RunningTracking {
  app: FastifyInstance;
  url: string;
  segments: SegmentLog;
  shipper: Shipper;
  segmentDir: string;
  /** Publishes the impression counts to the report store now (they also go every --impression-flush-ms). */
  flushImpressions(): Promise<void>;
  /** Stops taking requests, seals what is open, ships it, and closes the lake. */
  close(): Promise<void>;
}

/** Starts one tracking process: segment log (after crash recovery), shipper, HTTP API. */
/** Where tracking reads app keys from, when it checks them against the report store, and publishes impression counts to. */
export interface KeyStore extends Partial<Pick<FleetStore, 'publishImpressions'>> {
  listAppKeyHashes(): Promise<{ hash: string; app_id: string }[]>;
}

export async function startTracking(cfg: Static<typeof trackingSchema>, lake: Lake, log: Logger, keyStore?: KeyStore): Promise<RunningTracking> {
  const segmentDir = join(cfg.dataDir, 'segments');
  let segments: SegmentLog | undefined;
  let shipper: Shipper | undefined;
  const inflight = new InflightBytes(cfg.maxInflightMb * 1e6, cfg.maxBodyKb * 1024);
  const metrics = createTrackingMetrics({
    openSegmentAgeSeconds: () => (segments?.openSegment?.ageMs ?? 0) / 1000,
    shipLagSeconds: () => shipper?.lagSeconds() ?? 0,
    inflightBytes: () => inflight.bytes,
  });
  const nodeId = resolveNodeId(cfg.nodeId, cfg.port);
  segments = SegmentLog.open({
    dir: segmentDir, nodeId, rollBytes: cfg.rollMb * 1e6, rollMs: cfg.rollSeconds * 1000, maxPendingBytes: cfg.maxPendingMb * 1e6,
    retryAfterSeconds: cfg.retryAfterSeconds, log, metrics,
  });
  shipper = new Shipper({ dir: segmentDir, lake, intervalMs: cfg.shipIntervalMs, retainShippedMs: cfg.retainShippedHours * HOUR_MS, log, metrics });
  const appKeys = cfg.appKeys ? AppKeys.fromFile(cfg.appKeys) : new AppKeys();
  let keysTimer: NodeJS.Timeout | undefined;
  if (!cfg.appKeys && cfg.appKeysFromStore && keyStore) {
    let failing = false;
    const refresh = async () => {
      try {
        appKeys.replaceHashes(await keyStore.listAppKeyHashes());
        failing = false;
      } catch (err) {
        // Keep the keys we have; log once per outage.
        if (!failing) log.error({ err: (err as Error).message }, 'cannot read app keys from the report store; keeping the cached ones');
        failing = true;
      }
    };
    await refresh();
    keysTimer = setInterval(() => void refresh(), 5000);
    keysTimer.unref();
  }
  // Impression counts for the ad servers' fleet pacing (adserver/fleet-pacing.ts).
  const impressions = cfg.impressionsToStore && keyStore?.publishImpressions ? new ImpressionCounts() : undefined;
  const impressionNode = fleetNodeId(nodeId);
  const flushImpressions = async (): Promise<void> => impressions?.flush(keyStore as Pick<FleetStore, 'publishImpressions'>, impressionNode, Date.now(), log);
  const impressionTimer = impressions ? setInterval(() => void flushImpressions(), cfg.impressionFlushMs) : undefined;
  impressionTimer?.unref();
  if (cfg.beaconSecret === 'sluice-dev-beacon-secret') log.warn('using the development beacon secret; set --beacon-secret (SLUICE_BEACON_SECRET) in production');
  const app = buildTrackingApp({
    limits: { maxEvents: cfg.maxEvents, maxInflatedBytes: cfg.maxInflatedKb * 1024, retentionMs: cfg.retentionDays * DAY_MS, maxFutureMs: cfg.maxFutureMinutes * MINUTE_MS },
    maxBodyBytes: cfg.maxBodyKb * 1024, inflight, retryAfterSeconds: cfg.retryAfterSeconds, beaconSecret: cfg.beaconSecret,
    timeouts: { headersMs: cfg.headersTimeoutMs, bodyMs: cfg.bodyTimeoutMs, idleMs: cfg.idleTimeoutMs, keepAliveMs: cfg.keepAliveTimeoutMs },
    rateLimitPerKey: cfg.rateLimitPerKey, rateLimitPerIp: cfg.rateLimitPerIp, appKeys, segments, shipper, metrics, log, liveToken: cfg.liveToken, impressions,
  });
  const address = await app.listen({ host: cfg.host, port: cfg.port });
  shipper.start();
  log.info({ url: address, nodeId, segments: segmentDir, lake: lake.location, appKeys: appKeys.enforcing ? 'enforced' : 'open' }, 'tracking is up');
  const s = segments;
  const sh = shipper;
  return {
    app, url: address, segments: s, shipper: sh, segmentDir, flushImpressions,
    async close() {
      clearInterval(keysTimer);
      clearInterval(impressionTimer);
      await app.close();
      await flushImpressions();
      await s.close();
      await sh.stop();
      await sh.shipOnce();
      await lake.close();
    },
  };
}
