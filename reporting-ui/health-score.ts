/**
 * The data health score of one app and UTC day, 0 (bad) to 100 (clean): 100 minus four
 * penalties, each growing linearly with its share up to a cap and then staying at its weight.
 *
 *   events lost on devices  seq_gaps / (events + seq_gaps)            40 points at 10 % or more
 *   rows quarantined        quarantined / (events + quarantined)      30 points at 1 % or more
 *   duplicates removed      duplicates / (events + duplicates)        20 points at 25 % or more
 *   late restatements       restated hours / 24                       10 points at 24 hours
 *
 * Lost and quarantined events are missing from the reports, so they weigh most; duplicates are
 * removed exactly (replays are normal for offline devices) and restatements mean the day's
 * numbers changed after they were first shown. The score is rounded to a whole number.
 */

interface HealthInputs {
  events: number;
  duplicates: number;
  seq_gaps: number;
  quarantined_rows: number;
  restated_hours: number;
}

interface HealthScore {
  score: number;
  gap_share: number;
  quarantine_share: number;
  duplicate_share: number;
  penalties: { gaps: number; quarantined: number; duplicates: number; restatements: number };
}

const HEALTH_WEIGHTS = {
  gaps: { points: 40, full_at: 0.1 },
  quarantined: { points: 30, full_at: 0.01 },
  duplicates: { points: 20, full_at: 0.25 },
  restatements: { points: 10, full_at: 24 },
} as const;

export const HEALTH_FORMULA =
  'score = 100 - 40*min(1, gap_share/0.10) - 30*min(1, quarantine_share/0.01) - 20*min(1, duplicate_share/0.25) - 10*min(1, restated_hours/24), rounded; ' +
  'gap_share = seq_gaps/(events+seq_gaps), quarantine_share = quarantined/(events+quarantined), duplicate_share = duplicates/(events+duplicates)';

const share = (part: number, whole: number): number => (part > 0 && whole > 0 ? part / whole : 0);
const penalty = (x: number, w: { points: number; full_at: number }): number => Math.round(w.points * Math.min(1, x / w.full_at) * 10) / 10;
const pct = (x: number): number => Math.round(x * 1e4) / 100;

export function healthScore(x: HealthInputs): HealthScore {
  const gap = share(x.seq_gaps, x.events + x.seq_gaps);
  const quarantine = share(x.quarantined_rows, x.events + x.quarantined_rows);
  const dup = share(x.duplicates, x.events + x.duplicates);
  const penalties = {
    gaps: penalty(gap, HEALTH_WEIGHTS.gaps),
    quarantined: penalty(quarantine, HEALTH_WEIGHTS.quarantined),
    duplicates: penalty(dup, HEALTH_WEIGHTS.duplicates),
    restatements: penalty(Math.max(0, x.restated_hours), HEALTH_WEIGHTS.restatements),
  };
  const score = Math.max(0, Math.min(100, Math.round(100 - penalties.gaps - penalties.quarantined - penalties.duplicates - penalties.restatements)));
  return { score, gap_share: pct(gap), quarantine_share: pct(quarantine), duplicate_share: pct(dup), penalties };
}
