import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';

/**
 * Which app an upload key belongs to. Until apps exist, every key is accepted (the SDK's first
 * runs in development); once keys are known, an unknown key is refused with 401. Keys are kept
 * hashed in memory, loaded from the report store (refreshed every few seconds) or a file.
 */
export class AppKeys {
  private readonly byHash = new Map<string, string>();

  get enforcing(): boolean {
    return this.byHash.size > 0;
  }

  static hash(key: string): string {
    return createHash('sha256').update(key).digest('base64url');
  }

  /** Replaces every key with the store's hashes (same SHA-256 base64url as `hash`). */
  replaceHashes(rows: readonly { hash: string; app_id: string }[]): void {
    this.byHash.clear();
    for (const r of rows) this.byHash.set(r.hash, r.app_id);
  }

  set(key: string, appId: string): void {
    this.byHash.set(AppKeys.hash(key), appId);
  }

  /** The app of a key; undefined for an unknown key. */
  appOf(key: string): string | undefined {
    return this.byHash.get(AppKeys.hash(key));
  }

  /** Loads `world.json` from `sluice sim` ({ apps: [{ app_id, app_key }] }) or a { key: app_id } map. */
  static fromFile(path: string): AppKeys {
    const keys = new AppKeys();
    const j = JSON.parse(readFileSync(path, 'utf8')) as { apps?: { app_id: string; app_key: string }[] } & Record<string, unknown>;
    if (Array.isArray(j.apps)) for (const a of j.apps) keys.set(a.app_key, a.app_id);
    else for (const [k, v] of Object.entries(j)) if (typeof v === 'string') keys.set(k, v);
    return keys;
  }
}
