// The approval page's script: while an approved request is being signed, it asks the status route until the
// request is final and then reloads the page, which shows the outcome. The forms work without it.
(() => {
  const outcome = document.getElementById('approval-outcome');
  const url = outcome?.dataset.statusUrl;
  if (!url) return;
  const finalStates = new Set(['completed', 'rejected', 'expired', 'failed']);
  let tries = 0;
  async function poll() {
    tries += 1;
    try {
      const response = await fetch(url, { headers: { accept: 'application/json' }, cache: 'no-store' });
      const body = await response.json();
      if (finalStates.has(body.state)) {
        window.location.reload();
        return;
      }
    } catch {
      // Try again below; the page itself stays correct.
    }
    if (tries < 300) setTimeout(poll, 1000);
  }
  setTimeout(poll, 500);
})();
