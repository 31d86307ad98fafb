CREATE TABLE `audit_head` (
	`id` integer PRIMARY KEY NOT NULL,
	`seq` integer NOT NULL,
	`hash` text NOT NULL,
	`signature` text
);
--> statement-breakpoint
CREATE TABLE `run_renders` (
	`run_id` text PRIMARY KEY NOT NULL,
	`card_seq` integer NOT NULL,
	`final_posted` integer DEFAULT 0 NOT NULL,
	`rendered_at` text NOT NULL,
	FOREIGN KEY (`run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `storage_probe` (
	`id` integer PRIMARY KEY NOT NULL,
	`at` text NOT NULL
);
--> statement-breakpoint
-- The head row follows every insert, whoever the writer; the signature is the app's (appendAudit) and is cleared
-- here so that a head written without the key never carries an older row's signature.
CREATE TRIGGER audit_events_head AFTER INSERT ON audit_events
BEGIN
  UPDATE audit_head SET seq = NEW.seq, hash = NEW.hash, signature = NULL WHERE id = 1;
END;
--> statement-breakpoint
CREATE TRIGGER audit_head_forward_only BEFORE UPDATE ON audit_head
WHEN NEW.seq < OLD.seq
BEGIN
  SELECT RAISE(ABORT, 'audit_head only moves forward');
END;
--> statement-breakpoint
CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
BEGIN
  SELECT RAISE(ABORT, 'audit_head is never deleted');
END;
--> statement-breakpoint
-- The head row always exists (genesis: seq 0), so the trigger is a plain UPDATE of one row.
INSERT INTO audit_head (id, seq, hash, signature)
  SELECT 1, coalesce(max(seq), 0), coalesce((SELECT hash FROM audit_events ORDER BY seq DESC LIMIT 1), '0000000000000000000000000000000000000000000000000000000000000000'), NULL FROM audit_events;
--> statement-breakpoint
-- Finished runs' cards were rendered by the process that finished them; only runs still moving are re-rendered
-- after the upgrade.
INSERT INTO run_renders (run_id, card_seq, final_posted, rendered_at)
  SELECT id, coalesce((SELECT max(seq) FROM audit_events a WHERE a.run_id = runs.id), 0), 1, updated_at FROM runs
  WHERE state IN ('succeeded', 'failed', 'rolled_back', 'rejected', 'expired', 'cancelled', 'voided');
