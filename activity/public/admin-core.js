// The control panel's toolkit: the API client (session header, CSRF token), DOM building without
// innerHTML (every text goes in as a text node), downloads, messages and form helpers.
import { formatDateTime } from './date-time.js';

const root = document.getElementById('panel');

export const state = {
  api: root.dataset.api,
  session: root.dataset.session || '',
  csrf: '',
  lang: root.dataset.lang,
  textsUrl: root.dataset.textsUrl,
  t: JSON.parse(document.getElementById('admin-texts').textContent)[root.dataset.lang],
  principal: null,
};

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

function headers(method, json) {
  const h = { Accept: 'application/json' };
  if (json) h['Content-Type'] = 'application/json';
  if (state.session) h['X-Panel-Session'] = state.session;
  if (state.csrf && method !== 'GET') h['X-CSRF-Token'] = state.csrf;
  return h;
}

/** Calls the admin API; throws ApiError with the service's message. */
export async function api(method, path, body) {
  const response = await fetch(`${state.api}/${path}`, {
    method,
    headers: headers(method, body !== undefined),
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(response.status, data?.error?.code, data?.error?.message || response.statusText);
  return data;
}

/** Downloads an API file with the session (a plain link cannot carry the header inside Bitrix24). */
export async function download(path, filename) {
  const response = await fetch(`${state.api}/${path}`, { headers: headers('GET', false), credentials: 'same-origin' });
  if (!response.ok) throw new ApiError(response.status, '', response.statusText);
  const url = URL.createObjectURL(await response.blob());
  const a = h('a', { href: url, download: filename });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Builds an element: attributes (on* are listeners), then children (strings become text). */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else if (key === 'text') el.textContent = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child);
  }
  return el;
}

/** The words for an API code (`actions`, `roles`, `certificateStatuses`, `requestStates`); the code if none. */
export function label(kind, code) {
  return state.t.labels?.[kind]?.[code] ?? code;
}

/** Fills `{name}` placeholders. */
export function fmt(text, values = {}) {
  return String(text).replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

/** A time from the API, in the signed-in person's zone (the session's `timeZone`) and the service's one format. */
export function when(iso) {
  if (!iso) return state.t.none;
  return formatDateTime(new Date(iso), state.lang, state.principal?.timeZone);
}

let uid = 0;
/** A labelled field: label + control, associated by id. */
export function field(label, control, hint) {
  const id = control.id || `f${++uid}`;
  control.id = id;
  const hintId = hint ? `${id}-hint` : undefined;
  if (hintId) control.setAttribute('aria-describedby', hintId);
  return h(
    'div',
    { class: 'field' },
    h('label', { for: id }, label),
    control,
    hint ? h('small', { id: hintId }, hint) : null,
  );
}

export function checkbox(label, attrs = {}) {
  const input = h('input', { type: 'checkbox', ...attrs });
  return { input, el: h('label', { class: 'check' }, input, ` ${label}`) };
}

export function select(options, attrs = {}) {
  return h('select', attrs, ...options.map(([value, label, selected]) => h('option', { value, selected }, label)));
}

/** A scrollable table region (keyboard-focusable, named) with header cells. */
export function table(caption, columns, rows) {
  return h(
    'div',
    { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': caption },
    h(
      'table',
      {},
      h('caption', { class: 'sr-only' }, caption),
      h('thead', {}, h('tr', {}, ...columns.map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, ...rows),
    ),
  );
}

/** The page's message line (a live region): success or error. */
export function say(text, kind = 'ok') {
  // Kept until the next page is drawn, so a message survives the refresh that follows an action.
  state.flash = { text, kind };
  const box = document.getElementById('message');
  if (!box) return;
  box.className = `message ${kind}`;
  box.textContent = text;
}

export function sayError(error) {
  say(fmt(state.t.error, { message: error.message }), 'error');
}

/** A button that runs `run` as an action (see `action`). */
export function button(text, run, attrs = {}) {
  return h('button', { type: 'button', onclick: action(run), ...attrs }, text);
}

/** Runs an action from a button or form: disables it meanwhile, reports errors. */
export function action(run) {
  return async (event) => {
    event.preventDefault();
    const control = event.submitter || event.currentTarget;
    if (control && 'disabled' in control) control.disabled = true;
    try {
      await run(event);
    } catch (error) {
      sayError(error);
    } finally {
      if (control && 'disabled' in control) control.disabled = false;
    }
  };
}
