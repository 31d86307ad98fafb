import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { rowHash } from '../../src/audit/hash-chain.js';
import { verifyChain } from '../../src/audit/verify-chain.js';
import { seedFile, tamper, withReadonly } from './fixtures/audit-db.js';

const N = 12;
const verify = (path: string) => withReadonly(path, (db) => verifyChain(db));

describe('src/audit/verify-chain against direct edits of the DB file', () => {
  // Every position, so the first and last rows are covered as well as the middle.
  for (let seq = 1; seq <= N; seq++) {
    it(`names row ${seq} when its payload, actor, ts or type is edited`, () => {
      for (const set of [`payload = '{"i":-1}'`, "actor = 'U666'", "ts = '2020-01-01T00:00:00.000Z'", "type = 'approve'", "cluster = NULL"]) {
        const path = seedFile(N);
        tamper(path, `UPDATE audit_events SET ${set} WHERE seq = ${seq}`);
        const r = verify(path);
        expect(r.ok, set).toBe(false);
        expect(r.firstBad?.seq, set).toBe(seq);
        expect(r.firstBad?.reason).toMatch(/does not match its hash/);
        expect(r.count).toBe(seq - 1);
      }
    });
  }

  for (let seq = 1; seq < N; seq++) {
    it(`names the row after a deleted row ${seq}`, () => {
      const path = seedFile(N);
      tamper(path, `DELETE FROM audit_events WHERE seq = ${seq}`);
      const r = verify(path);
      expect(r.ok).toBe(false);
      expect(r.firstBad?.seq).toBe(seq + 1);
      expect(r.firstBad?.reason).toMatch(new RegExp(`rows? (1\\.\\.)?${seq} missing`));
    });
  }

  it('names the row when rows were deleted and the later seqs renumbered to close the gap', () => {
    const path = seedFile(N);
    tamper(path, 'DELETE FROM audit_events WHERE seq = 5; UPDATE audit_events SET seq = seq - 1 WHERE seq > 5');
    const r = verify(path);
    expect(r).toMatchObject({ ok: false, firstBad: { seq: 5 } });
  });

  for (const [a, b] of [[1, 2], [4, 9], [11, 12]] as const) {
    it(`names row ${a} when rows ${a} and ${b} are swapped`, () => {
      const path = seedFile(N);
      tamper(path, `UPDATE audit_events SET seq = -1 WHERE seq = ${a}; UPDATE audit_events SET seq = ${a} WHERE seq = ${b}; UPDATE audit_events SET seq = ${b} WHERE seq = -1`);
      const r = verify(path);
      expect(r.ok).toBe(false);
      expect(r.firstBad?.seq).toBe(a);
    });
  }

  it('names the row whose hash was forged, and the next row when the forger recomputed that one hash', () => {
    const path = seedFile(N);
    tamper(path, "UPDATE audit_events SET hash = 'ab' || substr(hash, 3) WHERE seq = 6");
    expect(verify(path).firstBad?.seq).toBe(6);

    const path2 = seedFile(N);
    const raw = new Database(path2);
    const r6 = raw.prepare('SELECT * FROM audit_events WHERE seq = 6').get() as Record<string, string | number | null>;
    const forged = rowHash(String(r6.prev_hash), { seq: 6, ts: String(r6.ts), actor: 'U666', cluster: r6.cluster as string | null, runId: r6.run_id as string | null, type: String(r6.type), payload: String(r6.payload) });
    raw.close();
    tamper(path2, `UPDATE audit_events SET actor = 'U666', hash = '${forged}' WHERE seq = 6`);
    const r = verify(path2);
    expect(r.firstBad).toMatchObject({ seq: 7, reason: expect.stringMatching(/prev_hash/) });
  });

  it('sees a deleted last row from SQLite\'s sequence and the head row (issue #14 item 10; more in tail-truncation.test.ts)', () => {
    const path = seedFile(N);
    tamper(path, `DELETE FROM audit_events WHERE seq = ${N}`);
    const after = verify(path);
    expect(after).toMatchObject({ ok: false, missingTail: { from: N, to: N } });
  });

  it('refuses UPDATE and DELETE through the triggers when they are in place', () => {
    const path = seedFile(3);
    const raw = new Database(path);
    expect(() => raw.prepare("UPDATE audit_events SET actor = 'x' WHERE seq = 2").run()).toThrow('audit_events is append-only');
    expect(() => raw.prepare('DELETE FROM audit_events WHERE seq = 3').run()).toThrow('audit_events is append-only');
    expect(() => raw.prepare('DELETE FROM audit_events').run()).toThrow('audit_events is append-only');
    expect((raw.prepare('SELECT count(*) AS n FROM audit_events').get() as { n: number }).n).toBe(3);
    raw.close();
  });
});
