CREATE TABLE `audit_events` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`ts` text NOT NULL,
	`actor` text NOT NULL,
	`cluster` text,
	`run_id` text,
	`type` text NOT NULL,
	`payload` text NOT NULL,
	`prev_hash` text NOT NULL,
	`hash` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `audit_events_cluster_ts` ON `audit_events` (`cluster`,`ts`);--> statement-breakpoint
CREATE INDEX `audit_events_run` ON `audit_events` (`run_id`);--> statement-breakpoint
CREATE TABLE `audit_prune_authorizations` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`up_to_seq` integer NOT NULL,
	`checkpoint_seq` integer NOT NULL,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `approvals` (
	`run_id` text NOT NULL,
	`approver` text NOT NULL,
	`digest` text NOT NULL,
	`created_at` text NOT NULL,
	`voided_at` text,
	FOREIGN KEY (`run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `approvals_run_approver_uq` ON `approvals` (`run_id`,`approver`);--> statement-breakpoint
CREATE TABLE `cluster_locks` (
	`cluster` text PRIMARY KEY NOT NULL,
	`run_id` text NOT NULL,
	`holder` text NOT NULL,
	`acquired_at` text NOT NULL,
	`expires_at_ms` integer,
	FOREIGN KEY (`run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `runs` (
	`id` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`cluster` text NOT NULL,
	`state` text NOT NULL,
	`requester` text NOT NULL,
	`input_json` text NOT NULL,
	`plan_json` text NOT NULL,
	`plan_digest` text NOT NULL,
	`parent_run_id` text,
	`required_approvals` integer NOT NULL,
	`expires_at_ms` integer NOT NULL,
	`reason` text,
	`phase` text DEFAULT 'forward' NOT NULL,
	`waiting_for` text,
	`cancel_requested_by` text,
	`decision` text,
	`message_channel` text,
	`message_ts` text,
	`current_step` text,
	`lease_owner` text,
	`lease_expires_at_ms` integer,
	`wake_at_ms` integer,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `runs_cluster_idx` ON `runs` (`cluster`,`created_at`);--> statement-breakpoint
CREATE INDEX `runs_state_idx` ON `runs` (`state`);--> statement-breakpoint
CREATE TABLE `snapshots` (
	`run_id` text PRIMARY KEY NOT NULL,
	`configmap_text` text NOT NULL,
	`configmap_rv` text NOT NULL,
	`ds_update_strategy_json` text NOT NULL,
	`created_at` text NOT NULL,
	FOREIGN KEY (`run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `step_results` (
	`run_id` text NOT NULL,
	`step_id` text NOT NULL,
	`node` text DEFAULT '' NOT NULL,
	`status` text NOT NULL,
	`phase` text,
	`attempt` integer DEFAULT 1 NOT NULL,
	`result_json` text,
	`error` text,
	`started_at` text NOT NULL,
	`finished_at` text,
	PRIMARY KEY(`run_id`, `step_id`, `node`),
	FOREIGN KEY (`run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE no action
);
