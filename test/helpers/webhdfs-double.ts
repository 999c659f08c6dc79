/**
 * A WebHDFS protocol double for tests: a "namenode" and a "datanode", two real node:http
 * servers on 127.0.0.1, speaking the Hadoop WebHDFS REST API as its documentation
 * describes it (CREATE and OPEN redirect with 307 from the namenode to a datanode, which
 * takes or serves the bytes; RENAME answers {"boolean": false} rather than overwrite;
 * errors are RemoteException JSON). It exists because no HDFS can run on this machine.
 * Files live in memory. The namenode refuses data sent with CREATE, so a client that skips
 * the redirect fails here as it would against a real cluster; requests are counted per
 * server and op so tests can see the two-step protocol happen.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

interface FileNode {
  type: 'FILE';
  data: Buffer;
  mtime: number;
}
interface DirNode {
  type: 'DIRECTORY';
  children: Map<string, Node>;
  mtime: number;
}
type Node = FileNode | DirNode;

class HdfsError extends Error {
  constructor(
    readonly status: number,
    readonly exception: string,
    readonly javaClassName: string,
    message: string,
  ) {
    super(message);
  }
}
const notFound = (path: string): HdfsError => new HdfsError(404, 'FileNotFoundException', 'java.io.FileNotFoundException', `File does not exist: ${path}`);
const badArg = (msg: string): HdfsError => new HdfsError(400, 'IllegalArgumentException', 'java.lang.IllegalArgumentException', msg);

export interface WebHdfsDouble {
  /** Namenode base URL, e.g. `http://127.0.0.1:40123`. */
  readonly url: string;
  readonly datanodeUrl: string;
  /** Requests seen, keyed `namenode:CREATE`, `datanode:CREATE`, `namenode:RENAME`... */
  readonly counts: Map<string, number>;
  /** Status codes answered, keyed like counts, e.g. `namenode:CREATE` -> [307, 307]. */
  readonly statuses: Map<string, number[]>;
  /** Called before the namenode handles an op; a test can look at the file tree there. */
  onOp: ((op: string, path: string, params: URLSearchParams) => void) | undefined;
  /** Whether a file exists at an absolute HDFS path, e.g. `/sluice/a/b`. */
  isFile(path: string): boolean;
  /** Every file path, sorted. */
  files(): string[];
  count(key: string): number;
  close(): Promise<void>;
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of req) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

export async function startWebHdfsDouble(): Promise<WebHdfsDouble> {
  const root: DirNode = { type: 'DIRECTORY', children: new Map(), mtime: Date.now() };
  const tokens = new Set<string>();
  const counts = new Map<string, number>();
  const statuses = new Map<string, number[]>();

  const split = (path: string): string[] => path.split('/').filter((p) => p !== '');
  const lookup = (path: string): Node | undefined => {
    let n: Node = root;
    for (const part of split(path)) {
      if (n.type !== 'DIRECTORY') return undefined;
      const next = n.children.get(part);
      if (!next) return undefined;
      n = next;
    }
    return n;
  };
  const parentAndName = (path: string): [DirNode | undefined, string] => {
    const parts = split(path);
    const name = parts.pop() ?? '';
    const p = lookup(`/${parts.join('/')}`);
    return [p?.type === 'DIRECTORY' ? p : undefined, name];
  };
  const mkdirs = (path: string): DirNode => {
    let n: DirNode = root;
    for (const part of split(path)) {
      const next = n.children.get(part);
      if (next?.type === 'FILE') throw new HdfsError(403, 'ParentNotDirectoryException', 'org.apache.hadoop.fs.ParentNotDirectoryException', `/${part} (is not a directory)`);
      if (next) n = next;
      else {
        const d: DirNode = { type: 'DIRECTORY', children: new Map(), mtime: Date.now() };
        n.children.set(part, d);
        n = d;
      }
    }
    return n;
  };
  const fileStatus = (name: string, n: Node) => ({
    accessTime: n.mtime,
    blockSize: 134217728,
    childrenNum: n.type === 'DIRECTORY' ? n.children.size : 0,
    fileId: 16386,
    group: 'supergroup',
    length: n.type === 'FILE' ? n.data.length : 0,
    modificationTime: n.mtime,
    owner: 'hdfs',
    pathSuffix: name,
    permission: n.type === 'FILE' ? '644' : '755',
    replication: n.type === 'FILE' ? 3 : 0,
    storagePolicy: 0,
    type: n.type,
  });

  const send = (res: ServerResponse, key: string, status: number, body?: unknown, headers: Record<string, string> = {}): void => {
    statuses.set(key, [...(statuses.get(key) ?? []), status]);
    const buf = body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
    const type = Buffer.isBuffer(body) ? 'application/octet-stream' : 'application/json';
    res.writeHead(status, { 'content-type': type, 'content-length': String(buf.length), ...headers });
    res.end(buf);
  };

  const parse = (req: IncomingMessage, server: string): { path: string; op: string; params: URLSearchParams; key: string } => {
    const u = new URL(req.url ?? '/', 'http://x');
    if (!u.pathname.startsWith('/webhdfs/v1')) throw new HdfsError(404, 'IllegalArgumentException', 'java.lang.IllegalArgumentException', `not a WebHDFS path: ${u.pathname}`);
    const path = decodeURIComponent(u.pathname.slice('/webhdfs/v1'.length)) || '/';
    const op = (u.searchParams.get('op') ?? '').toUpperCase();
    const key = `${server}:${op}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    return { path, op, params: u.searchParams, key };
  };

  const datanode = createServer((req, res) => {
    let key = 'datanode:?';
    void (async () => {
      try {
        const r = parse(req, 'datanode');
        key = r.key;
        const token = r.params.get('token') ?? '';
        if (!tokens.delete(token)) throw new HdfsError(403, 'InvalidToken', 'org.apache.hadoop.security.token.SecretManager$InvalidToken', 'token is missing, used or forged');
        if (r.op === 'CREATE' && req.method === 'PUT') {
          const data = await readBody(req);
          const existing = lookup(r.path);
          if (existing?.type === 'DIRECTORY') throw new HdfsError(403, 'FileAlreadyExistsException', 'org.apache.hadoop.fs.FileAlreadyExistsException', `${r.path} already exists as a directory`);
          if (existing && r.params.get('overwrite') !== 'true') throw new HdfsError(403, 'FileAlreadyExistsException', 'org.apache.hadoop.fs.FileAlreadyExistsException', `${r.path} for client already exists`);
          const [, name] = parentAndName(r.path);
          const parent = mkdirs(r.path.slice(0, r.path.lastIndexOf('/')) || '/');
          parent.children.set(name, { type: 'FILE', data, mtime: Date.now() });
          return send(res, key, 201, undefined, { location: `hdfs://127.0.0.1:8020${r.path}` });
        }
        if (r.op === 'OPEN' && req.method === 'GET') {
          const n = lookup(r.path);
          if (n?.type !== 'FILE') throw notFound(r.path);
          const offset = Number(r.params.get('offset') ?? 0);
          const length = r.params.has('length') ? Number(r.params.get('length')) : n.data.length;
          return send(res, key, 200, n.data.subarray(offset, offset + length));
        }
        throw badArg(`datanode does not serve ${req.method} op=${r.op}`);
      } catch (err) {
        fail(res, key, err);
      }
    })();
  });

  const fail = (res: ServerResponse, key: string, err: unknown): void => {
    const e = err instanceof HdfsError ? err : new HdfsError(500, 'RuntimeException', 'java.lang.RuntimeException', String(err));
    send(res, key, e.status, { RemoteException: { exception: e.exception, javaClassName: e.javaClassName, message: e.message } });
  };

  let dnBase = '';
  const redirect = (r: { path: string; op: string; params: URLSearchParams }): string => {
    const token = randomBytes(12).toString('hex');
    tokens.add(token);
    const q = new URLSearchParams(r.params);
    q.set('op', r.op);
    q.set('namenoderpcaddress', '127.0.0.1:8020');
    q.set('token', token);
    return `${dnBase}/webhdfs/v1${r.path.split('/').map(encodeURIComponent).join('/')}?${q.toString()}`;
  };

  const api: WebHdfsDouble = {
    url: '',
    datanodeUrl: '',
    counts,
    statuses,
    onOp: undefined,
    isFile: (path) => lookup(path)?.type === 'FILE',
    files: () => {
      const out: string[] = [];
      const walk = (d: DirNode, at: string): void => {
        for (const [name, n] of d.children) (n.type === 'FILE' ? out.push(`${at}/${name}`) : walk(n, `${at}/${name}`));
      };
      walk(root, '');
      return out.sort();
    },
    count: (key) => counts.get(key) ?? 0,
    close: async () => {
      for (const s of [namenode, datanode]) {
        s.closeAllConnections();
        await new Promise<void>((resolve) => s.close(() => resolve()));
      }
    },
  };

  const namenode = createServer((req, res) => {
    let key = 'namenode:?';
    void (async () => {
      try {
        const r = parse(req, 'namenode');
        key = r.key;
        const body = await readBody(req);
        api.onOp?.(r.op, r.path, r.params);
        const m = req.method;
        if (r.op === 'CREATE' && m === 'PUT') {
          // The real namenode only picks a datanode; data sent here would be lost.
          if (body.length > 0) throw badArg('the namenode takes no data: follow the 307 redirect to a datanode');
          return send(res, key, 307, undefined, { location: redirect(r) });
        }
        if (r.op === 'OPEN' && m === 'GET') {
          if (lookup(r.path)?.type !== 'FILE') throw notFound(r.path);
          return send(res, key, 307, undefined, { location: redirect({ ...r, params: new URLSearchParams({ ...Object.fromEntries(r.params), offset: r.params.get('offset') ?? '0' }) }) });
        }
        if (r.op === 'MKDIRS' && m === 'PUT') {
          mkdirs(r.path);
          return send(res, key, 200, { boolean: true });
        }
        if (r.op === 'RENAME' && m === 'PUT') {
          const dest = r.params.get('destination') ?? '';
          if (!dest.startsWith('/')) throw badArg(`Invalid value for webhdfs parameter "destination": ${dest} is not an absolute path`);
          const [sp, sname] = parentAndName(r.path);
          const src = sp?.children.get(sname);
          let [dp, dname] = parentAndName(dest);
          const d = lookup(dest);
          if (d?.type === 'DIRECTORY') [dp, dname] = [d, sname]; // HDFS moves into an existing directory
          const ok = !!sp && !!src && !!dp && !dp.children.has(dname) && dest !== r.path;
          if (ok && sp && src && dp) {
            sp.children.delete(sname);
            dp.children.set(dname, src);
          }
          return send(res, key, 200, { boolean: ok });
        }
        if (r.op === 'DELETE' && m === 'DELETE') {
          const [p, name] = parentAndName(r.path);
          const n = p?.children.get(name);
          if (!p || !n) return send(res, key, 200, { boolean: false });
          if (n.type === 'DIRECTORY' && n.children.size > 0 && r.params.get('recursive') !== 'true') {
            throw new HdfsError(403, 'PathIsNotEmptyDirectoryException', 'org.apache.hadoop.fs.PathIsNotEmptyDirectoryException', `\`${r.path} is non empty': Directory is not empty`);
          }
          p.children.delete(name);
          return send(res, key, 200, { boolean: true });
        }
        if (r.op === 'GETFILESTATUS' && m === 'GET') {
          const n = lookup(r.path);
          if (!n) throw notFound(r.path);
          return send(res, key, 200, { FileStatus: fileStatus('', n) });
        }
        if (r.op === 'LISTSTATUS' && m === 'GET') {
          const n = lookup(r.path);
          if (!n) throw notFound(r.path);
          const list = n.type === 'FILE' ? [fileStatus('', n)] : [...n.children.keys()].sort().map((k) => fileStatus(k, n.children.get(k)!));
          return send(res, key, 200, { FileStatuses: { FileStatus: list } });
        }
        throw badArg(`Invalid value for webhdfs parameter "op": No enum constant for ${m} op=${r.op}`);
      } catch (err) {
        fail(res, key, err);
      }
    })();
  });

  const nnPort = await listen(namenode);
  const dnPort = await listen(datanode);
  dnBase = `http://127.0.0.1:${dnPort}`;
  return Object.assign(api, { url: `http://127.0.0.1:${nnPort}`, datanodeUrl: dnBase });
}
