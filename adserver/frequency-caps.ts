import { LRUCache } from 'lru-cache';

/** What one device saw: parallel arrays, one slot per line item it was shown. */
interface DeviceCaps {
  /** Line item ids (stable across index rebuilds, unlike positions). */
  li: string[];
  count: number[];
  since: number[];
}

/**
 * Per-device frequency caps in bounded memory: at most `maxDevices` devices are remembered
 * (least recently seen ones are forgotten first). Windows are fixed, starting at the first
 * impression in them.
 */
export class FrequencyCaps {
  private readonly devices: LRUCache<string, DeviceCaps>;

  constructor(maxDevices: number) {
    this.devices = new LRUCache<string, DeviceCaps>({ max: maxDevices });
  }

  get size(): number {
    return this.devices.size;
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
    let rec = this.devices.get(device);
    if (!rec) {
      rec = { li: [], count: [], since: [] };
      this.devices.set(device, rec);
    }
    const i = rec.li.indexOf(li);
    if (i < 0) {
      rec.li.push(li);
      rec.count.push(1);
      rec.since.push(now);
    } else if (now - rec.since[i]! >= windowMs) {
      rec.count[i] = 1;
      rec.since[i] = now;
    } else {
      rec.count[i]! += 1;
    }
  }
}
