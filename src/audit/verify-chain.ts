// Recomputes the hash chain row by row (streamed: constant memory) and names the first row that does not match.
// Every row still in the table is checked. Rows may be missing only at the start, and only when retention
// pruned them: the newest checkpoint event then names the last pruned seq and hash (HMAC-signed with the audit
// key, see retention.ts), and the chain resumes from there. Rows missing at the end are found by comparing the last
// row with the head row and sqlite_sequence (audit-head.ts).
import type { Db } from '../db/client.js';
import { checkTail } from './audit-head.js';
import { GENESIS_HASH, rowHash } from './hash-chain.js';
import { checkpointSignature, type CheckpointPayload } from './retention.js';

export interface VerifyResult {
  ok: boolean;
  count: number;
  /** Hash of the last good row (the chain head when ok). */
  head: string;
  firstBad?: { seq: number; reason: string };
  /** Rows missing after the last one (a cut tail), when the head row or sqlite_sequence shows it. */
  missingTail?: { from: number; to: number };
  /** Things verify could not check, e.g. a checkpoint signature when no key was given. */
  warnings?: string[];
}

type Start = { prevSeq: number; prevHash: string; warnings: string[] } | { bad: { seq: number; reason: string } };

/** Where the chain starts: genesis, or the newest checkpoint when retention pruned the first rows. */
function chainStart(db: Db, key: string | undefined): Start {
  const first = db.$client.prepare('SELECT seq FROM audit_events ORDER BY seq LIMIT 1').get() as { seq: number } | undefined;
  if (!first || first.seq === 1) return { prevSeq: 0, prevHash: GENESIS_HASH, warnings: [] };
  const cp = db.$client.prepare("SELECT seq, payload FROM audit_events WHERE type = 'checkpoint' ORDER BY seq DESC LIMIT 1").get() as { seq: number; payload: string } | undefined;
  if (!cp) return { bad: { seq: first.seq, reason: `${first.seq === 2 ? 'row 1' : `rows 1..${first.seq - 1}`} missing before row ${first.seq} and no retention checkpoint covers them (deleted)` } };
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

/** Checks rows one at a time in seq order; shared by verifyChain and the unfiltered export's single pass. */
export class ChainWalker {
  count = 0;
  constructor(private prevSeq: number, public head: string) {}

  /** The seq of the last row checked (or where the chain started). */
  get lastSeq(): number { return this.prevSeq; }

  /** Returns why the row breaks the chain, or undefined and advances the head. */
  check(seq: number, ts: string, actor: string, cluster: string | null, runId: string | null, type: string, payload: string, prevHash: string, hash: string): string | undefined {
    if (seq !== this.prevSeq + 1) {
      return seq <= this.prevSeq
        ? `row ${seq} lies inside the range the checkpoint says was pruned (1..${this.prevSeq}): checkpoint forged or rows re-inserted`
        : `row${seq > this.prevSeq + 2 ? `s ${this.prevSeq + 1}..${seq - 1}` : ` ${this.prevSeq + 1}`} missing before row ${seq} (deleted or reordered)`;
    }
    if (prevHash !== this.head) return `prev_hash does not match the hash of row ${this.prevSeq} (rows deleted, reordered or re-chained)`;
    if (hash !== rowHash(this.head, { seq, ts, actor, cluster, runId, type, payload })) return 'content does not match its hash (row edited or hash forged)';
    this.head = hash;
    this.prevSeq = seq;
    this.count++;
    return undefined;
  }
}

/** A walker positioned at the chain's start (genesis or the newest checkpoint), or the reason it cannot start. */
export function startWalk(db: Db, key?: string): { walker: ChainWalker; warnings: string[] } | { bad: { seq: number; reason: string } } {
  const start = chainStart(db, key);
  return 'bad' in start ? start : { walker: new ChainWalker(start.prevSeq, start.prevHash), warnings: start.warnings };
}

type RawRow = [number, string, string, string | null, string | null, string, string, string, string];

export function verifyChain(db: Db, opts: { key?: string } = {}): VerifyResult {
  const start = startWalk(db, opts.key);
  if ('bad' in start) return { ok: false, count: 0, head: GENESIS_HASH, firstBad: start.bad };
  const { walker } = start;
  const warnings = start.warnings.length ? { warnings: start.warnings } : {};
  // Raw arrays: half the cost of row objects over a million rows.
  const stmt = db.$client.prepare('SELECT seq, ts, actor, cluster, run_id, type, payload, prev_hash, hash FROM audit_events ORDER BY seq').raw(true);
  for (const r of stmt.iterate() as IterableIterator<RawRow>) {
    const reason = walker.check(...r);
    // Returning from inside for-of calls the iterator's return(), which resets the statement.
    if (reason) return { ok: false, count: walker.count, head: walker.head, firstBad: { seq: r[0], reason }, ...warnings };
  }
  const tail = checkTail(db.$client, walker.lastSeq, walker.head, opts.key);
  const all = [...start.warnings, ...tail.warnings];
  const w = all.length ? { warnings: all } : {};
  if (tail.bad) {
    const { missing, ...firstBad } = tail.bad;
    return { ok: false, count: walker.count, head: walker.head, firstBad, ...(missing ? { missingTail: missing } : {}), ...w };
  }
  return { ok: true, count: walker.count, head: walker.head, ...w };
}
