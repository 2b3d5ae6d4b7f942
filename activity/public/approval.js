// The approval pages' script (served as a file: the CSP allows scripts from the app only). Every page works
// without it. It does three things:
// - on the approval page of a request being signed, long-polls its status (?after=STATE answers as soon as
//   the state changes) until the request is final, then reloads the page, which shows the outcome;
// - on the "Waiting for me" list, shows the "Select all" box and keeps it in step with the ticks;
// - on a batch's progress page, long-polls the batch's status (?after=MARK answers as soon as any document's
//   state changes: one poll for the whole batch) and shows each document's state and, once signed, the link to
//   the signed file, until every document is final.
// Refused with 429 (too many status calls) it waits as long as Retry-After says; after an error it waits
// longer each time.
(() => {
  const finalStates = new Set(['completed', 'rejected', 'expired', 'failed']);
  const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const fill = (text, values) =>
    text.replace(/\{(\w+)\}/g, (all, name) => (name in values ? String(values[name]) : all));

  // Asks `url()` again and again; `answer(body)` returns true when nothing more is to be waited for.
  async function longPoll(url, answer) {
    let pause = 1000;
    for (let tries = 0; tries < 2000; tries++) {
      try {
        const response = await fetch(url(), { headers: { accept: 'application/json' }, cache: 'no-store' });
        if (response.status === 429) {
          await wait(Math.max(1, Number(response.headers.get('retry-after')) || 2) * 1000);
          continue;
        }
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        if (answer(await response.json())) return;
        pause = 1000;
      } catch {
        // The page stays correct as it is; ask again later, a little later each time.
        await wait(pause);
        pause = Math.min(pause * 2, 30_000);
      }
    }
  }

  function followRequest(outcome) {
    let state = outcome.dataset.state || 'approved';
    longPoll(
      () => `${outcome.dataset.statusUrl}?after=${encodeURIComponent(state)}`,
      (body) => {
        if (finalStates.has(body.state)) {
          window.location.reload();
          return true;
        }
        if (typeof body.state === 'string') state = body.state;
        return false;
      },
    );
  }

  function selectAll(box) {
    const boxes = () => [...document.querySelectorAll('.b24-batch-pick')];
    const sync = () => {
      const ticked = boxes().filter((b) => b.checked).length;
      box.checked = ticked > 0 && ticked === boxes().length;
      box.indeterminate = ticked > 0 && ticked < boxes().length;
    };
    document.getElementById('select-all-row').hidden = false;
    box.addEventListener('change', () => {
      for (const b of boxes()) b.checked = box.checked;
      sync();
    });
    for (const b of boxes()) b.addEventListener('change', sync);
    sync();
  }

  function followBatch(progress) {
    const texts = JSON.parse(document.getElementById('batch-texts').textContent);
    const rules = new Intl.PluralRules(texts.locale);
    const plural = (forms, count) => fill(forms[rules.select(count)] ?? forms.other, { count });
    const stateText = (item) => {
      const reason = fill(texts.errors[item.failure?.code ?? 'GENERIC'] ?? texts.errors.GENERIC, {
        message: item.failure?.message ?? '',
      });
      return fill(texts.states[item.state] ?? item.state, { reason });
    };
    const showItem = (item) => {
      const row = progress.querySelector(`li[data-id="${CSS.escape(item.id)}"]`);
      if (!row || row.dataset.state === item.state) return;
      row.dataset.state = item.state;
      row.querySelector('.b24-batch-state').textContent = stateText(item);
      if (!item.signedFileUrl || row.querySelector('.b24-signed-link')) return;
      const p = document.createElement('p');
      p.className = 'b24-batch-meta';
      const a = document.createElement('a');
      Object.assign(a, { href: item.signedFileUrl, target: '_blank', rel: 'noopener', className: 'b24-signed-link' });
      a.textContent = texts.openSigned;
      p.append(a);
      row.append(p);
    };
    let mark = progress.dataset.mark;
    longPoll(
      () => `${progress.dataset.statusUrl}?after=${encodeURIComponent(mark)}`,
      (status) => {
        for (const item of status.items) showItem(item);
        document.getElementById('batch-count').textContent = fill(texts.progressCount, status);
        Object.assign(document.getElementById('batch-bar'), { max: status.total, value: status.done });
        mark = status.mark;
        if (status.done < status.total) return false;
        const summary = document.getElementById('batch-summary');
        const failed = status.failed > 0 ? ` ${plural(texts.summaryFailed, status.failed)}` : '';
        summary.textContent = `${plural(texts.summarySigned, status.completed)}${failed}`;
        summary.hidden = false;
        return true;
      },
    );
  }

  const outcome = document.getElementById('approval-outcome');
  if (outcome?.dataset.statusUrl) followRequest(outcome);
  const all = document.getElementById('select-all');
  if (all) selectAll(all);
  const progress = document.getElementById('batch-progress');
  if (progress?.dataset.statusUrl) followBatch(progress);
})();
