/**
 * File-system errors in words a person reads: the one mapping from Node's errno codes ("ENOENT", "EACCES",
 * "ENOSPC", …) to a sentence ("no such file or folder", "permission denied", "the disk is full"). Every
 * FILE_IO message is made here (`fileIoError`), and the CLI's error printer uses `describeSystemError` for
 * whatever reaches it unwrapped. Names of temporary files (the hidden files an atomic write renames into
 * place) are shown as the file they stand for: the person asked for `out.pdf`, not `.out.pdf.1234….tmp`.
 */
import path from 'node:path';
import { AppError, ErrorCode } from '../errors.js';

/** What a person reads for each errno code; anything else becomes "an unexpected system error". */
const SENTENCES: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or folder',
  EACCES: 'permission denied',
  EPERM: 'the operation is not permitted',
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is used up',
  EROFS: 'the file system is read-only',
  EISDIR: 'it is a folder, not a file',
  ENOTDIR: 'a part of the path is not a folder',
  EEXIST: 'it exists already',
  ENOTEMPTY: 'the folder is not empty',
  EBUSY: 'it is in use',
  ETXTBSY: 'it is in use',
  EMFILE: 'too many files are open',
  ENFILE: 'too many files are open',
  ENAMETOOLONG: 'the name is too long',
  ELOOP: 'too many symbolic links',
  EXDEV: 'it is on another file system',
  EIO: 'an input/output error (a failing disk or a lost network share?)',
  EFBIG: 'the file is too large',
  EINVAL: 'the name or operation is not valid here',
  EAGAIN: 'it is temporarily unavailable',
};

/** The action of a FILE_IO message: "Cannot read FILE", "Cannot write FILE", … */
export type FileAction = 'read' | 'write' | 'create' | 'open' | 'copy' | 'remove' | 'rename' | 'list';

/** Node's errno code of `error` ("ENOENT"), if it has one. */
export function errnoOf(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && /^E[A-Z0-9]+$/.test(code) ? code : undefined;
}

/** A sentence for `error`: its errno code in words, else its message. Never the bare code. */
export function errnoSentence(error: unknown): string {
  const code = errnoOf(error);
  if (code) return SENTENCES[code] ?? 'an unexpected system error';
  return error instanceof Error ? error.message : String(error);
}

/** `.out.pdf.<uuid>.tmp`, `.out.pdf.<pid>.<hex>.tmp`, `.out.pdf.<pid>.<ms>.signed.tmp`, `out.pdf.tmp-<pid>`. */
const TEMP_NAMES = [
  /^\.(.+)\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.tmp$/,
  /^\.(.+)\.\d+\.[0-9a-f]{12}\.tmp$/,
  /^\.(.+)\.\d+\.\d+\.signed\.tmp$/,
  /^(.+)\.tmp-\d+$/,
];

/** The file a temporary file stands for (the same path for any other name). */
export function shownPath(file: string): string {
  const base = path.basename(file);
  for (const pattern of TEMP_NAMES) {
    const target = pattern.exec(base)?.[1];
    if (target) return path.join(path.dirname(file), target);
  }
  return file;
}

/**
 * "Cannot write missing/out.pdf: the folder missing does not exist". A write whose folder is missing says
 * so (ENOENT on a write or create means the folder, the file is about to be made).
 */
export function fileErrorMessage(action: FileAction, file: string, error: unknown): string {
  const shown = shownPath(file);
  const code = errnoOf(error);
  if (code === 'ENOENT' && (action === 'write' || action === 'create')) {
    return `Cannot ${action} ${shown}: the folder ${path.dirname(shown)} does not exist`;
  }
  return `Cannot ${action} ${shown}: ${errnoSentence(error)}`;
}

/** The FILE_IO error for a failed file operation, with the original error as its cause. */
export function fileIoError(action: FileAction, file: string, error: unknown): AppError {
  return new AppError(ErrorCode.FILE_IO, fileErrorMessage(action, file, error), { cause: error });
}

const SYSCALL_ACTIONS: Readonly<Record<string, FileAction>> = {
  open: 'open',
  read: 'read',
  write: 'write',
  mkdir: 'create',
  rename: 'rename',
  unlink: 'remove',
  rmdir: 'remove',
  scandir: 'list',
  copyfile: 'copy',
};

/**
 * An error that reached the top without an AppError around it, in words: a system error names what it was
 * doing and where ("Cannot open /x/out.pdf: permission denied"), anything else gives its message. Temporary
 * file names are replaced by their target's.
 */
export function describeSystemError(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  if (errnoOf(error) && typeof e.path === 'string') {
    return fileErrorMessage(SYSCALL_ACTIONS[e.syscall ?? ''] ?? 'open', e.path, error);
  }
  if (errnoOf(error)) return errnoSentence(error);
  return error instanceof Error ? error.message : String(error);
}

/** Node's own text of a system error: "ENOENT: no such file or directory, open '/x/.out.pdf.123.tmp'". */
const NODE_SYSTEM_ERROR = /\b(E[A-Z0-9]+): [^,'\n]+, (\w+) '([^']+)'(?: -> '[^']+')?/g;

/**
 * A message with any of Node's system-error texts inside it put in words (a library may have wrapped one
 * into its own message): the code becomes its sentence and a temporary file its target.
 */
export function humanizeMessage(message: string): string {
  return message.replace(NODE_SYSTEM_ERROR, (_all, code: string, syscall: string, file: string) =>
    fileErrorMessage(SYSCALL_ACTIONS[syscall] ?? 'open', file, { code }),
  );
}
