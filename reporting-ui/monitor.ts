/**
 * Monitoring: scrapes the tiers' /metrics every second and evaluates the seed system's alert
 * rules on the ad server's decision histogram:
 *   - slow: more than 2 decisions slower than 10 ms within one second;
 *   - latency: the average decision time over the last 10 s above 4x its norm (the average
 *     over the 10 minutes before), once the window has at least 20 decisions.
 */
import { everyInterval } from '../common/ticker.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

interface Target {
  name: string;
  url: string;
  up: boolean;
  lastScrape: number;
  error: string | null;
  samples: Sample[];
}

interface Snapshot {
  at: number;
  count: number;
  sum: number;
  slow: number;
}

interface RuleState {
  name: string;
  description: string;
  state: 'ok' | 'firing' | 'no data';
  value: number | null;
  since: string | null;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Prometheus text exposition, the sample lines only. */
export function parsePrometheus(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    const name = m?.[1];
    if (!m || name === undefined) continue;
    const labels: Record<string, string> = {};
    if (m[2]) {
      for (const [, key, value] of m[2].matchAll(LABEL)) if (key !== undefined && value !== undefined) labels[key] = value.replace(/\\(.)/g, '$1');
    }
    out.push({ name, labels, value: Number(m[3]) });
  }
  return out;
}

const WINDOW_MS = 10_000;
const NORM_MS = 600_000;
const MIN_WINDOW_COUNT = 20;

export class Monitor {
  private readonly targets = new Map<string, Target>();
  private readonly snaps: Snapshot[] = [];
  private readonly rules: RuleState[] = [
    { name: 'adserver_slow_decisions', description: 'ad server slower than 10 ms more than twice in a second', state: 'no data', value: null, since: null },
    { name: 'adserver_latency_vs_norm', description: 'average ad server latency over 10 s above 4x its norm (the 10 minutes before)', state: 'no data', value: null, since: null },
  ];
  readonly history: { rule: string; state: string; at: string; value: number | null }[] = [];
  private stopTimer: (() => void) | null = null;

  constructor(urls: Record<string, string>, private readonly intervalMs = 1000) {
    for (const [name, url] of Object.entries(urls)) this.targets.set(name, { name, url, up: false, lastScrape: 0, error: null, samples: [] });
  }

  has(name: string): boolean {
    return this.targets.has(name);
  }

  start(): void {
    if (this.targets.size === 0 || this.stopTimer) return;
    this.stopTimer = everyInterval(() => this.scrapeAll(), this.intervalMs);
  }

  stop(): void {
    this.stopTimer?.();
    this.stopTimer = null;
  }

  async scrapeAll(now = Date.now()): Promise<void> {
    await Promise.all([...this.targets.values()].filter((t) => t.url !== '').map(async (t) => {
      try {
        const res = await fetch(t.url, { signal: AbortSignal.timeout(Math.max(500, this.intervalMs)) });
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        this.ingest(t.name, await res.text(), now);
      } catch (err) {
        t.up = false;
        t.error = (err as Error).message;
        t.lastScrape = now;
      }
    }));
  }

  /** Takes one scrape of a target (also what tests feed) and evaluates the rules on the ad server's. */
  ingest(name: string, text: string, now: number): void {
    const t = this.targets.get(name) ?? { name, url: '', up: false, lastScrape: 0, error: null, samples: [] };
    this.targets.set(name, t);
    t.samples = parsePrometheus(text);
    t.up = true;
    t.error = null;
    t.lastScrape = now;
    if (name === 'adserver') this.evaluate(t.samples, now);
  }

  latest(target: string, metric: string): Sample[] {
    return (this.targets.get(target)?.samples ?? []).filter((s) => s.name === metric);
  }

  private evaluate(samples: Sample[], now: number): void {
    let count = NaN;
    let sum = NaN;
    let under10 = NaN;
    for (const s of samples) {
      if (s.name === 'sluice_adserver_decision_seconds_count') count = s.value;
      else if (s.name === 'sluice_adserver_decision_seconds_sum') sum = s.value;
      else if (s.name === 'sluice_adserver_decision_seconds_bucket' && s.labels.le === '0.01') under10 = s.value;
    }
    if (Number.isNaN(count) || Number.isNaN(sum) || Number.isNaN(under10)) return;
    const prev = this.snaps[this.snaps.length - 1];
    // A restarted ad server starts its counters again: start over.
    if (prev && count < prev.count) this.snaps.length = 0;
    this.snaps.push({ at: now, count, sum, slow: count - under10 });
    while (this.snaps.length > 2 && (this.snaps[0]?.at ?? Infinity) < now - NORM_MS - WINDOW_MS) this.snaps.shift();
    const [normStart] = this.snaps;
    const last = this.snaps[this.snaps.length - 1];
    if (normStart === undefined || last === undefined) return;
    const before = this.snaps[this.snaps.length - 2];
    if (before) {
      const perSecond = ((last.slow - before.slow) * 1000) / Math.max(1, last.at - before.at);
      this.set(0, perSecond > 2 ? 'firing' : 'ok', Math.round(perSecond * 100) / 100, now);
    }
    const windowStart = this.at(now - WINDOW_MS);
    if (windowStart && windowStart !== normStart && last.count - windowStart.count >= MIN_WINDOW_COUNT && windowStart.count - normStart.count >= MIN_WINDOW_COUNT) {
      const avg = (last.sum - windowStart.sum) / (last.count - windowStart.count);
      const norm = (windowStart.sum - normStart.sum) / (windowStart.count - normStart.count);
      const ratio = norm > 0 ? avg / norm : 0;
      this.set(1, ratio > 4 ? 'firing' : 'ok', Math.round(ratio * 100) / 100, now);
    }
  }

  /** The newest snapshot at or before t. */
  private at(t: number): Snapshot | undefined {
    let found: Snapshot | undefined;
    for (const s of this.snaps) if (s.at <= t) found = s;
    return found;
  }

  private set(i: number, state: 'ok' | 'firing', value: number, now: number): void {
    const r = this.rules[i];
    if (r === undefined) throw new Error(`monitor: no rule ${i}`);
    r.value = value;
    if (r.state === state) return;
    r.state = state;
    r.since = new Date(now).toISOString();
    this.history.unshift({ rule: r.name, state, at: r.since, value });
    if (this.history.length > 100) this.history.pop();
  }

  status() {
    return {
      rules: this.rules.map((r) => ({ ...r })),
      targets: [...this.targets.values()].map((t) => ({ name: t.name, url: t.url, up: t.up, last_scrape: t.lastScrape ? new Date(t.lastScrape).toISOString() : null, error: t.error })),
      history: this.history.slice(),
    };
  }
}
