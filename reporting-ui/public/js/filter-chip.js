// The report filter: one dimension=value at a time, kept in the URL hash as filter=dim:value.
import { h } from './ui.js';

export const FILTER_DIMS = ['platform', 'country', 'app_version'];

/** Controls to set the filter (dimension, value, Filter) and, when one is set, its chip with a clear (x). */
export function filterControl(params, apply) {
  const cur = params.get('filter') || '';
  const i = cur.indexOf(':');
  const dim = h('select', { 'data-testid': 'filter-dim' }, ...FILTER_DIMS.map((d) => h('option', { value: d }, d.replace('_', ' '))));
  const value = h('input', { size: 10, placeholder: 'e.g. ios, US, 2.1.0', 'data-testid': 'filter-value' });
  if (i > 0) (dim.value = cur.slice(0, i)), (value.value = cur.slice(i + 1));
  const set = () => value.value.trim() && apply(`${dim.value}:${value.value.trim()}`);
  value.addEventListener('keydown', (e) => e.key === 'Enter' && set());
  const chip = i > 0 ? h('span', { class: 'chip', 'data-testid': 'filter-chip' }, `${cur.slice(0, i).replace('_', ' ')} = ${cur.slice(i + 1)}`, h('button', { class: 'secondary', title: 'clear the filter', 'data-testid': 'filter-clear', onclick: () => apply('') }, '×')) : null;
  return h('div', { class: 'controls' }, h('label', { title: 'one dimension = value at a time' }, 'filter (one at a time)', h('span', {}, dim, ' = ', value)), h('button', { class: 'secondary', onclick: set, 'data-testid': 'filter-apply' }, 'Filter'), chip);
}
