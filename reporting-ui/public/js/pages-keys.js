// API keys: create (optionally expiring), list and revoke your own keys.
import { api, errorBox, h } from './ui.js';

const when = (ms) => (ms === null ? 'never' : new Date(ms).toISOString().replace('T', ' ').slice(0, 16) + ' UTC');

export async function keysPage(root) {
  const days = h('input', { type: 'number', min: '1', max: '3650', placeholder: 'never', 'data-testid': 'key-expiry-days' });
  const shown = h('div', { 'data-testid': 'new-key' });
  const list = h('div');
  const msg = h('div');
  const refresh = async () => {
    const { api_keys } = await api('/api/me/api-keys');
    const rows = api_keys.map((k) => h('tr', {}, h('td', {}, k.id), h('td', {}, when(k.created_at)), h('td', {}, when(k.expires_at)),
      h('td', {}, h('button', { class: 'secondary', 'data-testid': `revoke-${k.id}`, onclick: async () => {
        try {
          await api(`/api/me/api-keys/${encodeURIComponent(k.id)}`, { method: 'DELETE' });
          shown.replaceChildren();
          await refresh();
        } catch (err) {
          msg.replaceChildren(errorBox(err));
        }
      } }, 'Revoke'))));
    list.replaceChildren(rows.length
      ? h('table', { 'data-testid': 'api-keys' }, h('thead', {}, h('tr', {}, h('th', {}, 'key id'), h('th', {}, 'created'), h('th', {}, 'expires'), h('th', {}, ''))), h('tbody', {}, ...rows))
      : h('p', { class: 'muted' }, 'No API keys yet.'));
  };
  const create = h('form', { class: 'inline', onsubmit: async (e) => {
    e.preventDefault();
    try {
      const body = days.value ? { expires_in_days: Number(days.value) } : {};
      const k = await api('/api/me/api-keys', { method: 'POST', body });
      shown.replaceChildren(h('p', {}, 'Your new key, shown once: send it as ', h('code', {}, 'Authorization: Bearer <key>')), h('pre', {}, k.key));
      msg.replaceChildren();
      await refresh();
    } catch (err) {
      msg.replaceChildren(errorBox(err));
    }
  } }, h('label', {}, 'Expires after (days)', days), h('button', { type: 'submit', 'data-testid': 'create-key' }, 'Create API key'));
  root.append(h('h1', {}, 'API keys'), h('p', { class: 'muted' }, 'Keys act as you in scripts; a revoked or expired key is refused at once.'), create, msg, shown, list);
  await refresh();
}
