import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { describe, test } from 'node:test';
import { DAY_MS, MINUTE_MS } from '../common/time.js';
import { fleet } from './helpers/fleet.js';
import { readUploads, recount } from './helpers/recount.js';

/** Generates, recounts from the files, and removes the files. */
async function measured(over: Parameters<typeof fleet>[0]) {
  const f = await fleet(over);
  try {
    const uploads = readUploads(f.dir);
    return { uploads, rc: recount(uploads), truth: f.truth };
  } finally {
    rmSync(f.dir, { recursive: true, force: true });
  }
}

describe('the fleet follows its options', () => {
  // Stated tolerance: the share of events sent more than once is within 2 points of --dup-rate.
  for (const dupRate of [0, 0.1, 0.3]) {
    test(`--dup-rate ${dupRate} sends that share of events more than once, within 2 points`, async () => {
      const { rc } = await measured({ devices: 1500, dupRate });
      const share = rc.sentMoreThanOnce / rc.truthLike.totals.delivered;
      if (dupRate === 0) assert.equal(rc.truthLike.totals.duplicates_sent, 0);
      assert.ok(Math.abs(share - dupRate) <= 0.02, `measured ${share.toFixed(4)} for ${dupRate}`);
    });
  }

  // Stated tolerance: devices with an upload at least a day late are the --offline-rate share
  // (within 4 points) on top of the base rate of crashed apps reopened days later; nothing is
  // later than --max-offline-days plus the longest device life (28 days).
  test('--offline-rate and --max-offline-days set how many devices come late, and how late', async () => {
    const base = await measured({ devices: 1500, offlineRate: 0, dupRate: 0 });
    const late = await measured({ devices: 1500, offlineRate: 0.2, maxOfflineDays: 100, dupRate: 0 });
    const share = (m: typeof base) => [...m.rc.deviceMaxLateMs.values()].filter((ms) => ms >= DAY_MS).length / m.rc.devices;
    const baseShare = share(base);
    const lateShare = share(late);
    assert.ok(baseShare < 0.1, `base share ${baseShare}`);
    assert.ok(lateShare >= 0.2 - 0.04 && lateShare <= 0.2 + baseShare + 0.04, `late share ${lateShare} (base ${baseShare})`);
    const maxDays = (m: typeof base) => Math.max(...m.rc.deviceMaxLateMs.values()) / DAY_MS;
    assert.ok(maxDays(base) <= 28, `no offline devices: at most a device life late, got ${maxDays(base)}`);
    assert.ok(maxDays(late) > 60 && maxDays(late) <= 128, `up to 100 days offline: got ${maxDays(late)}`);
    const short = await measured({ devices: 600, offlineRate: 0.3, maxOfflineDays: 5, dupRate: 0 });
    assert.ok(maxDays(short) <= 5 + 28, `--max-offline-days 5: got ${maxDays(short)}`);
  });

  test('--legacy-rate and --skew-rate set the share of devices without event ids and with wrong clocks, within 3 points', async () => {
    const { uploads, rc } = await measured({ devices: 2000, legacyRate: 0.1, skewRate: 0.15 });
    const legacy = new Set<string>();
    const skewed = new Set<string>();
    for (const { body, receivedAt } of uploads) {
      const dev = String(body.device.device_id);
      if (body.events.some((e) => e.event_id === undefined)) legacy.add(dev);
      if (Math.abs(receivedAt - body.sent_at!) >= 5 * MINUTE_MS) skewed.add(dev);
    }
    assert.ok(Math.abs(legacy.size / rc.devices - 0.1) <= 0.03, `legacy ${legacy.size / rc.devices}`);
    assert.ok(Math.abs(skewed.size / rc.devices - 0.15) <= 0.03, `skewed ${skewed.size / rc.devices}`);
  });

  test('--loss-rate makes some devices lose events, which shows as sequence gaps', async () => {
    const none = await measured({ devices: 500, lossRate: 0 });
    const some = await measured({ devices: 500, lossRate: 0.3 });
    assert.equal(none.rc.truthLike.totals.lost_on_device, 0);
    assert.ok(some.rc.truthLike.totals.lost_on_device > 100);
    assert.equal(some.rc.truthLike.totals.lost_on_device, some.truth.totals.lost_on_device);
  });
});
