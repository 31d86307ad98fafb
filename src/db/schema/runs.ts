// Run tables (engine-owned): runs, step_results, approvals, snapshots, cluster_locks.
// Times are ISO-8601 UTC text except the ones the runner compares on every tick (…_ms integers).
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

export const runs = sqliteTable('runs', {
  id: text('id').primaryKey(),
  kind: text('kind').notNull(),
  cluster: text('cluster').notNull(),
  state: text('state').notNull(),
  requester: text('requester').notNull(),
  inputJson: text('input_json').notNull(),
  planJson: text('plan_json').notNull(),
  planDigest: text('plan_digest').notNull(),
  parentRunId: text('parent_run_id'),
  requiredApprovals: integer('required_approvals').notNull(),
  /** Approval deadline (ms since epoch); an awaiting run past it becomes 'expired'. */
  expiresAtMs: integer('expires_at_ms').notNull(),
  reason: text('reason'),
  /** 'forward' while steps advance, 'compensating' once a failure/cancel/rollback decision started undo. */
  phase: text('phase').notNull().default('forward'),
  /** What the run waits for in waiting_operator: 'unknown-outcome' | 'compensation-failed'. */
  waitingFor: text('waiting_for'),
  /** Set by cancel() on a running run; the runner acts on it at the next step boundary. */
  cancelRequestedBy: text('cancel_requested_by'),
  /** Set by decide(): the operator's pending decision, consumed by the runner. */
  decision: text('decision'),
  messageChannel: text('message_channel'),
  messageTs: text('message_ts'),
  currentStep: text('current_step'),
  leaseOwner: text('lease_owner'),
  leaseExpiresAtMs: integer('lease_expires_at_ms'),
  /** Durable wait: the runner does not touch the run before this time (retry backoff, ctx.sleep). */
  wakeAtMs: integer('wake_at_ms'),
  createdAt: text('created_at').notNull(),
  updatedAt: text('updated_at').notNull(),
}, (t) => [
  index('runs_cluster_idx').on(t.cluster, t.createdAt),
  index('runs_state_idx').on(t.state),
]);

export const stepResults = sqliteTable('step_results', {
  runId: text('run_id').notNull().references(() => runs.id),
  stepId: text('step_id').notNull(),
  /** '' for the run-level row of a step; a node name for per-node detail rows. */
  node: text('node').notNull().default(''),
  /** Run-level: started|succeeded|failed|unknown|compensating|compensated|compensation_failed. Node rows: ok|failed. */
  status: text('status').notNull(),
  phase: text('phase'),
  attempt: integer('attempt').notNull().default(1),
  resultJson: text('result_json'),
  error: text('error'),
  startedAt: text('started_at').notNull(),
  finishedAt: text('finished_at'),
}, (t) => [primaryKey({ columns: [t.runId, t.stepId, t.node] })]);

export const approvals = sqliteTable('approvals', {
  runId: text('run_id').notNull().references(() => runs.id),
  approver: text('approver').notNull(),
  /** The plan digest the approver saw. */
  digest: text('digest').notNull(),
  createdAt: text('created_at').notNull(),
  /** Set when drift voids the run's approvals. */
  voidedAt: text('voided_at'),
}, (t) => [uniqueIndex('approvals_run_approver_uq').on(t.runId, t.approver)]);

export const snapshots = sqliteTable('snapshots', {
  runId: text('run_id').primaryKey().references(() => runs.id),
  configmapText: text('configmap_text').notNull(),
  configmapRv: text('configmap_rv').notNull(),
  dsUpdateStrategyJson: text('ds_update_strategy_json').notNull(),
  createdAt: text('created_at').notNull(),
});

export const clusterLocks = sqliteTable('cluster_locks', {
  cluster: text('cluster').primaryKey(),
  runId: text('run_id').notNull().references(() => runs.id),
  /** Who started the holding run (Slack user ID). */
  holder: text('holder').notNull(),
  acquiredAt: text('acquired_at').notNull(),
  expiresAtMs: integer('expires_at_ms'),
});

export const runTables = { runs, stepResults, approvals, snapshots, clusterLocks };
