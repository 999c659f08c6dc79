import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Handoff, StepIO } from '../jobs/workflow.js';

test('a step reads what an earlier step handed over, typed by its key, and a missing handoff is a clear error', () => {
  const files = new Handoff<Map<string, string[]>>('the new files');
  const io = new StepIO();
  assert.throws(() => io.take(files), (e: Error & { code?: string }) => e.code === 'JOB_ERR_UNKNOWN_WORKFLOW' && /the new files/.test(e.message));
  io.put(files, new Map([['app_1', ['a.parquet']]]));
  assert.deepEqual(io.take(files).get('app_1'), ['a.parquet']);
  // Two keys with the same name are still two handoffs.
  assert.throws(() => io.take(new Handoff<Map<string, string[]>>('the new files')));
});
