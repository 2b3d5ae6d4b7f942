// One account: its facts (Bitrix24 user, one-time codes, status), the enrollment link (sent or copied),
// unlock, reset OTP, deactivate, the certificates it may use (grant, default, take away) and its edit form.
import { otpText, statusText } from './admin-accounts.js';
import { certificateText } from './admin-certificates.js';
import { action, api, button, checkbox, field, fmt, h, say, select, state, table, when } from './admin-core.js';

function grantsSection(account, certificates, refresh) {
  const t = state.t.account;
  const path = `accounts/${encodeURIComponent(account.id)}/grants`;
  const names = new Map(certificates.map((c) => [c.id, certificateText(c)]));
  const grants = [...account.grants].sort((a, b) => Number(b.isDefault) - Number(a.isDefault));
  const rows = grants.map((g) =>
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
    usable.map((c) => [c.id, certificateText(c)]),
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
