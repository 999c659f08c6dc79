import type { FastifyReply, FastifyRequest } from 'fastify';
import { toCsv } from './csv.js';
import { badRequest } from './errors.js';

/**
 * Every report answers JSON with its tables as arrays; `?format=csv` (and `&table=<name>` when
 * there are several) answers one of them as a CSV download instead.
 */
export function respond<T extends object>(req: FastifyRequest, reply: FastifyReply, body: T, name: string): T | string {
  const q = req.query as { format?: string; table?: string };
  if (q.format !== 'csv') return body;
  const tables = Object.entries(body).filter(([, v]) => Array.isArray(v)) as [string, Record<string, unknown>[]][];
  const pick = q.table ? tables.find(([k]) => k === q.table) : tables[0];
  if (!pick) throw badRequest(`table: this report has the tables ${tables.map(([k]) => k).join(', ') || '(none)'}`);
  void reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${name}-${pick[0]}.csv"`);
  return toCsv(pick[1]);
}
