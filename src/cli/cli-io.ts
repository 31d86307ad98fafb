// Shared plumbing for the CLI commands: the io they write to, usage errors, and turning SQLite / file-system
// failures into one clear sentence (the CLI never prints a stack trace).
import { existsSync } from 'node:fs';
import { closeDb, openDb, type Db } from '../db/client.js';
import { UsageError } from './usage-error.js';

export { UsageError };

export interface CliIo { out: NodeJS.WritableStream; err: NodeJS.WritableStream; env: NodeJS.ProcessEnv }

/** SQLite and fs errors → a sentence for the person. Unknown errors keep their message (still no stack). */
export function describeError(e: unknown, dbPath?: string): string {
  const err = e as { code?: string; message?: string; path?: string };
  const where = dbPath ? ` (${dbPath})` : '';
  switch (err?.code) {
    case 'SQLITE_BUSY': case 'SQLITE_LOCKED': case 'SQLITE_BUSY_SNAPSHOT':
      return `the database is locked by another process${where}; try again, or stop the process holding it`;
    case 'SQLITE_FULL': case 'ENOSPC':
      return `no space left on the device${err.path ? ` writing ${err.path}` : where}; free some space and retry`;
    case 'SQLITE_CANTOPEN': return `cannot open the database file${where}: missing, or no permission`;
    case 'SQLITE_NOTADB': return `not a SQLite database${where}`;
    case 'SQLITE_CORRUPT': return `the database file is corrupt${where}`;
    case 'SQLITE_READONLY': return `the database is read-only${where}`;
    case 'SQLITE_IOERR': case 'EIO': return `I/O error${where}: ${err.message ?? ''}`;
    case 'EACCES': case 'EPERM': return `permission denied${err.path ? `: ${err.path}` : where}`;
    case 'ENOENT': return `no such file or directory${err.path ? `: ${err.path}` : where}`;
    case 'EISDIR': return `is a directory${err.path ? `: ${err.path}` : where}`;
    default: return err?.message ?? String(e);
  }
}

/** Opens an existing DB for reading only (a WAL reader: works while the bot writes). */
export function openExistingReadonly(path: string, busyTimeoutMs?: number): Db {
  if (path !== ':memory:' && !existsSync(path)) throw new UsageError(`cannot open the database ${path}: no such file (check --db)`);
  return openDb(path, { readonly: true, ...(busyTimeoutMs !== undefined ? { busyTimeoutMs } : {}) });
}

export function parseBusyTimeout(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d{1,7}$/.test(text)) throw new UsageError(`--busy-timeout must be milliseconds (a whole number), got "${text}"`);
  return Number(text);
}

export async function withDb<T>(db: Db, fn: (db: Db) => Promise<T> | T): Promise<T> {
  try {
    return await fn(db);
  } finally {
    closeDb(db);
  }
}
