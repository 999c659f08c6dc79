import { LRUCache } from 'lru-cache';

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
 * estimated bytes are remembered (least recently seen ones are forgotten first). Windows are
 * fixed, starting at the first impression in them.
 */
export class FrequencyCaps {
  private readonly devices: LRUCache<string, DeviceCaps>;

  constructor(maxDevices: number, maxBytes = 1024 * 1024 * 1024) {
    this.devices = new LRUCache<string, DeviceCaps>({ max: maxDevices, maxSize: Math.max(1, Math.floor(maxBytes)), sizeCalculation: sizeOf });
  }

  get size(): number {
    return this.devices.size;
  }

  /** Estimated bytes held (what `maxBytes` bounds). */
  get bytes(): number {
    return this.devices.calculatedSize;
  }

  /** The device's record, looked up once per request. */
  lookup(device: string): DeviceCaps | undefined {
    return this.devices.get(device);
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
    const rec = this.devices.get(device);
    if (!rec) {
      // Array literals of one: exact-size backing stores (push on [] reserves 17 slots, 3x the memory).
      this.devices.set(device, { li: [li], count: [1], since: [now] });
      return;
    }
    const i = rec.li.indexOf(li);
    if (i < 0) {
      // A new record of exact-size arrays (push would reserve 16 more slots per array); set
      // again so the cache re-counts its size (it only sizes an entry when set).
      this.devices.set(device, { li: rec.li.concat(li), count: rec.count.concat(1), since: rec.since.concat(now) });
    } else if (now - rec.since[i]! >= windowMs) {
      rec.count[i] = 1;
      rec.since[i] = now;
    } else {
      rec.count[i]! += 1;
    }
  }
}
