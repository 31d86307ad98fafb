// Real SQLite on a temp file with the real migrations (never a fake store).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDb, type Db } from '../../../src/db/client.js';
import { migrateDb } from '../../../src/db/migrate.js';
import { GENESIS_HASH, rowHash, type ChainedFields } from '../../../src/audit/hash-chain.js';

export function tempDbPath(): { path: string; dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'ipvs-engine-'));
  return { path: join(dir, 'bot.db'), dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function openTestDb(path: string): Db {
  const db = openDb(path);
  migrateDb(db);
  return db;
}

export interface AuditRow { seq: number; type: string; actor: string; runId: string | null; payload: Record<string, unknown>; hash: string }

/** Audit rows straight from SQL, so the test does not depend on the audit module's read API. */
export function auditRows(db: Db, runId?: string): AuditRow[] {
  const rows = db.$client.prepare(`select seq, type, actor, run_id as runId, payload, hash from audit_events ${runId ? 'where run_id = ?' : ''} order by seq`)
    .all(...(runId ? [runId] : [])) as { seq: number; type: string; actor: string; runId: string | null; payload: string; hash: string }[];
  return rows.map((r) => ({ ...r, payload: JSON.parse(r.payload) as Record<string, unknown> }));
}

/** Recomputes the hash chain with the audit module's own rule; returns the first bad seq or null. */
export function firstBrokenLink(db: Db): number | null {
  const rows = db.$client.prepare('select seq, ts, actor, cluster, run_id as runId, type, payload, prev_hash as prevHash, hash from audit_events order by seq')
    .all() as (ChainedFields & { prevHash: string; hash: string })[];
  let prev = GENESIS_HASH;
  for (const r of rows) {
    if (r.prevHash !== prev || rowHash(prev, r) !== r.hash) return r.seq;
    prev = r.hash;
  }
  return null;
}
