// The Sign dialog's script (served as a file: the page's CSP allows scripts from the app only). It keeps the
// description beside the position grid in step with the choice, sends the signature (POST ../dialog/sign,
// the page's signed session and its CSRF token in headers), then follows the request (GET
// ../dialog/status/ID, long-polled; a 429 waits as long as Retry-After says) until it is completed (link to
// the signed file) or failed (a specific message; the form stays usable).
(() => {
  const form = document.getElementById('sign-form');
  if (!form) return;
  const texts = JSON.parse(document.getElementById('dialog-texts').textContent);
  const statusBox = document.getElementById('sign-status');
  const description = document.getElementById('position-description');
  const visible = document.getElementById('sign-visible');
  const options = document.getElementById('placement-options');
  const pageNumber = document.getElementById('sign-page-number');
  const submit = document.getElementById('sign-submit');
  const otp = document.getElementById('sign-otp');
  const session = form.dataset.session;
  const csrf = form.dataset.csrf;
  const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  const fill = (text, values) =>
    text.replace(/\{(\w+)\}/g, (all, name) => (name in values ? String(values[name]) : all));

  function choice() {
    const page = form.querySelector('input[name="page"]:checked')?.value ?? 'last';
    return {
      visible: visible.checked,
      position: form.querySelector('input[name="position"]:checked')?.value ?? 'bottom-right',
      page: page === 'number' ? Number(pageNumber.value) || 1 : page,
    };
  }

  function describe() {
    const c = choice();
    for (const fieldset of options.querySelectorAll('fieldset')) fieldset.disabled = !c.visible;
    pageNumber.disabled = !c.visible || form.querySelector('input[name="page"]:checked')?.value !== 'number';
    if (!c.visible) {
      description.textContent = texts.describeInvisible;
      return;
    }
    const page =
      c.page === 'first'
        ? texts.onFirstPage
        : c.page === 'last'
          ? texts.onLastPage
          : fill(texts.onPage, { number: c.page });
    description.textContent = fill(texts.describe, { position: texts.positions[c.position], page });
  }

  function show(kind, text, link) {
    statusBox.replaceChildren();
    const box = document.createElement('p');
    box.className = `b24-alert b24-alert-${kind}`;
    box.id = `sign-${kind}`;
    if (kind === 'progress') {
      const spinner = document.createElement('span');
      spinner.className = 'b24-spinner';
      spinner.setAttribute('aria-hidden', 'true');
      box.append(spinner);
    }
    box.append(document.createTextNode(text));
    if (link) {
      const a = document.createElement('a');
      a.href = link;
      a.target = '_blank';
      a.rel = 'noopener';
      a.id = 'signed-file-link';
      a.textContent = texts.openSigned;
      box.append(document.createTextNode(' '), a);
    }
    statusBox.append(box);
  }

  function errorText(error) {
    const code = error?.code ?? 'GENERIC';
    const template = texts.errors[code] ?? texts.errors.GENERIC;
    const until = error?.details?.lockedUntil;
    const values = { message: error?.message ?? '', until: until ? new Date(until).toLocaleString(texts.locale) : '' };
    return fill(template, values);
  }

  function failed(error) {
    show('error', errorText(error));
    submit.disabled = false;
    if (otp && /^OTP_/.test(error?.code ?? '')) {
      otp.value = '';
      otp.focus();
    }
  }

  async function call(url, init) {
    let response;
    for (;;) {
      response = await fetch(url, {
        ...init,
        headers: {
          accept: 'application/json',
          'content-type': 'application/json',
          'x-dialog-session': session,
          'x-csrf-token': csrf,
        },
        credentials: 'omit',
        cache: 'no-store',
      });
      // Too many status calls at once: wait as told, then ask again (only status calls are limited).
      if (response.status !== 429 || init.method !== 'GET') break;
      await wait(Math.max(1, Number(response.headers.get('retry-after')) || 2) * 1000);
    }
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw body.error ?? { code: 'GENERIC', message: `HTTP ${response.status}` };
    return body;
  }

  async function follow(id) {
    let state = 'approved';
    for (let attempt = 0; attempt < 600; attempt++) {
      const status = await call(`${form.dataset.statusUrl}${encodeURIComponent(id)}?after=${state}`, { method: 'GET' });
      state = status.state;
      if (state === 'completed') {
        show('success', texts.success, status.signedFileUrl);
        submit.disabled = false;
        return;
      }
      if (state === 'failed' || state === 'rejected' || state === 'expired') {
        failed(status.failure ?? { code: 'GENERIC', message: state });
        return;
      }
      show('progress', texts.progress[state] ?? texts.progress.signing);
    }
  }

  async function sign(event) {
    event.preventDefault();
    const [fieldCode, fileId] = (form.elements.file?.value ?? '').split(':');
    const c = choice();
    submit.disabled = true;
    show('progress', texts.progress.sending);
    try {
      const created = await call(form.dataset.signUrl, {
        method: 'POST',
        body: JSON.stringify({
          fieldCode,
          fileId,
          certId: form.elements.cert?.value ?? '',
          otp: otp ? otp.value : undefined,
          visible: c.visible,
          page: c.page,
          position: c.position,
        }),
      });
      show('progress', texts.progress.approved);
      await follow(created.id);
    } catch (error) {
      failed(error instanceof TypeError ? { code: 'NETWORK' } : error);
    }
  }

  form.addEventListener('change', describe);
  form.addEventListener('input', (event) => {
    if (event.target === pageNumber) describe();
  });
  form.addEventListener('submit', sign);
  describe();
})();
