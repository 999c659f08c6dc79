import { Type } from '@sinclair/typebox';

/** The query every report takes: local days in the viewer's time zone, and CSV export. */
export const RangeQuery = {
  from: Type.Optional(Type.String({ description: 'first local day YYYY-MM-DD (default: 29 days before to)' })),
  to: Type.Optional(Type.String({ description: 'last local day YYYY-MM-DD (default: today in tz)' })),
  tz: Type.Optional(Type.String({ description: 'IANA time zone of the viewer (default UTC)' })),
  format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')], { description: 'csv: one table of the answer as a CSV download' })),
  table: Type.Optional(Type.String({ description: 'with format=csv: which table (default the first)' })),
};
export type RangeQueryT = { from?: string; to?: string; tz?: string; format?: string; table?: string };

/** Click-through rate in percent, three decimals. */
export const ctr = (clicks: number, impressions: number): number => (impressions ? Math.round((clicks / impressions) * 1e5) / 1e3 : 0);
