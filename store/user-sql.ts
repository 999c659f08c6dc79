/**
 * Users and API keys (store/users.ts), written once for both backends against the shared
 * executor. E-mails are stored lower-cased, so the UNIQUE index is case-insensitive in both.
 */
import { conflict, invalid, notFound, StoreError, StoreErrorCode } from './errors.js';
import type { Row } from './rows.js';
import type { SqlAccess } from './sql-store.js';
import { hashAppKey, newAppKey, newId } from './store.js';
import type { ApiKeyInfo, NewApiKey, NewUser, Role, User, UserStore } from './users.js';

const COLUMNS = 'id, email, role, publisher_id, advertiser_id, created_at';
const SQL = {
  insert: `INSERT INTO users (${COLUMNS}, password_hash) VALUES (?, ?, ?, ?, ?, ?, ?)`,
  byId: `SELECT ${COLUMNS} FROM users WHERE id = ?`,
  byEmail: `SELECT ${COLUMNS}, password_hash FROM users WHERE email = ?`,
  list: `SELECT ${COLUMNS} FROM users ORDER BY email`,
  delete: 'DELETE FROM users WHERE id = ?',
  insertKey: 'INSERT INTO api_keys (hash, user_id, created_at, id, expires_at) VALUES (?, ?, ?, ?, ?)',
  userForKey: `SELECT ${COLUMNS.split(', ').map((c) => `u.${c}`).join(', ')} FROM api_keys k JOIN users u ON u.id = k.user_id
    WHERE k.hash = ? AND (k.expires_at IS NULL OR k.expires_at > ?)`,
  listKeys: 'SELECT id, created_at, expires_at FROM api_keys WHERE user_id = ? ORDER BY created_at DESC, id',
  revokeKey: 'DELETE FROM api_keys WHERE user_id = ? AND id = ?',
  publisher: 'SELECT id FROM publishers WHERE id = ?',
  advertiser: 'SELECT id FROM advertisers WHERE id = ?',
} as const;
const ROLES: readonly Role[] = ['admin', 'publisher', 'advertiser'];
const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,190}$/;

function fromRow(r: Row): User {
  return {
    id: String(r.id),
    email: String(r.email),
    role: String(r.role) as Role,
    publisher_id: r.publisher_id == null ? null : String(r.publisher_id),
    advertiser_id: r.advertiser_id == null ? null : String(r.advertiser_id),
    created_at: Number(r.created_at),
  };
}

export class UserSql implements UserStore {
  constructor(private readonly db: SqlAccess) {}

  async createUser(u: NewUser): Promise<User> {
    const problems: string[] = [];
    const email = typeof u.email === 'string' ? u.email.trim().toLowerCase() : '';
    if (!EMAIL.test(email)) problems.push(`email: expected an e-mail address, got ${JSON.stringify(u.email)}`);
    if (typeof u.password_hash !== 'string' || u.password_hash.length < 16) problems.push('password_hash: expected a password hash');
    if (!ROLES.includes(u.role)) problems.push(`role: expected one of ${ROLES.join(', ')}, got ${JSON.stringify(u.role)}`);
    const publisher = u.role === 'publisher' ? (u.publisher_id ?? null) : null;
    const advertiser = u.role === 'advertiser' ? (u.advertiser_id ?? null) : null;
    if (u.role === 'publisher' && !publisher) problems.push('publisher_id: a publisher user needs its publisher');
    if (u.role === 'advertiser' && !advertiser) problems.push('advertiser_id: an advertiser user needs its advertiser');
    if (problems.length > 0) throw invalid('user', problems);
    const user: User = { id: u.id ?? newId('usr_'), email, role: u.role, publisher_id: publisher, advertiser_id: advertiser, created_at: Date.now() };
    try {
      await this.db.transaction('write', async (x) => {
        if (publisher && (await x.all(SQL.publisher, [publisher])).length === 0) throw notFound('publisher', publisher);
        if (advertiser && (await x.all(SQL.advertiser, [advertiser])).length === 0) throw notFound('advertiser', advertiser);
        await x.run(SQL.insert, [user.id, email, user.role, publisher, advertiser, user.created_at, u.password_hash]);
      });
    } catch (err) {
      if (err instanceof StoreError && err.code === StoreErrorCode.CONFLICT) throw conflict(`a user with e-mail ${JSON.stringify(email)} already exists`, err);
      throw err;
    }
    return user;
  }

  async getUser(id: string): Promise<User | undefined> {
    const rows = await this.db.query((x) => x.all(SQL.byId, [id]));
    return rows[0] ? fromRow(rows[0]) : undefined;
  }

  async userByEmail(email: string): Promise<(User & { password_hash: string }) | undefined> {
    const rows = await this.db.query((x) => x.all(SQL.byEmail, [String(email).trim().toLowerCase()]));
    return rows[0] ? { ...fromRow(rows[0]), password_hash: String(rows[0].password_hash) } : undefined;
  }

  async listUsers(): Promise<User[]> {
    return (await this.db.query((x) => x.all(SQL.list))).map(fromRow);
  }

  async deleteUser(id: string): Promise<void> {
    const n = await this.db.transaction('write', (x) => x.run(SQL.delete, [id]));
    if (n === 0) throw notFound('user', id);
  }

  async createApiKey(userId: string, expiresAt: number | null = null): Promise<NewApiKey> {
    if (expiresAt !== null && !Number.isSafeInteger(expiresAt)) throw invalid('api key', [`expires_at: expected epoch ms, got ${JSON.stringify(expiresAt)}`]);
    const key = 'sk_' + newAppKey().slice(3);
    const out: NewApiKey = { key, id: newId('key_'), created_at: Date.now(), expires_at: expiresAt };
    await this.db.transaction('write', async (x) => {
      if ((await x.all(SQL.byId, [userId])).length === 0) throw notFound('user', userId);
      await x.run(SQL.insertKey, [hashAppKey(key), userId, out.created_at, out.id, expiresAt]);
    });
    return out;
  }

  async listApiKeys(userId: string): Promise<ApiKeyInfo[]> {
    const rows = await this.db.query((x) => x.all(SQL.listKeys, [userId]));
    return rows.map((r) => ({ id: String(r.id), created_at: Number(r.created_at), expires_at: r.expires_at == null ? null : Number(r.expires_at) }));
  }

  async revokeApiKey(userId: string, keyId: string): Promise<void> {
    const n = await this.db.transaction('write', (x) => x.run(SQL.revokeKey, [userId, keyId]));
    if (n === 0) throw notFound('api key', keyId);
  }

  async userForApiKey(key: string, now = Date.now()): Promise<User | undefined> {
    if (typeof key !== 'string' || key.length > 128) return undefined;
    const rows = await this.db.query((x) => x.all(SQL.userForKey, [hashAppKey(key), now]));
    return rows[0] ? fromRow(rows[0]) : undefined;
  }
}
