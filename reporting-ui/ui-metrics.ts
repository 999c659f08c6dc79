import type { InflightBytes } from '../common/inflight-bytes.js';
import type { LiveFeed } from './live-feed.js';

/** The UI's own counters, as Prometheus text on its /metrics. */
export class UiMetrics {
  requests = 0;
  failedLogins = 0;
  inflightRefused = 0;
  inflight: InflightBytes | null = null;

  text(live: LiveFeed): string {
    return [
      '# TYPE sluice_ui_requests_total counter', `sluice_ui_requests_total ${this.requests}`,
      '# TYPE sluice_ui_failed_logins_total counter', `sluice_ui_failed_logins_total ${this.failedLogins}`,
      '# TYPE sluice_ui_live_watchers gauge', `sluice_ui_live_watchers ${live.watchers}`,
      '# TYPE sluice_ui_live_up gauge', `sluice_ui_live_up ${live.up ? 1 : 0}`,
      '# TYPE sluice_ui_inflight_bytes gauge', `sluice_ui_inflight_bytes ${this.inflight?.bytes ?? 0}`,
      '# TYPE sluice_ui_inflight_refused_total counter', `sluice_ui_inflight_refused_total ${this.inflightRefused}`,
    ].join('\n') + '\n';
  }
}
