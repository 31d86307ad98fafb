// The one place audit events are inserted. appendAudit runs inside the caller's (synchronous) transaction,
// next to the state change the event describes; recordAudit opens its own for events with no state change.
import { desc } from 'drizzle-orm';
import { canonicalJson } from '../audit/canonical-json.js';
import { GENESIS_HASH, rowHash } from '../audit/hash-chain.js';
import { redactSecrets } from '../audit/redact.js';
import type { Db } from './client.js';
import { auditEvents } from './schema/audit.js';

export interface AuditEventInput {
  /** ISO UTC; defaults to now. */
  ts?: string;
  /** Slack user ID or 'system'. */
  actor: string;
  cluster?: string | null;
  runId?: string | null;
  type: string;
  payload: Record<string, unknown>;
}

// Structural: a drizzle transaction and the Db share the query builder we use.
type Writer = Pick<Db, 'select' | 'insert'>;

export function appendAudit(tx: Writer, e: AuditEventInput): { seq: number; hash: string } {
  const last = tx.select({ seq: auditEvents.seq, hash: auditEvents.hash }).from(auditEvents)
    .orderBy(desc(auditEvents.seq)).limit(1).get();
  const prevHash = last?.hash ?? GENESIS_HASH;
  const row = {
    seq: (last?.seq ?? 0) + 1,
    ts: e.ts ?? new Date().toISOString(),
    actor: e.actor,
    cluster: e.cluster ?? null,
    runId: e.runId ?? null,
    type: e.type,
    payload: canonicalJson(redactSecrets(e.payload)),
  };
  const hash = rowHash(prevHash, row);
  tx.insert(auditEvents).values({ ...row, prevHash, hash }).run();
  return { seq: row.seq, hash };
}

export function recordAudit(db: Db, e: AuditEventInput): { seq: number; hash: string } {
  return db.transaction((tx) => appendAudit(tx, e));
}
