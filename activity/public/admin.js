// The SignService Control Panel: a client of /api/v1. Sign-in (with the first-time TOTP set-up), the
// navigation and the hash routes; each page lives in admin-accounts.js or admin-pages.js.
import { accountPage } from './admin-account.js';
import { accountsPage, newAccountPage } from './admin-accounts.js';
import { certificatesPage } from './admin-certificates.js';
import { ApiError, action, api, checkbox, field, fmt, h, say, state } from './admin-core.js';
import { mySigningPage, portalsPage, requestsPage } from './admin-pages.js';
import { signLogPage } from './admin-sign-log.js';
import { tokensPage } from './admin-tokens.js';

const main = () => document.getElementById('content');

const ADMIN_ROUTES = {
  accounts: accountsPage,
  certificates: certificatesPage,
  'sign-log': signLogPage,
  requests: requestsPage,
  tokens: tokensPage,
  portals: portalsPage,
  me: mySigningPage,
};

/** The hash route without its query (`#/requests?state=failed` → `requests`). */
function routePath() {
  return location.hash.slice(2).split('?')[0];
}

function isAdmin() {
  return state.principal && state.principal.kind !== 'portal-user';
}

function header() {
  const t = state.t;
  const p = state.principal;
  const who = p
    ? `${fmt(t.signedInAs, { name: p.name })}${p.portalDomain ? ` (${fmt(t.portalOf, { domain: p.portalDomain })})` : ''}`
    : '';
  const links = isAdmin()
    ? [
        ['accounts', t.nav.accounts],
        ['certificates', t.nav.certificates],
        ['sign-log', t.nav.signLog],
        ['requests', t.nav.requests],
        ['tokens', t.nav.tokens],
        ['portals', t.nav.portals],
      ]
    : [];
  if (p && p.kind !== 'operator' && p.kind !== 'token') links.push(['me', t.nav.mySigning]);
  const current = (routePath().split('/')[0] || '').trim();
  const bar = h(
    'header',
    { class: 'bar' },
    h('span', { class: 'brand' }, t.title),
    h('button', { type: 'button', class: 'link', lang: t.languageCode, onclick: switchLanguage }, t.language),
    who ? h('span', { class: 'who' }, who) : null,
    p && state.session === '' ? h('button', { type: 'button', class: 'link', onclick: signOut }, t.nav.signOut) : null,
  );
  const nav = links.length
    ? h(
        'nav',
        { 'aria-label': t.nav.label },
        h(
          'ul',
          {},
          ...links.map(([route, label]) =>
            h('li', {}, h('a', { href: `#/${route}`, 'aria-current': current === route ? 'page' : null }, label)),
          ),
        ),
      )
    : null;
  return [bar, nav];
}

async function switchLanguage() {
  const code = state.t.languageCode;
  const response = await fetch(`${state.textsUrl}${code}.json`);
  state.t = await response.json();
  state.lang = code;
  document.documentElement.lang = code;
  await render();
}

async function signOut() {
  await api('DELETE', 'session').catch(() => undefined);
  state.principal = null;
  state.csrf = '';
  location.hash = '';
  await render();
}

function setShell(content, loading = false) {
  const panel = document.getElementById('panel');
  const message = h('div', { id: 'message', class: 'message', role: 'status', 'aria-live': 'polite' });
  if (state.flash && !loading) {
    message.className = `message ${state.flash.kind}`;
    message.textContent = state.flash.text;
    state.flash = null;
  }
  const body = h('main', { id: 'content', tabindex: '-1' }, message, ...content);
  panel.replaceChildren(...header(), body);
  document.title = `${body.querySelector('h1')?.textContent ?? ''} · ${state.t.title}`;
}

function signInPage() {
  const t = state.t.signIn;
  const login = h('input', { name: 'login', autocomplete: 'username', required: true });
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const code = h('input', { name: 'code', inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: '7' });
  const form = h(
    'form',
    { class: 'card', novalidate: true },
    field(t.login, login),
    field(t.password, password),
    field(t.code, code, t.codeHint),
    h('button', { type: 'submit' }, t.submit),
  );
  form.addEventListener(
    'submit',
    action(async () => {
      const answer = await api('POST', 'session', { login: login.value, password: password.value, code: code.value });
      state.csrf = answer.csrfToken;
      if (answer.stage === 'totp-setup') return setupPage(answer.setup);
      state.principal = answer.principal;
      location.hash = '#/accounts';
      await render();
    }),
  );
  setShell([h('h1', { tabindex: '-1' }, t.heading), form]);
  login.focus();
}

function setupPage(setup) {
  const t = state.t.setup;
  const code = h('input', {
    name: 'code',
    inputmode: 'numeric',
    autocomplete: 'one-time-code',
    maxlength: '7',
    required: true,
  });
  const form = h(
    'form',
    { class: 'card', novalidate: true },
    field(state.t.signIn.code, code),
    h('button', { type: 'submit' }, t.submit),
  );
  form.addEventListener(
    'submit',
    action(async () => {
      const answer = await api('POST', 'session/totp', { code: code.value });
      state.csrf = answer.csrfToken;
      state.principal = answer.principal;
      location.hash = '#/accounts';
      await render();
    }),
  );
  setShell([
    h('h1', { tabindex: '-1' }, t.heading),
    h('p', {}, t.text),
    h('img', { class: 'qr', id: 'setup-qr', src: setup.qrDataUrl, alt: t.qrAlt, width: '232', height: '232' }),
    h('p', {}, `${t.key}: `, h('code', { id: 'setup-key', class: 'key' }, setup.manualSecret)),
    form,
  ]);
  code.focus();
}

/** Draws the page of the current hash route. */
export async function render() {
  if (!state.principal) {
    try {
      const session = await api('GET', 'session');
      if (session.stage === 'active') {
        state.principal = session.principal;
        state.csrf = session.csrfToken;
      }
    } catch {
      // signed out
    }
  }
  if (!state.principal) return signInPage();
  const [route, id] = routePath().split('/');
  const fallback = isAdmin() ? 'accounts' : 'me';
  let page = ADMIN_ROUTES[route] && (isAdmin() || route === 'me') ? ADMIN_ROUTES[route] : ADMIN_ROUTES[fallback];
  if (route === 'accounts' && id === 'new') page = newAccountPage;
  else if (route === 'accounts' && id) page = (refresh) => accountPage(id, refresh);
  setShell([h('p', {}, state.t.loading)], true);
  try {
    const content = await page(render);
    setShell(content);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      state.principal = null;
      return signInPage();
    }
    setShell([h('h1', { tabindex: '-1' }, state.t.title)]);
    say(fmt(state.t.error, { message: error.message }), 'error');
  }
  main().querySelector('h1')?.focus();
}

export { checkbox };

window.addEventListener('hashchange', () => render());
render();
