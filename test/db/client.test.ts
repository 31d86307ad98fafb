import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { closeDb, openDb, type Db } from '../../src/db/client.js';
import { migrateDb } from '../../src/db/migrate.js';

describe('src/db/client', () => {
  const dirs: string[] = [];
  const dbs: Db[] = [];
  afterEach(() => {
    for (const db of dbs.splice(0)) closeDb(db);
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('opens the bot database in WAL mode with synchronous=FULL, so a commit survives power loss', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ipvs-db-client-'));
    dirs.push(dir);
    const db = openDb(join(dir, 'bot.db'));
    dbs.push(db);
    migrateDb(db);
    expect(db.$client.pragma('journal_mode', { simple: true })).toBe('wal');
    // 2 = FULL (https://www.sqlite.org/pragma.html#pragma_synchronous); NORMAL would be 1.
    expect(db.$client.pragma('synchronous', { simple: true })).toBe(2);
    expect(db.$client.pragma('foreign_keys', { simple: true })).toBe(1);
  });
});
