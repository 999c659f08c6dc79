/**
 * The people and scripts that read reports: users (with a role and, for publishers and
 * advertisers, the tenant they belong to) and their API keys. Passwords arrive already
 * hashed (the UI hashes with scrypt); API keys are stored as SHA-256 hashes only.
 */
export type Role = 'admin' | 'publisher' | 'advertiser';

export interface User {
  id: string;
  email: string;
  role: Role;
  /** The publisher a 'publisher' user sees; null otherwise. */
  publisher_id: string | null;
  /** The advertiser an 'advertiser' user sees; null otherwise. */
  advertiser_id: string | null;
  created_at: number;
}

export interface NewUser {
  id?: string;
  email: string;
  password_hash: string;
  role: Role;
  publisher_id?: string | null;
  advertiser_id?: string | null;
}

export interface ApiKeyInfo {
  id: string;
  created_at: number;
  /** Epoch ms after which the key is refused; null: no expiry. */
  expires_at: number | null;
}

export interface NewApiKey extends ApiKeyInfo {
  /** The secret, shown once. */
  key: string;
}

export interface UserStore {
  /** STORE_ERR_CONFLICT for a taken e-mail, STORE_ERR_INVALID for a role without its tenant. */
  createUser(u: NewUser): Promise<User>;
  getUser(id: string): Promise<User | undefined>;
  /** The user and its password hash, for log-in; e-mail compared case-insensitively. */
  userByEmail(email: string): Promise<(User & { password_hash: string }) | undefined>;
  listUsers(): Promise<User[]>;
  deleteUser(id: string): Promise<void>;
  /** A new API key for the user (`sk_` + 32 base64url characters), valid until expiresAt (epoch ms) or for ever (null); only its hash is kept. */
  createApiKey(userId: string, expiresAt?: number | null): Promise<NewApiKey>;
  /** The user's keys (never the secret), newest first. */
  listApiKeys(userId: string): Promise<ApiKeyInfo[]>;
  /** Revokes one of the user's keys at once; STORE_ERR_NOT_FOUND when the user has no key of that id. */
  revokeApiKey(userId: string, keyId: string): Promise<void>;
  /** The user an API key belongs to, or undefined (unknown, revoked or expired at `now`). */
  userForApiKey(key: string, now?: number): Promise<User | undefined>;
}
