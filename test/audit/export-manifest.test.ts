import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { exportAudit, type ExportOptions } from '../../src/audit/export-audit.js';
import { verifyChain } from '../../src/audit/verify-chain.js';
import { closeDb, openDb } from '../../src/db/client.js';
import { seedFile, tamper, withReadonly } from './fixtures/audit-db.js';

async function manifestOf(path: string, opts: ExportOptions): Promise<{ count: number; head: string; chainOk: boolean }> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const db = openDb(path, { readonly: true });
  await exportAudit(db, opts, out);
  closeDb(db);
  return JSON.parse(Buffer.concat(chunks).toString().trim().split('\n').at(-1)!);
}

describe('src/audit/export-audit manifest', () => {
  it('states the same head and result as verify, filtered or not, on an intact and on a tampered chain', async () => {
    const path = seedFile(30);
    for (const tampered of [false, true]) {
      if (tampered) tamper(path, "UPDATE audit_events SET actor = 'U9' WHERE seq = 17");
      const v = withReadonly(path, (db) => verifyChain(db));
      expect(v.ok).toBe(!tampered);
      for (const opts of [{ format: 'jsonl' }, { format: 'jsonl', cluster: 'a' }, { format: 'jsonl', runId: 'r2', since: new Date('2026-03-01T00:05:00Z') }] as ExportOptions[]) {
        const m = await manifestOf(path, opts);
        expect(m, JSON.stringify(opts)).toMatchObject({ head: v.head, chainOk: v.ok });
      }
    }
  });
});
