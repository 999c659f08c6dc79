// Funnels page (admins and publishers): pick an app and one of its funnels, see devices per step
// as bars with conversion, per UTC day, and define or delete funnels of the app.
import { api, chart, csvUrl, daysBefore, errorBox, h, num, query, rangeControls, table, today } from './ui.js';

const MAX_STEPS = 6;
const xOf = (day) => Date.parse(`${day}T00:00:00Z`) / 1000;

function go(params) {
  location.hash = `#/funnels?${query(params)}`;
}

const pctText = (p) => (p === null || p === undefined ? '–' : `${p}%`);

/** Bars of the steps: height by devices, conversion from the step before and from step 1 above each. */
function funnelBars(steps) {
  const top = Math.max(1, ...steps.map((s) => s.devices));
  return h('div', { class: 'funnel-bars', 'data-testid': 'funnel-bars', style: 'display:flex;gap:12px;align-items:flex-end;height:240px;padding:8px 4px' },
    ...steps.map((s) => h('div', { style: 'flex:1;display:flex;flex-direction:column;justify-content:flex-end;align-items:center;height:100%;min-width:70px' },
      h('div', { style: 'font-size:12px;color:var(--muted);text-align:center', title: 'from the step before / from step 1' }, s.step === 1 ? '100%' : `${pctText(s.from_previous_pct)} · ${pctText(s.from_first_pct)} of step 1`),
      h('div', { style: 'font-weight:600' }, num(s.devices)),
      h('div', { 'data-testid': `funnel-bar-${s.step}`, style: `width:100%;background:#2f6fed;border-radius:4px 4px 0 0;height:${Math.max(1, Math.round((s.devices / top) * 170))}px` }),
      h('div', { style: 'font-size:12px;margin-top:4px;text-align:center;word-break:break-all' }, `${s.step}. ${s.name}`))));
}

/** The form that defines a funnel: a name and 2 to 6 selects of the app's custom event names. */
function defineForm(app, names, q) {
  const name = h('input', { name: 'funnel-name', placeholder: 'e.g. Store to purchase', maxlength: 100, 'data-testid': 'funnel-name' });
  const list = h('div', { style: 'display:flex;flex-wrap:wrap;gap:8px;align-items:center' });
  const msg = h('div');
  const select = (i) => h('select', { 'data-testid': `funnel-step-${i + 1}` }, h('option', { value: '' }, `step ${i + 1}…`), ...names.map((n) => h('option', { value: n }, n)));
  const selects = [];
  const redraw = () => list.replaceChildren(...selects.flatMap((s, i) => (i ? [h('span', { class: 'muted' }, '→'), s] : [s])));
  const add = () => {
    if (selects.length < MAX_STEPS) selects.push(select(selects.length)), redraw();
  };
  add(), add();
  const form = h('form', { 'data-testid': 'funnel-form', onsubmit: async (e) => {
    e.preventDefault();
    try {
      const made = await api(`/api/apps/${encodeURIComponent(app)}/funnels`, { method: 'POST', body: { name: name.value, steps: selects.map((s) => s.value) } });
      go({ ...q, app, funnel: made.id });
    } catch (err) {
      msg.replaceChildren(errorBox(err));
    }
  } },
  h('div', { class: 'controls' }, h('label', {}, 'name', name)), list,
  h('div', { class: 'controls', style: 'margin-top:8px' },
    h('button', { type: 'button', class: 'secondary', onclick: add, 'data-testid': 'funnel-add-step' }, 'Add step'),
    h('button', { type: 'button', class: 'secondary', onclick: () => selects.length > 2 && (selects.pop(), redraw()) }, 'Remove step'),
    h('button', { type: 'submit', 'data-testid': 'funnel-save' }, 'Define funnel')),
  h('p', { class: 'muted' }, names.length ? 'Steps are custom event names the app sent in the range. A new funnel counts from the next load of each day; `sluice jobs run restate --from D --to D` fills past days.' : 'This app sent no custom events in the range.'), msg);
  return form;
}

export async function funnelsPage(root, params) {
  const { apps } = await api('/api/apps');
  let app = params.get('app');
  if (!apps.some((a) => a.id === app)) app = apps[0]?.id;
  // The range the controls show (the viewer's days), read as UTC days: the server's own default would be UTC's today.
  const to = params.get('to') || today();
  const q = { from: params.get('from') || daysBefore(to, 29), to };
  if (!app) return root.append(h('h1', {}, 'Funnels'), h('p', {}, 'No apps.'));
  const appSel = h('select', { 'data-testid': 'app-picker', onchange: () => go({ ...q, app: appSel.value }) }, ...apps.map((a) => h('option', { value: a.id }, `${a.name} (${a.id})`)));
  appSel.value = app;
  const { funnels } = await api(`/api/apps/${encodeURIComponent(app)}/funnels`);
  const id = funnels.some((f) => f.id === params.get('funnel')) ? params.get('funnel') : funnels[0]?.id;
  const funSel = h('select', { 'data-testid': 'funnel-picker', onchange: () => go({ ...q, app, funnel: funSel.value }) }, ...funnels.map((f) => h('option', { value: f.id }, f.name)));
  if (id) funSel.value = id;
  root.append(h('h1', {}, 'Funnels'), rangeControls(params, (r) => go({ from: r.from, to: r.to, app, funnel: id }), [h('label', {}, 'app', appSel), funnels.length ? h('label', {}, 'funnel', funSel) : null]));
  if (id) {
    const path = `/api/apps/${encodeURIComponent(app)}/funnels/${encodeURIComponent(id)}`;
    const d = await api(`${path}?${query(q)}`);
    const del = h('button', { class: 'secondary', 'data-testid': 'funnel-delete', onclick: async () => {
      if (!confirm(`Delete the funnel "${d.funnel.name}" and its numbers?`)) return;
      try {
        await api(path, { method: 'DELETE' });
        go({ ...q, app });
      } catch (err) {
        root.append(errorBox(err));
      }
    } }, 'Delete funnel');
    root.append(
      h('h2', {}, `${d.funnel.name}: ${d.funnel.steps.join(' → ')}`),
      h('p', { class: 'muted' }, `devices that did the steps in this order within one UTC day, summed over the UTC days ${d.from} to ${d.to}`),
      d.steps[0].devices === 0
        ? h('p', { class: 'panel', 'data-testid': 'funnel-empty' }, 'No device did step 1 in this range. A funnel counts from the next load of each day after it was defined; `sluice jobs run restate --from D --to D` fills days loaded before.')
        : h('div', { class: 'panel' }, funnelBars(d.steps)),
      h('div', { class: 'panel' }, table(d.steps.map((s) => ({ step: s.step, event: s.name, devices: s.devices, 'from previous %': s.from_previous_pct ?? '', 'from step 1 %': s.from_first_pct ?? '' })), { csv: csvUrl(path, q, 'steps'), testid: 'funnel-steps' })),
    );
    const c = h('div', { class: 'panel', 'data-testid': 'funnel-days-chart' });
    root.append(h('h2', {}, 'Per UTC day'), c);
    chart(c, d.days.map((x) => xOf(x.day)), Object.fromEntries(d.funnel.steps.map((s, i) => [`${i + 1}. ${s}`, d.days.map((x) => x[`step${i + 1}`])])), { tz: 'UTC' });
    root.append(h('p', {}, del));
  } else root.append(h('p', { 'data-testid': 'no-funnels' }, 'This app has no funnels yet: define one below.'));
  const custom = await api(`/api/apps/${encodeURIComponent(app)}/custom?${query(q)}`);
  root.append(h('h2', {}, 'Define a funnel'), h('div', { class: 'panel' }, defineForm(app, custom.rows.map((r) => r.name), q)));
}
