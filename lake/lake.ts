/**
 * The lake: where sealed segments and Parquet files live. One interface, three real
 * implementations (local directory, S3, WebHDFS). Keys are '/'-separated relative paths
 * such as `segments/host-a-8081/000001.seg`; no leading slash, no `..`.
 */
export interface LakeObject {
  key: string;
  size: number;
}

export interface Lake {
  readonly kind: 'local' | 's3' | 'webhdfs';
  /** Human-readable location, for logs (never includes credentials). */
  readonly location: string;
  /** Stores an object whole or not at all: a reader never sees part of it. Overwrites. */
  put(key: string, data: Uint8Array): Promise<void>;
  /** Reads an object; throws LakeError LAKE_ERR_NOT_FOUND when absent. */
  get(key: string): Promise<Buffer>;
  exists(key: string): Promise<boolean>;
  /** Every object whose key starts with prefix, sorted by key. */
  list(prefix: string): Promise<LakeObject[]>;
  /** Moves an object (the commit step of write-then-rename); overwrites the target. */
  rename(from: string, to: string): Promise<void>;
  /** Removes an object; removing an absent one is not an error. */
  delete(key: string): Promise<void>;
  close(): Promise<void>;
}
