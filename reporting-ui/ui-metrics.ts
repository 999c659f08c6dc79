import type { LiveFeed } from './live-feed.js';

/** The UI's own counters, as Prometheus text on its /metrics. */
export class UiMetrics {
  requests = 0;
  failedLogins = 0;

  text(live: LiveFeed): string {
    return [
      '# TYPE sluice_ui_requests_total counter', `sluice_ui_requests_total ${this.requests}`,
      '# TYPE sluice_ui_failed_logins_total counter', `sluice_ui_failed_logins_total ${this.failedLogins}`,
      '# TYPE sluice_ui_live_watchers gauge', `sluice_ui_live_watchers ${live.watchers}`,
      '# TYPE sluice_ui_live_up gauge', `sluice_ui_live_up ${live.up ? 1 : 0}`,
    ].join('\n') + '\n';
  }
}
