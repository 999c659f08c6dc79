/**
 * Disguised spellings of one request path, as an attacker would send them to slip past a check
 * that reads the raw URL: percent-encoded letters and slashes, other case, doubled and trailing
 * slashes, dot segments (plain and encoded). `rawRequest` sends a path byte for byte (fetch
 * would normalise the dot segments away before they reach the server).
 */
import { request } from 'node:http';

export interface Variant {
  kind: 'percent' | 'percent-all' | 'upper' | 'double-slash' | 'trailing-slash' | 'dot' | 'encoded-dot' | 'encoded-slash';
  path: string;
}

const pctFirstLetter = (seg: string): string => seg.replace(/[a-z]/i, (c) => `%${c.charCodeAt(0).toString(16)}`);
const pctAll = (seg: string): string => [...seg].map((c) => (/[a-z]/i.test(c) ? `%${c.charCodeAt(0).toString(16).toUpperCase()}` : c)).join('');

/** Variants of `url` (path plus optional query); the query is kept as it is. */
export function disguise(url: string): Variant[] {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const query = q < 0 ? '' : url.slice(q);
  const segs = path.split('/').slice(1);
  const join = (s: string[]) => '/' + s.join('/') + query;
  const [first = '', ...rest] = segs;
  return [
    { kind: 'percent', path: join(segs.map(pctFirstLetter)) },
    { kind: 'percent-all', path: join([pctAll(first), ...rest]) },
    { kind: 'upper', path: join(segs.map((s) => s.toUpperCase())) },
    { kind: 'double-slash', path: '/' + segs.join('//') + query },
    { kind: 'trailing-slash', path: join([...segs, '']) },
    { kind: 'dot', path: join([first, '.', 'x', '..', ...rest]) },
    { kind: 'encoded-dot', path: join(['static', '%2e%2e', ...segs]) },
    { kind: 'encoded-slash', path: '/' + [first, rest.join('%2F')].filter(Boolean).join('/') + query },
  ];
}

export interface RawAnswer {
  status: number;
  type: string;
  body: string;
}

/** One HTTP request with the path sent exactly as given. */
export function rawRequest(base: string, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<RawAnswer> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, method, path, headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}
