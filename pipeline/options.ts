import { Type } from '@sinclair/typebox';
import { cpus } from 'node:os';
import { logLevelOption, type CommandSpec } from '../common/config.js';
import { lakeSchema, refineLake } from '../lake/options.js';
import { storeSchema, refineStore } from '../store/options.js';
import { LEASE_DEFAULTS } from './segment-lease.js';

const threads = Math.max(1, cpus().length);

export const pipelineSchema = Type.Object({
  host: Type.String({ default: '127.0.0.1', description: 'address of the metrics endpoint' }),
  port: Type.Integer({ minimum: 0, maximum: 65535, default: 8083, description: 'port of /metrics and /healthz (0 picks a free one)' }),
  pollIntervalMs: Type.Integer({ minimum: 10, maximum: 3_600_000, default: 2000, description: 'how often the lake is checked for new sealed segments' }),
  decodeThreads: Type.Integer({ minimum: 1, maximum: 64, default: threads, description: 'worker threads of the decode stage' }),
  encodeThreads: Type.Integer({ minimum: 1, maximum: 64, default: threads, description: 'worker threads of the Parquet encode stage' }),
  enrichConcurrency: Type.Integer({ minimum: 1, maximum: 256, default: 4, description: 'batches enriched at once (store look-ups are memoised)' }),
  batchFrames: Type.Integer({ minimum: 1, maximum: 10_000, default: 1024, description: 'frames per decode task (larger batches make larger column chunks: 1024 ran 1.35x faster than 64)' }),
  queueCapacity: Type.Integer({ minimum: 1, maximum: 10_000, default: 8, description: 'batches waiting between two stages at most (backpressure)' }),
  maxRowsPerFile: Type.Integer({ minimum: 100, maximum: 10_000_000, default: 200_000, description: 'rows per Parquet file at most (bounds memory per partition)' }),
  maxBufferedRows: Type.Integer({ minimum: 1000, maximum: 100_000_000, default: 200_000, description: 'rows held per segment before the largest partitions are written early (bounds memory)' }),
  segmentConcurrency: Type.Integer({ minimum: 1, maximum: 64, default: 1, description: 'segments processed at once (one decodes while another encodes)' }),
  leaseMs: Type.Integer({ minimum: 500, maximum: 3_600_000, default: LEASE_DEFAULTS.leaseMs, description: "a segment's lease (in the report store) lasts this long unless renewed; a killed pipeline's segment is taken over by another after it" }),
  leaseRenewMs: Type.Integer({ minimum: 100, maximum: 1_800_000, default: LEASE_DEFAULTS.leaseRenewMs, description: 'how often a pipeline renews the leases of the segments it works on (at most half of --lease-ms)' }),
  once: Type.Boolean({ default: false, description: 'process what is in the lake now, then exit' }),
  logLevel: logLevelOption,
  ...lakeSchema.properties,
  ...storeSchema.properties,
});

export const pipelineSpec: CommandSpec<typeof pipelineSchema> = {
  name: 'pipeline',
  summary: 'SEDA stages over worker threads: sealed segments in the lake to enriched Parquet',
  schema: pipelineSchema,
  refine: (c) => [
    ...refineLake(c),
    ...refineStore(c),
    // Two renewals per lease at least: one late renewal must not hand a live segment to another process.
    ...(c.leaseRenewMs * 2 > c.leaseMs ? [`--lease-renew-ms: ${c.leaseRenewMs} is more than half of --lease-ms (${c.leaseMs}); renew at least twice per lease`] : []),
  ],
};
