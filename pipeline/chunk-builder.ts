import type { EventRow } from './row.js';
import type { IntColumn, RowChunk, StrColumn, TextColumn } from './row-columns.js';

/** Buffer's undocumented but stable utf8Write skips write()'s argument checks. */
type Utf8Buffer = Buffer & { utf8Write(s: string, at: number): number };

/** A string column being filled: an id per row, each distinct value once. */
class StrBuilder {
  ids = EMPTY_I32;
  readonly dict: (string | null)[] = [null];
  /** null: (nearly) unique values, where only a repeat of the previous row's value shares its id. */
  private readonly seen: Map<string, number> | null;
  private prev: string | null = null;
  private prevId = 0;

  constructor(unique: boolean) {
    this.seen = unique ? null : new Map();
  }

  add(i: number, v: string | null): void {
    if (v === null) {
      this.ids[i] = 0;
      return;
    }
    // Rows of one upload share their context: the previous row's id, without a map look-up.
    if (v === this.prev) {
      this.ids[i] = this.prevId;
      return;
    }
    let id = this.seen?.get(v);
    if (id === undefined) {
      id = this.dict.push(v) - 1;
      this.seen?.set(v, id);
    }
    this.ids[i] = this.prevId = id;
    this.prev = v;
  }
}

/** A text column being filled: UTF-8 written in place. */
class TextBuilder {
  bytes: Utf8Buffer;
  offsets = EMPTY_I32;
  valid = new Uint8Array(0);
  private p = 0;

  constructor(bytes: number) {
    this.bytes = Buffer.allocUnsafeSlow(bytes) as Utf8Buffer;
  }

  add(i: number, v: string | null): void {
    if (v !== null) {
      this.valid[i] = 1;
      if (this.p + v.length * 3 > this.bytes.length) {
        const grown = Buffer.allocUnsafeSlow(Math.max(2 * this.bytes.length, this.p + v.length * 3)) as Utf8Buffer;
        this.bytes.copy(grown, 0, 0, this.p);
        this.bytes = grown;
      }
      this.p += this.bytes.utf8Write(v, this.p);
    } else this.valid[i] = 0;
    this.offsets[i + 1] = this.p;
  }

  truncate(n: number): void {
    this.p = this.offsets[n]!;
  }

  done(n: number): TextColumn {
    return { bytes: new Uint8Array(this.bytes.buffer, this.bytes.byteOffset, this.p), offsets: this.offsets.subarray(0, n + 1), valid: this.valid.subarray(0, n) };
  }
}

const EMPTY_I32 = new Int32Array(0);
const INT_NAMES = ['seq', 'ts', 'sent_at', 'received_at', 'event_time', 'frame_offset'] as const;
type IntName = (typeof INT_NAMES)[number];

/** Rows per partition in the previous batch of this thread: the next builder of the partition starts that large (grows were 4% of decode). */
const lastRows = new Map<string, number>();

/**
 * One partition's rows of a decode batch, gathered straight into columns: each row's fields are
 * read with static names (keyed reads over a column list were 60% of the former toChunk) and no
 * row object is kept. `extra` names more string columns (read by name: the rows of tools and tests).
 */
export class ChunkBuilder {
  n = 0;
  private cap = 0;
  private readonly s = {
    app_id: new StrBuilder(false), device_id: new StrBuilder(true), type: new StrBuilder(false), dt: new StrBuilder(false), platform: new StrBuilder(false),
    os_version: new StrBuilder(false), app_version: new StrBuilder(false), device_model: new StrBuilder(false), screen: new StrBuilder(false), country: new StrBuilder(false),
    region: new StrBuilder(false), locale: new StrBuilder(false), slot_id: new StrBuilder(false), campaign_id: new StrBuilder(false), creative_id: new StrBuilder(false),
    line_item_id: new StrBuilder(false), name: new StrBuilder(false), props: new StrBuilder(true), extra: new StrBuilder(true), source: new StrBuilder(false), segment: new StrBuilder(false),
  };
  private readonly t: { dedupe_key: TextBuilder; event_id: TextBuilder };
  private x: Record<IntName, Float64Array> = { seq: new Float64Array(0), ts: new Float64Array(0), sent_at: new Float64Array(0), received_at: new Float64Array(0), event_time: new Float64Array(0), frame_offset: new Float64Array(0) };
  private readonly more: [keyof EventRow, StrBuilder][];

  constructor(readonly part: string, extra: readonly (keyof EventRow)[] = []) {
    this.more = extra.map((c) => [c, new StrBuilder(false)]);
    const cap = Math.max(64, Math.ceil((lastRows.get(part) ?? 0) * 1.25));
    // Keys and ids take about 40 and 36 bytes a row.
    this.t = { dedupe_key: new TextBuilder(cap * 16), event_id: new TextBuilder(cap * 40) };
    this.layout(cap);
  }

  /**
   * Every number column of the chunk as a view of one buffer (one allocation and one transfer per
   * chunk, not ~35), `cap` rows long; the rows so far are copied over when it grows.
   */
  private layout(cap: number): void {
    const strs = [...Object.values(this.s), ...this.more.map(([, b]) => b)];
    const slab = new ArrayBuffer(cap * (8 * INT_NAMES.length + 4 * strs.length) + 2 * (4 * (cap + 1) + cap));
    let at = 0;
    const view = <T extends Float64Array | Int32Array | Uint8Array>(Ctor: new (b: ArrayBuffer, o: number, n: number) => T, bytes: number, n: number, old: T): T => {
      const v = new Ctor(slab, at, n);
      v.set(old.subarray(0, Math.min(old.length, this.n + 1)));
      at += n * bytes;
      return v;
    };
    const x = this.x;
    for (const k of INT_NAMES) x[k] = view(Float64Array, 8, cap, x[k]);
    for (const b of strs) b.ids = view(Int32Array, 4, cap, b.ids);
    for (const b of Object.values(this.t)) b.offsets = view(Int32Array, 4, cap + 1, b.offsets);
    for (const b of Object.values(this.t)) b.valid = view(Uint8Array, 1, cap, b.valid);
    this.cap = cap;
  }

  private grow(): void {
    this.layout(this.cap * 2);
  }

  add(r: EventRow): void {
    if (this.n === this.cap) this.grow();
    const i = this.n++;
    const s = this.s;
    s.app_id.add(i, r.app_id);
    s.device_id.add(i, r.device_id);
    s.type.add(i, r.type);
    s.dt.add(i, r.dt);
    s.platform.add(i, r.platform);
    s.os_version.add(i, r.os_version);
    s.app_version.add(i, r.app_version);
    s.device_model.add(i, r.device_model);
    s.screen.add(i, r.screen);
    s.country.add(i, r.country);
    s.region.add(i, r.region);
    s.locale.add(i, r.locale);
    s.slot_id.add(i, r.slot_id);
    s.campaign_id.add(i, r.campaign_id);
    s.creative_id.add(i, r.creative_id);
    s.line_item_id.add(i, r.line_item_id);
    s.name.add(i, r.name);
    s.props.add(i, r.props);
    s.extra.add(i, r.extra);
    s.source.add(i, r.source);
    s.segment.add(i, r.segment);
    this.t.dedupe_key.add(i, r.dedupe_key);
    this.t.event_id.add(i, r.event_id);
    const x = this.x;
    // NaN is null (every integer we store is below 2^53).
    x.seq[i] = r.seq === null ? Number.NaN : r.seq;
    x.ts[i] = r.ts;
    x.sent_at[i] = r.sent_at === null ? Number.NaN : r.sent_at;
    x.received_at[i] = r.received_at;
    x.event_time[i] = r.event_time;
    x.frame_offset[i] = r.frame_offset;
    for (const [c, b] of this.more) b.add(i, r[c] as string | null);
  }

  /** Takes rows back: the chunk holds its first n rows again. */
  truncate(n: number): void {
    this.n = n;
    this.t.dedupe_key.truncate(n);
    this.t.event_id.truncate(n);
  }

  /** The values of one string column so far (ids past n are not rows). */
  values(column: 'app_id' | 'campaign_id' | 'creative_id'): readonly (string | null)[] {
    return this.s[column].dict;
  }

  /** The chunk: views of exactly n rows (their buffers move across threads whole). */
  done(): RowChunk {
    const n = this.n;
    if (lastRows.size > 100_000) lastRows.clear(); // a hint, bounded in a long-lived worker
    lastRows.set(this.part, n);
    const str: Record<string, StrColumn> = {};
    for (const [c, b] of Object.entries(this.s)) str[c] = { ids: b.ids.subarray(0, n), dict: b.dict };
    for (const [c, b] of this.more) str[c] = { ids: b.ids.subarray(0, n), dict: b.dict };
    const text: Record<string, TextColumn> = { dedupe_key: this.t.dedupe_key.done(n), event_id: this.t.event_id.done(n) };
    const int: Record<string, IntColumn> = {};
    for (const [c, a] of Object.entries(this.x)) int[c] = a.subarray(0, n);
    return { part: this.part, n, str, text, int };
  }
}
