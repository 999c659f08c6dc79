/** What one ad request tells the targeting expressions about the device, place and time. */
export interface TargetingContext {
  /** Lower-case, e.g. 'ios', 'android'. */
  platform: string;
  os_version: string;
  app_version: string;
  device_model: string;
  screen_w: number;
  screen_h: number;
  /** ISO 3166-1 alpha-2, upper-case, e.g. 'US'. */
  country: string;
  region: string;
  /** Custom key-values sent by the app; a missing key makes comparisons false and `!=` true. */
  kv: Record<string, string>;
  /** 0-23, in the time zone the campaign is scheduled in. */
  hour: number;
  /** 'mon' .. 'sun'. */
  weekday: string;
}

/** One dot-separated part of a version, split once when an expression is compiled. */
interface VersionSegment {
  /** The text as written ('0' for a segment that is missing). */
  readonly raw: string;
  /** For an all-digit segment: its digits without leading zeros ('' for zero); else undefined. */
  readonly digits: string | undefined;
}

const ZERO: VersionSegment = { raw: '0', digits: '' };

/** Splits a version once so that {@link compareVersionTo} can compare against it quickly. */
export function splitVersion(version: string): VersionSegment[] {
  return version.split('.').map((raw) => ({ raw, digits: /^[0-9]+$/.test(raw) ? raw.replace(/^0+/, '') : undefined }));
}

/**
 * Compares version `a` with a pre-split version, segment by segment: two all-digit segments
 * compare as numbers (any length, so "10" > "9"), anything else compares as text; a missing
 * segment counts as "0" ("16" == "16.0" < "16.1" < "17"). Returns <0, 0 or >0. Does not
 * allocate unless a segment is not all digits.
 */
export function compareVersionTo(a: string, b: readonly VersionSegment[]): number {
  const n = a.length;
  let i = 0; // start of a's next segment; n + 1 once a has no more segments
  for (let k = 0; ; k++) {
    if (i > n && k >= b.length) return 0;
    const seg = b[k] ?? ZERO;
    let s = i;
    let e = i;
    let numeric = true;
    if (i > n) {
      // a is exhausted: compare a virtual "0" with seg
      if (seg.digits !== undefined) {
        if (seg.digits.length !== 0) return -1;
        continue;
      }
      return '0' < seg.raw ? -1 : 1; // a non-digit segment is never "0"
    }
    while (e < n) {
      const c = a.charCodeAt(e);
      if (c === 46) break; // '.'
      if (c < 48 || c > 57) numeric = false;
      e++;
    }
    i = e + 1;
    if (e === s) numeric = false;
    if (numeric && seg.digits !== undefined) {
      while (s < e && a.charCodeAt(s) === 48) s++;
      const d = seg.digits;
      if (e - s !== d.length) return e - s < d.length ? -1 : 1;
      for (let j = 0; j < d.length; j++) {
        const x = a.charCodeAt(s + j);
        const y = d.charCodeAt(j);
        if (x !== y) return x < y ? -1 : 1;
      }
    } else {
      const text = a.slice(s, e);
      if (text !== seg.raw) return text < seg.raw ? -1 : 1;
    }
  }
}

/** Compares two versions the way targeting does: numeric segment-wise ("9" < "10", "16" < "16.1" < "17"). */
export function compareVersions(a: string, b: string): number {
  return compareVersionTo(a, splitVersion(b));
}
