// Opens the SQLite store with the pragmas every process uses: WAL (readers never block the writer, so the
// CLI can export while the bot runs), foreign keys on, a busy timeout instead of SQLITE_BUSY at once.
// synchronous=FULL: in WAL mode NORMAL is durable across a process crash but a commit can be lost on power loss
// or an OS crash (https://www.sqlite.org/pragma.html#pragma_synchronous); an audit record of an approval or of a
// patch the cluster already applied must survive both (issue #15 item 4; cost in README "Benchmarks").
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import * as schema from './schema/index.js';

export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database };

export interface OpenDbOptions { readonly?: boolean; busyTimeoutMs?: number }

export function openDb(path: string, opts: OpenDbOptions = {}): Db {
  const memory = path === ':memory:' || path === '';
  if (!memory && !opts.readonly) mkdirSync(dirname(path), { recursive: true });
  const sqlite = new Database(memory ? ':memory:' : path, { readonly: opts.readonly ?? false, fileMustExist: opts.readonly ?? false });
  sqlite.pragma(`busy_timeout = ${opts.busyTimeoutMs ?? 5000}`);
  if (!opts.readonly) {
    if (!memory) sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = FULL');
  }
  sqlite.pragma('foreign_keys = ON');
  return drizzle(sqlite, { schema }) as Db;
}

export function closeDb(db: Db): void {
  if (db.$client.open) db.$client.close();
}
