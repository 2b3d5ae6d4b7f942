// The Sign dialog's script (served as a file: the page's CSP allows scripts from the app only). It keeps the
// description beside the position grid in step with the choice, sends the signature of the ticked files
// (POST ../dialog/sign, the page's signed session and its CSRF token in headers; several files are one code,
// one request each), then follows them (GET ../dialog/progress?ids=…, one long poll for all; a 429 waits as
// long as Retry-After says) until each is completed (link to its signed file) or failed (a specific message);
// the form stays usable.
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

  // The code is asked only once the choice is valid: a PDF ticked, a certificate, and for a visible stamp a
  // position and a page number that is one; a code typed for a choice that cannot be signed is wasted.
  const codeField = document.getElementById('otp-field');
  const codeNote = document.getElementById('code-after-choice');
  function choiceIsValid() {
    const c = choice();
    const ticked = form.querySelectorAll('input[name="file"]:checked:not([disabled])').length > 0;
    const cert = Boolean(form.elements.cert?.value);
    const pageOk = !c.visible || typeof c.page !== 'number' || (Number.isInteger(c.page) && c.page >= 1);
    const positionOk = !c.visible || Boolean(form.querySelector('input[name="position"]:checked'));
    return ticked && cert && pageOk && positionOk;
  }
  function gateCode() {
    const valid = choiceIsValid();
    if (codeField) codeField.hidden = !valid;
    if (codeNote) codeNote.hidden = valid;
    if (!submit.dataset.busy) submit.disabled = !valid;
  }

  function describe() {
    gateCode();
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
    description.textContent = fill(texts.describe, { position: texts.positionPhrases[c.position], page });
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
    // An empty code is not a wrong one: it gets "enter the code" (details.reason 'missing').
    const missing = error?.code === 'OTP_INVALID' && error?.details?.reason === 'missing';
    const code = missing ? 'OTP_MISSING' : (error?.code ?? 'GENERIC');
    const template = texts.errors[code] ?? texts.errors.GENERIC;
    // The server writes the time in the signer's zone and the one format of the service (date-time.ts).
    const values = {
      message: error?.message ?? '',
      until: error?.details?.lockedUntilText ?? '',
      // The hint names the button by the label it has now.
      button: submit.textContent.trim(),
    };
    return fill(template, values);
  }

  function failed(error) {
    show('error', errorText(error));
    delete submit.dataset.busy;
    gateCode();
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

  const rules = new Intl.PluralRules(texts.locale);
  const plural = (forms, count) => fill(forms[rules.select(count)] ?? forms.other, { count });
  const progressList = document.getElementById('sign-files-progress');

  function stateText(item) {
    const reason = item.failure ? errorText(item.failure) : '';
    return fill(texts.states[item.state] ?? item.state, { reason });
  }

  // Several files: one line per file with its state and, once signed, the link to the signed file.
  function listFiles(requests, labels) {
    progressList.replaceChildren();
    for (const request of requests) {
      const li = document.createElement('li');
      li.className = 'b24-batch-item';
      li.dataset.id = request.id;
      const title = document.createElement('span');
      title.className = 'b24-batch-title';
      title.textContent = labels.get(`${request.fieldCode}:${request.fileId}`) ?? request.id;
      const state = document.createElement('p');
      state.className = 'b24-batch-state';
      state.textContent = stateText(request);
      li.append(title, state);
      progressList.append(li);
    }
    progressList.hidden = false;
  }

  function showFiles(status) {
    for (const item of status.items) {
      const li = progressList.querySelector(`li[data-id="${CSS.escape(item.id)}"]`);
      if (!li || li.dataset.state === item.state) continue;
      li.dataset.state = item.state;
      li.querySelector('.b24-batch-state').textContent = stateText(item);
      if (item.signedFileUrl && !li.querySelector('a')) {
        const a = document.createElement('a');
        a.href = item.signedFileUrl;
        a.target = '_blank';
        a.rel = 'noopener';
        a.className = 'b24-signed-link';
        a.textContent = texts.openSigned;
        const p = document.createElement('p');
        p.className = 'b24-batch-meta';
        p.append(a);
        li.append(p);
      }
    }
  }

  function finish(status, single) {
    delete submit.dataset.busy;
    gateCode();
    if (single) {
      const item = status.items[0];
      if (item.state === 'completed') show('success', texts.success, item.signedFileUrl);
      else failed(item.failure ?? { code: 'GENERIC', message: item.state });
      return;
    }
    if (status.failed === 0) show('success', plural(texts.successMany, status.completed));
    else show('error', fill(texts.partly, { done: status.completed, total: status.total }));
  }

  // One long poll for all the files (?after=MARK answers as soon as any of them moves).
  async function follow(requests) {
    const single = requests.length === 1;
    const ids = requests.map((r) => r.id).join(',');
    let mark = '';
    for (let attempt = 0; attempt < 2000; attempt++) {
      const after = mark ? `&after=${encodeURIComponent(mark)}` : '';
      const status = await call(`${form.dataset.progressUrl}?ids=${encodeURIComponent(ids)}${after}`, {
        method: 'GET',
      });
      mark = status.mark;
      if (!single) showFiles(status);
      if (status.done === status.total) {
        finish(status, single);
        return;
      }
      if (single) show('progress', texts.progress[status.items[0].state] ?? texts.progress.signing);
      else show('progress', fill(texts.progressCount, { done: status.done, total: status.total }));
    }
  }

  async function sign(event) {
    event.preventDefault();
    const chosen = [...form.querySelectorAll('input[name="file"]:checked')];
    if (chosen.length === 0) {
      show('error', texts.noneChosen);
      return;
    }
    const labels = new Map(chosen.map((box) => [box.value, box.parentElement.textContent.trim()]));
    const files = chosen.map((box) => {
      const [fieldCode, fileId] = box.value.split(':');
      return { fieldCode, fileId };
    });
    const c = choice();
    submit.dataset.busy = '1';
    submit.disabled = true;
    progressList.hidden = true;
    show('progress', texts.progress.sending);
    try {
      const created = await call(form.dataset.signUrl, {
        method: 'POST',
        body: JSON.stringify({
          files,
          certId: form.elements.cert?.value ?? '',
          otp: otp ? otp.value : undefined,
          visible: c.visible,
          page: c.page,
          position: c.position,
        }),
      });
      if (created.requests.length > 1) listFiles(created.requests, labels);
      show('progress', texts.progress.approved);
      await follow(created.requests);
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
