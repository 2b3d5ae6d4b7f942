// The verification page's form: tells the server the browser's time zone (times are shown in it), accepts a
// dropped file, names the chosen file, and stops a file over the size limit before it is sent.
(() => {
  const form = document.querySelector('.verify-form');
  if (!form) return;
  const zone = form.querySelector('input[name="tz"]');
  try {
    zone.value = Intl.DateTimeFormat().resolvedOptions().timeZone || '';
  } catch {
    zone.value = '';
  }
  const input = form.querySelector('input[type="file"]');
  const drop = form.querySelector('.verify-drop');
  const chosen = form.querySelector('.verify-chosen');
  const maxBytes = Number(form.dataset.maxBytes);
  const show = () => {
    const file = input.files?.[0];
    if (!file) {
      chosen.textContent = '';
      return;
    }
    chosen.textContent =
      file.size > maxBytes ? form.dataset.tooLarge : form.dataset.chosen.replace('{name}', file.name);
  };
  input.addEventListener('change', show);
  for (const type of ['dragenter', 'dragover']) {
    drop.addEventListener(type, (event) => {
      event.preventDefault();
      drop.classList.add('dragging');
    });
  }
  for (const type of ['dragleave', 'drop']) drop.addEventListener(type, () => drop.classList.remove('dragging'));
  drop.addEventListener('drop', (event) => {
    event.preventDefault();
    if (event.dataTransfer && event.dataTransfer.files.length > 0) {
      input.files = event.dataTransfer.files;
      show();
    }
  });
  form.addEventListener('submit', (event) => {
    const file = input.files?.[0];
    if (file && file.size > maxBytes) {
      event.preventDefault();
      chosen.textContent = form.dataset.tooLarge;
    }
  });
})();
