/**
 * Which REST methods only read, and so may be repeated when their answer is lost (a timeout, a dropped
 * connection, a 5xx). Everything else is treated as a write: `bizproc.event.send`, `crm.item.update`,
 * `crm.timeline.comment.add`, `im.notify.*`, `disk.*.upload*` … are never repeated blindly by the client
 * (reference §9: a lost call may have run; repeating it can add a second comment or file). A caller that
 * knows a write is idempotent (e.g. `crm.item.update` with the same fields) may say so per call.
 */

/** Reads whose names do not follow the `.get`/`.list` pattern. */
const READS = new Set([
  'profile',
  'user.current',
  'user.admin',
  'user.access',
  'app.info',
  'methods',
  'method.get',
  'scope',
  'events',
  'server.time',
  'feature.get',
  'bizproc.workflow.instances',
]);

/** Last name segments that mean "read" (`crm.item.get`, `crm.deal.userfield.list`, `crm.item.fields`, `user.search` …). */
const READ_SUFFIXES = new Set([
  'get',
  'list',
  'fields',
  'search',
  'getlist',
  'getfields',
  'getchildren',
  'getstorage',
  'getfile',
  'count',
]);

/** True when `method` only reads (case-insensitive, `.json` suffix ignored). */
export function isReadMethod(method: string): boolean {
  const name = method.toLowerCase().replace(/\.json$/, '');
  if (READS.has(name)) return true;
  const last = name.slice(name.lastIndexOf('.') + 1);
  return READ_SUFFIXES.has(last);
}
