/**
 * Fleet delivery: what every ad server and tracking process of a deployment shares through the
 * report store so that goals hold across the fleet (adserver/fleet-pacing.ts).
 *
 * Each process writes its own rows under a node id unique to that process's life (a restart is a
 * new node, so a fresh counter never overwrites an older one), setting absolute numbers, never
 * adding: writing the same rows again leaves the same numbers. Totals count every node, dead or
 * alive (what they delivered happened). Live decisions and live impressions count until the last
 * of them expires (`live_until`), whether their node is alive or not: a dead node's decisions can
 * still render, and their impressions must still settle them. Eligible traffic and the node count
 * take only nodes that wrote within the lease.
 */

/** One ad server node's counts for one pacing unit (line item, or line item|country). */
export interface AdUnitCounts {
  unit_key: string;
  /** Ad decisions this node made for the unit since it started (prefetched picks included). */
  decided: number;
  /** Of those, the ones whose token has not expired yet: pending until their impression beacon. */
  decided_live: number;
  /** When the last of those expires (pendingUntil); 0 when there are none. */
  live_until: number;
  /** Eligible requests per second at this node, smoothed. */
  eligible_rate: number;
}

/** One tracking node's accepted impression beacons for one line item. */
export interface ImpressionCounts {
  line_item_id: string;
  impressions: number;
  /** Of those, the ones whose decision token has not expired yet (they settle pending decisions). */
  impressions_live: number;
  /** When the last of those expires; 0 when there are none. */
  live_until: number;
}

/** The fleet's sums per pacing unit. */
interface FleetUnitTotals {
  decided: number;
  /** Rows whose live_until is after `now`. */
  decided_live: number;
  /** Live nodes only. */
  eligible_rate: number;
}

interface FleetImpressionTotals {
  impressions: number;
  /** Rows whose live_until is after `now`. */
  impressions_live: number;
}

export interface FleetSnapshot {
  /** Ad server nodes that wrote within the lease. */
  nodes: number;
  units: Map<string, FleetUnitTotals>;
  impressions: Map<string, FleetImpressionTotals>;
}

export interface FleetStore {
  /** Sets this ad server node's rows (all in one transaction) and stamps them with `now`. */
  publishAdUnits(node: string, rows: readonly AdUnitCounts[], now: number): Promise<void>;
  /** Sets this tracking node's impression rows and stamps them with `now`. */
  publishImpressions(node: string, rows: readonly ImpressionCounts[], now: number): Promise<void>;
  /** The fleet's sums at `now`; traffic and nodes count the rows written at or after `liveSince`. */
  fleetDelivery(liveSince: number, now: number): Promise<FleetSnapshot>;
  /** Deletes rows not written since `before` (nodes long gone); answers how many. */
  pruneFleet(before: number): Promise<number>;
}
