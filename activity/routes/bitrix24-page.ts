/**
 * The app page inside the portal's iframe (reference §1.1, §1.3). During a UI install it loads the Bitrix24
 * JS library and calls `BX24.installFinish()` — until then the portal shows no widgets and sends no events.
 * Its own CSP: framed by the portal only, scripts only from the Bitrix24 library host and the one inline
 * script carrying this request's nonce.
 */
import type { Context } from 'koa';

/** The library that provides `BX24` (Bitrix24's documented include). */
const BX24_LIBRARY = 'https://api.bitrix24.com/api/v1/';

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Answers the page: "installed", and the installFinish call while installing. */
export function installedPage(ctx: Context, options: { domain: string; finishInstall: boolean; language?: string }) {
  const ru = options.language?.toLowerCase() === 'ru';
  const nonce = ctx.state.cspNonce as string;
  const host = options.domain.replace(/[^A-Za-z0-9.:-]/g, '');
  ctx.set(
    'Content-Security-Policy',
    [
      "default-src 'none'",
      `script-src 'nonce-${nonce}' ${BX24_LIBRARY}`,
      `style-src 'nonce-${nonce}'`,
      `frame-ancestors https://${host}`,
      "base-uri 'none'",
    ].join('; '),
  );
  ctx.remove('X-Frame-Options');
  const heading = ru ? 'SignService установлен' : 'SignService is installed';
  const text = ru
    ? 'Робот «Утвердить и подписать PDF» доступен в роботах сделок и в бизнес-процессах.'
    : 'The "Approve & sign PDF" robot is available in deal automation rules and business processes.';
  const finish = options.finishInstall
    ? `<script src="${BX24_LIBRARY}"></script>\n<script nonce="${nonce}">BX24.init(function () { BX24.installFinish(); });</script>`
    : '';
  ctx.type = 'html';
  ctx.body = `<!doctype html>
<html lang="${ru ? 'ru' : 'en'}"><head><meta charset="utf-8"><title>${escapeHtml(heading)}</title>
<style nonce="${nonce}">body{font-family:sans-serif;margin:2rem}</style></head>
<body><h1 id="installed">${escapeHtml(heading)}</h1><p>${escapeHtml(text)}</p>
${finish}
</body></html>`;
}
