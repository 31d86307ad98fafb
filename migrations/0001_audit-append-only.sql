-- audit_events is append-only. UPDATE is always refused. DELETE is refused unless an authorisation row
-- (written in the same transaction by the retention code, behind a signed checkpoint event) covers the row.
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
  SELECT RAISE(ABORT, 'audit_events is append-only');
END;
--> statement-breakpoint
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
WHEN NOT EXISTS (SELECT 1 FROM audit_prune_authorizations WHERE up_to_seq >= OLD.seq AND checkpoint_seq > OLD.seq)
BEGIN
  SELECT RAISE(ABORT, 'audit_events is append-only');
END;
--> statement-breakpoint
CREATE TRIGGER audit_prune_authorizations_no_update BEFORE UPDATE ON audit_prune_authorizations
BEGIN
  SELECT RAISE(ABORT, 'audit_prune_authorizations is append-only');
END;
