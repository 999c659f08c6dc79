import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ERRORS, errorBody } from '../common/error-codes.js';
import { SluiceError } from '../common/errors.js';
import { TrackingError } from '../tracking/errors.js';
import { AdServerError } from '../adserver/errors.js';
import { ROOT, TABLE_END, TABLE_START, errorTable, scanCodes } from './helpers/error-codes-scan.js';

const registry = new Set(Object.keys(ERRORS));
const scan = scanCodes();
const used = new Set([...scan.named.keys(), ...scan.viaMap]);

describe('the error registry', () => {
  test('every code the production code names or maps is in the registry', () => {
    const unlisted = [...used, ...scan.mapped.keys()].filter((c) => !registry.has(c) && !scan.problems.has(c));
    assert.deepEqual([...new Set(unlisted)], [], `codes thrown or mapped but not in common/error-codes.ts: ${unlisted.join(', ')}`);
  });

  test('every code in the registry is thrown or answered somewhere', () => {
    const never = [...registry].filter((c) => !used.has(c));
    assert.deepEqual(never, [], `codes in common/error-codes.ts that no production code raises: ${never.join(', ')}`);
  });

  test('every code of a tier map is used through the map or by name', () => {
    const idle = [...scan.mapped.keys()].filter((c) => !used.has(c));
    assert.deepEqual(idle, [], `mapped codes nobody raises: ${idle.join(', ')}`);
  });

  test('the README lists every code with its status, as the registry says', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const start = readme.indexOf(TABLE_START);
    const end = readme.indexOf(TABLE_END);
    assert.ok(start >= 0 && end > start, `README.md needs ${TABLE_START} ... ${TABLE_END}`);
    const inReadme = readme.slice(start + TABLE_START.length, end).trim();
    if (process.env.SLUICE_WRITE_README === '1') writeFileSync(join(ROOT, 'README.md'), readme.slice(0, start + TABLE_START.length) + '\n' + errorTable() + '\n' + readme.slice(end));
    assert.equal(inReadme, errorTable(), 'the README error table is stale: run SLUICE_WRITE_README=1 node --test dist/test/errors.test.js');
    for (const c of registry) assert.ok(readme.includes(`\`${c}\``), `${c} is missing from the README`);
  });

  test('an error takes its status and default message from its code, whatever tier raises it', () => {
    const t = new TrackingError('TRK_ERR_BUSY', undefined, undefined, 3);
    assert.equal(t.statusCode, 503);
    assert.equal(t.message, ERRORS.TRK_ERR_BUSY.message);
    assert.equal(t.retryAfter, 3);
    assert.equal(new AdServerError('ADS_ERR_QUERY_TOO_LONG', 'long').statusCode, 414);
    assert.equal(new AdServerError('ADS_ERR_INTERNAL').statusCode, 500);
    const cause = new Error('driver');
    assert.equal(new SluiceError('STORE_ERR_UNAVAILABLE', 'down', undefined, cause).cause, cause);
  });

  test('the error body has one shape, with details only when there are some', () => {
    assert.deepEqual(errorBody(404, 'UI_ERR_NOT_FOUND', 'gone'), { statusCode: 404, code: 'UI_ERR_NOT_FOUND', message: 'gone' });
    assert.deepEqual(errorBody(400, 'TRK_ERR_NO_VALID_EVENTS', 'none', { rejected: [] }), { statusCode: 400, code: 'TRK_ERR_NO_VALID_EVENTS', message: 'none', details: { rejected: [] } });
  });
});
