// Recomputes the hash chain row by row (streamed: constant memory) and names the first row that does not match.
// After retention pruned old rows, the chain starts where the newest checkpoint event says (its payload names
// the last pruned seq and hash, signed with the audit key; see retention.ts).
import type { Db } from '../db/client.js';
import { GENESIS_HASH, rowHash } from './hash-chain.js';
import { checkpointSignature, type CheckpointPayload } from './retention.js';

export interface VerifyResult {
  ok: boolean;
  count: number;
  /** Hash of the last row (the chain head). */
  head: string;
  firstBad?: { seq: number; reason: string };
}

interface Row { seq: number; ts: string; actor: string; cluster: string | null; run_id: string | null; type: string; payload: string; prev_hash: string; hash: string }

export function verifyChain(db: Db, opts: { key?: string } = {}): VerifyResult {
  let prevHash = GENESIS_HASH;
  let prevSeq = 0;
  const cp = db.$client.prepare("SELECT seq, payload FROM audit_events WHERE type = 'checkpoint' ORDER BY seq DESC LIMIT 1").get() as { seq: number; payload: string } | undefined;
  if (cp) {
    const p = JSON.parse(cp.payload) as CheckpointPayload;
    if (opts.key !== undefined && p.signature !== checkpointSignature(opts.key, p)) {
      return { ok: false, count: 0, head: GENESIS_HASH, firstBad: { seq: cp.seq, reason: 'checkpoint signature does not match the audit key' } };
    }
    prevSeq = p.prunedThroughSeq;
    prevHash = p.prunedHeadHash;
  }
  const stmt = db.$client.prepare('SELECT seq, ts, actor, cluster, run_id, type, payload, prev_hash, hash FROM audit_events WHERE seq > ? ORDER BY seq');
  let count = 0;
  for (const r of stmt.iterate(prevSeq) as IterableIterator<Row>) {
    const bad = (reason: string): VerifyResult => ({ ok: false, count, head: prevHash, firstBad: { seq: r.seq, reason } });
    if (r.seq !== prevSeq + 1) return bad(`row${r.seq > prevSeq + 2 ? `s ${prevSeq + 1}..${r.seq - 1}` : ` ${prevSeq + 1}`} missing before row ${r.seq} (deleted or reordered)`);
    if (r.prev_hash !== prevHash) return bad(`prev_hash does not match the hash of row ${prevSeq} (rows deleted, reordered or re-chained)`);
    const expected = rowHash(prevHash, { seq: r.seq, ts: r.ts, actor: r.actor, cluster: r.cluster, runId: r.run_id, type: r.type, payload: r.payload });
    if (r.hash !== expected) return bad('content does not match its hash (row edited or hash forged)');
    prevHash = r.hash;
    prevSeq = r.seq;
    count++;
  }
  return { ok: true, count, head: prevHash };
}
