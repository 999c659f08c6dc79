import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAdRequest, parseQuery } from '../adserver/request.js';

test('an ad request reads device fields, custom key-values, and local day-parting from tz', () => {
  const sundayLate = Date.UTC(2026, 10, 22, 23, 30);
  const r = parseAdRequest(parseQuery('app=a&slot=s&device=d%201&platform=ios&os=17.2&w=1179&h=2556&country=us&tz=60&genre=puzzle&n=2'), sundayLate);
  assert.equal(r.device, 'd 1');
  assert.equal(r.n, 2);
  assert.deepEqual([r.ctx.hour, r.ctx.weekday, r.ctx.country, r.ctx.screen_w], [0, 'mon', 'US', 1179]);
  assert.deepEqual(r.ctx.kv, { genre: 'puzzle' });
  const utc = parseAdRequest(parseQuery('app=a&slot=s&device=d'), sundayLate);
  assert.deepEqual([utc.ctx.hour, utc.ctx.weekday], [23, 'sun']);
});

test('an ad request with missing or invalid parameters is refused with the reason', () => {
  assert.throws(() => parseAdRequest(parseQuery('slot=s'), 0), /missing query parameters: app, device/);
  assert.throws(() => parseAdRequest(parseQuery('app=a&slot=s&device=d&platform=palm'), 0), /platform must be ios or android/);
  assert.throws(() => parseAdRequest(parseQuery('app=a&slot=s&device=d&country=USA'), 0), /2-letter/);
  assert.throws(() => parseAdRequest(parseQuery('app=a&slot=s&device=d&n=99'), 0, 5), /n must be a whole number from 1 to 5/);
  assert.throws(() => parseQuery('app=%E0%A4%A'), { code: 'ADS_ERR_BAD_REQUEST' });
});
