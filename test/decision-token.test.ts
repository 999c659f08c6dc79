import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mac, signDecision, verifyDecision } from '../common/decision-token.js';

test('the decision MAC is HMAC-SHA256 byte for byte, whatever the secret and payload', () => {
  const secrets = ['bench-secret-0123456789', 'k', 'x'.repeat(64), 'y'.repeat(65), 'sécret-with-ünicode', '\u0000\u007f edge'];
  const payloads = ['', 'a,b,c', 'd1,app_1,slot_1,dev,1764600000000,1764603600000,cmp,cr,li,https%3A%2F%2Fa.example', 'é€😀 device', 'z'.repeat(5000)];
  for (const secret of secrets) {
    for (const payload of payloads) {
      const want = createHmac('sha256', secret).update(payload).digest('base64url').slice(0, 22);
      assert.equal(mac(secret, payload), want, `secret of ${secret.length}, payload of ${payload.length}`);
    }
  }
});

test('a token signed with one secret verifies with it and is forged under another', () => {
  const now = Date.now();
  const token = signDecision({ d: 'dec-1', app: 'app_1', slot: 'slot_1', campaign: 'cmp', creative: 'cr', line_item: 'li', device: 'dev', iat: now, exp: now + 60_000, url: 'https://a.example/x' }, 'secret-a');
  assert.equal(verifyDecision(token, 'secret-a', now).ok, true);
  const other = verifyDecision(token, 'secret-b', now);
  assert.equal(other.ok, false);
  assert.equal(!other.ok && other.reason, 'forged');
});
