/**
 * Writing to people: `crm.timeline.comment.add` (deal history) and `im.notify.system.add` /
 * `im.notify.personal.add` (notifications) [bitrix24.md §6.3, §6.4; doc crm-timeline-comment-add,
 * im-notify-system-add].
 *
 * - The comment wrapper must be lower-case `fields` (since crm 23.100.0); ENTITY_ID, ENTITY_TYPE and COMMENT
 *   are required (`100`), an empty COMMENT is `INVALID_ARG_VALUE`, a missing deal `OWNER_NOT_FOUND`; the result
 *   is the new comment id. Whether `AUTHOR_ID` is honoured is [UNCONFIRMED]: the record keeps both the token's
 *   user and the requested author.
 * - A notification needs USER_ID (`USER_ID_EMPTY`) and MESSAGE (`MESSAGE_EMPTY`); the result is its id.
 */
import type { TimelineComment } from './portal-state.js';
import { asId, asRecord, asText, badRequest, type CallContext, type MethodTable, param } from './rest-context.js';

function commentFiles(value: unknown): TimelineComment['files'] {
  if (value === undefined || value === '') return [];
  if (!Array.isArray(value)) throw badRequest('INVALID_ARG_VALUE', 'FILES must be an array');
  return value.map((pair) => {
    if (!Array.isArray(pair) || typeof pair[0] !== 'string' || typeof pair[1] !== 'string') {
      throw badRequest('INVALID_ARG_VALUE', 'Each file must be ["name", "<base64>"]');
    }
    return { name: pair[0], bytes: Buffer.from(pair[1], 'base64') };
  });
}

function addComment(ctx: CallContext): number {
  // Lower-case `fields` only: `param()` would accept `FIELDS`, which current cores no longer do.
  const fields = asRecord(ctx.params.fields);
  if (fields === undefined) throw badRequest('100', 'Required fields not provided');
  const entityId = asId(fields.ENTITY_ID);
  const entityType = asText(fields.ENTITY_TYPE).toLowerCase();
  if (entityId === undefined || entityType === '' || fields.COMMENT === undefined) {
    throw badRequest('100', 'Required fields not provided');
  }
  const comment = asText(fields.COMMENT);
  if (comment.trim() === '') throw badRequest('INVALID_ARG_VALUE', 'Empty comment');
  if (entityType !== 'deal' || !ctx.portal.deals.has(entityId)) {
    throw badRequest('OWNER_NOT_FOUND', 'Owner of the element not found');
  }
  const record: TimelineComment = {
    id: ctx.portal.nextId('comment'),
    entityType,
    entityId,
    comment,
    authorId: ctx.user.id,
    requestedAuthorId: asId(fields.AUTHOR_ID),
    files: commentFiles(fields.FILES),
    atMs: ctx.core.now(),
  };
  ctx.portal.timeline.push(record);
  return record.id;
}

function notify(ctx: CallContext, method: string): number {
  const toUserId = asId(param(ctx.params, 'USER_ID'));
  if (toUserId === undefined) throw badRequest('USER_ID_EMPTY', 'Recipient is not specified');
  const message = asText(param(ctx.params, 'MESSAGE')).trim();
  if (message === '') throw badRequest('MESSAGE_EMPTY', 'Message text is empty');
  const attach = param(ctx.params, 'ATTACH');
  const attachText = typeof attach === 'string' ? attach : JSON.stringify(attach ?? '');
  if (attachText.length > 60_000) throw badRequest('ATTACH_OVERSIZE', 'The attachment is too large');
  const id = ctx.portal.nextId('notification');
  ctx.portal.notifications.push({
    id,
    atMs: ctx.core.now(),
    method,
    fromUserId: ctx.user.id,
    toUserId,
    message,
    messageOut: asText(param(ctx.params, 'MESSAGE_OUT')),
    tag: asText(param(ctx.params, 'TAG')),
    subTag: asText(param(ctx.params, 'SUB_TAG')),
    attach,
  });
  return id;
}

/** Timeline and notification methods. */
export const timelineNotifyMethods: MethodTable = {
  'crm.timeline.comment.add': { scopes: ['crm'], run: (ctx) => ({ result: addComment(ctx) }) },
  'im.notify.system.add': { scopes: ['im'], run: (ctx) => ({ result: notify(ctx, 'im.notify.system.add') }) },
  'im.notify.personal.add': { scopes: ['im'], run: (ctx) => ({ result: notify(ctx, 'im.notify.personal.add') }) },
};
