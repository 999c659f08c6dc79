/**
 * Which `seq` numbers of each device were delivered, as intervals, so that sequence gaps
 * (events lost on the device) can be counted exactly however late the events come: a gap is
 * a hole between two delivered seqs, counted on the UTC day of the event after the hole.
 * A late event that fills a hole takes the gap away from the day it was counted on; the
 * change comes back as per-day deltas so only those days are restated.
 */
import type { SessionDays } from './device-sessions.js';

/** Flat intervals [lo, hi, dayOfLo, ...] ascending by lo, never adjacent or overlapping. */
type Intervals = number[];

export interface DeviceSeqs {
  platform: string;
  iv: Intervals;
  /** How the device's sessions cross midnights (device-sessions.ts). */
  s?: SessionDays;
  /** [first UTC day ever, bits of days +1/+7/+30 with events] (device-cohorts.ts). */
  c?: [number, number];
}

/** Adds gaps of `iv` per day into `into` with the given sign. */
function gapsByDay(iv: Intervals, sign: number, into: Map<number, number>): void {
  for (let i = 3; i < iv.length; i += 3) {
    const gap = iv[i]! - iv[i - 2]! - 1;
    into.set(iv[i + 2]!, (into.get(iv[i + 2]!) ?? 0) + sign * gap);
  }
}

/**
 * Merges new delivered (seq, day) points, sorted by seq and unique, into the intervals and
 * adds the change in gaps per day to `delta` (days with no change may appear with 0).
 */
export function addSeqs(iv: Intervals, seqs: readonly number[], days: readonly number[], delta: Map<number, number>): Intervals {
  gapsByDay(iv, -1, delta);
  const out: Intervals = [];
  const push = (lo: number, hi: number, day: number) => {
    const n = out.length;
    if (n > 0 && out[n - 2]! >= lo - 1) {
      if (hi > out[n - 2]!) out[n - 2] = hi;
      return;
    }
    out.push(lo, hi, day);
  };
  let i = 0;
  let k = 0;
  while (i < iv.length || k < seqs.length) {
    if (k >= seqs.length || (i < iv.length && iv[i]! <= seqs[k]!)) {
      push(iv[i]!, iv[i + 1]!, iv[i + 2]!);
      i += 3;
    } else {
      push(seqs[k]!, seqs[k]!, days[k]!);
      k++;
    }
  }
  gapsByDay(out, 1, delta);
  return out;
}
