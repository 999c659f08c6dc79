import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';

/**
 * The lake's options, for any tier that reads or writes the lake: compose them into a
 * command's schema (`Type.Object({ ...lakeSchema.properties, ...own })`) and add
 * `refineLake` to its refine.
 */
export const lakeSchema = Type.Object({
  lake: Type.Union([Type.Literal('local'), Type.Literal('s3'), Type.Literal('webhdfs')], {
    default: 'local',
    description: 'where the lake lives: local (a directory), s3 (a bucket) or webhdfs (HDFS over its REST API)',
  }),
  lakeDir: Type.String({ default: './data/lake', description: 'lake directory when --lake local' }),
  s3Bucket: Type.String({ default: '', description: 'bucket when --lake s3' }),
  s3Prefix: Type.String({ default: '', description: 'key prefix inside the bucket, e.g. sluice/prod' }),
  s3Endpoint: Type.String({ default: '', description: 'URL of an S3-compatible service (MinIO, Ceph...); AWS when empty' }),
  s3Region: Type.String({ default: 'us-east-1', description: 'S3 region' }),
  s3ForcePathStyle: Type.Boolean({ default: true, description: 'address buckets as http://host/bucket (most S3-compatible services need it)' }),
  s3AccessKeyId: Type.String({ default: '', description: 'S3 access key id; the AWS default chain (env, profile, instance role) when empty' }),
  s3SecretAccessKey: Type.String({ default: '', description: 'S3 secret access key (give it with --s3-access-key-id)' }),
  webhdfsUrl: Type.String({ default: '', description: 'namenode or HttpFS HTTP address when --lake webhdfs, e.g. http://namenode:9870' }),
  webhdfsRoot: Type.String({ default: '/sluice', description: 'absolute HDFS directory holding the lake' }),
  webhdfsUser: Type.String({ default: '', description: 'user.name for WebHDFS simple authentication; none when empty' }),
});

export type LakeOptions = Static<typeof lakeSchema>;

function badUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return (u.protocol !== 'http:' && u.protocol !== 'https:') || u.host === '';
  } catch {
    return true;
  }
}

const BUCKET_RE = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** Problems with the lake options, as sentences (empty when they are usable). */
export function refineLake(cfg: LakeOptions): string[] {
  const p: string[] = [];
  if (cfg.lake === 'local' && cfg.lakeDir.trim() === '') p.push('--lake-dir: give the lake directory for --lake local');
  if (cfg.lake === 's3' && cfg.s3Bucket === '') p.push('--s3-bucket: give the bucket for --lake s3');
  if (cfg.s3Bucket !== '' && !BUCKET_RE.test(cfg.s3Bucket)) p.push(`--s3-bucket: expected 3 to 63 lower-case letters, digits, '.' or '-', got ${JSON.stringify(cfg.s3Bucket)}`);
  if (cfg.s3Prefix.split('/').some((s) => s === '.' || s === '..')) p.push(`--s3-prefix: '.' and '..' are not allowed, got ${JSON.stringify(cfg.s3Prefix)}`);
  if (cfg.s3Endpoint !== '' && badUrl(cfg.s3Endpoint)) p.push(`--s3-endpoint: expected an http(s) URL, got ${JSON.stringify(cfg.s3Endpoint)}`);
  if ((cfg.s3AccessKeyId === '') !== (cfg.s3SecretAccessKey === '')) p.push('--s3-access-key-id and --s3-secret-access-key go together: give both or neither');
  if (cfg.lake === 's3' && cfg.s3Region.trim() === '') p.push('--s3-region: give a region (any name, e.g. us-east-1, for S3-compatible services)');
  if (cfg.lake === 'webhdfs' && cfg.webhdfsUrl === '') p.push('--webhdfs-url: give the namenode or HttpFS address for --lake webhdfs, e.g. http://namenode:9870');
  if (cfg.webhdfsUrl !== '' && badUrl(cfg.webhdfsUrl)) p.push(`--webhdfs-url: expected an http(s) URL, got ${JSON.stringify(cfg.webhdfsUrl)}`);
  if (!cfg.webhdfsRoot.startsWith('/') || cfg.webhdfsRoot.split('/').some((s) => s === '.' || s === '..')) {
    p.push(`--webhdfs-root: expected an absolute HDFS path such as /sluice, got ${JSON.stringify(cfg.webhdfsRoot)}`);
  }
  return p;
}
