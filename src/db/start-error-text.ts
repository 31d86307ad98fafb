// The one readable line for a database that cannot be opened or written at start: SQLite's own words
// ("unable to open database file", "disk I/O error") name neither the file nor why, so we add both.
import { accessSync, constants, statSync } from 'node:fs';
import { dirname } from 'node:path';

function errnoOf(fn: () => void): string | undefined {
  try { fn(); return undefined; } catch (e) { return (e as NodeJS.ErrnoException).code ?? 'error'; }
}

/** What is likely wrong with the DB at `path`, looked up on the file system (no write attempted). */
export function likelyDbCause(path: string, sqliteCode: string): string {
  const st = (() => { try { return statSync(path); } catch { return undefined; } })();
  if (st?.isDirectory()) return 'the path is a directory; IPVS_BOT_DB must name a file';
  const dir = dirname(path);
  const target = st ? path : dir;
  const w = errnoOf(() => accessSync(target, constants.W_OK));
  if (w === 'EROFS') return `${target === dir ? 'its directory' : 'the file'} is on a read-only file system (a read-only mount or volume)`;
  if (w === 'EACCES' || w === 'EPERM') return `${target} is not writable by this process (uid ${process.getuid?.() ?? '?'}); check its owner and mode`;
  if (w === 'ENOENT') return `the directory ${dir} does not exist`;
  if (sqliteCode === 'SQLITE_FULL') return 'the disk holding it is full';
  if (sqliteCode.startsWith('SQLITE_IOERR')) return 'the disk failed a read or write (full, remounted read-only, or a failing device)';
  if (sqliteCode === 'SQLITE_READONLY') return 'the file or its -wal/-shm companions are read-only';
  return `check that ${dir} is writable and has free space`;
}

/** For a SQLite error at start-up: the message with the path and the likely cause; undefined for anything else. */
export function dbStartErrorText(err: unknown, path: string): string | undefined {
  const code = (err as { code?: unknown })?.code;
  if (typeof code !== 'string' || !code.startsWith('SQLITE_')) return undefined;
  return `the database ${path} cannot be used: ${(err as Error).message} (${code}). Likely cause: ${likelyDbCause(path, code)}.`;
}
