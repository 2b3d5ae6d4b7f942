// Sign log: the chain status from the sign log's verifier, filters, paging and the CSV / JSON Lines export.
import { api, button, download, field, fmt, h, label, select, state, table, when } from './admin-core.js';

/** A portal administrator's status: intact with their portal's entries and the last checkpoint's time, or not. */
function portalChainText(status) {
  const t = state.t.signLog;
  if (!status.intact) return t.portalBroken;
  const checkpoint = status.lastCheckpointAt
    ? when(status.lastCheckpointAt) +
      (status.timestampedBy ? fmt(t.timestamped, { authority: status.timestampedBy }) : '')
    : t.noCheckpoint;
  return fmt(t.portalIntact, { count: status.entries, checkpoint });
}

/** "intact, N entries, last checkpoint …" or where the verifier found the chain broken. */
function chainText(status) {
  const t = state.t.signLog;
  if (status.scope === 'portal') return portalChainText(status);
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
