import { Counter, Gauge, Histogram, createMetricsRegistry, type Registry } from '../common/metrics.js';

export interface TrackingMetrics {
  registry: Registry;
  requests: Counter<'route' | 'status'>;
  eventsAccepted: Counter;
  eventsRejected: Counter<'reason'>;
  bodyBytes: Counter<'encoding'>;
  ackSeconds: Histogram;
  fsyncSeconds: Histogram;
  framesWritten: Counter;
  bytesWritten: Counter;
  appendErrors: Counter<'reason'>;
  segmentsSealed: Counter;
  segmentsShipped: Counter;
  shipErrors: Counter;
  openSegmentAge: Gauge;
  shipLag: Gauge;
  beacons: Counter<'kind' | 'outcome'>;
  inflightBytes: Gauge;
  inflightRefused: Counter;
}

/** The tracking tier's Prometheus metrics; gauges that need live values take collect callbacks. */
export function createTrackingMetrics(live: { openSegmentAgeSeconds(): number; shipLagSeconds(): number; inflightBytes?(): number }): TrackingMetrics {
  const registry = createMetricsRegistry('tracking');
  const r = [registry];
  return {
    registry,
    requests: new Counter({ name: 'sluice_tracking_requests_total', help: 'HTTP requests by route and status', labelNames: ['route', 'status'], registers: r }),
    eventsAccepted: new Counter({ name: 'sluice_tracking_events_accepted_total', help: 'events durably accepted', registers: r }),
    eventsRejected: new Counter({ name: 'sluice_tracking_events_rejected_total', help: 'events rejected, by reason code', labelNames: ['reason'], registers: r }),
    bodyBytes: new Counter({ name: 'sluice_tracking_body_bytes_total', help: 'request body bytes as received', labelNames: ['encoding'], registers: r }),
    ackSeconds: new Histogram({ name: 'sluice_tracking_ack_seconds', help: 'time from request to durable acknowledgement', buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1], registers: r }),
    fsyncSeconds: new Histogram({ name: 'sluice_tracking_fsync_seconds', help: 'fdatasync latency of one group commit', buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.05, 0.25], registers: r }),
    framesWritten: new Counter({ name: 'sluice_tracking_frames_written_total', help: 'frames made durable', registers: r }),
    bytesWritten: new Counter({ name: 'sluice_tracking_segment_bytes_total', help: 'bytes made durable in segments', registers: r }),
    appendErrors: new Counter({ name: 'sluice_tracking_append_errors_total', help: 'appends refused or failed, by reason', labelNames: ['reason'], registers: r }),
    segmentsSealed: new Counter({ name: 'sluice_tracking_segments_sealed_total', help: 'segments sealed', registers: r }),
    segmentsShipped: new Counter({ name: 'sluice_tracking_segments_shipped_total', help: 'segments confirmed by the lake', registers: r }),
    shipErrors: new Counter({ name: 'sluice_tracking_ship_errors_total', help: 'failed attempts to ship a segment', registers: r }),
    openSegmentAge: new Gauge({ name: 'sluice_tracking_open_segment_age_seconds', help: 'age of the open segment', registers: r, collect() { this.set(live.openSegmentAgeSeconds()); } }),
    shipLag: new Gauge({ name: 'sluice_tracking_ship_lag_seconds', help: 'age of the oldest sealed segment not yet shipped', registers: r, collect() { this.set(live.shipLagSeconds()); } }),
    beacons: new Counter({ name: 'sluice_tracking_beacons_total', help: 'impression and click beacons by outcome', labelNames: ['kind', 'outcome'], registers: r }),
    inflightBytes: new Gauge({ name: 'sluice_tracking_inflight_bytes', help: 'request body bytes held (declared, being received or waiting for the disk)', registers: r, collect() { this.set(live.inflightBytes?.() ?? 0); } }),
    inflightRefused: new Counter({ name: 'sluice_tracking_inflight_refused_total', help: 'requests refused with 503 TRK_ERR_BUSY because too many body bytes were held', registers: r }),
  };
}
