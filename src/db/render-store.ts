// What each run's Slack card last showed (table run_renders, issue #14 item 5). The notifier coalesces card updates in
// memory, so a kill -9 right after a run's final commit would leave its card on "Running" for ever; the version the
// card showed is kept here, and on start every card whose run moved on since (or whose final message never went out)
// is rendered again. The version is the run's last audit seq: every state change writes an event in its commit.
import type Database from 'better-sqlite3';
import { lastAuditSeq, type RunDb } from './run-store.js';

export interface RenderStore {
  /** The run's version now (call right after its commit is notified). */
  versionOf(runId: string): number;
  cardRendered(runId: string, version: number): void;
  finalPosted(runId: string): void;
  /** Runs with a card whose last render is behind the run, or finished with no final message posted. A plan card
   * nobody acted on yet (awaiting approval, never rendered by the notifier) is the bot's own post: left as it is. */
  stale(): { runId: string; finalPosted: boolean }[];
}

const TERMINAL = "('succeeded', 'failed', 'rolled_back', 'rejected', 'expired', 'cancelled', 'voided')";

export function renderStore(db: RunDb): RenderStore {
  const client = (db as unknown as { $client: Database.Database }).$client;
  const now = () => new Date().toISOString();
  const card = client.prepare(`INSERT INTO run_renders (run_id, card_seq, final_posted, rendered_at) VALUES (?, ?, 0, ?)
    ON CONFLICT (run_id) DO UPDATE SET card_seq = max(card_seq, excluded.card_seq), rendered_at = excluded.rendered_at`);
  const final = client.prepare(`INSERT INTO run_renders (run_id, card_seq, final_posted, rendered_at) VALUES (?, 0, 1, ?)
    ON CONFLICT (run_id) DO UPDATE SET final_posted = 1, rendered_at = excluded.rendered_at`);
  const stale = client.prepare(`SELECT r.id AS runId, coalesce(rr.final_posted, 0) AS finalPosted, r.state IN ${TERMINAL} AS terminal,
      coalesce(rr.card_seq, 0) AS cardSeq, (SELECT coalesce(max(seq), 0) FROM audit_events a WHERE a.run_id = r.id) AS seq
    FROM runs r LEFT JOIN run_renders rr ON rr.run_id = r.id
    WHERE r.message_ts IS NOT NULL AND NOT (r.state = 'awaiting_approval' AND rr.run_id IS NULL) AND NOT (r.state IN ${TERMINAL} AND coalesce(rr.final_posted, 0) = 1 AND coalesce(rr.card_seq, 0) >= (SELECT coalesce(max(seq), 0) FROM audit_events a WHERE a.run_id = r.id))`);
  return {
    versionOf: (runId) => lastAuditSeq(db, runId),
    cardRendered: (runId, version) => { card.run(runId, version, now()); },
    finalPosted: (runId) => { final.run(runId, now()); },
    stale() {
      const rows = stale.all() as { runId: string; finalPosted: number; terminal: number; cardSeq: number; seq: number }[];
      return rows.filter((r) => r.seq > r.cardSeq || (r.terminal && !r.finalPosted)).map((r) => ({ runId: r.runId, finalPosted: r.finalPosted === 1 }));
    },
  };
}
