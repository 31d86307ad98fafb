// Retention: old events are deleted only behind a checkpoint event appended to the chain, which records the
// last pruned seq and hash and is signed (HMAC-SHA256) with the audit key. The DELETE trigger lets rows go only
// when an authorisation row written in the same transaction covers them.
import { createHmac } from 'node:crypto';
import type { Db } from '../db/client.js';
import { appendAudit } from '../db/audit-store.js';
import { canonicalJson } from './canonical-json.js';

export interface CheckpointPayload { prunedThroughSeq: number; prunedHeadHash: string; prunedBefore: string; signature: string }

export function checkpointSignature(key: string, p: Omit<CheckpointPayload, 'signature'> | CheckpointPayload): string {
  const { prunedThroughSeq, prunedHeadHash, prunedBefore } = p;
  return createHmac('sha256', key).update(canonicalJson({ prunedThroughSeq, prunedHeadHash, prunedBefore })).digest('hex');
}

/** Deletes events older than `before` (ISO UTC), keeping the chain verifiable. Returns how many went. */
export function pruneAudit(db: Db, opts: { before: Date; key: string }): { pruned: number; checkpointSeq?: number } {
  const sqlite = db.$client;
  return db.transaction((tx) => {
    const last = sqlite.prepare('SELECT seq, hash FROM audit_events WHERE ts < ? ORDER BY seq DESC LIMIT 1').get(opts.before.toISOString()) as { seq: number; hash: string } | undefined;
    if (!last) return { pruned: 0 };
    const body = { prunedThroughSeq: last.seq, prunedHeadHash: last.hash, prunedBefore: opts.before.toISOString() };
    const cp = appendAudit(tx, { actor: 'system', type: 'checkpoint', payload: { ...body, signature: checkpointSignature(opts.key, body) } });
    sqlite.prepare('INSERT INTO audit_prune_authorizations (up_to_seq, checkpoint_seq, created_at) VALUES (?, ?, ?)').run(last.seq, cp.seq, new Date().toISOString());
    const { changes } = sqlite.prepare('DELETE FROM audit_events WHERE seq <= ?').run(last.seq);
    return { pruned: changes, checkpointSeq: cp.seq };
  });
}
