// The chain head kept in a second place (table audit_head, one row, kept by a trigger on every insert) and the
// check that the last row still is that head. Deleting the tail passes the chain walk (what is left still chains)
// but not this: the head row and SQLite's own AUTOINCREMENT counter (sqlite_sequence) remember how far the chain went.
// With IPVS_BOT_AUDIT_KEY the bot signs the head on every append, so rewriting both takes the key too.
import { createHmac } from 'node:crypto';
import type Database from 'better-sqlite3';

export function headSignature(key: string, seq: number, hash: string): string {
  return createHmac('sha256', key).update(`${seq}:${hash}`).digest('hex');
}

export interface TailCheck {
  bad?: { seq: number; reason: string; missing?: { from: number; to: number } };
  warnings: string[];
  /** The recorded head (for exports), when the table has one. */
  recorded?: { seq: number; hash: string; signed: boolean };
}

function tableExists(db: Database.Database, name: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
}

const missingText = (from: number, to: number): string => (from === to ? `row ${from}` : `rows ${from}..${to}`);

/** Compares the last row the walk reached (seq, hash) with sqlite_sequence and the head row. */
export function checkTail(db: Database.Database, lastSeq: number, lastHash: string, key?: string): TailCheck {
  const warnings: string[] = [];
  const sq = db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'audit_events'").get() as { seq: number } | undefined;
  if (sq && sq.seq > lastSeq) {
    return {
      warnings,
      bad: { seq: lastSeq + 1, missing: { from: lastSeq + 1, to: sq.seq }, reason: `${missingText(lastSeq + 1, sq.seq)} missing at the end of the chain: SQLite's own sequence says ${sq.seq} event(s) were written, the table ends at row ${lastSeq} (tail deleted)` },
    };
  }
  if (!tableExists(db, 'audit_head')) return { warnings: ['no audit_head table (database not migrated to 0002): a deleted tail cannot be told from the head row'] };
  const head = db.prepare('SELECT seq, hash, signature FROM audit_head WHERE id = 1').get() as { seq: number; hash: string; signature: string | null } | undefined;
  if (!head) {
    return lastSeq === 0 ? { warnings } : { warnings, bad: { seq: lastSeq, reason: 'the audit_head row is missing while the table has events (deleted)' } };
  }
  const recorded = { seq: head.seq, hash: head.hash, signed: head.signature !== null };
  if (key !== undefined && head.signature !== null && head.signature !== headSignature(key, head.seq, head.hash)) {
    return { warnings, recorded, bad: { seq: head.seq, reason: 'the audit_head row\'s signature does not match the audit key (head row forged or edited)' } };
  }
  if (head.seq > lastSeq) {
    return { warnings, recorded, bad: { seq: lastSeq + 1, missing: { from: lastSeq + 1, to: head.seq }, reason: `${missingText(lastSeq + 1, head.seq)} missing at the end of the chain: the recorded head is row ${head.seq}, the table ends at row ${lastSeq} (tail deleted)` } };
  }
  if (head.seq < lastSeq) {
    return { warnings, recorded, bad: { seq: head.seq + 1, reason: `the recorded head is row ${head.seq} but the table goes on to row ${lastSeq} (rows inserted with the head trigger removed)` } };
  }
  if (head.hash !== lastHash) {
    return { warnings, recorded, bad: { seq: lastSeq, reason: `row ${lastSeq}'s hash is not the recorded head's (tail replaced by re-chained rows)` } };
  }
  if (key !== undefined && head.signature === null && lastSeq > 0) warnings.push('the head row is not signed (last event written without IPVS_BOT_AUDIT_KEY): the tail check rests on SQLite\'s sequence and an unsigned row');
  if (key === undefined && head.signature !== null) warnings.push('the head row\'s signature was not checked (no audit key given)');
  return { warnings, recorded };
}
