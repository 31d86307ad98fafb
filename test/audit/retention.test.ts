import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/audit/canonical-json.js';
import { rowHash } from '../../src/audit/hash-chain.js';
import { checkpointSignature, pruneAudit } from '../../src/audit/retention.js';
import { verifyChain } from '../../src/audit/verify-chain.js';
import { closeDb, openDb } from '../../src/db/client.js';
import { recordAudit } from '../../src/db/audit-store.js';
import { seedFile, tamper, withReadonly } from './fixtures/audit-db.js';

const KEY = 'retention-test-key-0123456789';
const START = Date.parse('2026-03-01T00:00:00Z');
const minute = (i: number) => new Date(START + i * 60_000);

/** 20 events at minutes 1..20; prunes those before minute 8.5 (seq 1..8) and appends 2 more. */
function pruned(): string {
  const path = seedFile(20, START);
  const db = openDb(path);
  const r = pruneAudit(db, { before: new Date(START + 8.5 * 60_000), key: KEY });
  expect(r).toEqual({ pruned: 8, checkpointSeq: 21 });
  recordAudit(db, { actor: 'U1', type: 'after', payload: { n: 1 } });
  recordAudit(db, { actor: 'U1', type: 'after', payload: { n: 2 } });
  closeDb(db);
  return path;
}

describe('src/audit/retention', () => {
  it('prunes only behind a signed checkpoint and verify stays ok from there', () => {
    const path = pruned();
    withReadonly(path, (db) => {
      const seqs = (db.$client.prepare('SELECT seq FROM audit_events ORDER BY seq').all() as { seq: number }[]).map((r) => r.seq);
      expect(seqs).toEqual(Array.from({ length: 15 }, (_, i) => i + 9));
      const cp = JSON.parse((db.$client.prepare("SELECT payload FROM audit_events WHERE type = 'checkpoint'").get() as { payload: string }).payload);
      expect(cp).toMatchObject({ prunedThroughSeq: 8, prunedBefore: minute(8.5).toISOString() });
      expect(cp.signature).toBe(checkpointSignature(KEY, cp));
      expect(verifyChain(db, { key: KEY })).toMatchObject({ ok: true, count: 15 });
      // Without the key the chain still verifies, but verify says what it could not check.
      expect(verifyChain(db).warnings?.[0]).toMatch(/signature was not checked/);
    });
  });

  it('prunes again later, deleting the earlier checkpoint behind a new one', () => {
    const path = pruned();
    const db = openDb(path);
    expect(pruneAudit(db, { before: minute(15.5), key: KEY })).toMatchObject({ pruned: 7 });
    expect(pruneAudit(db, { before: minute(0), key: KEY })).toEqual({ pruned: 0 });
    expect(verifyChain(db, { key: KEY })).toMatchObject({ ok: true, count: 9 });
    // Everything up to now, the first checkpoint included: only the newest checkpoint is left, and it suffices.
    expect(pruneAudit(db, { before: new Date(Date.now() + 60_000), key: KEY })).toMatchObject({ pruned: 9 });
    expect(db.$client.prepare("SELECT count(*) AS n, min(seq) AS first FROM audit_events").get()).toEqual({ n: 1, first: 25 });
    expect(verifyChain(db, { key: KEY })).toMatchObject({ ok: true, count: 1 });
    recordAudit(db, { actor: 'U1', type: 'after', payload: {} });
    expect(verifyChain(db, { key: KEY })).toMatchObject({ ok: true, count: 2 });
    closeDb(db);
  });

  it('still refuses a DELETE of rows no checkpoint covers, after pruning', () => {
    const path = pruned();
    const raw = new Database(path);
    expect(() => raw.prepare('DELETE FROM audit_events WHERE seq = 22').run()).toThrow('audit_events is append-only');
    raw.close();
  });

  it('names a row edited after pruning', () => {
    const path = pruned();
    tamper(path, `UPDATE audit_events SET payload = '{"i":0}' WHERE seq = 12`);
    expect(withReadonly(path, (db) => verifyChain(db, { key: KEY }))).toMatchObject({ ok: false, firstBad: { seq: 12 } });
  });

  it('names the first row when the checkpoint itself was deleted', () => {
    const path = pruned();
    tamper(path, "DELETE FROM audit_events WHERE type = 'checkpoint'");
    const r = withReadonly(path, (db) => verifyChain(db, { key: KEY }));
    expect(r).toMatchObject({ ok: false, firstBad: { seq: 9, reason: expect.stringMatching(/rows 1\.\.8 missing.*no retention checkpoint/) } });
  });

  it('names the checkpoint when it is edited or signed with another key', () => {
    const path = pruned();
    tamper(path, `UPDATE audit_events SET payload = replace(payload, '"prunedThroughSeq":8', '"prunedThroughSeq":7') WHERE type = 'checkpoint'`);
    expect(withReadonly(path, (db) => verifyChain(db, { key: KEY })).firstBad).toMatchObject({ seq: 21, reason: expect.stringMatching(/signature/) });
    const path2 = pruned();
    expect(withReadonly(path2, (db) => verifyChain(db, { key: 'another-key-0123456789' })).firstBad).toMatchObject({ seq: 21, reason: expect.stringMatching(/signature/) });
  });

  it('catches an attacker who deletes old rows and appends a well-chained but unsigned checkpoint', () => {
    const path = seedFile(10, START);
    const raw = new Database(path);
    const r5 = raw.prepare('SELECT hash FROM audit_events WHERE seq = 5').get() as { hash: string };
    const last = raw.prepare('SELECT hash FROM audit_events WHERE seq = 10').get() as { hash: string };
    const body = { prunedThroughSeq: 5, prunedHeadHash: r5.hash, prunedBefore: minute(6).toISOString() };
    const row = { seq: 11, ts: minute(11).toISOString(), actor: 'system', cluster: null, runId: null, type: 'checkpoint', payload: canonicalJson({ ...body, signature: checkpointSignature('guessed-key', body) }) };
    raw.prepare('INSERT INTO audit_events (seq, ts, actor, cluster, run_id, type, payload, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?)')
      .run(row.seq, row.ts, row.actor, row.cluster, row.runId, row.type, row.payload, last.hash, rowHash(last.hash, row));
    raw.close();
    // A forged checkpoint alone skips nothing: rows 1..10 are still there and are checked from genesis.
    expect(withReadonly(path, (db) => verifyChain(db, { key: KEY }))).toMatchObject({ ok: true, count: 11 });
    tamper(path, 'DELETE FROM audit_events WHERE seq <= 5');
    expect(withReadonly(path, (db) => verifyChain(db, { key: KEY }))).toMatchObject({ ok: false, firstBad: { seq: 11, reason: expect.stringMatching(/signature/) } });
    expect(withReadonly(path, (db) => verifyChain(db)).warnings?.[0]).toMatch(/not checked/);
  });
});
