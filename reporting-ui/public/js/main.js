// The router: hash routes, log-in, navigation by role.
import { adminPage } from './pages-admin.js';
import { audiencePage } from './pages-audience.js';
import { funnelsPage } from './pages-funnels.js';
import { inventoryPage } from './pages-inventory.js';
import { keysPage } from './pages-keys.js';
import { healthPage, livePage, monitoringPage } from './pages-ops.js';
import { adsPage, appPage, overviewPage } from './pages-reports.js';
import { api, errorBox, h, state } from './ui.js';

const PAGES = {
  overview: { title: 'Overview', run: overviewPage, roles: ['admin', 'publisher'] },
  app: { title: 'App detail', run: appPage, roles: ['admin', 'publisher'] },
  audience: { title: 'Audience', run: audiencePage, roles: ['admin', 'publisher'] },
  ads: { title: 'Ads', run: adsPage, roles: ['admin', 'publisher', 'advertiser'] },
  funnels: { title: 'Funnels', run: funnelsPage, roles: ['admin', 'publisher'] },
  inventory: { title: 'Inventory', run: inventoryPage, roles: ['admin', 'publisher'] },
  health: { title: 'Data health', run: healthPage, roles: ['admin', 'publisher'] },
  live: { title: 'Live', run: livePage, roles: ['admin', 'publisher'] },
  admin: { title: 'Admin', run: adminPage, roles: ['admin'] },
  monitoring: { title: 'Monitoring', run: monitoringPage, roles: ['admin'] },
  keys: { title: 'API keys', run: keysPage, roles: ['admin', 'publisher', 'advertiser'], hidden: true },
};
let cleanup = null;
let visits = 0;

function loginPage(root) {
  const email = h('input', { type: 'email', name: 'email', autocomplete: 'username', 'data-testid': 'login-email' });
  const password = h('input', { type: 'password', name: 'password', autocomplete: 'current-password', 'data-testid': 'login-password' });
  const msg = h('div');
  const form = h('form', { class: 'login', onsubmit: async (e) => {
    e.preventDefault();
    try {
      const { user } = await api('/api/login', { method: 'POST', body: { email: email.value, password: password.value } });
      state.user = user;
      location.hash = user.role === 'advertiser' ? '#/ads' : '#/overview';
    } catch (err) {
      msg.replaceChildren(errorBox(err));
    }
  } }, h('h1', {}, 'Log in to Sluice'), h('label', {}, 'E-mail', email), h('label', {}, 'Password', password), h('button', { type: 'submit', 'data-testid': 'login-submit' }, 'Log in'), msg);
  root.append(form);
}

async function route() {
  if (cleanup) cleanup(), (cleanup = null);
  const [path, qs] = location.hash.replace(/^#\/?/, '').split('?');
  const params = new URLSearchParams(qs ?? '');
  const root = document.getElementById('page');
  root.replaceChildren();
  if (!state.user && path !== 'login') {
    try {
      state.user = (await api('/api/me')).user;
    } catch {
      location.hash = '#/login';
      return;
    }
  }
  const nav = document.getElementById('nav');
  const who = document.getElementById('who');
  if (path === 'login' || !state.user) {
    nav.replaceChildren();
    who.replaceChildren();
    return loginPage(root);
  }
  const allowed = Object.entries(PAGES).filter(([, p]) => p.roles.includes(state.user.role));
  nav.replaceChildren(...allowed.filter(([, p]) => !p.hidden).map(([k, p]) => h('a', { href: `#/${k}`, class: k === path ? 'active' : '' }, p.title)));
  const newKey = h('a', { class: 'button secondary', href: '#/keys', 'data-testid': 'new-api-key', title: 'API keys for scripts: Authorization: Bearer <key>' }, 'API keys');
  who.replaceChildren(`${state.user.email} (${state.user.role})`, newKey, h('button', { class: 'secondary', 'data-testid': 'logout', onclick: async () => {
    await api('/api/logout', { method: 'POST' });
    state.user = null;
    location.hash = '#/login';
  } }, 'Log out'));
  const page = PAGES[path] && PAGES[path].roles.includes(state.user.role) ? PAGES[path] : PAGES[allowed[0][0]];
  // Each visit draws into its own box: a page still loading when the user moves on keeps drawing
  // into a box no longer on screen, instead of above the next page's content.
  const box = h('div', { 'data-page': path });
  root.replaceChildren(box);
  const visit = ++visits;
  try {
    const stop = (await page.run(box, params)) ?? null;
    if (visit === visits) cleanup = stop;
    else if (stop) stop();
  } catch (err) {
    box.append(errorBox(err));
  } finally {
    // Tests and scripts wait on this: the page has drawn everything it loads (or its error).
    box.setAttribute('data-ready', '');
  }
}

window.addEventListener('hashchange', () => void route());
void route();
