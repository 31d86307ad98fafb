// The chain rule, shared by the writer and the verifier:
//   hash = sha256(prev_hash ‖ canonical JSON of {seq, ts, actor, cluster, runId, type, payload})
// seq is inside the hashed content, so a deleted or reordered row breaks the chain as surely as an edited one.
import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';

export const GENESIS_HASH = '0'.repeat(64);

export interface ChainedFields {
  seq: number; ts: string; actor: string; cluster: string | null; runId: string | null; type: string; payload: string;
}

export function rowHash(prevHash: string, row: ChainedFields): string {
  const content = canonicalJson({
    seq: row.seq, ts: row.ts, actor: row.actor, cluster: row.cluster, runId: row.runId, type: row.type, payload: row.payload,
  });
  return createHash('sha256').update(prevHash).update(content).digest('hex');
}
