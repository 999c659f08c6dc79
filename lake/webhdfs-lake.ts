import { randomBytes } from 'node:crypto';
import type { Lake, LakeObject } from './lake.js';
import { LakeError, LakeErrorCode, checkKey, checkPrefix, compareKeys } from './errors.js';

interface WebHdfsLakeOptions {
  /** Namenode (or HttpFS) HTTP address, e.g. `http://namenode:9870`. */
  url: string;
  /** Absolute HDFS directory holding the lake, e.g. `/sluice`. */
  root?: string;
  /** `user.name` for simple (pseudo) authentication; none when empty. */
  user?: string;
  /** Time limit of one HTTP request, ms. */
  timeoutMs?: number;
}

/** Temporary files of an unfinished put: `<name>._tmp_<16 hex>`, never listed. */
const TMP_RE = /\._tmp_[0-9a-f]{16}$/;

interface FileStatus {
  pathSuffix: string;
  type: 'FILE' | 'DIRECTORY' | 'SYMLINK';
  length: number;
}

interface RemoteException {
  exception?: string;
  javaClassName?: string;
  message?: string;
}

/** Exceptions that mean "try again later" rather than "you asked for something wrong". */
const RETRIABLE = new Set(['StandbyException', 'SafeModeException', 'RetriableException', 'ConnectException', 'SocketTimeoutException']);

/**
 * The lake in HDFS over the WebHDFS REST API (the namenode's HTTP port, or an HttpFS
 * gateway). A put writes `<path>._tmp_<random>` with the two-step CREATE (namenode answers
 * 307 to a datanode, the bytes go to the datanode), then RENAMEs it into place, so the
 * target never exists half-written.
 */
export class WebHdfsLake implements Lake {
  readonly kind = 'webhdfs' as const;
  readonly location: string;
  private readonly base: string;
  private readonly root: string;
  private readonly user: string;
  private readonly timeoutMs: number;

  constructor(opts: WebHdfsLakeOptions) {
    const u = new URL(opts.url);
    this.base = `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}`;
    this.root = `/${(opts.root ?? '/sluice').replace(/^\/+|\/+$/g, '')}`.replace(/^\/$/, '');
    this.user = opts.user ?? '';
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.location = `webhdfs://${u.host}${this.root || '/'}`;
  }

  /** Absolute HDFS path of a key ('' is the lake's root directory). */
  private abs(key: string): string {
    return key === '' ? this.root || '/' : `${this.root}/${key}`;
  }

  private url(path: string, op: string, params: Record<string, string> = {}): string {
    const q = new URLSearchParams({ op, ...params });
    if (this.user) q.set('user.name', this.user);
    const encoded = path.split('/').map(encodeURIComponent).join('/');
    return `${this.base}/webhdfs/v1${encoded}?${q.toString()}`;
  }

  private async fetch(what: string, url: string, init: RequestInit = {}): Promise<Response> {
    try {
      return await fetch(url, { ...init, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      const why = e.cause?.code ?? e.cause?.message ?? e.message;
      throw new LakeError(LakeErrorCode.UNAVAILABLE, `${what} in ${this.location}: ${e.name === 'TimeoutError' ? `no answer in ${this.timeoutMs} ms` : why}`);
    }
  }

  /** Turns a non-success answer into a LakeError named after the Java exception. */
  private async fail(what: string, res: Response): Promise<never> {
    const text = await res.text().catch(() => '');
    let re: RemoteException = {};
    try {
      re = (JSON.parse(text) as { RemoteException?: RemoteException }).RemoteException ?? {};
    } catch {
      /* not JSON: a proxy's page, say */
    }
    const name = re.exception ?? `HTTP ${res.status}`;
    const msg = `${what} in ${this.location}: ${name}${re.message ? `: ${re.message}` : text && !re.exception ? `: ${text.slice(0, 200)}` : ''}`;
    if (re.exception === 'FileNotFoundException' || (res.status === 404 && !re.exception)) {
      throw new LakeError(LakeErrorCode.NOT_FOUND, msg);
    }
    if (res.status >= 500 || RETRIABLE.has(name)) throw new LakeError(LakeErrorCode.UNAVAILABLE, msg);
    throw new LakeError(LakeErrorCode.PROTOCOL, msg);
  }

  private async parse<T>(what: string, res: Response): Promise<T> {
    try {
      return (await res.json()) as T;
    } catch {
      throw new LakeError(LakeErrorCode.PROTOCOL, `${what} in ${this.location}: the answer is not JSON`);
    }
  }

  private async json<T>(what: string, url: string, init: RequestInit = {}): Promise<T> {
    const res = await this.fetch(what, url, init);
    if (!res.ok) return this.fail(what, res);
    return this.parse<T>(what, res);
  }

  private async bool(what: string, url: string, method: string): Promise<boolean> {
    const body = await this.json<{ boolean?: unknown }>(what, url, { method });
    if (typeof body.boolean !== 'boolean') throw new LakeError(LakeErrorCode.PROTOCOL, `${what} in ${this.location}: expected {"boolean": ...}`);
    return body.boolean;
  }

  private async status(what: string, path: string): Promise<FileStatus | undefined> {
    const res = await this.fetch(what, this.url(path, 'GETFILESTATUS'));
    if (res.status === 404) {
      await res.body?.cancel();
      return undefined;
    }
    if (!res.ok) return this.fail(what, res);
    const st = (await this.parse<{ FileStatus?: FileStatus }>(what, res)).FileStatus;
    if (!st) throw new LakeError(LakeErrorCode.PROTOCOL, `${what} in ${this.location}: GETFILESTATUS answer without FileStatus`);
    return st;
  }

  private async mkdirs(what: string, path: string): Promise<void> {
    if (!(await this.bool(what, this.url(path, 'MKDIRS'), 'PUT'))) {
      throw new LakeError(LakeErrorCode.PROTOCOL, `${what} in ${this.location}: MKDIRS ${path} answered false`);
    }
  }

  private parentOf(path: string): string {
    return path.slice(0, path.lastIndexOf('/')) || '/';
  }

  /** Deletes a file; false when it was not there. */
  private async remove(what: string, path: string): Promise<boolean> {
    return this.bool(what, this.url(path, 'DELETE', { recursive: 'false' }), 'DELETE');
  }

  /** Replaces `dst` by `src` (HDFS's rename refuses an existing destination). */
  private async commit(what: string, src: string, dst: string): Promise<void> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const st = await this.status(what, dst);
      if (st?.type === 'DIRECTORY') throw new LakeError(LakeErrorCode.BAD_KEY, `${what}: ${dst} is a directory in ${this.location}`);
      if (st) await this.remove(what, dst);
      if (await this.bool(what, this.url(src, 'RENAME', { destination: dst }), 'PUT')) return;
      // false: a writer recreated dst in between, or src vanished. Look again.
      if (!(await this.status(what, src))) throw new LakeError(LakeErrorCode.NOT_FOUND, `${what}: ${src} vanished in ${this.location}`);
    }
    throw new LakeError(LakeErrorCode.PROTOCOL, `${what} in ${this.location}: RENAME ${src} -> ${dst} kept answering false`);
  }

  async put(key: string, data: Uint8Array): Promise<void> {
    const what = `put ${key}`;
    const dst = this.abs(checkKey(key));
    const tmp = `${dst}._tmp_${randomBytes(8).toString('hex')}`;
    await this.mkdirs(what, this.parentOf(dst));
    // Step 1: the namenode picks a datanode and redirects; it takes no data.
    const res = await this.fetch(what, this.url(tmp, 'CREATE', { overwrite: 'true' }), { method: 'PUT', redirect: 'manual' });
    if (res.status !== 307) {
      if (!res.ok) return this.fail(what, res);
      await res.body?.cancel();
      throw new LakeError(LakeErrorCode.PROTOCOL, `${what} in ${this.location}: CREATE answered ${res.status}, expected a 307 redirect`);
    }
    await res.body?.cancel();
    const location = res.headers.get('location');
    if (!location) throw new LakeError(LakeErrorCode.PROTOCOL, `${what} in ${this.location}: CREATE redirect without Location`);
    try {
      // Step 2: the bytes go to the datanode, which answers 201 Created.
      const put = await this.fetch(what, new URL(location, this.base).toString(), {
        method: 'PUT',
        body: data,
        headers: { 'content-type': 'application/octet-stream' },
        redirect: 'manual',
      });
      if (put.status !== 201) {
        if (!put.ok) return await this.fail(`${what} (datanode)`, put);
        await put.body?.cancel();
        throw new LakeError(LakeErrorCode.PROTOCOL, `${what} in ${this.location}: datanode answered ${put.status}, expected 201`);
      }
      await put.body?.cancel();
      await this.commit(what, tmp, dst);
    } catch (err) {
      await this.remove(what, tmp).catch(() => undefined);
      throw err;
    }
  }

  async get(key: string): Promise<Buffer> {
    const what = `get ${key}`;
    // The namenode redirects to a datanode holding the blocks; fetch follows it.
    const res = await this.fetch(what, this.url(this.abs(checkKey(key)), 'OPEN'), { redirect: 'follow' });
    if (!res.ok) return this.fail(what, res);
    return Buffer.from(await res.arrayBuffer());
  }

  async exists(key: string): Promise<boolean> {
    const st = await this.status(`exists ${key}`, this.abs(checkKey(key)));
    return st?.type === 'FILE';
  }

  async list(prefix: string): Promise<LakeObject[]> {
    const what = `list ${prefix}`;
    const dirKey = checkPrefix(prefix);
    const out: LakeObject[] = [];
    const walk = async (rel: string): Promise<void> => {
      const res = await this.fetch(what, this.url(this.abs(rel), 'LISTSTATUS'));
      if (res.status === 404) {
        await res.body?.cancel();
        return;
      }
      if (!res.ok) return this.fail(what, res);
      const body = await this.parse<{ FileStatuses?: { FileStatus?: FileStatus[] } }>(what, res);
      const entries = body.FileStatuses?.FileStatus;
      if (!Array.isArray(entries)) throw new LakeError(LakeErrorCode.PROTOCOL, `${what} in ${this.location}: LISTSTATUS answer without FileStatuses`);
      for (const e of entries) {
        if (e.pathSuffix === '') return; // rel is a file, not a directory
        const key = rel === '' ? e.pathSuffix : `${rel}/${e.pathSuffix}`;
        if (e.type === 'DIRECTORY') {
          if (`${key}/`.startsWith(prefix) || prefix.startsWith(`${key}/`)) await walk(key);
        } else if (e.type === 'FILE' && !TMP_RE.test(e.pathSuffix) && key.startsWith(prefix)) {
          out.push({ key, size: Number(e.length) });
        }
      }
    };
    await walk(dirKey);
    return out.sort((a, b) => compareKeys(a.key, b.key));
  }

  async rename(from: string, to: string): Promise<void> {
    const what = `rename ${from} -> ${to}`;
    const src = this.abs(checkKey(from));
    const dst = this.abs(checkKey(to));
    const st = await this.status(what, src);
    if (st?.type !== 'FILE') throw new LakeError(LakeErrorCode.NOT_FOUND, `${what}: ${from} not found in ${this.location}`);
    if (src === dst) return;
    await this.mkdirs(what, this.parentOf(dst));
    await this.commit(what, src, dst);
  }

  async delete(key: string): Promise<void> {
    const what = `delete ${key}`;
    const path = this.abs(checkKey(key));
    await this.remove(what, path);
  }

  async close(): Promise<void> {
    /* fetch keeps no per-lake state */
  }
}
