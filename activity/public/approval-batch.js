// The batch pages' script (served as a file: the CSP allows scripts from the app only). On the "Waiting for
// me" list it shows the "Select all" box and keeps it in step with the ticks. On a batch's progress page it
// long-polls the batch's status route (?after=MARK answers as soon as any document's state changes; one poll
// for the whole batch) and shows each document's state and, once signed, the link to the signed file, until
// every document is final. Refused with 429 it waits as long as Retry-After says; after an error it waits
// longer each time. Both pages work without it (the progress page has a link that shows the current state).
(() => {
  const selectAll = document.getElementById('select-all');
  if (selectAll) {
    const boxes = () => [...document.querySelectorAll('.b24-batch-pick')];
    const sync = () => {
      const ticked = boxes().filter((b) => b.checked).length;
      selectAll.checked = ticked > 0 && ticked === boxes().length;
      selectAll.indeterminate = ticked > 0 && ticked < boxes().length;
    };
    document.getElementById('select-all-row').hidden = false;
    selectAll.addEventListener('change', () => {
      for (const box of boxes()) box.checked = selectAll.checked;
      sync();
    });
    for (const box of boxes()) box.addEventListener('change', sync);
    sync();
  }

  const progress = document.getElementById('batch-progress');
  const url = progress?.dataset.statusUrl;
  if (!url) return;
  const texts = JSON.parse(document.getElementById('batch-texts').textContent);
  const rules = new Intl.PluralRules(texts.locale);
  const finalStates = new Set(['completed', 'rejected', 'expired', 'failed']);
  const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const fill = (text, values) =>
    text.replace(/\{(\w+)\}/g, (all, name) => (name in values ? String(values[name]) : all));
  const plural = (forms, count) => fill(forms[rules.select(count)] ?? forms.other, { count });
  let mark = progress.dataset.mark;
  let pause = 1000;

  function stateText(item) {
    const template = texts.states[item.state] ?? item.state;
    const code = item.failure?.code ?? 'GENERIC';
    const reason = fill(texts.errors[code] ?? texts.errors.GENERIC, { message: item.failure?.message ?? '' });
    return fill(template, { reason });
  }

  function show(status) {
    for (const item of status.items) {
      const row = progress.querySelector(`li[data-id="${CSS.escape(item.id)}"]`);
      if (!row || row.dataset.state === item.state) continue;
      row.dataset.state = item.state;
      row.querySelector('.b24-batch-state').textContent = stateText(item);
      if (item.signedFileUrl && !row.querySelector('.b24-signed-link')) {
        const p = document.createElement('p');
        p.className = 'b24-batch-meta';
        const a = document.createElement('a');
        a.href = item.signedFileUrl;
        a.target = '_blank';
        a.rel = 'noopener';
        a.className = 'b24-signed-link';
        a.textContent = texts.openSigned;
        p.append(a);
        row.append(p);
      }
    }
    document.getElementById('batch-count').textContent = fill(texts.progressCount, {
      done: status.done,
      total: status.total,
    });
    const bar = document.getElementById('batch-bar');
    bar.max = status.total;
    bar.value = status.done;
    if (status.done === status.total) {
      const summary = document.getElementById('batch-summary');
      const failed = status.failed > 0 ? ` ${plural(texts.summaryFailed, status.failed)}` : '';
      summary.textContent = `${plural(texts.summarySigned, status.completed)}${failed}`;
      summary.hidden = false;
    }
  }

  async function poll() {
    for (let tries = 0; tries < 2000; tries++) {
      try {
        const response = await fetch(`${url}?after=${encodeURIComponent(mark)}`, {
          headers: { accept: 'application/json' },
          cache: 'no-store',
        });
        if (response.status === 429) {
          await wait(Math.max(1, Number(response.headers.get('retry-after')) || 2) * 1000);
          continue;
        }
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        const status = await response.json();
        show(status);
        mark = status.mark;
        pause = 1000;
        if (status.items.every((item) => finalStates.has(item.state))) return;
      } catch {
        // The page stays correct as it is; ask again later, a little later each time.
        await wait(pause);
        pause = Math.min(pause * 2, 30_000);
      }
    }
  }
  poll();
})();
