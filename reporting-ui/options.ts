import { Type, type Static } from '@sinclair/typebox';
import { logLevelOption, type CommandSpec } from '../common/config.js';
import { refineStore, storeSchema } from '../store/options.js';

const uiSchema = Type.Object({
  host: Type.String({ default: '127.0.0.1', description: 'address the reporting UI listens on' }),
  port: Type.Integer({ minimum: 0, maximum: 65535, default: 8080, description: 'port of the reporting UI and API (0 picks a free one)' }),
  trackingUrl: Type.String({ default: '', description: "tracking tier base URL the live view reads (its /v1/live); '' turns the live view off" }),
  liveToken: Type.String({ default: '', description: "the tracking tier's --live-token, sent to read /v1/live" }),
  metricsUrls: Type.String({ default: '', description: "the tiers' /metrics for monitoring and why-not-served, as name=url pairs separated by commas, e.g. adserver=http://127.0.0.1:8082/metrics" }),
  adminEmail: Type.String({ default: '', description: 'creates this admin at start-up when it does not exist yet (with --admin-password)' }),
  adminPassword: Type.String({ default: '', description: 'password of --admin-email (at least 8 characters; never logged)' }),
  sessionHours: Type.Integer({ minimum: 1, maximum: 24 * 90, default: 12, description: 'a log-in session lasts this long' }),
  secureCookies: Type.Boolean({ default: false, description: 'mark the session cookie Secure (behind HTTPS)' }),
  loginRatePerMinute: Type.Integer({ minimum: 1, maximum: 10_000, default: 20, description: 'log-in attempts per client address per minute (429 beyond)' }),
  maxInflightMb: Type.Integer({ minimum: 1, maximum: 4096, default: 16, description: 'request body bytes the UI holds at once (MiB); past it requests get 503 UI_ERR_BUSY before their body is read' }),
  requestTimeoutMs: Type.Integer({ minimum: 1000, maximum: 600_000, default: 10_000, description: 'a request (headers and body) must arrive within this long, or its connection is closed (slow clients)' }),
  logLevel: logLevelOption,
  ...storeSchema.properties,
});

export type UiOptions = Static<typeof uiSchema>;

/** name=url pairs of --metrics-urls; a sentence per bad pair. */
export function parseMetricsUrls(s: string): { targets: Record<string, string>; problems: string[] } {
  const targets: Record<string, string> = {};
  const problems: string[] = [];
  for (const pair of s.split(',').map((p) => p.trim()).filter(Boolean)) {
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq).trim();
    const url = pair.slice(eq + 1).trim();
    if (eq <= 0 || !/^[a-z][a-z0-9_-]*$/.test(name)) problems.push(`--metrics-urls: '${pair}' is not name=url (name: lower-case letters, digits, _ or -)`);
    else if (!/^https?:\/\/[^/]+/.test(url)) problems.push(`--metrics-urls: the URL of '${name}' must be http(s)://host[:port]/path, got '${url}'`);
    else targets[name] = url;
  }
  return { targets, problems };
}

export const uiSpec: CommandSpec<typeof uiSchema> = {
  name: 'ui',
  summary: 'the reporting UI and API (log-in, reports, live view, admin, monitoring; OpenAPI docs at /docs)',
  schema: uiSchema,
  refine: (c) => {
    const problems = [...refineStore(c), ...parseMetricsUrls(c.metricsUrls).problems];
    if (c.trackingUrl !== '' && !/^https?:\/\/[^/]+/.test(c.trackingUrl)) problems.push(`--tracking-url: expected http(s)://host[:port], got '${c.trackingUrl}'`);
    if (c.trackingUrl !== '' && c.liveToken === '') problems.push('--tracking-url needs --live-token (the same as the tracking tier\'s)');
    if ((c.adminEmail === '') !== (c.adminPassword === '')) problems.push('--admin-email and --admin-password go together');
    if (c.adminPassword !== '' && c.adminPassword.length < 8) problems.push('--admin-password: at least 8 characters');
    return problems;
  },
};
