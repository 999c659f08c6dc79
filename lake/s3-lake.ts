import { createHash } from 'node:crypto';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import type { S3ClientConfig } from '@aws-sdk/client-s3';
import type { Lake, LakeObject } from './lake.js';
import { LakeError, LakeErrorCode, checkKey, checkPrefix, compareKeys } from './errors.js';

interface S3LakeOptions {
  bucket: string;
  /** Key prefix inside the bucket, e.g. `sluice/prod`; leading and trailing '/' are ignored. */
  prefix?: string;
  /** Endpoint of an S3-compatible service (MinIO, Ceph, a local server); AWS when absent. */
  endpoint?: string;
  region?: string;
  /** `http://host/bucket/key` instead of `http://bucket.host/key` (needed by most non-AWS servers). */
  forcePathStyle?: boolean;
  /** Static credentials; the SDK's default chain (env, profile, instance role) when absent. */
  credentials?: { accessKeyId?: string; secretAccessKey?: string };
  /** Attempts per request, retries included (SDK default 3). */
  maxAttempts?: number;
  /** Socket connect timeout, ms. */
  connectionTimeoutMs?: number;
  /** Keys per ListObjectsV2 page (S3 caps it at 1000). */
  listPageSize?: number;
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE']);

interface SdkError {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

/**
 * Encodes a key for the `x-amz-copy-source` header: each segment escaped, '/' kept, and
 * '=', ':', '@', ',' left as they are (safe in a header; partition keys like `date=...`
 * then also work with servers that only decodeURI the header, such as s3rver).
 */
function encodeKey(key: string): string {
  return key
    .split('/')
    .map((s) => encodeURIComponent(s).replace(/%(3D|3A|40|2C)/g, (m) => decodeURIComponent(m)))
    .join('/');
}

/**
 * The lake in an S3 bucket (AWS or any S3-compatible service). A PutObject is atomic by S3
 * semantics: readers see the old object or the new one. Rename is CopyObject then
 * DeleteObject, so the target is whole as soon as it appears.
 */
export class S3Lake implements Lake {
  readonly kind = 's3' as const;
  readonly location: string;
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly pageSize: number;

  constructor(opts: S3LakeOptions) {
    this.bucket = opts.bucket;
    this.prefix = (opts.prefix ?? '').replace(/^\/+|\/+$/g, '');
    this.pageSize = Math.max(1, Math.min(1000, opts.listPageSize ?? 1000));
    this.location = `s3://${this.bucket}${this.prefix === '' ? '' : `/${this.prefix}`}`;
    const cfg: S3ClientConfig = {
      region: opts.region || 'us-east-1',
      forcePathStyle: opts.forcePathStyle ?? false,
      // Send and check the flexible checksums only when an operation requires them: many
      // S3-compatible servers do not understand aws-chunked bodies with checksum trailers.
      // Puts carry Content-MD5 instead, which every S3 implementation verifies.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: opts.maxAttempts ?? 3,
      requestHandler: { connectionTimeout: opts.connectionTimeoutMs ?? 5000 },
    };
    if (opts.endpoint) cfg.endpoint = opts.endpoint;
    const { accessKeyId, secretAccessKey } = opts.credentials ?? {};
    if (accessKeyId && secretAccessKey) cfg.credentials = { accessKeyId, secretAccessKey };
    this.client = new S3Client(cfg);
  }

  private full(key: string): string {
    return this.prefix === '' ? key : `${this.prefix}/${key}`;
  }

  private fail(err: unknown, what: string): never {
    if (err instanceof LakeError) throw err;
    const e = (err ?? {}) as SdkError;
    const status = e.$metadata?.httpStatusCode;
    const name = e.name ?? 'Error';
    const msg = `${what} in ${this.location}: ${name}${e.message && e.message !== name ? `: ${e.message}` : ''}`;
    if (name === 'NoSuchKey' || name === 'NotFound' || (status === 404 && name !== 'NoSuchBucket')) {
      throw new LakeError(LakeErrorCode.NOT_FOUND, msg);
    }
    const network = status === undefined || NETWORK_CODES.has(e.code ?? '') || NETWORK_CODES.has(name) || name === 'TimeoutError';
    if (network || status >= 500 || status === 403 || name === 'NoSuchBucket') {
      throw new LakeError(LakeErrorCode.UNAVAILABLE, msg);
    }
    throw new LakeError(LakeErrorCode.PROTOCOL, msg);
  }

  async put(key: string, data: Uint8Array): Promise<void> {
    const k = this.full(checkKey(key));
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: k,
          Body: data,
          ContentLength: data.byteLength,
          ContentMD5: createHash('md5').update(data).digest('base64'),
          ContentType: 'application/octet-stream',
        }),
      );
    } catch (err) {
      this.fail(err, `put ${key}`);
    }
  }

  async get(key: string): Promise<Buffer> {
    const k = this.full(checkKey(key));
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: k }));
      if (!res.Body) return Buffer.alloc(0);
      const bytes = await res.Body.transformToByteArray();
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    } catch (err) {
      this.fail(err, `get ${key}`);
    }
  }

  async exists(key: string): Promise<boolean> {
    const k = this.full(checkKey(key));
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: k }));
      return true;
    } catch (err) {
      const e = err as SdkError;
      if (e.name === 'NotFound' || e.name === 'NoSuchKey' || (e.$metadata?.httpStatusCode === 404 && e.name !== 'NoSuchBucket')) return false;
      this.fail(err, `exists ${key}`);
    }
  }

  async list(prefix: string): Promise<LakeObject[]> {
    checkPrefix(prefix);
    const full = this.full(prefix);
    const strip = this.prefix === '' ? 0 : this.prefix.length + 1;
    const out: LakeObject[] = [];
    let token: string | undefined;
    try {
      do {
        const res = await this.client.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix: full, ContinuationToken: token, MaxKeys: this.pageSize }),
        );
        for (const o of res.Contents ?? []) {
          if (o.Key === undefined || o.Key.endsWith('/')) continue; // "folder" markers of consoles
          out.push({ key: o.Key.slice(strip), size: o.Size ?? 0 });
        }
        token = res.IsTruncated ? res.NextContinuationToken : undefined;
      } while (token);
    } catch (err) {
      this.fail(err, `list ${prefix}`);
    }
    return out.sort((a, b) => compareKeys(a.key, b.key));
  }

  async rename(from: string, to: string): Promise<void> {
    const src = this.full(checkKey(from));
    const dst = this.full(checkKey(to));
    if (src === dst) {
      // S3 refuses to copy an object onto itself; renaming onto itself is a no-op.
      if (!(await this.exists(from))) throw new LakeError(LakeErrorCode.NOT_FOUND, `rename ${from}: not found in ${this.location}`);
      return;
    }
    try {
      await this.client.send(
        new CopyObjectCommand({ Bucket: this.bucket, Key: dst, CopySource: `${this.bucket}/${encodeKey(src)}` }),
      );
    } catch (err) {
      this.fail(err, `rename ${from} -> ${to}`);
    }
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: src }));
    } catch (err) {
      this.fail(err, `rename ${from} -> ${to} (deleting the source)`);
    }
  }

  async delete(key: string): Promise<void> {
    const k = this.full(checkKey(key));
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: k }));
    } catch (err) {
      const e = err as SdkError;
      if (e.name === 'NoSuchKey' || e.name === 'NotFound') return;
      this.fail(err, `delete ${key}`);
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}
