// The one place audit events are inserted. appendAudit runs inside the caller's (synchronous) transaction,
// next to the state change the event describes; recordAudit opens its own for events with no state change.
import Database from 'better-sqlite3';
import { desc } from 'drizzle-orm';
import { canonicalJson } from '../audit/canonical-json.js';
import { headSignature } from '../audit/audit-head.js';
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
type Row = { seq: number; ts: string; actor: string; cluster: string | null; runId: string | null; type: string; payload: string };

// Building the two queries through drizzle costs ~0.3 ms per event; statements prepared once per connection
// cost microseconds. better-sqlite3 runs a transaction on its one connection, so the tx's client is the Db's.
type Statements = { last: Database.Statement; insert: Database.Statement; sign?: { st: Database.Statement; key: string } };
const statements = new WeakMap<Database.Database, Statements>();
/** The audit key per connection (setAuditHeadKey): appendAudit signs the head row with it. */
const headKeys = new WeakMap<Database.Database, string>();

/** Makes every append on this connection sign the chain head (table audit_head) with the audit key. */
export function setAuditHeadKey(db: Db, key: string | undefined): void {
  if (key) headKeys.set(db.$client, key);
  else headKeys.delete(db.$client);
  statements.delete(db.$client);
}

function prepared(tx: Writer): Statements | undefined {
  const client = (tx as { $client?: unknown }).$client ?? (tx as { session?: { client?: unknown } }).session?.client;
  if (!(client instanceof Database)) return undefined;
  let s = statements.get(client);
  if (!s) {
    s = {
      last: client.prepare('SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1'),
      insert: client.prepare('INSERT INTO audit_events (seq, ts, actor, cluster, run_id, type, payload, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)'),
    };
    // The insert trigger moves the head row (unsigned); signing it is the app's part.
    const key = headKeys.get(client);
    if (key) s.sign = { st: client.prepare('UPDATE audit_head SET signature = ? WHERE id = 1 AND seq = ?'), key };
    statements.set(client, s);
  }
  return s;
}

export function appendAudit(tx: Writer, e: AuditEventInput): { seq: number; hash: string } {
  const fast = prepared(tx);
  const last = (fast ? fast.last.get() : tx.select({ seq: auditEvents.seq, hash: auditEvents.hash }).from(auditEvents)
    .orderBy(desc(auditEvents.seq)).limit(1).get()) as { seq: number; hash: string } | undefined;
  const prevHash = last?.hash ?? GENESIS_HASH;
  const row: Row = {
    seq: (last?.seq ?? 0) + 1,
    ts: e.ts ?? new Date().toISOString(),
    actor: e.actor,
    cluster: e.cluster ?? null,
    runId: e.runId ?? null,
    type: e.type,
    payload: canonicalJson(redactSecrets(e.payload)),
  };
  const hash = rowHash(prevHash, row);
  if (fast) {
    fast.insert.run(row.seq, row.ts, row.actor, row.cluster, row.runId, row.type, row.payload, prevHash, hash);
    if (fast.sign) fast.sign.st.run(headSignature(fast.sign.key, row.seq, hash), row.seq);
  } else tx.insert(auditEvents).values({ ...row, prevHash, hash }).run();
  return { seq: row.seq, hash };
}

export function recordAudit(db: Db, e: AuditEventInput): { seq: number; hash: string } {
  return db.transaction((tx) => appendAudit(tx, e));
}
