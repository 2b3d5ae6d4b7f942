// Certificates: the inventory (tokens and the internal CA) with status, expiry and who may use each;
// creating the internal CA, issuing and revoking (operators, or portal administrators when allowed);
// the root certificate, its installation instructions and the CRL.
import { action, api, button, download, field, fmt, h, label, say, select, state, table, when } from './admin-core.js';

function caForms(refresh, hasCa) {
  const t = state.t.certificates;
  const cn = h('input', { name: 'commonName', required: true });
  const org = h('input', { name: 'organization' });
  if (!hasCa) {
    const form = h(
      'form',
      { class: 'card', 'aria-labelledby': 'create-ca' },
      h('h2', { id: 'create-ca' }, t.createCa),
      h('p', {}, t.createCaText),
      field(t.commonName, cn),
      field(t.organization, org),
      h('button', { type: 'submit' }, t.create),
    );
    form.addEventListener(
      'submit',
      action(async () => {
        await api('POST', 'ca', { commonName: cn.value, ...(org.value ? { organization: org.value } : {}) });
        say(t.caCreated);
        await refresh();
      }),
    );
    return form;
  }
  const email = h('input', { name: 'email', type: 'email', required: true });
  const form = h(
    'form',
    { class: 'card', 'aria-labelledby': 'issue-cert' },
    h('h2', { id: 'issue-cert' }, t.issue),
    field(t.commonName, cn),
    field(t.organization, org),
    field(t.email, email),
    h('button', { type: 'submit' }, t.issueButton),
    h('p', { class: 'hint' }, t.onToken),
  );
  form.addEventListener(
    'submit',
    action(async () => {
      const issued = await api('POST', 'certificates', {
        commonName: cn.value,
        email: email.value.trim(),
        ...(org.value ? { organization: org.value } : {}),
      });
      say(fmt(t.issued, { subject: issued.subject }));
      await refresh();
    }),
  );
  return form;
}

function revokeControl(cert, refresh) {
  const t = state.t.certificates;
  const reason = select(
    [
      ['unspecified', 'unspecified'],
      ['keyCompromise', 'keyCompromise'],
      ['affiliationChanged', 'affiliationChanged'],
      ['superseded', 'superseded'],
      ['cessationOfOperation', 'cessationOfOperation'],
    ],
    { 'aria-label': `${t.reason}: ${cert.subject}` },
  );
  return h(
    'div',
    { class: 'row' },
    reason,
    button(
      t.revoke,
      async () => {
        await api('POST', `certificates/${cert.id}/revoke`, { reason: reason.value });
        say(t.revoked);
        await refresh();
      },
      { 'aria-label': `${t.revoke}: ${cert.subject}` },
    ),
  );
}

// The display name people see wherever the certificate is chosen; empty clears it.
function nameControl(cert, refresh) {
  const t = state.t.certificates;
  const input = h('input', {
    name: 'displayName',
    value: cert.displayName ?? '',
    maxlength: '80',
    'aria-label': `${t.displayName}: ${cert.subject}, ${cert.serialNumber}`,
  });
  const form = h(
    'form',
    { class: 'row cert-name' },
    input,
    h('button', { type: 'submit', 'aria-label': `${t.saveName}: ${cert.subject}, ${cert.serialNumber}` }, t.saveName),
  );
  form.addEventListener(
    'submit',
    action(async () => {
      const name = input.value.trim();
      await api('PUT', `certificates/${cert.id}/name`, { name: name || null });
      say(t.named);
      await refresh();
    }),
  );
  return form;
}

/** A certificate as people tell it apart: its name, else subject, serial, key location and expiry. */
export function certificateText(c) {
  const serial =
    c.serialNumber.length <= 12 ? c.serialNumber : `${c.serialNumber.slice(0, 4)}…${c.serialNumber.slice(-6)}`;
  return `${c.displayName ? `${c.displayName} — ` : ''}${c.subject}, № ${serial}, ${c.location} (${when(c.notAfter)})`;
}

export async function certificatesPage(refresh) {
  const t = state.t.certificates;
  const [{ ca, certificates }, session] = await Promise.all([api('GET', 'certificates'), api('GET', 'session')]);
  const mayChange =
    session.principal?.kind === 'operator' || (await api('GET', 'settings')).portalAdminsManageCertificates;
  const rows = certificates.map((c) =>
    h(
      'tr',
      { class: c.expiring ? 'expiring' : null },
      h('td', {}, mayChange ? nameControl(c, refresh) : (c.displayName ?? state.t.none)),
      h('td', {}, c.subject),
      h('td', { class: 'mono' }, c.serialNumber),
      h('td', {}, label('certificateStatuses', c.status)),
      h('td', {}, when(c.notAfter), c.expiring ? h('strong', { class: 'badge' }, ` ${t.expiring}`) : null),
      h('td', {}, c.location),
      h('td', {}, c.accounts.map((a) => a.login).join(', ') || state.t.none),
      h('td', {}, mayChange && c.internalUse && c.status !== 'revoked' ? revokeControl(c, refresh) : null),
    ),
  );
  const link = (label, path, file) =>
    h('a', { href: `${state.api}/${path}`, onclick: action(() => download(path, file)) }, label);
  return [
    h('h1', { tabindex: '-1' }, t.heading),
    ca ? h('p', {}, fmt(t.ca, { subject: ca.subject, time: when(ca.notAfter) })) : null,
    ca
      ? h(
          'p',
          { class: 'actions' },
          link(t.downloadRoot, 'ca/root.pem', 'root.pem'),
          link(t.instructions, 'ca/install-root.txt', 'INSTALL-ROOT.txt'),
          link(t.downloadCrl, 'ca/root.crl', 'root.crl'),
        )
      : null,
    mayChange ? caForms(refresh, Boolean(ca)) : h('p', { class: 'hint' }, t.readOnly),
    certificates.length ? table(t.heading, Object.values(t.columns), rows) : h('p', {}, t.empty),
  ];
}
