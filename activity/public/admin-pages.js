// Certificates, Sign log, Requests, Tokens (and health, API tokens, settings), Portals and My signing.
import {
  action,
  api,
  checkbox,
  download,
  field,
  fmt,
  h,
  label,
  say,
  select,
  state,
  table,
  when,
} from './admin-core.js';

const button = (label, run, attrs = {}) => h('button', { type: 'button', onclick: action(run), ...attrs }, label);
const isOperator = () => state.principal.kind === 'operator';

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

export async function certificatesPage(refresh) {
  const t = state.t.certificates;
  const [{ ca, certificates }, session] = await Promise.all([api('GET', 'certificates'), api('GET', 'session')]);
  const mayChange =
    session.principal?.kind === 'operator' || (await api('GET', 'settings')).portalAdminsManageCertificates;
  const rows = certificates.map((c) =>
    h(
      'tr',
      { class: c.expiring ? 'expiring' : null },
      h('td', {}, c.subject),
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

/** "intact, N entries, last checkpoint …" or where the verifier found the chain broken. */
function chainText(status) {
  const t = state.t.signLog;
  const c = status.lastCheckpoint;
  if (status.intact) {
    const checkpoint = c
      ? fmt(t.checkpoint, { number: c.number, seq: c.seq, time: when(c.time) }) +
        (c.timestampedBy ? fmt(t.timestamped, { authority: c.timestampedBy }) : '')
      : t.noCheckpoint;
    return fmt(t.intact, { count: status.entries, checkpoint });
  }
  if (status.brokenCheckpoint !== null) {
    return fmt(t.brokenCheckpoint, { number: status.brokenCheckpoint, seq: status.brokenAt, reason: status.reason });
  }
  return fmt(t.broken, { seq: status.brokenAt, reason: status.reason });
}

export async function signLogPage() {
  const t = state.t.signLog;
  const params = new URLSearchParams(location.hash.split('?')[1] || '');
  const page = Number(params.get('page') || 1);
  const filters = new URLSearchParams([...params].filter(([k, v]) => k !== 'page' && v));
  const [status, log] = await Promise.all([
    api('GET', 'sign-log/status'),
    api('GET', `sign-log?${filters}&page=${page}&pageSize=25`),
  ]);
  const input = (name, type = 'text') => h('input', { name, type, value: params.get(name) || '' });
  const account = input('account');
  const from = input('from', 'date');
  const to = input('to', 'date');
  const deal = input('deal');
  const outcome = select(
    [
      ['', t.any],
      ['ok', t.ok],
      ['error', t.failed],
    ].map(([v, l]) => [v, l, (params.get('outcome') || '') === v]),
    { name: 'outcome' },
  );
  const form = h(
    'form',
    { class: 'filters' },
    field(t.account, account),
    field(t.from, from),
    field(t.to, to),
    field(t.outcome, outcome),
    field(t.deal, deal),
    h('button', { type: 'submit' }, t.apply),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const q = new URLSearchParams();
    for (const el of [account, from, to, deal, outcome]) if (el.value) q.set(el.name, el.value);
    location.hash = `#/sign-log?${q}`;
  });
  const chain = chainText(status);
  const rows = log.entries.map((e) =>
    h(
      'tr',
      {},
      h('td', {}, when(e.time)),
      h('td', {}, label('actions', e.action)),
      h(
        'td',
        {},
        [e.actor.login, e.actor.role && label('roles', e.actor.role)].filter(Boolean).join(' · ') || state.t.none,
      ),
      h('td', {}, e.account || state.t.none),
      h('td', {}, e.certificate?.subject || state.t.none),
      h('td', {}, e.document?.dealId || state.t.none),
      h('td', {}, e.outcome === 'ok' ? t.ok : t.failed),
    ),
  );
  const pages = Math.max(1, Math.ceil(log.total / log.pageSize));
  const go = (n) => {
    const q = new URLSearchParams(filters);
    q.set('page', String(n));
    location.hash = `#/sign-log?${q}`;
  };
  return [
    h('h1', { tabindex: '-1' }, t.heading),
    h('p', { id: 'chain-status', class: status.intact ? 'ok' : 'error' }, chain),
    form,
    h(
      'p',
      { class: 'actions' },
      button(t.exportCsv, () => download(`sign-log/export?${filters}&format=csv`, 'sign-log.csv')),
      button(t.exportJsonl, () => download(`sign-log/export?${filters}&format=jsonl`, 'sign-log.jsonl')),
    ),
    log.entries.length ? table(t.heading, Object.values(t.columns), rows) : h('p', {}, t.empty),
    h(
      'p',
      { class: 'pager' },
      button(t.previous, async () => go(page - 1), { disabled: page <= 1 }),
      ` ${fmt(t.page, { page, pages })} `,
      button(t.next, async () => go(page + 1), { disabled: page >= pages }),
    ),
  ];
}

export async function requestsPage(refresh) {
  const t = state.t.requests;
  const wanted = new URLSearchParams(location.hash.split('?')[1] || '').get('state') || '';
  const { requests } = await api('GET', `requests${wanted ? `?state=${wanted}` : ''}`);
  const states = [
    '',
    'awaiting_signer',
    'approved',
    'signing',
    'signed',
    'delivered',
    'completed',
    'rejected',
    'expired',
    'failed',
  ];
  const filter = select(
    states.map((s) => [s, s ? label('requestStates', s) : t.any, s === wanted]),
    { name: 'state' },
  );
  filter.addEventListener('change', () => {
    location.hash = `#/requests${filter.value ? `?state=${filter.value}` : ''}`;
  });
  const rows = requests.map((r) => {
    const reason = h('input', { 'aria-label': `${t.cancelReason}: ${r.id}` });
    const actions =
      r.state === 'failed'
        ? button(t.retry, async () => {
            await api('POST', `requests/${r.id}/retry`);
            say(t.retried);
            await refresh();
          })
        : r.state === 'awaiting_signer'
          ? h(
              'div',
              { class: 'row' },
              reason,
              button(t.cancel, async () => {
                await api('POST', `requests/${r.id}/cancel`, { reason: reason.value });
                say(t.cancelled);
                await refresh();
              }),
            )
          : null;
    return h(
      'tr',
      {},
      h('td', {}, when(r.createdAt)),
      h('td', {}, r.account || state.t.none),
      h('td', {}, label('requestStates', r.state)),
      h('td', {}, r.steps.join(' → ') || state.t.none),
      h('td', {}, r.failure?.message || state.t.none),
      h('td', {}, actions),
    );
  });
  return [
    h('h1', { tabindex: '-1' }, t.heading),
    field(t.state, filter),
    requests.length ? table(t.heading, Object.values(t.columns), rows) : h('p', {}, t.empty),
  ];
}

function apiTokenSection(tokens, refresh) {
  const t = state.t.tokens;
  const name = h('input', { name: 'name', required: true });
  const scope = select(
    [
      ['read', t.scopeRead],
      ['admin', t.scopeAdmin],
    ],
    { name: 'scope' },
  );
  const shown = h('div', { id: 'new-token' });
  const form = h(
    'form',
    { class: 'row' },
    field(t.name, name),
    field(t.scope, scope),
    h('button', { type: 'submit' }, t.createToken),
  );
  form.addEventListener(
    'submit',
    action(async () => {
      const created = await api('POST', 'api-tokens', { name: name.value, scope: scope.value });
      shown.replaceChildren(
        h('p', {}, t.tokenShown),
        h('input', { readonly: true, value: created.token, class: 'wide', 'aria-label': t.tokenShown }),
      );
    }),
  );
  const rows = tokens.map((k) =>
    h(
      'tr',
      {},
      h('td', {}, k.name),
      h('td', {}, k.scope),
      h('td', {}, when(k.createdAt)),
      h('td', {}, when(k.lastUsedAt)),
      h(
        'td',
        {},
        k.revokedAt
          ? t.revoked
          : button(
              t.revokeToken,
              async () => {
                await api('DELETE', `api-tokens/${k.id}`);
                await refresh();
              },
              { 'aria-label': `${t.revokeToken}: ${k.name}` },
            ),
      ),
    ),
  );
  return [
    h('h2', {}, t.apiHeading),
    tokens.length ? table(t.apiHeading, Object.values(t.apiColumns), rows) : null,
    form,
    shown,
  ];
}

function settingsSection(settings) {
  const t = state.t.tokens;
  const manage = checkbox(t.portalAdminsManage, { checked: settings.portalAdminsManageCertificates });
  const self = checkbox(t.selfService, { checked: settings.selfServiceEnrollment });
  const form = h(
    'form',
    { class: 'card' },
    h('h2', {}, t.settingsHeading),
    manage.el,
    self.el,
    h('button', { type: 'submit' }, t.saveSettings),
  );
  form.addEventListener(
    'submit',
    action(async () => {
      await api('PUT', 'settings', {
        portalAdminsManageCertificates: manage.input.checked,
        selfServiceEnrollment: self.input.checked,
      });
      say(state.t.saved);
    }),
  );
  return form;
}

export async function tokensPage(refresh) {
  const t = state.t.tokens;
  const ops = await api('GET', 'operations');
  const yesNo = (v) => (v === null ? state.t.none : v ? state.t.yes : state.t.no);
  const tokenRows = ops.tokens.map((k) =>
    h(
      'tr',
      {},
      h('td', {}, k.label),
      h('td', {}, yesNo(k.present)),
      h('td', {}, yesNo(k.usable)),
      h('td', {}, k.pinLocked ? t.pinLocked : k.pinLocked === null ? state.t.none : t.pinOk),
      h('td', {}, String(k.certificates)),
      h('td', {}, when(k.lastListedAt)),
    ),
  );
  const queueRows = ops.routes.map((r) =>
    h(
      'tr',
      {},
      h('td', {}, r.route),
      h('td', {}, String(r.ready)),
      h('td', {}, String(r.delayed)),
      h('td', {}, String(r.parked)),
    ),
  );
  const content = [
    h('h1', { tabindex: '-1' }, t.heading),
    h(
      'ul',
      {},
      h('li', {}, fmt(t.ready, { value: yesNo(ops.ready) })),
      ops.store ? h('li', {}, fmt(t.store, { value: ops.store.ok ? state.t.yes : ops.store.error })) : null,
      ops.queue
        ? h('li', {}, fmt(t.queue, { kind: ops.queue.kind, value: ops.queue.ok ? state.t.yes : ops.queue.error }))
        : null,
    ),
    h('h2', {}, t.tokensHeading),
    ops.tokens.length ? table(t.tokensHeading, Object.values(t.columns), tokenRows) : h('p', {}, t.noTokens),
    h('h2', {}, t.queuesHeading),
    queueRows.length ? table(t.queuesHeading, Object.values(t.queueColumns), queueRows) : h('p', {}, state.t.none),
  ];
  if (isOperator()) {
    const [{ tokens }, settings] = await Promise.all([api('GET', 'api-tokens'), api('GET', 'settings')]);
    content.push(...apiTokenSection(tokens, refresh), settingsSection(settings));
  }
  return content;
}

export async function portalsPage(refresh) {
  const t = state.t.portals;
  const { portals } = await api('GET', 'portals');
  const rows = portals.map((p) =>
    h(
      'tr',
      {},
      h('td', {}, p.domain),
      h('td', {}, p.status),
      h('td', {}, when(p.installedAt)),
      h(
        'td',
        {},
        p.status === 'installed'
          ? button(
              t.reregister,
              async () => {
                const r = await api('POST', `portals/${encodeURIComponent(p.memberId)}/re-register`);
                say(fmt(t.reregistered, r));
                await refresh();
              },
              { 'aria-label': `${t.reregister}: ${p.domain}` },
            )
          : null,
      ),
    ),
  );
  return [
    h('h1', { tabindex: '-1' }, t.heading),
    portals.length ? table(t.heading, Object.values(t.columns), rows) : h('p', {}, t.empty),
  ];
}

export async function mySigningPage() {
  const t = state.t.my;
  const me = await api('GET', 'me');
  if (!me.account) return [h('h1', { tabindex: '-1' }, t.heading), h('p', {}, t.noAccount)];
  const a = me.account;
  const otp = a.otpDisabled ? t.otpOff : a.otpEnrolled ? t.otpOn : t.otpMissing;
  return [
    h('h1', { tabindex: '-1' }, t.heading),
    h('p', {}, fmt(t.account, { login: a.login })),
    h('p', { id: 'my-otp' }, otp),
    a.lockedUntil ? h('p', { class: 'warning' }, fmt(t.locked, { time: when(a.lockedUntil) })) : null,
    me.selfServiceEnrollment && a.hasEmail
      ? button(t.sendLink, async () =>
          say(fmt(t.linkSent, { email: (await api('POST', 'me/enrollment-link')).sentTo })),
        )
      : null,
    h('h2', {}, t.certificates),
    me.certificates.length
      ? h(
          'ul',
          {},
          ...me.certificates.map((c) =>
            h(
              'li',
              {},
              `${c.subject} — ${fmt(t.validUntil, { time: when(c.notAfter) })} (${label('certificateStatuses', c.status)})`,
            ),
          ),
        )
      : h('p', {}, t.empty),
    h('h2', {}, t.history),
    me.history.length
      ? h(
          'ul',
          { id: 'my-history' },
          ...me.history.map((e) =>
            h('li', {}, `${when(e.time)} — ${label('actions', e.action)}${e.deal ? ` (#${e.deal})` : ''}`),
          ),
        )
      : h('p', {}, t.empty),
  ];
}
