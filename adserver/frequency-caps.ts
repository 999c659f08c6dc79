/**
 * What one device saw of one line item; `next` holds the device's other line items. One object
 * for the common device that saw one capped line item (parallel arrays were four objects, and
 * every new device's record survives young-generation collection: fewer objects, shorter pauses).
 */
interface DeviceCaps {
  /** The line item's id (stable across index rebuilds, unlike positions). */
  li: string;
  count: number;
  since: number;
  next: DeviceCaps | null;
}

/**
 * Estimated heap bytes of one remembered device, measured on Node 20 (1M devices, one line item
 * each: 85 bytes for the map entry and record), 1 to 2 per character of the id (2 counted: a
 * two-byte string), and LINE_ITEM_BYTES per further line item (an object of four fields).
 */
const ENTRY_BYTES = 96;
const LINE_ITEM_BYTES = 40;
function sizeOf(rec: DeviceCaps, device: string): number {
  let n = ENTRY_BYTES + 2 * device.length;
  for (let r = rec.next; r !== null; r = r.next) n += LINE_ITEM_BYTES;
  return n;
}

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

  /** The device's entry for line item `li`, if it saw it. */
  static entry(rec: DeviceCaps | undefined, li: string): DeviceCaps | undefined {
    for (let r: DeviceCaps | null | undefined = rec; r; r = r.next) if (r.li === li) return r;
    return undefined;
  }

  /** Whether the device may see line item `li` again under its cap. */
  static allows(rec: DeviceCaps | undefined, li: string, cap: number, windowMs: number, now: number): boolean {
    if (cap <= 0 || rec === undefined) return true;
    const e = FrequencyCaps.entry(rec, li);
    if (e === undefined || now - e.since >= windowMs) return true;
    return e.count < cap;
  }

  record(device: string, li: string, windowMs: number, now: number): void {
    const rec = this.lookup(device);
    if (rec === undefined) {
      this.put(device, { li, count: 1, since: now, next: null });
      return;
    }
    const e = FrequencyCaps.entry(rec, li);
    if (e === undefined) {
      // After the head: the map keeps pointing at the same record.
      rec.next = { li, count: 1, since: now, next: rec.next };
      if (this.young.get(device) === rec) this.youngBytes += LINE_ITEM_BYTES;
      else this.oldBytes += LINE_ITEM_BYTES; // the young generation turned over on the way: the record is old now
    } else if (now - e.since >= windowMs) {
      e.count = 1;
      e.since = now;
    } else {
      e.count += 1;
    }
  }
}
