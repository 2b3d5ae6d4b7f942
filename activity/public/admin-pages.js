// Requests (in flight, failed ones with their reason; retry, cancel; the parked jobs), Portals (re-register)
// and My signing.
import { ApiError, api, button, field, fmt, h, label, say, select, state, table, when } from './admin-core.js';

/** The parked jobs the caller may see; null when the service has no queue to ask. */
async function parkedJobs() {
  try {
    return (await api('GET', 'requests/parked')).parked;
  } catch (error) {
    if (error instanceof ApiError && error.code === 'QUEUE_UNAVAILABLE') return null;
    throw error;
  }
}

function parkedRequestCell(job) {
  const t = state.t.requests;
  if (!job.requestId) return state.t.none;
  const id = job.requestId.slice(0, 8);
  if (!job.requestState) return fmt(t.parkedRequestMissing, { id });
  const text = fmt(t.parkedRequest, { id, state: label('requestStates', job.requestState) });
  return h('a', { href: `#/requests?id=${encodeURIComponent(job.requestId)}` }, text);
}

/** "Parked jobs": when, the route, the reason, attempts and a link to the request. */
function parkedSection(parked) {
  const t = state.t.requests;
  const heading = h('h2', {}, t.parkedHeading);
  if (parked === null) return [heading, h('p', {}, t.noQueue)];
  if (!parked.length) return [heading, h('p', { id: 'parked-empty' }, t.parkedEmpty)];
  const rows = parked.map((job) =>
    h(
      'tr',
      {},
      h('td', {}, when(job.parkedAt)),
      h('td', {}, job.route),
      h('td', {}, job.reason),
      h('td', {}, String(job.attempts)),
      h('td', {}, parkedRequestCell(job)),
    ),
  );
  return [heading, h('p', {}, t.parkedIntro), table(t.parkedHeading, Object.values(t.parkedColumns), rows)];
}

export async function requestsPage(refresh) {
  const t = state.t.requests;
  const params = new URLSearchParams(location.hash.split('?')[1] || '');
  const wanted = params.get('state') || '';
  const only = params.get('id') || '';
  const query = only ? `?id=${encodeURIComponent(only)}` : wanted ? `?state=${encodeURIComponent(wanted)}` : '';
  const [{ requests }, parked] = await Promise.all([api('GET', `requests${query}`), parkedJobs()]);
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
    only ? h('p', {}, h('a', { href: '#/requests' }, t.allRequests)) : field(t.state, filter),
    requests.length ? table(t.heading, Object.values(t.columns), rows) : h('p', {}, t.empty),
    ...parkedSection(parked),
  ];
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
    h('h2', {}, t.waiting),
    me.waiting.count
      ? h(
          'p',
          { id: 'my-waiting' },
          `${fmt(t.waitingCount, { count: me.waiting.count })} `,
          h('a', { href: me.waiting.url, id: 'my-waiting-link' }, t.waitingOpen),
        )
      : h('p', { id: 'my-waiting' }, t.waitingNone),
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
