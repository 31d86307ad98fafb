import { describe, expect, it } from 'vitest';
import { openDb } from '../../src/db/client.js';
import { migrateDb } from '../../src/db/migrate.js';
import { appendAudit, recordAudit } from '../../src/db/audit-store.js';
import { GENESIS_HASH, rowHash } from '../../src/audit/hash-chain.js';

function freshDb() {
  const db = openDb(':memory:');
  migrateDb(db);
  return db;
}

describe('src/db/audit-store', () => {
  it('chains each event to the previous one', () => {
    const db = freshDb();
    const a = recordAudit(db, { actor: 'U1', cluster: 'c', type: 'command', payload: { text: 'plan c' } });
    const b = recordAudit(db, { actor: 'system', type: 'state', payload: { to: 'running' } });
    const rows = db.$client.prepare('select * from audit_events order by seq').all() as Array<Record<string, string | number | null>>;
    expect(rows.map((r) => r.seq)).toEqual([1, 2]);
    expect(rows[0]!.prev_hash).toBe(GENESIS_HASH);
    expect(rows[1]!.prev_hash).toBe(a.hash);
    const r1 = rows[1]!;
    expect(rowHash(a.hash, { seq: 2, ts: String(r1.ts), actor: 'system', cluster: null, runId: null, type: 'state', payload: String(r1.payload) })).toBe(b.hash);
  });

  it('refuses UPDATE and DELETE on audit_events', () => {
    const db = freshDb();
    recordAudit(db, { actor: 'U1', type: 'command', payload: {} });
    expect(() => db.$client.prepare("update audit_events set actor = 'U2'").run()).toThrow(/append-only/);
    expect(() => db.$client.prepare('delete from audit_events').run()).toThrow(/append-only/);
  });

  it('rolls the event back with the transaction it belongs to', () => {
    const db = freshDb();
    expect(() => db.transaction((tx) => { appendAudit(tx, { actor: 'U1', type: 'x', payload: {} }); throw new Error('boom'); })).toThrow('boom');
    expect(db.$client.prepare('select count(*) n from audit_events').get()).toEqual({ n: 0 });
  });

  it('never stores secrets', () => {
    const db = freshDb();
    recordAudit(db, { actor: 'U1', type: 'config', payload: { botToken: 'xoxb-123-abc', nested: { kubeconfig: 'apiVersion: v1' }, note: 'used Bearer abc.def' } });
    const row = db.$client.prepare('select payload from audit_events').get() as { payload: string };
    expect(row.payload).not.toMatch(/xoxb-123|apiVersion|abc\.def/);
    expect(JSON.parse(row.payload).botToken).toBe('[REDACTED]');
  });
});

describe('src/audit/hash-chain', () => {
  it('writes the same content as the generic canonical JSON', async () => {
    const { canonicalJson } = await import('../../src/audit/canonical-json.js');
    const { chainedContent } = await import('../../src/audit/hash-chain.js');
    const rows = [
      { seq: 1, ts: '2026-01-01T00:00:00.000Z', actor: 'U1', cluster: null, runId: null, type: 'x', payload: '{}' },
      { seq: 99, ts: 't', actor: 'a"b\\c\n', cluster: 'ü,"', runId: 'r-1', type: 'step.started', payload: '{"a":"\\"q\\""}' },
    ];
    for (const r of rows) expect(chainedContent(r)).toBe(canonicalJson(r));
  });
});
