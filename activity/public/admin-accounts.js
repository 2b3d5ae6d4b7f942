// Accounts: the list with search and filters, a new account (with the Bitrix24 user picked from the
// portal), and one account: OTP state, enrollment link (send or copy), unlock, reset OTP, edit,
// deactivate, and the certificates it may use.
import { action, api, checkbox, field, fmt, h, say, select, state, table, when } from './admin-core.js';

function otpText(a) {
  const t = state.t.accounts;
  if (a.otpDisabled) return t.otpOff;
  if (a.otp.enrolled) return t.otpEnrolled;
  if (a.pendingLink) return fmt(t.otpPending, { time: when(a.pendingLink.expiresAt) });
  return t.otpNone;
}

function statusText(a) {
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
      if (bitrix.userId()) {
        body.bitrixUserId = Number(bitrix.userId());
        if (!state.principal.portal) body.memberId = bitrix.memberId();
      }
      const created = await api('POST', 'accounts', body);
      say(fmt(t.created, { login: created.login }));
      location.hash = `#/accounts/${encodeURIComponent(created.id)}`;
    }),
  );
  return [h('p', {}, h('a', { href: '#/accounts' }, t.back)), h('h1', { tabindex: '-1' }, t.newHeading), form];
}

function grantsSection(account, certificates, refresh) {
  const t = state.t.account;
  const path = `accounts/${encodeURIComponent(account.id)}/grants`;
  const names = new Map(certificates.map((c) => [c.id, c.subject]));
  const rows = account.grants.map((g) =>
    h(
      'tr',
      {},
      h('td', {}, names.get(g.certId) || g.certId.slice(0, 16)),
      h(
        'td',
        {},
        g.isDefault
          ? t.isDefault
          : h(
              'button',
              {
                type: 'button',
                onclick: action(async () => {
                  await api('POST', path, { certId: g.certId, isDefault: true });
                  await refresh();
                }),
              },
              t.makeDefault,
            ),
      ),
      h(
        'td',
        {},
        h(
          'button',
          {
            type: 'button',
            onclick: action(async () => {
              await api('DELETE', `${path}/${g.certId}`);
              await refresh();
            }),
          },
          t.takeAway,
        ),
      ),
    ),
  );
  const usable = certificates.filter((c) => c.status === 'valid' && !account.grants.some((g) => g.certId === c.id));
  const cert = select(
    usable.map((c) => [c.id, `${c.subject} (${when(c.notAfter)})`]),
    { name: 'certId' },
  );
  const isDefault = checkbox(t.makeDefault);
  const form = h(
    'form',
    { class: 'row' },
    field(t.certificate, cert),
    isDefault.el,
    h('button', { type: 'submit' }, t.grant),
  );
  form.addEventListener(
    'submit',
    action(async () => {
      await api('POST', path, { certId: cert.value, isDefault: isDefault.input.checked });
      say(t.granted);
      await refresh();
    }),
  );
  return [
    h('h2', {}, t.grants),
    account.grants.length ? table(t.grants, [t.certificate, t.makeDefault, ''], rows) : h('p', {}, t.noGrants),
    usable.length ? form : h('p', {}, t.noCertificates),
  ];
}

function editForm(account, refresh) {
  const t = state.t.account;
  const description = h('input', { name: 'description', value: account.description });
  const email = h('input', { name: 'email', type: 'email', value: account.email || '' });
  const language = select([
    ['', t.languageDefault, !account.language],
    ['en', 'English', account.language === 'en'],
    ['ru', 'Русский', account.language === 'ru'],
  ]);
  const otp = checkbox(t.disableOtp, { checked: account.otpDisabled });
  const form = h(
    'form',
    { class: 'card' },
    h('h2', {}, t.edit),
    field(t.description, description),
    field(t.email, email),
    field(t.language, language),
    otp.el,
    h('p', { class: 'warning' }, t.disableOtpWarning),
    h('button', { type: 'submit' }, t.save),
  );
  form.addEventListener(
    'submit',
    action(async () => {
      await api('PATCH', `accounts/${encodeURIComponent(account.id)}`, {
        description: description.value,
        email: email.value.trim() || null,
        language: language.value || null,
        otpDisabled: otp.input.checked,
      });
      say(state.t.saved);
      await refresh();
    }),
  );
  return form;
}

export async function accountPage(id, refresh) {
  const t = state.t.account;
  const path = `accounts/${encodeURIComponent(id)}`;
  const [account, inventory] = await Promise.all([api('GET', path), api('GET', 'certificates')]);
  const linkBox = h('div', { id: 'link-box' });
  const sendLink = async (send) => {
    const answer = await api('POST', `${path}/enrollment-link`, { send });
    if (answer.sentTo) say(fmt(t.linkSent, { email: answer.sentTo, time: when(answer.expiresAt) }));
    else
      linkBox.replaceChildren(
        h('p', {}, fmt(t.linkCopy, { time: when(answer.expiresAt) })),
        h('input', {
          readonly: true,
          value: answer.url,
          'aria-label': t.copyLink,
          class: 'wide',
          id: 'enrollment-url',
        }),
      );
  };
  const button = (label, run) => h('button', { type: 'button', onclick: action(run) }, label);
  const toggle = account.status === 'active' ? 'disabled' : 'active';
  return [
    h('p', {}, h('a', { href: '#/accounts' }, t.back)),
    h('h1', { tabindex: '-1' }, account.login),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, t.description),
      h('dd', {}, account.description || state.t.none),
      h('dt', {}, t.email),
      h('dd', {}, account.email || state.t.none),
      h('dt', {}, t.bitrixUser),
      h('dd', { id: 'bitrix-user' }, account.bitrixUserId ? `#${account.bitrixUserId}` : t.bitrixNone),
      h('dt', {}, t.otpState),
      h('dd', {}, otpText(account)),
      h('dt', {}, t.status),
      h('dd', {}, statusText(account)),
    ),
    h(
      'div',
      { class: 'actions' },
      account.email ? button(t.sendLink, () => sendLink(true)) : null,
      button(t.copyLink, () => sendLink(false)),
      button(t.unlock, async () => {
        await api('POST', `${path}/unlock`);
        say(t.unlocked);
        await refresh();
      }),
      button(t.resetOtp, async () => {
        if (!window.confirm(fmt(t.resetConfirm, { login: account.login }))) return;
        await api('POST', `${path}/reset-otp`);
        say(t.resetDone);
        await refresh();
      }),
      button(toggle === 'disabled' ? t.deactivate : t.activate, async () => {
        await api('PATCH', path, { status: toggle });
        await refresh();
      }),
    ),
    linkBox,
    ...grantsSection(account, inventory.certificates, refresh),
    editForm(account, refresh),
  ];
}
