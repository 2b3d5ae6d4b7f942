/**
 * The Bitrix24 routes of a service that has no Bitrix24 app configured (no B24_CLIENT_ID / B24_CLIENT_SECRET):
 * every /b24/… path answers 503 with a sentence for the administrator — JSON for Bitrix24's server-to-server
 * calls, a page in the visitor's language for the app page — instead of a bare 404 that looks like a wrong
 * URL. Nothing is stored or called.
 */
import { Router } from '@koa/router';
import { AppError, ErrorCode } from '../../shared/errors.js';

export function bitrix24OffRoutes(): Router {
  const router = new Router();
  router.all(/^\/b24(\/.*)?$/, () => {
    throw new AppError(
      ErrorCode.B24_APP_NOT_CONFIGURED,
      'The Bitrix24 app is off on this SignService: its administrator has not set B24_CLIENT_ID and ' +
        "B24_CLIENT_SECRET (the keys of the portal's local application). Nothing was done.",
    );
  });
  return router;
}
