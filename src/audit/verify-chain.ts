// Recomputes the hash chain row by row (streamed: constant memory) and names the first row that does not match.
// Every row still in the table is checked. Rows may be missing only at the start, and only when retention
// pruned them: the newest checkpoint event then names the last pruned seq and hash (HMAC-signed with the audit
// key, see retention.ts), and the chain resumes from there.
import type { Db } from '../db/client.js';
import { GENESIS_HASH, rowHash } from './hash-chain.js';
import { checkpointSignature, type CheckpointPayload } from './retention.js';

export interface VerifyResult {
  ok: boolean;
  count: number;
  /** Hash of the last good row (the chain head when ok). */
  head: string;
  firstBad?: { seq: number; reason: string };
  /** Things verify could not check, e.g. a checkpoint signature when no key was given. */
  warnings?: string[];
}

interface Row { seq: number; ts: string; actor: string; cluster: string | null; run_id: string | null; type: string; payload: string; prev_hash: string; hash: string }

type Start = { prevSeq: number; prevHash: string; warnings: string[] } | { bad: { seq: number; reason: string } };

/** Where the chain starts: genesis, or the newest checkpoint when retention pruned the first rows. */
function chainStart(db: Db, key: string | undefined): Start {
  const first = db.$client.prepare('SELECT seq FROM audit_events ORDER BY seq LIMIT 1').get() as { seq: number } | undefined;
  if (!first || first.seq === 1) return { prevSeq: 0, prevHash: GENESIS_HASH, warnings: [] };
  const cp = db.$client.prepare("SELECT seq, payload FROM audit_events WHERE type = 'checkpoint' ORDER BY seq DESC LIMIT 1").get() as { seq: number; payload: string } | undefined;
  if (!cp) return { bad: { seq: first.seq, reason: `rows 1..${first.seq - 1} missing before row ${first.seq} and no retention checkpoint covers them (deleted)` } };
  let p: CheckpointPayload;
  try {
    p = JSON.parse(cp.payload) as CheckpointPayload;
  } catch {
    return { bad: { seq: cp.seq, reason: 'checkpoint payload is not JSON (edited)' } };
  }
  if (!Number.isInteger(p.prunedThroughSeq) || typeof p.prunedHeadHash !== 'string' || p.prunedThroughSeq >= cp.seq) {
    return { bad: { seq: cp.seq, reason: 'checkpoint payload is malformed (edited or forged)' } };
  }
  if (key !== undefined && p.signature !== checkpointSignature(key, p)) {
    return { bad: { seq: cp.seq, reason: 'checkpoint signature does not match the audit key (forged or edited checkpoint)' } };
  }
  const warnings = key === undefined ? [`retention checkpoint at row ${cp.seq} covers rows 1..${p.prunedThroughSeq}; its signature was not checked (no audit key given)`] : [];
  return { prevSeq: p.prunedThroughSeq, prevHash: p.prunedHeadHash, warnings };
}

export function verifyChain(db: Db, opts: { key?: string } = {}): VerifyResult {
  const start = chainStart(db, opts.key);
  if ('bad' in start) return { ok: false, count: 0, head: GENESIS_HASH, firstBad: start.bad };
  let { prevSeq, prevHash } = start;
  const warnings = start.warnings.length ? { warnings: start.warnings } : {};
  const stmt = db.$client.prepare('SELECT seq, ts, actor, cluster, run_id, type, payload, prev_hash, hash FROM audit_events ORDER BY seq');
  let count = 0;
  for (const r of stmt.iterate() as IterableIterator<Row>) {
    // Returning from inside for-of calls the iterator's return(), which resets the statement.
    const bad = (reason: string): VerifyResult => ({ ok: false, count, head: prevHash, firstBad: { seq: r.seq, reason }, ...warnings });
    if (r.seq !== prevSeq + 1) {
      return bad(r.seq <= prevSeq
        ? `row ${r.seq} lies inside the range the checkpoint says was pruned (1..${prevSeq}): checkpoint forged or rows re-inserted`
        : `row${r.seq > prevSeq + 2 ? `s ${prevSeq + 1}..${r.seq - 1}` : ` ${prevSeq + 1}`} missing before row ${r.seq} (deleted or reordered)`);
    }
    if (r.prev_hash !== prevHash) return bad(`prev_hash does not match the hash of row ${prevSeq} (rows deleted, reordered or re-chained)`);
    const expected = rowHash(prevHash, { seq: r.seq, ts: r.ts, actor: r.actor, cluster: r.cluster, runId: r.run_id, type: r.type, payload: r.payload });
    if (r.hash !== expected) return bad('content does not match its hash (row edited or hash forged)');
    prevHash = r.hash;
    prevSeq = r.seq;
    count++;
  }
  return { ok: true, count, head: prevHash, ...warnings };
}
