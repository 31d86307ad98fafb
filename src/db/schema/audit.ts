// audit_events: append-only (UPDATE/DELETE refused by triggers in a custom migration); each row is chained:
// hash = sha256(prev_hash ‖ canonical JSON of the row's other fields). See src/audit/hash-chain.ts.
import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

export const auditEvents = sqliteTable(
  'audit_events',
  {
    seq: integer('seq').primaryKey({ autoIncrement: true }),
    ts: text('ts').notNull(),
    actor: text('actor').notNull(),
    cluster: text('cluster'),
    runId: text('run_id'),
    type: text('type').notNull(),
    /** Canonical JSON text of the event's payload. */
    payload: text('payload').notNull(),
    prevHash: text('prev_hash').notNull(),
    hash: text('hash').notNull(),
  },
  (t) => [index('audit_events_cluster_ts').on(t.cluster, t.ts), index('audit_events_run').on(t.runId)],
);

/** One row per authorised prune; the DELETE trigger lets through only rows at or below `up_to_seq`. */
export const auditPruneAuthorizations = sqliteTable('audit_prune_authorizations', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  upToSeq: integer('up_to_seq').notNull(),
  checkpointSeq: integer('checkpoint_seq').notNull(),
  createdAt: text('created_at').notNull(),
});
