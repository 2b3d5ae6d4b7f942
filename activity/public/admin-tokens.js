// Tokens and health (the readiness report and queue depths, made readable), and for operators the API
// tokens and the settings.
import { action, api, button, checkbox, field, fmt, h, say, select, state, table, when } from './admin-core.js';

const isOperator = () => state.principal.kind === 'operator';

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
