/** What one device saw: parallel arrays, one slot per line item it was shown. */
interface DeviceCaps {
  /** Line item ids (stable across index rebuilds, unlike positions). */
  li: string[];
  count: number[];
  since: number[];
}

/**
 * Estimated heap bytes of one remembered device, measured on Node 20 (1M devices): about 270
 * for the cache slot, map entry, record and three one-element arrays, 1 to 2 per character of
 * the id (2 counted: a two-byte string), about 24 per line item in the record.
 */
const ENTRY_BYTES = 272;
const LINE_ITEM_BYTES = 24;
const sizeOf = (rec: DeviceCaps, device: string): number => ENTRY_BYTES + 2 * device.length + LINE_ITEM_BYTES * rec.li.length;

/**
 * Per-device frequency caps in bounded memory: at most `maxDevices` devices and `maxBytes`
 * estimated bytes are remembered. Devices live in two generations of plain Maps: a device seen
 * again moves to the young one; when the young one holds half the budget, the old one (devices
 * not seen since) is forgotten whole and the young one becomes old. That is LRU by halves, at a
 * Map look-up per request: lru-cache's get and sized set were 4.5 us of a 25 us ad request.
 * Windows are fixed, starting at the first impression in them.
 */
export class FrequencyCaps {
  private young = new Map<string, DeviceCaps>();
  private old = new Map<string, DeviceCaps>();
  private youngBytes = 0;
  private oldBytes = 0;
  private readonly halfDevices: number;
  private readonly halfBytes: number;

  constructor(maxDevices: number, maxBytes = 1024 * 1024 * 1024) {
    this.halfDevices = Math.max(1, Math.floor(maxDevices / 2));
    this.halfBytes = Math.max(1, Math.floor(maxBytes / 2));
  }

  get size(): number {
    return this.young.size + this.old.size;
  }

  /** Estimated bytes held (what `maxBytes` bounds). */
  get bytes(): number {
    return this.youngBytes + this.oldBytes;
  }

  /** The device's record, looked up once per request (a device of the old generation moves to the young one). */
  lookup(device: string): DeviceCaps | undefined {
    const rec = this.young.get(device);
    if (rec !== undefined) return rec;
    const was = this.old.get(device);
    if (was === undefined) return undefined;
    this.old.delete(device);
    this.oldBytes -= sizeOf(was, device);
    this.put(device, was);
    return was;
  }

  private put(device: string, rec: DeviceCaps): void {
    this.young.set(device, rec);
    this.youngBytes += sizeOf(rec, device);
    if (this.young.size >= this.halfDevices || this.youngBytes >= this.halfBytes) {
      this.old = this.young;
      this.oldBytes = this.youngBytes;
      this.young = new Map();
      this.youngBytes = 0;
    }
  }

  /** Whether the device may see line item `li` again under its cap. */
  static allows(rec: DeviceCaps | undefined, li: string, cap: number, windowMs: number, now: number): boolean {
    if (cap <= 0 || rec === undefined) return true;
    const i = rec.li.indexOf(li);
    if (i < 0) return true;
    if (now - rec.since[i]! >= windowMs) return true;
    return rec.count[i]! < cap;
  }

  record(device: string, li: string, windowMs: number, now: number): void {
    const rec = this.lookup(device);
    if (rec === undefined) {
      // Array literals of one: exact-size backing stores (push on [] reserves 17 slots, 3x the memory).
      this.put(device, { li: [li], count: [1], since: [now] });
      return;
    }
    const i = rec.li.indexOf(li);
    if (i < 0) {
      // Exact-size arrays again (push would reserve 16 more slots per array); the record is in the young generation (lookup moved it).
      rec.li = rec.li.concat(li);
      rec.count = rec.count.concat(1);
      rec.since = rec.since.concat(now);
      if (this.young.get(device) === rec) this.youngBytes += LINE_ITEM_BYTES;
      else this.oldBytes += LINE_ITEM_BYTES; // the young generation turned over on the way: the record is old now
    } else if (now - rec.since[i]! >= windowMs) {
      rec.count[i] = 1;
      rec.since[i] = now;
    } else {
      rec.count[i]! += 1;
    }
  }
}
