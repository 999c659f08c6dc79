import cliProgress from 'cli-progress';

/** A progress bar on stderr when it is a terminal and wanted; otherwise nothing. */
interface Progress {
  update(done: number, extra: Record<string, string | number>): void;
  stop(): void;
}

export function createProgress(total: number, unit: string, wanted: boolean): Progress {
  if (!wanted || !process.stderr.isTTY) return { update() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    { format: ` {bar} {percentage}% | {value}/{total} ${unit} | {events} events | {rate} ev/s | eta {eta_formatted}`, stream: process.stderr, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  const t0 = Date.now();
  bar.start(total, 0, { events: 0, rate: 0 });
  return {
    update(done, extra) {
      const ev = Number(extra.events ?? 0);
      bar.update(done, { ...extra, rate: Math.round(ev / Math.max(0.001, (Date.now() - t0) / 1000)) });
    },
    stop() {
      bar.stop();
    },
  };
}
