/**
 * Audience per app, kept exact by the dedupe step from each device's session days
 * (device-sessions.ts `SessionDays.d`, every UTC day the device has events): per UTC day the
 * devices active that day, the devices first seen that day (the cohort) and how many of that
 * cohort were active again on day +1, +7 and +30.
 *
 * Session days are pruned to the retention (pruneDays), so each device also keeps `c`:
 * [first day ever, bits of d1/d7/d30 seen]. When a device's days change, its old contribution
 * to the cohorts is taken away and the new one added, and each day that was not a day of the
 * device before adds one active device. A day counts as new when it is not among the old days
 * and is either before the first day ever or after the oldest day still kept (days between were
 * pruned: seen before). The tracking tier refuses events older than the retention, so a new
 * first day and its +1/+7/+30 days are never among pruned days. The result depends only on the
 * days each device has, so one batch or many give the same table.
 */
import type { DeviceSeqs } from './device-seqs.js';

/** Per UTC day number: [active devices, devices first seen, of those active on +1, +7, +30]. */
export type AudienceDays = Record<string, [number, number, number, number, number]>;

const RETURN_OFFSETS = [1, 7, 30] as const;

/** Bits of the offsets after `first` on which `d` ([day, in, out, ...] ascending) has events. */
function returnBits(d: readonly number[], first: number): number {
  let bits = 0;
  let k = 0;
  for (let o = 0; o < RETURN_OFFSETS.length; o++) {
    const want = first + RETURN_OFFSETS[o]!;
    while (k < d.length && d[k]! < want) k += 3;
    if (k < d.length && d[k] === want) bits |= 1 << o;
  }
  return bits;
}

function row(a: AudienceDays, day: number): [number, number, number, number, number] {
  return (a[day] ??= [0, 0, 0, 0, 0]);
}

function addCohort(a: AudienceDays, first: number, bits: number, sign: number): void {
  const r = row(a, first);
  r[1] += sign;
  for (let o = 0; o < RETURN_OFFSETS.length; o++) if (bits & (1 << o)) r[2 + o] = (r[2 + o] ?? 0) + sign;
}

export class AudienceUpdate {
  readonly days: AudienceDays;

  /** @param old the app's audience before this run, or undefined to count from nothing (every device is walked again). */
  constructor(old: AudienceDays | undefined) {
    this.days = old ? structuredClone(old) : {};
  }

  /** The days the device had before a change (a copy: appendDays grows `d` in place). */
  static before(cur: DeviceSeqs): number[] {
    const d = cur.s?.d ?? [];
    const out: number[] = [];
    for (let k = 0; k < d.length; k += 3) out.push(d[k]!);
    return out;
  }

  /** After the device's session days changed (before they are pruned): moves its cohort and adds its new active days. */
  changed(cur: DeviceSeqs, oldDays: readonly number[]): void {
    const d = cur.s?.d ?? [];
    if (d.length === 0) return;
    const was = cur.c;
    const kept = oldDays.length > 0 ? oldDays[0]! : Infinity;
    const firstEver = was ? was[0] : Infinity;
    let j = 0;
    for (let k = 0; k < d.length; k += 3) {
      const day = d[k]!;
      while (j < oldDays.length && oldDays[j]! < day) j++;
      const known = j < oldDays.length && oldDays[j] === day;
      // Days between the first ever and the oldest kept were pruned: the device was active then already.
      if (!known && (day < firstEver || day > kept || !was)) row(this.days, day)[0]++;
    }
    const first = Math.min(firstEver, d[0]!);
    const bits = was && first === was[0] ? was[1] | returnBits(d, first) : returnBits(d, first);
    if (was && was[0] === first && was[1] === bits) return;
    if (was) addCohort(this.days, was[0], was[1], -1);
    addCohort(this.days, first, bits, 1);
    cur.c = [first, bits];
  }

  /** The rows with anything in them (a row emptied by a moved cohort goes). */
  finish(): AudienceDays {
    for (const [k, r] of Object.entries(this.days)) if (r.every((x) => x === 0)) delete this.days[k];
    return this.days;
  }
}
