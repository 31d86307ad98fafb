import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { closeDb, openDb } from '../../src/db/client.js';
import { migrateDb } from '../../src/db/migrate.js';
import { recordAudit } from '../../src/db/audit-store.js';
import { tempDir } from '../support/temp-dirs.js';

const exec = promisify(execFile);
const CLI = ['--import', 'tsx', 'src/cli.ts'];

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await exec(process.execPath, [...CLI, ...args], { cwd: process.cwd() });
    return { code: 0, ...r };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

function seeded(): string {
  const path = join(tempDir('cli-'), 'bot.db');
  const db = openDb(path);
  migrateDb(db);
  for (let i = 0; i < 5; i++) recordAudit(db, { actor: 'U1', cluster: i < 3 ? 'a' : 'b', type: 'step', payload: { i } });
  closeDb(db);
  return path;
}

describe('src/cli audit', () => {
  it('exports JSONL for one cluster to a file and verifies the chain while another connection holds the DB open', async () => {
    const path = seeded();
    const holder = openDb(path); // the "running bot"
    const out = join(tempDir('cli-out-'), 'a.jsonl');
    const exp = await cli(['audit', 'export', '--db', path, '--cluster', 'a', '--format', 'jsonl', '--out', out]);
    expect(exp.code).toBe(0);
    const lines = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; cluster?: string });
    expect(lines).toHaveLength(4);
    expect(lines.at(-1)).toMatchObject({ type: 'manifest', count: 3 });
    const ver = await cli(['audit', 'verify', '--db', path]);
    expect(ver).toMatchObject({ code: 0 });
    expect(ver.stdout).toMatch(/intact: 5 events/);
    closeDb(holder);
  });

  it('exits 1 naming the row when the chain was tampered with', async () => {
    const path = seeded();
    const raw = new Database(path);
    raw.exec("DROP TRIGGER audit_events_no_update; UPDATE audit_events SET actor = 'U9' WHERE seq = 4");
    raw.close();
    const ver = await cli(['audit', 'verify', '--db', path]);
    expect(ver.code).toBe(1);
    expect(ver.stdout).toMatch(/BROKEN at row 4/);
  });

  it('exits 2 with a clear message for bad usage and a missing DB, never a stack trace', async () => {
    const bad = await cli(['audit', 'export', '--db', '/nonexistent/x.db', '--format', 'xml']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--format jsonl\|csv is required/);
    const missing = await cli(['audit', 'verify', '--db', '/nonexistent/x.db']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot open the database/);
    expect(missing.stderr).not.toMatch(/\n\s+at /);
    const unknown = await cli(['frobnicate']);
    expect(unknown.code).toBe(2);
  });
});
