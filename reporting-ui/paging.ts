/**
 * Opt-in paging of a list a route already holds (admin lists, API keys): `limit` (1 to 1,000)
 * and `offset` from the query answer that page and `total`; without `limit` every row (what
 * the admin pages read); `format=csv` always every row.
 */
import { badRequest } from './errors.js';

const MAX_LIMIT = 1000;

export function pageRows<T>(rows: readonly T[], q: { limit?: unknown; offset?: unknown; format?: unknown }): { rows: T[]; total: number; limit: number; offset: number } {
  const int = (name: string, v: unknown, min: number, max: number): number => {
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d{1,10}$/.test(v) ? Number(v) : NaN;
    if (!Number.isInteger(n) || n < min || n > max) throw badRequest(`${name}: expected a whole number from ${min} to ${max}`);
    return n;
  };
  if (q.format === 'csv' || q.limit === undefined) return { rows: [...rows], total: rows.length, limit: rows.length, offset: 0 };
  const limit = int('limit', q.limit, 1, MAX_LIMIT);
  const offset = q.offset === undefined ? 0 : int('offset', q.offset, 0, 1e9);
  return { rows: rows.slice(offset, offset + limit), total: rows.length, limit, offset };
}
