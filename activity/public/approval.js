// The approval page's script: while an approved request is being signed, it long-polls the status route
// (?after=STATE answers as soon as the state changes) until the request is final, then reloads the page,
// which shows the outcome. Refused with 429 (too many status calls), it waits as long as Retry-After says;
// after an error it waits longer each time. The forms work without it.
(() => {
  const outcome = document.getElementById('approval-outcome');
  const url = outcome?.dataset.statusUrl;
  if (!url) return;
  const finalStates = new Set(['completed', 'rejected', 'expired', 'failed']);
  let state = outcome.dataset.state || 'approved';
  let pause = 1000;
  const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  async function poll() {
    for (let tries = 0; tries < 600; tries++) {
      try {
        const response = await fetch(`${url}?after=${encodeURIComponent(state)}`, {
          headers: { accept: 'application/json' },
          cache: 'no-store',
        });
        if (response.status === 429) {
          await wait(Math.max(1, Number(response.headers.get('retry-after')) || 2) * 1000);
          continue;
        }
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        const body = await response.json();
        if (finalStates.has(body.state)) {
          window.location.reload();
          return;
        }
        if (typeof body.state === 'string') state = body.state;
        pause = 1000;
      } catch {
        // The page itself stays correct; ask again later, a little later each time.
        await wait(pause);
        pause = Math.min(pause * 2, 30_000);
      }
    }
  }
  poll();
})();
