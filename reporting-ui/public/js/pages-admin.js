// Admin: CRUD for the campaign model and tenants. Each field has a kind: money is typed in
// currency units and sent as integer micros (string parsing, money.js), flights are picked as
// local date-times, enums and references (advertiser, campaign, app, slots...) are selects
// filled from the API; targeting is checked as it is typed, with a slot preview.
import { CURRENCIES, microsToUnits, unitsToMicros } from './money.js';
import { api, errorBox, h, table } from './ui.js';

const DAY = 86400000;
const enumOf = (...values) => ({ kind: 'enum', values });
const ref = (entity, optional = false) => ({ kind: 'ref', entity, optional });
const STATUS = enumOf('active', 'paused', 'archived');
const text = (def = '') => ({ kind: 'text', def });
const int = (def) => ({ kind: 'int', def });

const ENTITIES = {
  advertisers: { fields: { name: text() } },
  campaigns: {
    parent: 'advertiser_id',
    fields: {
      advertiser_id: ref('advertisers'), name: text(), start_at: { kind: 'time', def: 0 }, end_at: { kind: 'time', def: 30 }, status: STATUS,
      currency: { kind: 'enum', values: CURRENCIES }, budget_micros: { kind: 'money', def: 0, label: 'budget (0 = unlimited)' }, priority: int(5), exclusion_labels: { kind: 'list', def: [] },
    },
  },
  'line-items': {
    parent: 'campaign_id',
    fields: {
      campaign_id: ref('campaigns'), name: text(), start_at: { kind: 'time', def: 0 }, end_at: { kind: 'time', def: 30 }, status: STATUS,
      goal_type: enumOf('impressions', 'clicks'), goal: int(100000), delivery: enumOf('even', 'frontloaded', 'asap'),
      price_model: enumOf('cpm', 'cpc', 'flat'), price_micros: { kind: 'money', def: 1000000, label: 'price (per 1000 imps / per click / flat fee)' },
      country_split: { kind: 'json', def: null }, targeting: { kind: 'targeting', def: '' }, cap_count: int(0), cap_window_ms: int(0), slot_ids: { kind: 'refs', entity: 'slots' },
    },
  },
  creatives: {
    parent: 'line_item_id',
    fields: { line_item_id: ref('line-items'), name: text(), kind: enumOf('image', 'html', 'mraid', 'video'), size: text('320x50'), payload: text('https://example.com/ad.png'), click_url: text('https://example.com'), weight: { kind: 'number', def: 1 } },
  },
  publishers: { fields: { name: text(), rev_share_bps: { kind: 'int', def: 7000, label: 'revenue share (basis points, 7000 = 70 %)' } } },
  apps: { parent: 'publisher_id', fields: { publisher_id: ref('publishers'), name: text(), platform: enumOf('ios', 'android', 'both'), attribution_lookback_days: int(7), attribution_model: enumOf('last_touch', 'linear', 'time_decay') } },
  slots: { parent: 'app_id', fields: { app_id: ref('apps'), name: text(), size: text('320x50') } },
  users: { fields: { email: text(), password: { kind: 'password', def: '' }, role: enumOf('publisher', 'advertiser', 'admin'), publisher_id: ref('publishers', true), advertiser_id: ref('advertisers', true) } },
};

const pad = (n) => String(n).padStart(2, '0');
/** Epoch ms to the value of a datetime-local input, in the browser's zone. */
function toLocalInput(ms) {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
/** A default flight bound: today's local midnight plus `days`. */
const midnightPlus = (days) => {
  const d = new Date();
  d.setHours(0, 0, 0, 0);
  return d.getTime() + days * DAY;
};

/** The control of one field, with get() (the API value; throws a sentence when it cannot be) and set(v) (an API value). */
function control(k, f, refs, onInput) {
  const attrs = { name: k, 'data-testid': `field-${k}`, oninput: onInput, onchange: onInput };
  let el;
  switch (f.kind) {
    case 'enum':
      el = h('select', attrs, ...f.values.map((v) => h('option', { value: v }, v)));
      return { el, get: () => el.value, set: (v) => (el.value = v ?? f.values[0]), def: () => f.values[0] };
    case 'ref': {
      const rows = refs[f.entity] ?? [];
      el = h('select', attrs, f.optional ? h('option', { value: '' }, '(none)') : null, ...rows.map((r) => h('option', { value: r.id }, `${r.name ?? r.email} (${r.id})`)));
      return { el, get: () => (el.value === '' ? (f.optional ? undefined : '') : el.value), set: (v) => (el.value = v ?? ''), def: () => (f.optional ? '' : rows[0]?.id ?? '') };
    }
    case 'refs': {
      const rows = refs[f.entity] ?? [];
      el = h('select', { ...attrs, multiple: true, size: Math.min(6, Math.max(2, rows.length)) }, ...rows.map((r) => h('option', { value: r.id }, `${r.name} (${r.id}, ${r.size})`)));
      return { el, get: () => [...el.selectedOptions].map((o) => o.value), set: (v) => { for (const o of el.options) o.selected = (v ?? []).includes(o.value); }, def: () => [], hint: 'none selected: every slot a creative fits' };
    }
    case 'time':
      el = h('input', { ...attrs, type: 'datetime-local' });
      return { el, get: () => { const t = new Date(el.value).getTime(); if (!Number.isFinite(t)) throw new Error(`${k}: pick a date and time`); return t; }, set: (v) => (el.value = toLocalInput(v)), def: () => midnightPlus(f.def), hint: 'your time zone' };
    case 'money':
      el = h('input', { ...attrs, type: 'text', inputmode: 'decimal', placeholder: '2.50' });
      return { el, get: () => { const m = unitsToMicros(el.value); if (m === null) throw new Error(`${k.replace('_micros', '')}: an amount such as 2.50 (at most 6 decimals)`); return m; }, set: (v) => (el.value = microsToUnits(v)), def: () => f.def, hint: 'in the campaign currency' };
    case 'int':
    case 'number':
      el = h('input', { ...attrs, type: 'number', step: f.kind === 'int' ? '1' : 'any' });
      return { el, get: () => Number(el.value), set: (v) => (el.value = String(v ?? 0)), def: () => f.def };
    case 'list':
      el = h('input', { ...attrs, type: 'text', placeholder: 'comma-separated' });
      return { el, get: () => el.value.split(',').map((s) => s.trim()).filter(Boolean), set: (v) => (el.value = (v ?? []).join(', ')), def: () => f.def };
    case 'json':
      el = h('input', { ...attrs, type: 'text', placeholder: '{"US": 0.6, "CA": 0.4} or empty' });
      return { el, get: () => (el.value.trim() === '' ? null : JSON.parse(el.value)), set: (v) => (el.value = v === null || v === undefined ? '' : JSON.stringify(v)), def: () => f.def };
    case 'targeting':
      el = h('textarea', { ...attrs, rows: 2, cols: 60 });
      return { el, get: () => el.value, set: (v) => (el.value = v ?? ''), def: () => '' };
    default:
      el = h('input', { ...attrs, type: f.kind === 'password' ? 'password' : 'text' });
      return { el, get: () => el.value, set: (v) => (el.value = v ?? ''), def: () => f.def };
  }
}

export async function adminPage(root, params) {
  const entity = params.get('entity') || 'campaigns';
  const spec = ENTITIES[entity];
  root.append(h('h1', {}, 'Admin'), h('p', { class: 'tabs' }, ...Object.keys(ENTITIES).map((e) => h('a', { href: `#/admin?entity=${e}`, class: e === entity ? 'active' : '' }, e))));
  // The lists the selects offer, read once per visit.
  const needs = new Set(Object.values(spec.fields).filter((f) => f.entity).map((f) => f.entity));
  const refs = {};
  for (const e of needs) refs[e] = (await api(`/api/admin/${e}`))[e];
  const msg = h('div', { 'data-testid': 'admin-message' });
  const title = h('h2', {}, `New ${entity.replace(/s$/, '')}`);
  const form = h('div', { class: 'panel', 'data-testid': 'admin-form' }, title);
  let editing = null;
  const preview = h('div', { 'data-testid': 'targeting-preview' });
  const targetingError = h('div', { class: 'field-error', 'data-testid': 'targeting-error' });
  let timer;
  const controls = {};
  const checkTargeting = async () => {
    const r = await api('/api/admin/targeting/check', { method: 'POST', body: { targeting: controls.targeting.get(), slot_ids: controls.slot_ids.get() } });
    targetingError.textContent = r.ok ? '' : `${controls.targeting.get()}\n${' '.repeat(r.position)}^ ${r.message}`;
    preview.replaceChildren(r.ok ? table(r.slots.map((s) => ({ slot: s.slot, slot_id: s.slot_id, app: s.app, size: s.size, platform: s.platform, match: s.match, why: s.why })), { testid: 'preview-table' }) : '');
  };
  const live = entity === 'line-items' ? () => (clearTimeout(timer), (timer = setTimeout(() => void checkTargeting(), 250))) : undefined;
  for (const [k, f] of Object.entries(spec.fields)) {
    const c = control(k, f, refs, k === 'targeting' || k === 'slot_ids' ? live : undefined);
    controls[k] = c;
    c.set(c.def());
    if (spec.parent === k && params.get(k)) c.set(params.get(k));
    form.append(h('label', { style: 'display:block;margin-bottom:6px' }, h('span', { style: 'display:inline-block;width:200px;vertical-align:top' }, f.label ?? k), c.el, c.hint ? h('span', { class: 'muted', style: 'margin-left:8px' }, c.hint) : null));
    if (k === 'targeting') form.append(targetingError);
  }
  const body = () => {
    const b = {};
    for (const [k, c] of Object.entries(controls)) {
      const v = c.get();
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
    for (const [k, c] of Object.entries(controls)) c.set(!row ? c.def() : k === 'password' ? '' : row[k]);
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
      if (err.details?.field === 'targeting') targetingError.textContent = `${controls.targeting.get()}\n${' '.repeat(err.details.position)}^ ${err.details.message}`;
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
  let rowsById = new Map();
  const list = async () => {
    const d = await api(`/api/admin/${entity}`);
    rowsById = new Map(d[entity].map((r) => [r.id, r]));
    // Shown: money in units, times as local date-times; the row clicked is edited from the API's own values.
    const shown = d[entity].map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k.replace(/_micros$/, ''), k.endsWith('_micros') ? microsToUnits(v) : k.endsWith('_at') && typeof v === 'number' ? toLocalInput(v).replace('T', ' ') : typeof v === 'object' && v !== null ? JSON.stringify(v) : v])));
    listEl.replaceChildren(h('h2', {}, entity), table(shown, { csv: `/api/admin/${entity}?format=csv`, testid: `admin-list-${entity}`, onRow: (r) => setEditing(rowsById.get(r.id) ?? r) }), h('p', { class: 'muted' }, entity === 'users' ? 'Click a row to select it (users are deleted and made again, not edited).' : 'Click a row to edit or delete it.'));
  };
  await list();
  if (entity === 'line-items') await checkTargeting();
}
