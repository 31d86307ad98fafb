// Tables of issue #14 items 4, 5 and 10 (migration 0002).
import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { runs } from './runs.js';

/**
 * The audit chain's head in a second place (one row, id 1): kept by an AFTER INSERT trigger on audit_events, so every
 * writer updates it, and signed by appendAudit with IPVS_BOT_AUDIT_KEY when it is set. A trigger refuses to move it
 * backwards or delete it; verify compares it (and sqlite_sequence) with the last row to see a cut tail. Seq 0 = genesis.
 */
export const auditHead = sqliteTable('audit_head', {
  id: integer('id').primaryKey(),
  seq: integer('seq').notNull(),
  hash: text('hash').notNull(),
  /** HMAC-SHA256(key, "seq:hash") hex; NULL when written without the key. */
  signature: text('signature'),
});

/** What the Slack card of a run last showed: re-rendered on start when the run moved on since (kill -9 after a commit). */
export const runRenders = sqliteTable('run_renders', {
  runId: text('run_id').primaryKey().references(() => runs.id),
  /** The run's last audit seq when its card was last updated in Slack. */
  cardSeq: integer('card_seq').notNull(),
  /** 1 once the final (broadcast) message of a finished run was posted. */
  finalPosted: integer('final_posted').notNull().default(0),
  renderedAt: text('rendered_at').notNull(),
});

/** One row rewritten by the storage probe: a real write, so a full disk shows even when nothing else writes. */
export const storageProbe = sqliteTable('storage_probe', {
  id: integer('id').primaryKey(),
  at: text('at').notNull(),
});
