// Issue #14 item 10: the audit tail cannot be cut unseen. Deleting the last rows — through the prune authorization
// table with the triggers in place, or with the triggers dropped — leaves a chain that still links; `audit verify`
// must see it from SQLite's own AUTOINCREMENT counter (sqlite_sequence) and from the head row the bot keeps.
import { PassThrough } from 'node:stream';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { headSignature } from '../../src/audit/audit-head.js';
import { auditVerifyCommand } from '../../src/cli/audit-verify.js';
import { exportAudit } from '../../src/audit/export-audit.js';
import { closeDb, openDb } from '../../src/db/client.js';
import { migrateDb } from '../../src/db/migrate.js';
import { recordAudit, setAuditHeadKey } from '../../src/db/audit-store.js';
import { tempDbPath } from './fixtures/audit-db.js';

const KEY = 'k'.repeat(32);
const N = 10;

function seed(key?: string): string {
  const path = tempDbPath('audit-tail-');
  const db = openDb(path);
  migrateDb(db);
  setAuditHeadKey(db, key);
  for (let i = 1; i <= N; i++) recordAudit(db, { actor: 'U1', cluster: 'a', runId: 'r1', type: 'step', payload: { i } });
  closeDb(db);
  return path;
}

async function verifyCli(path: string, env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; err: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  let o = '';
  let e = '';
  out.on('data', (c: Buffer) => { o += c.toString(); });
  err.on('data', (c: Buffer) => { e += c.toString(); });
  const code = await auditVerifyCommand(['--db', path], { out, err, env });
  return { code, out: o, err: e };
}

/** The attack of the issue: an authorization row covering the tail lets the DELETE trigger pass. */
function cutTailThroughAuthorization(path: string, from: number): void {
  const raw = new Database(path);
  raw.prepare('INSERT INTO audit_prune_authorizations (up_to_seq, checkpoint_seq, created_at) VALUES (?, ?, ?)').run(N, N + 1, new Date().toISOString());
  raw.prepare('DELETE FROM audit_events WHERE seq >= ?').run(from);
  raw.close();
}

describe('audit verify: a cut tail', () => {
  it('exits 0 on an intact chain', async () => {
    const r = await verifyCli(seed(KEY), { IPVS_BOT_AUDIT_KEY: KEY });
    expect(r).toMatchObject({ code: 0, out: expect.stringContaining(`audit chain intact: ${N} events`) });
    expect(r.err).toBe('');
  });

  it('names the missing rows when the last rows were deleted through the prune authorization table, triggers in place', async () => {
    const path = seed(KEY);
    cutTailThroughAuthorization(path, 8);
    const r = await verifyCli(path, { IPVS_BOT_AUDIT_KEY: KEY });
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/audit chain TRUNCATED: rows 8\.\.10 missing at the end of the chain/);
    expect(r.out).toContain('7 event(s) still there verify');
  });

  it('still sees the cut from the head row when the attacker also resets sqlite_sequence', async () => {
    const path = seed(KEY);
    cutTailThroughAuthorization(path, 10);
    const raw = new Database(path);
    raw.prepare("UPDATE sqlite_sequence SET seq = 9 WHERE name = 'audit_events'").run();
    // The head row refuses to move back and to be deleted (triggers).
    expect(() => raw.prepare('UPDATE audit_head SET seq = 9').run()).toThrow('audit_head only moves forward');
    expect(() => raw.prepare('DELETE FROM audit_head').run()).toThrow('audit_head is never deleted');
    raw.close();
    const r = await verifyCli(path, { IPVS_BOT_AUDIT_KEY: KEY });
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/row 10 missing at the end of the chain: the recorded head is row 10/);
  });

  it('with the key, a head row rewritten to the shorter chain (triggers dropped) fails its signature', async () => {
    const path = seed(KEY);
    const raw = new Database(path);
    raw.exec('DROP TRIGGER audit_events_no_delete; DROP TRIGGER audit_head_forward_only; DELETE FROM audit_events WHERE seq = 10');
    const last = raw.prepare('SELECT hash FROM audit_events WHERE seq = 9').get() as { hash: string };
    raw.prepare("UPDATE sqlite_sequence SET seq = 9 WHERE name = 'audit_events'").run();
    raw.prepare('UPDATE audit_head SET seq = 9, hash = ?, signature = ?').run(last.hash, headSignature('not-the-key-at-all', 9, last.hash));
    raw.close();
    const r = await verifyCli(path, { IPVS_BOT_AUDIT_KEY: KEY });
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/signature does not match the audit key/);
    // Without the key the same forgery is consistent: what an unkeyed chain cannot prove (README).
    const unkeyed = await verifyCli(path);
    expect(unkeyed.code).toBe(0);
    expect(unkeyed.err).toMatch(/head row's signature was not checked/);
  });

  it('an unfiltered export says the chain is not ok and carries the head seq in its manifest', async () => {
    const path = seed();
    cutTailThroughAuthorization(path, 9);
    const db = openDb(path, { readonly: true });
    const out = new PassThrough();
    let text = '';
    out.on('data', (c: Buffer) => { text += c.toString(); });
    const r = await exportAudit(db, { format: 'jsonl' }, out);
    closeDb(db);
    expect(r).toMatchObject({ count: 8, chainOk: false, headSeq: 8 });
    expect(JSON.parse(text.trim().split('\n').at(-1)!)).toMatchObject({ type: 'manifest', headSeq: 8, chainOk: false });
  });
});
