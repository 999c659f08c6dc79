/** The delivery curves the ad server paces on and the reports draw (one definition for both). */
type PacingMode = 'even' | 'frontloaded' | 'asap';

/** Share of the goal that should be delivered at flight fraction x in [0, 1]. */
export function targetShare(mode: PacingMode, x: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  if (mode === 'even') return x;
  // Frontloaded: 75% of the goal by mid-flight, easing off towards the end.
  if (mode === 'frontloaded') return 1 - (1 - x) * (1 - x);
  return 1; // as fast as possible
}
