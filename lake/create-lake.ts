import { ConfigError } from '../common/errors.js';
import type { Lake } from './lake.js';
import { LocalLake } from './local-lake.js';
import type { LakeOptions } from './options.js';
import { refineLake } from './options.js';
import { S3Lake } from './s3-lake.js';
import { WebHdfsLake } from './webhdfs-lake.js';

const DEFAULTS: LakeOptions = {
  lake: 'local',
  lakeDir: './data/lake',
  s3Bucket: '',
  s3Prefix: '',
  s3Endpoint: '',
  s3Region: 'us-east-1',
  s3ForcePathStyle: true,
  s3AccessKeyId: '',
  s3SecretAccessKey: '',
  webhdfsUrl: '',
  webhdfsRoot: '/sluice',
  webhdfsUser: '',
};

/**
 * Opens the lake the options name. Missing options take their defaults; unusable ones
 * throw one ConfigError listing every problem (`command` names the command in it).
 */
export function createLake(options: Partial<LakeOptions>, command = 'lake'): Lake {
  const cfg: LakeOptions = { ...DEFAULTS };
  for (const [k, v] of Object.entries(options)) if (v !== undefined) (cfg as Record<string, unknown>)[k] = v;
  const problems = refineLake(cfg);
  if (problems.length > 0) throw new ConfigError(problems, command);
  switch (cfg.lake) {
    case 'local':
      return new LocalLake({ dir: cfg.lakeDir });
    case 's3':
      return new S3Lake({
        bucket: cfg.s3Bucket,
        prefix: cfg.s3Prefix,
        endpoint: cfg.s3Endpoint || undefined,
        region: cfg.s3Region,
        forcePathStyle: cfg.s3ForcePathStyle,
        credentials: cfg.s3AccessKeyId ? { accessKeyId: cfg.s3AccessKeyId, secretAccessKey: cfg.s3SecretAccessKey } : undefined,
      });
    case 'webhdfs':
      return new WebHdfsLake({ url: cfg.webhdfsUrl, root: cfg.webhdfsRoot, user: cfg.webhdfsUser || undefined });
    default:
      throw new ConfigError([`--lake: expected local, s3 or webhdfs, got ${JSON.stringify(cfg.lake)}`], command);
  }
}
