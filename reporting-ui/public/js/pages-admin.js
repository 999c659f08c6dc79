// Admin: CRUD for the campaign model and tenants; targeting checked as it is typed, with a slot preview.
import { api, errorBox, h, table } from './ui.js';

const ENTITIES = {
  advertisers: { fields: { name: '' } },
  campaigns: { parent: 'advertiser_id', fields: { advertiser_id: '', name: '', start_at: 'now', end_at: 'now+30d', status: 'active', budget_micros: 0, priority: 5, exclusion_labels: '[]' } },
  'line-items': { parent: 'campaign_id', fields: { campaign_id: '', name: '', start_at: 'now', end_at: 'now+30d', status: 'active', goal_type: 'impressions', goal: 100000, delivery: 'even', country_split: 'null', targeting: '', cap_count: 0, cap_window_ms: 0, cpm_micros: 1000000, slot_ids: '[]' } },
  creatives: { parent: 'line_item_id', fields: { line_item_id: '', name: '', kind: 'image', size: '320x50', payload: 'https://example.com/ad.png', click_url: 'https://example.com', weight: 1 } },
  publishers: { fields: { name: '' } },
  apps: { parent: 'publisher_id', fields: { publisher_id: '', name: '', platform: 'ios', attribution_lookback_days: 7, attribution_model: 'last_touch' } },
  slots: { parent: 'app_id', fields: { app_id: '', name: '', size: '320x50' } },
  users: { fields: { email: '', password: '', role: 'publisher', publisher_id: '', advertiser_id: '' } },
};

function value(k, raw, def) {
  if (raw === 'now') return Date.now();
  if (raw === 'now+30d') return Date.now() + 30 * 86400000;
  // Times are epoch ms; an ISO date-time is taken too.
  if (k.endsWith('_at')) return /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw);
  if (typeof def === 'number') return Number(raw);
  if (['exclusion_labels', 'slot_ids', 'country_split'].includes(k)) return JSON.parse(raw || 'null');
  if (raw === '' && (k === 'publisher_id' || k === 'advertiser_id')) return undefined;
  return raw;
}

export async function adminPage(root, params) {
  const entity = params.get('entity') || 'campaigns';
  const spec = ENTITIES[entity];
  root.append(h('h1', {}, 'Admin'), h('p', { class: 'tabs' }, ...Object.keys(ENTITIES).map((e) => h('a', { href: `#/admin?entity=${e}`, class: e === entity ? 'active' : '' }, e))));
  const msg = h('div', { 'data-testid': 'admin-message' });
  const inputs = {};
  const title = h('h2', {}, `New ${entity.replace(/s$/, '')}`);
  const form = h('div', { class: 'panel', 'data-testid': 'admin-form' }, title);
  // The row being edited (null: the form creates a new one).
  let editing = null;
  const preview = h('div', { 'data-testid': 'targeting-preview' });
  const targetingError = h('div', { class: 'field-error', 'data-testid': 'targeting-error' });
  let timer;
  const checkTargeting = async () => {
    const r = await api('/api/admin/targeting/check', { method: 'POST', body: { targeting: inputs.targeting.value, slot_ids: JSON.parse(inputs.slot_ids.value || '[]') } });
    targetingError.textContent = r.ok ? '' : `${inputs.targeting.value}\n${' '.repeat(r.position)}^ ${r.message}`;
    preview.replaceChildren(r.ok ? table(r.slots.map((s) => ({ slot: s.slot, slot_id: s.slot_id, app: s.app, size: s.size, platform: s.platform, match: s.match, why: s.why })), { testid: 'preview-table' }) : '');
  };
  for (const [k, def] of Object.entries(spec.fields)) {
    const el = k === 'targeting' ? h('textarea', { rows: 2, cols: 60, name: k, 'data-testid': `field-${k}`, oninput: () => (clearTimeout(timer), (timer = setTimeout(() => void checkTargeting(), 250))) }) : h('input', { name: k, value: String(def), 'data-testid': `field-${k}`, type: k === 'password' ? 'password' : 'text' });
    if (k === 'name') el.value = '';
    if (spec.parent === k && params.get(k)) el.value = params.get(k);
    inputs[k] = el;
    form.append(h('label', { style: 'display:block;margin-bottom:6px' }, h('span', { style: 'display:inline-block;width:160px' }, k), el));
    if (k === 'targeting') form.append(targetingError);
  }
  const body = () => {
    const b = {};
    for (const [k, def] of Object.entries(spec.fields)) {
      const v = value(k, inputs[k].value, def);
      if (v !== undefined) b[k] = v;
    }
    return b;
  };
  const setEditing = (row) => {
    editing = row;
    title.textContent = row ? `Edit ${row.id}` : `New ${entity.replace(/s$/, '')}`;
    create.textContent = row ? 'Save' : 'Create';
    remove.style.display = row ? '' : 'none';
    cancel.style.display = row ? '' : 'none';
    for (const [k, def] of Object.entries(spec.fields)) {
      if (!row) inputs[k].value = k === 'name' ? '' : String(def);
      else if (k === 'password') inputs[k].value = '';
      else inputs[k].value = row[k] === null || row[k] === undefined ? (typeof def === 'number' ? '0' : '') : String(row[k]);
    }
    if (entity === 'line-items') void checkTargeting();
  };
  const create = h('button', { 'data-testid': 'admin-create', onclick: async () => {
    try {
      if (editing) {
        const changed = await api(`/api/admin/${entity}/${encodeURIComponent(editing.id)}`, { method: 'PATCH', body: body() });
        msg.replaceChildren(h('p', { class: 'ok', 'data-testid': 'admin-saved' }, `saved ${changed.id}`));
      } else {
        const made = await api(`/api/admin/${entity}`, { method: 'POST', body: body() });
        msg.replaceChildren(h('p', { class: 'ok', 'data-testid': 'admin-created' }, `created ${made.id}`));
      }
      await list();
    } catch (err) {
      msg.replaceChildren(errorBox(err));
      if (err.details?.field === 'targeting') targetingError.textContent = `${inputs.targeting.value}\n${' '.repeat(err.details.position)}^ ${err.details.message}`;
    }
  } }, 'Create');
  const remove = h('button', { class: 'secondary', 'data-testid': 'admin-delete', style: 'display:none;margin-left:8px', onclick: async () => {
    if (!editing || !confirm(`Delete ${editing.id}${entity === 'users' ? '' : ' and everything under it'}?`)) return;
    try {
      await api(`/api/admin/${entity}/${encodeURIComponent(editing.id)}`, { method: 'DELETE' });
      msg.replaceChildren(h('p', { class: 'ok' }, `deleted ${editing.id}`));
      setEditing(null);
      await list();
    } catch (err) {
      msg.replaceChildren(errorBox(err));
    }
  } }, 'Delete');
  const cancel = h('button', { class: 'secondary', style: 'display:none;margin-left:8px', onclick: () => setEditing(null) }, 'New instead');
  form.append(create, remove, cancel, msg);
  if (entity === 'line-items') form.append(h('h2', {}, 'Slots this line item can serve in'), preview);
  const listEl = h('div', { class: 'panel' });
  root.append(form, listEl);
  const list = async () => {
    const d = await api(`/api/admin/${entity}`);
    const rows = d[entity].map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'object' && v !== null ? JSON.stringify(v) : v])));
    listEl.replaceChildren(h('h2', {}, entity), table(rows, { csv: `/api/admin/${entity}?format=csv`, testid: `admin-list-${entity}`, onRow: (r) => setEditing(r) }), h('p', { class: 'muted' }, entity === 'users' ? 'Click a row to select it (users are deleted and made again, not edited).' : 'Click a row to edit or delete it.'));
  };
  await list();
  if (entity === 'line-items') await checkTargeting();
}
