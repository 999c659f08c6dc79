import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { envName, kebab, loadConfig } from '../common/config.js';
import { ConfigError } from '../common/errors.js';
import { simSpec } from '../sdk-mock/options.js';
import { trackingSpec } from '../tracking/options.js';
import { demoSpec } from '../cli/commands/demo.js';
import { adserverSpec } from '../adserver/options.js';
import { pipelineSpec } from '../pipeline/options.js';
import { uiSpec } from '../reporting-ui/options.js';
import { jobsSpec } from '../jobs/options.js';

describe('configuration', () => {
  test('takes flags over SLUICE_* variables over defaults, converts types and freezes the result', () => {
    const cfg = loadConfig(simSpec, ['--devices', '50', '--dup-rate=0.25', '--no-progress', '--out', '/tmp/x'], { SLUICE_DEVICES: '7', SLUICE_SEED: '9' });
    assert.equal(cfg.devices, 50);
    assert.equal(cfg.dupRate, 0.25);
    assert.equal(cfg.seed, 9);
    assert.equal(cfg.progress, false);
    assert.equal(cfg.days, 14);
    assert.deepEqual(cfg.positionals, []);
    assert.deepEqual(loadConfig(jobsSpec, ['run', 'events']).positionals, ['run', 'events']);
    assert.ok(Object.isFrozen(cfg));
    assert.throws(() => {
      (cfg as { devices: number }).devices = 1;
    }, TypeError);
  });

  test('refuses a stray argument instead of ignoring it: `--fleet false` would have left fleet pacing on', () => {
    assert.throws(() => loadConfig(adserverSpec, ['--fleet', 'false'], {}), (err: unknown) => err instanceof ConfigError && err.code === 'CFG_ERR_INVALID' && /unexpected argument "false"/.test(err.message));
    assert.equal(loadConfig(adserverSpec, ['--no-fleet'], {}).fleet, false);
    assert.throws(() => loadConfig(jobsSpec, ['run', 'events', 'again'], {}), /unexpected argument "again"/);
  });

  test('stops with one message that lists every problem', () => {
    try {
      loadConfig(simSpec, ['--devices', 'many', '--dup-rate', '2', '--wat', '--start', '2026-02-30'], { SLUICE_DAYS: '-1' });
      assert.fail('should throw');
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.code, 'CFG_ERR_INVALID');
      assert.equal(err.problems.length, 6, err.message);
      for (const bit of ['--wat', '--devices', '--dup-rate', '--days (SLUICE_DAYS)', '--start', '--out']) assert.ok(err.message.includes(bit), `mentions ${bit}`);
    }
  });

  test('refuses a bad tracking and lake configuration with every problem at once', () => {
    try {
      loadConfig(trackingSpec, ['--port', '70000', '--lake', 's3', '--beacon-secret', 'short'], {});
      assert.fail('should throw');
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      for (const bit of ['--port', '--beacon-secret', '--s3-bucket']) assert.ok(err.message.includes(bit), `mentions ${bit}: ${err.message}`);
    }
  });

  test('refuses a bad jobs schedule and backfill range with every problem at once', () => {
    try {
      loadConfig(jobsSpec, ['--schedule', 'every tuesday', '--from', '2026-02-30', '--threads', '-1'], {});
      assert.fail('should throw');
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.problems.length, 3, err.message);
      for (const bit of ['--schedule', '--from', '--threads']) assert.ok(err.message.includes(bit), `mentions ${bit}: ${err.message}`);
    }
    assert.throws(() => loadConfig(jobsSpec, ['--from', '2026-02-03', '--to', '2026-02-01'], {}), /after --to/);
  });

  test('refuses a pipeline lease renewed less than twice per lease, or too short, with every problem at once', () => {
    try {
      loadConfig(pipelineSpec, ['--lease-ms', '1000', '--lease-renew-ms', '600'], {});
      assert.fail('should throw');
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.problems.length, 1, err.message);
      assert.match(err.message, /--lease-renew-ms: 600 is more than half of --lease-ms \(1000\)/);
    }
    assert.throws(() => loadConfig(pipelineSpec, ['--lease-ms', '100'], {}), /--lease-ms/);
    const ok = loadConfig(pipelineSpec, ['--lease-ms', '1000', '--lease-renew-ms', '500'], {});
    assert.deepEqual([ok.leaseMs, ok.leaseRenewMs], [1000, 500]);
    assert.deepEqual([loadConfig(pipelineSpec, [], {}).leaseMs, loadConfig(pipelineSpec, [], {}).leaseRenewMs], [30_000, 10_000]);
  });

  test('refuses a bad reporting UI configuration with every problem at once', () => {
    try {
      loadConfig(uiSpec, ['--tracking-url', 'tracking:8081', '--metrics-urls', 'adserver=http://127.0.0.1:8082/metrics,nonsense', '--admin-email', 'a@b.example', '--port', '70000'], {});
      assert.fail('should throw');
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      for (const bit of ['--tracking-url', "'nonsense' is not name=url", '--admin-email and --admin-password go together', 'port']) assert.ok(err.message.includes(bit), `mentions ${bit}: ${err.message}`);
    }
    const ok = loadConfig(uiSpec, ['--metrics-urls', 'adserver=http://127.0.0.1:8082/metrics'], {});
    assert.equal(ok.port, 8080);
    assert.ok(Object.isFrozen(ok));
  });

  test('names every option the same way as flag and variable', () => {
    assert.equal(kebab('maxOfflineDays'), 'max-offline-days');
    assert.equal(envName('maxOfflineDays'), 'SLUICE_MAX_OFFLINE_DAYS');
  });

  test('every option of every command is documented in the README', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    for (const key of [simSpec, trackingSpec, adserverSpec, pipelineSpec, jobsSpec, demoSpec].flatMap((spec) => Object.keys(spec.schema.properties))) {
      assert.ok(readme.includes(`\`--${kebab(key)}\``), `README lists --${kebab(key)}`);
      assert.ok(readme.includes(envName(key)), `README lists ${envName(key)}`);
    }
  });
});
