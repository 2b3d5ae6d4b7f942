// Accounts: the list with search and filters, and a new account (with the Bitrix24 user picked from the
// caller's portal, or from the portal an operator picks). One account's page is admin-account.js.
import { action, api, checkbox, field, fmt, h, say, select, state, table, when } from './admin-core.js';

export function otpText(a) {
  const t = state.t.accounts;
  if (a.otpDisabled) return t.otpOff;
  if (a.otp.enrolled) return t.otpEnrolled;
  if (a.pendingLink) return fmt(t.otpPending, { time: when(a.pendingLink.expiresAt) });
  return t.otpNone;
}

export function statusText(a) {
  const t = state.t.accounts;
  if (a.locked) return fmt(t.locked, { time: when(a.lockedUntil) });
  return a.status === 'active' ? t.active : t.disabled;
}

export async function accountsPage() {
  const t = state.t.accounts;
  const params = new URLSearchParams(location.hash.split('?')[1] || '');
  const query = new URLSearchParams();
  if (params.get('search')) query.set('search', params.get('search'));
  if (params.get('filter')) query.set('filter', params.get('filter'));
  const { accounts } = await api('GET', `accounts?${query}`);
  const search = h('input', { type: 'search', name: 'search', value: params.get('search') || '' });
  const filter = select(
    Object.entries(t.filters).map(([value, label]) => [
      value === 'all' ? '' : value,
      label,
      (params.get('filter') || '') === (value === 'all' ? '' : value),
    ]),
    { name: 'filter' },
  );
  const form = h(
    'form',
    { class: 'filters', role: 'search' },
    field(t.search, search),
    field(t.show, filter),
    h('button', { type: 'submit' }, t.apply),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const q = new URLSearchParams();
    if (search.value) q.set('search', search.value);
    if (filter.value) q.set('filter', filter.value);
    location.hash = `#/accounts?${q}`;
  });
  const rows = accounts.map((a) =>
    h(
      'tr',
      {},
      h('td', {}, h('a', { href: `#/accounts/${encodeURIComponent(a.id)}` }, a.login)),
      h('td', {}, a.description),
      h('td', {}, a.email || state.t.none),
      h('td', {}, otpText(a)),
      h('td', {}, statusText(a)),
    ),
  );
  return [
    h('h1', { tabindex: '-1' }, t.heading),
    h('p', {}, h('a', { href: '#/accounts/new', class: 'button' }, t.newAccount)),
    form,
    accounts.length ? table(t.heading, Object.values(t.columns), rows) : h('p', {}, t.empty),
  ];
}

/** The Bitrix24 user of the account, searched in `portal()` (the caller's, or the one an operator picked). */
function bitrixPicker(portal) {
  const t = state.t.account;
  const search = h('input', { type: 'search' });
  const user = select([['', t.bitrixNone]], { name: 'bitrixUser' });
  const find = h('button', { type: 'button' }, t.bitrixFind);
  find.addEventListener(
    'click',
    action(async () => {
      const { users } = await api(
        'GET',
        `portals/${encodeURIComponent(portal())}/users?search=${encodeURIComponent(search.value)}`,
      );
      user.replaceChildren(
        ...[['', t.bitrixNone], ...users.map((u) => [String(u.id), `${u.name}${u.email ? ` <${u.email}>` : ''}`])].map(
          ([v, l]) => h('option', { value: v }, l),
        ),
      );
      if (users.length) user.value = String(users[0].id);
    }),
  );
  return {
    user,
    reset: () => user.replaceChildren(h('option', { value: '' }, t.bitrixNone)),
    el: h(
      'fieldset',
      {},
      h('legend', {}, t.bitrixUser),
      h('div', { class: 'row' }, field(t.bitrixSearch, search), find),
      field(t.bitrixUser, user),
    ),
  };
}

/**
 * Where the new account's Bitrix24 user is looked up: a portal administrator's own portal; an operator
 * picks one of the installed portals (or none, for an account that signs outside Bitrix24 only).
 */
async function portalChoice() {
  const own = state.principal.portal;
  if (own) {
    const picker = bitrixPicker(() => own);
    return { el: picker.el, memberId: () => own, userId: () => picker.user.value };
  }
  const { portals } = await api('GET', 'portals');
  const installed = portals.filter((p) => p.status === 'installed');
  if (!installed.length) return { el: null, memberId: () => '', userId: () => '' };
  const t = state.t.account;
  const portal = select([['', t.portalNone], ...installed.map((p) => [p.memberId, p.domain])], { name: 'portal' });
  const picker = bitrixPicker(() => portal.value);
  picker.el.hidden = true;
  portal.addEventListener('change', () => {
    picker.reset();
    picker.el.hidden = !portal.value;
  });
  return {
    el: h('div', {}, field(t.portal, portal), picker.el),
    memberId: () => portal.value,
    userId: () => (portal.value ? picker.user.value : ''),
  };
}

export async function newAccountPage() {
  const t = state.t.account;
  const login = h('input', { name: 'login', required: true, autocomplete: 'off' });
  const description = h('input', { name: 'description' });
  const email = h('input', { name: 'email', type: 'email', autocomplete: 'off' });
  const language = select(
    [
      ['', t.languageDefault],
      ['en', 'English'],
      ['ru', 'Русский'],
    ],
    { name: 'language' },
  );
  const otp = checkbox(t.disableOtp, { name: 'otpDisabled', 'aria-describedby': 'otp-warning' });
  const warning = h('p', { id: 'otp-warning', class: 'warning', hidden: true }, t.disableOtpWarning);
  otp.input.addEventListener('change', () => {
    warning.hidden = !otp.input.checked;
  });
  const bitrix = await portalChoice();
  const form = h(
    'form',
    { class: 'card', novalidate: true },
    field(t.login, login),
    field(t.description, description),
    field(t.email, email),
    field(t.language, language),
    bitrix.el,
    otp.el,
    warning,
    h('button', { type: 'submit' }, t.create),
  );
  form.addEventListener(
    'submit',
    action(async () => {
      const body = { login: login.value.trim(), otpDisabled: otp.input.checked };
      if (description.value) body.description = description.value;
      if (email.value) body.email = email.value.trim();
      if (language.value) body.language = language.value;
      // The account belongs to the chosen portal even before its user is linked (the e-mail links it later).
      if (!state.principal.portal && bitrix.memberId()) body.memberId = bitrix.memberId();
      if (bitrix.userId()) body.bitrixUserId = Number(bitrix.userId());
      const created = await api('POST', 'accounts', body);
      say(fmt(t.created, { login: created.login }));
      location.hash = `#/accounts/${encodeURIComponent(created.id)}`;
    }),
  );
  return [h('p', {}, h('a', { href: '#/accounts' }, t.back)), h('h1', { tabindex: '-1' }, t.newHeading), form];
}
