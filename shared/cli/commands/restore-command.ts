/** `signservice restore BACKUP_DIR`: see backup-command.ts, which holds both halves. */
export { runRestore as run } from './backup-command.js';
