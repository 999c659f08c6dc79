import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, readdir, rename, stat, unlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Lake, LakeObject } from './lake.js';
import { LakeError, LakeErrorCode, checkKey, checkPrefix, compareKeys } from './errors.js';

/** Temporary files of an unfinished put: `.<name>.lake-tmp-<16 hex>`, never listed. */
const TMP_RE = /^\..+\.lake-tmp-[0-9a-f]{16}$/;

interface LocalLakeOptions {
  /** Directory holding the lake; created when missing. */
  dir: string;
}

function errno(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | null)?.code;
}

/**
 * The lake in a local directory (the default). A put writes a temporary file beside the
 * target, fsyncs it, renames it into place and fsyncs the directory, so a reader sees the
 * old object or the new one, whole, and a crash leaves at worst an ignored temporary file.
 */
export class LocalLake implements Lake {
  readonly kind = 'local' as const;
  readonly location: string;
  private readonly root: string;

  constructor(opts: LocalLakeOptions) {
    this.root = resolve(opts.dir);
    this.location = this.root;
  }

  private path(key: string): string {
    return join(this.root, ...checkKey(key).split('/'));
  }

  private fail(err: unknown, what: string): never {
    if (err instanceof LakeError) throw err;
    const code = errno(err);
    if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR') {
      throw new LakeError(LakeErrorCode.NOT_FOUND, `${what}: not found in ${this.location}`);
    }
    throw new LakeError(LakeErrorCode.UNAVAILABLE, `${what}: ${(err as Error).message}`);
  }

  private async syncDir(dir: string): Promise<void> {
    // Makes the rename durable. Some file systems refuse to fsync a directory: not fatal.
    let fh;
    try {
      fh = await open(dir, 'r');
      await fh.sync();
    } catch {
      /* best effort */
    } finally {
      await fh?.close().catch(() => undefined);
    }
  }

  async put(key: string, data: Uint8Array): Promise<void> {
    const target = this.path(key);
    const dir = dirname(target);
    const tmp = join(dir, `.${target.slice(dir.length + 1)}.lake-tmp-${randomBytes(8).toString('hex')}`);
    try {
      await mkdir(dir, { recursive: true });
      const fh = await open(tmp, 'wx', 0o644);
      try {
        let off = 0;
        while (off < data.byteLength) {
          const { bytesWritten } = await fh.write(data, off, data.byteLength - off);
          off += bytesWritten;
        }
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, target);
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      if (errno(err) === 'EISDIR' || errno(err) === 'ENOTDIR' || errno(err) === 'EEXIST') {
        throw new LakeError(LakeErrorCode.BAD_KEY, `put ${key}: the key clashes with a directory or a file in ${this.location}`);
      }
      this.fail(err, `put ${key}`);
    }
    await this.syncDir(dir);
  }

  async get(key: string): Promise<Buffer> {
    const p = this.path(key);
    try {
      return await readFile(p);
    } catch (err) {
      this.fail(err, `get ${key}`);
    }
  }

  async exists(key: string): Promise<boolean> {
    const p = this.path(key);
    try {
      return (await stat(p)).isFile();
    } catch (err) {
      if (errno(err) === 'ENOENT' || errno(err) === 'ENOTDIR') return false;
      this.fail(err, `exists ${key}`);
    }
  }

  async list(prefix: string): Promise<LakeObject[]> {
    const dirKey = checkPrefix(prefix);
    const out: LakeObject[] = [];
    const walk = async (rel: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(rel === '' ? this.root : join(this.root, ...rel.split('/')), { withFileTypes: true });
      } catch (err) {
        if (errno(err) === 'ENOENT' || errno(err) === 'ENOTDIR') return;
        this.fail(err, `list ${prefix}`);
      }
      for (const e of entries) {
        const key = rel === '' ? e.name : `${rel}/${e.name}`;
        if (e.isDirectory()) {
          // Descend only where keys under this directory can still start with the prefix.
          if (`${key}/`.startsWith(prefix) || prefix.startsWith(`${key}/`)) await walk(key);
        } else if (e.isFile() && !TMP_RE.test(e.name) && key.startsWith(prefix)) {
          try {
            out.push({ key, size: (await stat(join(this.root, ...key.split('/')))).size });
          } catch (err) {
            if (errno(err) !== 'ENOENT') this.fail(err, `list ${prefix}`); // deleted meanwhile
          }
        }
      }
    };
    await walk(dirKey);
    return out.sort((a, b) => compareKeys(a.key, b.key));
  }

  async rename(from: string, to: string): Promise<void> {
    const src = this.path(from);
    const dst = this.path(to);
    try {
      await stat(src).then((s) => {
        if (!s.isFile()) throw Object.assign(new Error('not a file'), { code: 'ENOENT' });
      });
      await mkdir(dirname(dst), { recursive: true });
      await rename(src, dst);
    } catch (err) {
      this.fail(err, `rename ${from} -> ${to}`);
    }
    await this.syncDir(dirname(dst));
    if (dirname(src) !== dirname(dst)) await this.syncDir(dirname(src));
  }

  async delete(key: string): Promise<void> {
    const p = this.path(key);
    try {
      await unlink(p);
    } catch (err) {
      if (errno(err) === 'ENOENT' || errno(err) === 'ENOTDIR') return;
      this.fail(err, `delete ${key}`);
    }
  }

  async close(): Promise<void> {
    /* nothing held open */
  }
}
