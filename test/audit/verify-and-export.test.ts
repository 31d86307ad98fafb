import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { tempDir } from '../support/temp-dirs.js';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openDb, closeDb, type Db } from '../../src/db/client.js';
import { migrateDb } from '../../src/db/migrate.js';
import { recordAudit } from '../../src/db/audit-store.js';
import { verifyChain } from '../../src/audit/verify-chain.js';
import { exportAudit, csvCell } from '../../src/audit/export-audit.js';
import { pruneAudit } from '../../src/audit/retention.js';

function fileDb(n: number): { path: string; db: Db } {
  const path = join(tempDir('audit-'), 'bot.db');
  const db = openDb(path);
  migrateDb(db);
  for (let i = 1; i <= n; i++) {
    recordAudit(db, { actor: i % 2 ? 'U1' : 'system', cluster: i % 3 ? 'a' : 'b', runId: `r${i % 4}`, type: 'step', payload: { i } });
  }
  return { path, db };
}

/** An attacker with the file: drops the triggers and edits rows directly. */
function tamper(path: string, sql: string): void {
  const raw = new Database(path);
  raw.exec('DROP TRIGGER IF EXISTS audit_events_no_update; DROP TRIGGER IF EXISTS audit_events_no_delete;');
  raw.exec(sql);
  raw.close();
}

async function exportText(db: Db, opts: Parameters<typeof exportAudit>[1]): Promise<string> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  await exportAudit(db, opts, out);
  return Buffer.concat(chunks).toString('utf8');
}

describe('src/audit/verify-chain', () => {
  it('accepts an untouched chain and reports its head', () => {
    const { db } = fileDb(20);
    const r = verifyChain(db);
    expect(r).toMatchObject({ ok: true, count: 20 });
    const last = db.$client.prepare('select hash from audit_events order by seq desc limit 1').get() as { hash: string };
    expect(r.head).toBe(last.hash);
  });

  it.each([
    ['an edited payload', "update audit_events set payload = '{\"i\":999}' where seq = 7", 7, /edited/],
    ['an edited actor', "update audit_events set actor = 'U666' where seq = 12", 12, /edited/],
    ['a deleted row', 'delete from audit_events where seq = 5', 6, /missing/],
    ['a forged hash', "update audit_events set hash = 'f00d' where seq = 3", 3, /edited|forged/],
    ['two rows swapped', "update audit_events set seq = -1 where seq = 9; update audit_events set seq = 9 where seq = 10; update audit_events set seq = 10 where seq = -1", 9, /prev_hash|edited/],
  ])('names the first bad row for %s', (_what, sql, seq, reason) => {
    const { path, db } = fileDb(20);
    closeDb(db);
    tamper(path, sql);
    const r = verifyChain(openDb(path, { readonly: true }));
    expect(r.ok).toBe(false);
    expect(r.firstBad?.seq).toBe(seq);
    expect(r.firstBad?.reason).toMatch(reason);
  });

  it('keeps verifying after retention pruned old rows behind a signed checkpoint, and detects a forged checkpoint', () => {
    const { path, db } = fileDb(10);
    const cutoff = new Date(Date.now() + 1000);
    const p = pruneAudit(db, { before: cutoff, key: 'k1' });
    expect(p.pruned).toBe(10);
    recordAudit(db, { actor: 'U1', type: 'after', payload: {} });
    expect(verifyChain(db, { key: 'k1' })).toMatchObject({ ok: true, count: 2 });
    closeDb(db);
    tamper(path, "update audit_events set payload = replace(payload, '\"prunedThroughSeq\":10', '\"prunedThroughSeq\":9') where type = 'checkpoint'");
    const r = verifyChain(openDb(path, { readonly: true }), { key: 'k1' });
    expect(r.ok).toBe(false);
  });
});

describe('src/audit/export-audit', () => {
  it('writes JSONL rows in order with a manifest whose head matches verify', async () => {
    const { db } = fileDb(12);
    const text = await exportText(db, { format: 'jsonl', cluster: 'a' });
    const lines = text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const manifest = lines.pop()!;
    expect(lines.every((l) => l.cluster === 'a')).toBe(true);
    expect(lines.map((l) => l.seq)).toEqual([...lines.map((l) => l.seq as number)].sort((x, y) => x - y));
    expect(manifest).toMatchObject({ type: 'manifest', count: lines.length, head: verifyChain(db).head, chainOk: true });
  });

  it('writes CSV that quotes commas, quotes and newlines and defuses formulas', async () => {
    const db = openDb(':memory:');
    migrateDb(db);
    recordAudit(db, { actor: '=HYPERLINK("http://x")', cluster: 'a,b', type: 'note', payload: { text: 'line1\nline2 "quoted"' } });
    const text = await exportText(db, { format: 'csv' });
    const rows = text.split('\r\n');
    expect(rows[0]).toBe('seq,ts,actor,cluster,run_id,type,payload,prev_hash,hash');
    expect(text).toContain(`"'=HYPERLINK(""http://x"")"`);
    expect(text).toContain('"a,b"');
    expect(text).toContain('"{""text"":""line1\\nline2 \\""quoted\\""""}"');
    expect(csvCell('-1+2')).toBe("'-1+2");
    expect(csvCell('plain')).toBe('plain');
  });

  it('filters by run and time window', async () => {
    const { db } = fileDb(8);
    const text = await exportText(db, { format: 'jsonl', runId: 'r1', until: new Date(Date.now() + 60_000) });
    const lines = text.trim().split('\n').map((l) => JSON.parse(l) as { runId?: string; type: string });
    expect(lines.filter((l) => l.type !== 'manifest').every((l) => l.runId === 'r1')).toBe(true);
    const none = await exportText(db, { format: 'jsonl', since: new Date(Date.now() + 60_000) });
    expect(JSON.parse(none.trim())).toMatchObject({ type: 'manifest', count: 0 });
  });
});
