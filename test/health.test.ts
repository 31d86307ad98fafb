import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createHealth, sqliteWritable } from '../src/health.js';

const dirs: string[] = [];
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });
function tempDb(): { dir: string; path: string } {
  const dir = mkdtempSync(join(tmpdir(), 'ipvs-bot-health-'));
  dirs.push(dir);
  return { dir, path: join(dir, 'bot.db') };
}

describe('src/health', () => {
  it('is live with a writable DB, and not ready until every declared condition is reported', async () => {
    const { path } = tempDb();
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    const h = createHealth();
    h.addLiveCheck('db', sqliteWritable(db));
    h.require('migrations');
    h.require('config');
    h.require('slack');
    expect((await h.liveness()).ok).toBe(true);
    let r = await h.readiness();
    expect(r.ok).toBe(false);
    expect(r.checks.filter((c) => !c.ok).map((c) => c.name)).toEqual(['migrations', 'config', 'slack']);
    h.set('migrations', true);
    h.set('config', true);
    h.set('slack', true);
    expect((await h.readiness()).ok).toBe(true);
    h.set('slack', false, 'socket mode disconnected');
    r = await h.readiness();
    expect(r.ok).toBe(false);
    expect(r.checks.find((c) => c.name === 'slack')).toEqual({ name: 'slack', ok: false, detail: 'socket mode disconnected' });
    // require() after set() does not undo a reported condition
    h.set('slack', true);
    h.require('slack');
    expect((await h.readiness()).ok).toBe(true);
    db.close();
  });

  it('is not live when another process holds the DB write lock, or the connection is read-only', async () => {
    const { path } = tempDb();
    const db = new Database(path, { timeout: 50 });
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE t (x)');
    const other = new Database(path);
    other.exec('BEGIN IMMEDIATE');
    const h = createHealth();
    h.addLiveCheck('db', sqliteWritable(db));
    const r = await h.liveness();
    expect(r.ok).toBe(false);
    expect(r.checks[0]?.detail).toMatch(/locked|busy/i);
    other.exec('ROLLBACK');
    expect((await h.liveness()).ok).toBe(true);
    const ro = new Database(path, { readonly: true });
    expect(await createHealthWith(ro)).toEqual({ ok: false, checks: [{ name: 'db', ok: false, detail: 'database opened read-only' }] });
    for (const d of [db, other, ro]) d.close();
  });

  it('is not live when the DB directory is gone (volume lost) or stops taking new files', async () => {
    const { dir, path } = tempDb();
    const db = new Database(path);
    expect((await createHealthWith(db)).ok).toBe(true);
    if (process.getuid?.() !== 0) {
      chmodSync(dir, 0o500); // root ignores directory modes, so only checked as a normal user
      expect((await createHealthWith(db)).ok).toBe(false);
      chmodSync(dir, 0o700);
    }
    rmSync(dir, { recursive: true, force: true });
    const r = await createHealthWith(db);
    expect(r.ok).toBe(false);
    expect(r.checks[0]?.detail).toContain('ENOENT');
    db.close();
  });
});

async function createHealthWith(db: Database.Database) {
  const h = createHealth();
  h.addLiveCheck('db', sqliteWritable(db));
  return h.liveness();
}
