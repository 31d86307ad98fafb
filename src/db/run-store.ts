// The only place run transactions open. Every write that changes a run's state carries its audit
// events in the same synchronous transaction (record, then advance); nothing here awaits.
import { and, asc, desc, eq, inArray, isNull, lte, ne, or, sql } from 'drizzle-orm';
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import type { RunState } from '../workflows/kube-proxy-mode/api.js';
import { WorkflowError } from '../workflows/kube-proxy-mode/api.js';
import { appendAudit, type AuditEventInput } from './audit-store.js';
import { approvals, clusterLocks, runs, snapshots, stepResults } from './schema/runs.js';

// Structural: accepts H4's Db (which is a BetterSQLite3Database of the full schema).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type RunDb = BetterSQLite3Database<any>;
type Tx = Parameters<Parameters<RunDb['transaction']>[0]>[0];

export type RunRow = typeof runs.$inferSelect;
export type StepRow = typeof stepResults.$inferSelect;
export type ApprovalRow = typeof approvals.$inferSelect;
export type SnapshotRow = typeof snapshots.$inferSelect;
export type LockRow = typeof clusterLocks.$inferSelect;

export type RunPatch = Partial<Omit<RunRow, 'id' | 'kind' | 'cluster' | 'requester' | 'createdAt'>> & { state?: RunState };

export interface StepUpsert {
  stepId: string;
  node?: string;
  status: string;
  phase?: string | null;
  attempt?: number;
  resultJson?: string | null;
  error?: string | null;
  /** Keep the row's started_at when it exists (default true). */
  finished?: boolean;
}

// Prepared once per DB: building and preparing a drizzle query costs ~0.1 ms, a prepared one ~0.01 ms,
// and these run several times per step and per node result.
function buildPrepared(db: RunDb) {
  const p = (name: string) => sql.placeholder(name);
  return {
    run: db.select().from(runs).where(eq(runs.id, p('id'))).prepare(),
    // What a commit checks and stamps. Not the whole row: plan_json is ~0.7 KB per node, and reading it for each of
    // a 5,000-node run's ~15,000 node results was most of the bot's allocation (GBs of short-lived strings).
    runHead: db.select({ state: runs.state, cluster: runs.cluster }).from(runs).where(eq(runs.id, p('id'))).prepare(),
    runSteps: db.select().from(stepResults).where(and(eq(stepResults.runId, p('runId')), eq(stepResults.node, ''))).prepare(),
    stepRows: db.select().from(stepResults).where(and(eq(stepResults.runId, p('runId')), eq(stepResults.stepId, p('stepId'))))
      .orderBy(asc(stepResults.startedAt)).prepare(),
    nodeRows: db.select().from(stepResults).where(and(eq(stepResults.runId, p('runId')), ne(stepResults.node, '')))
      .orderBy(asc(stepResults.startedAt)).prepare(),
    approvals: db.select().from(approvals).where(eq(approvals.runId, p('runId'))).orderBy(asc(approvals.createdAt)).prepare(),
  };
}
const preparedByDb = new WeakMap<object, ReturnType<typeof buildPrepared>>();
function prepared(db: RunDb): ReturnType<typeof buildPrepared> {
  let q = preparedByDb.get(db);
  if (!q) { q = buildPrepared(db); preparedByDb.set(db, q); }
  return q;
}

// The step-row upsert, as one raw statement per connection (drizzle cannot prepare an upsert's SET with placeholders).
const upsertByClient = new WeakMap<object, { run(...a: unknown[]): unknown }>();
function upsertStep(db: RunDb) {
  const client = (db as unknown as { $client: { prepare(s: string): { run(...a: unknown[]): unknown } } }).$client;
  let st = upsertByClient.get(client);
  if (!st) {
    st = client.prepare(`insert into step_results (run_id, step_id, node, status, phase, attempt, result_json, error, started_at, finished_at)
      values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      on conflict (run_id, step_id, node) do update set status = excluded.status, phase = excluded.phase, attempt = excluded.attempt,
        result_json = excluded.result_json, error = excluded.error, finished_at = excluded.finished_at,
        started_at = case when ? then excluded.started_at else step_results.started_at end`);
    upsertByClient.set(client, st);
  }
  return st;
}

const TERMINAL: readonly RunState[] = ['succeeded', 'failed', 'rolled_back', 'rejected', 'expired', 'cancelled', 'voided'];

function audit(tx: Tx, e: AuditEventInput): void {
  // appendAudit is typed against H4's Db; the drizzle transaction object is what it receives at run time.
  appendAudit(tx as never, e);
}

export interface NewRun {
  id: string;
  kind: string;
  cluster: string;
  requester: string;
  inputJson: string;
  planJson: string;
  planDigest: string;
  parentRunId?: string;
  requiredApprovals: number;
  expiresAtMs: number;
  /** Runs that need no approval (requiredApprovals 0) start as 'approved'. */
  state: RunState;
}

/**
 * Inserts the run and takes the cluster lock in one transaction. A lock held by a run that is
 * already terminal, or by an awaiting run past its approval deadline (which is expired here), is
 * taken over; any other holder → WorkflowError('locked') naming that run.
 */
export function insertRun(db: RunDb, r: NewRun, nowMs: number): RunRow {
  const now = new Date(nowMs).toISOString();
  return db.transaction((tx) => {
    const lock = tx.select().from(clusterLocks).where(eq(clusterLocks.cluster, r.cluster)).get();
    if (lock) {
      const holder = tx.select().from(runs).where(eq(runs.id, lock.runId)).get();
      const stale = !holder || TERMINAL.includes(holder.state as RunState);
      const lapsed = holder?.state === 'awaiting_approval' && holder.expiresAtMs <= nowMs;
      if (!stale && !lapsed) {
        throw new WorkflowError('locked',
          `Cluster ${r.cluster} is busy: run ${lock.runId} by <@${lock.holder}> is ${holder?.state.replace('_', ' ')}. ` +
          `Wait for it to finish, or cancel it with \`/ipvs cancel ${lock.runId}\`.`);
      }
      if (lapsed && holder) {
        tx.update(runs).set({ state: 'expired', reason: 'approval window ended', updatedAt: now }).where(eq(runs.id, holder.id)).run();
        audit(tx, { ts: now, actor: 'system', cluster: r.cluster, runId: holder.id, type: 'run.expired', payload: { reason: 'approval window ended' } });
      }
      tx.delete(clusterLocks).where(eq(clusterLocks.cluster, r.cluster)).run();
      audit(tx, { ts: now, actor: 'system', cluster: r.cluster, runId: lock.runId, type: 'lock.released', payload: { reason: stale ? 'holder finished' : 'holder expired' } });
    }
    tx.insert(runs).values({
      id: r.id, kind: r.kind, cluster: r.cluster, state: r.state, requester: r.requester,
      inputJson: r.inputJson, planJson: r.planJson, planDigest: r.planDigest, parentRunId: r.parentRunId ?? null,
      requiredApprovals: r.requiredApprovals, expiresAtMs: r.expiresAtMs, createdAt: now, updatedAt: now,
    }).run();
    tx.insert(clusterLocks).values({ cluster: r.cluster, runId: r.id, holder: r.requester, acquiredAt: now, expiresAtMs: r.expiresAtMs }).run();
    audit(tx, {
      ts: now, actor: r.requester, cluster: r.cluster, runId: r.id, type: 'run.created',
      payload: { kind: r.kind, state: r.state, planDigest: r.planDigest, requiredApprovals: r.requiredApprovals,
        expiresAt: new Date(r.expiresAtMs).toISOString(), parentRunId: r.parentRunId ?? null, input: JSON.parse(r.inputJson) },
    });
    audit(tx, { ts: now, actor: 'system', cluster: r.cluster, runId: r.id, type: 'lock.acquired', payload: { holder: r.requester } });
    return tx.select().from(runs).where(eq(runs.id, r.id)).get()!;
  });
}

export interface Commit {
  runId: string;
  /** Optimistic check: the write happens only if the run is still in one of these states. */
  expectState?: RunState | readonly RunState[];
  run?: RunPatch;
  steps?: StepUpsert[];
  voidApprovals?: boolean;
  approval?: { approver: string; digest: string };
  audit: Omit<AuditEventInput, 'ts' | 'cluster' | 'runId'>[];
}

/**
 * Applies one state change atomically: run patch + step rows + audit events (+ lock release when
 * the new state is terminal). Returns the stored run, or undefined when expectState did not hold
 * (nothing was written).
 */
export function commit(db: RunDb, c: Commit, nowMs: number): RunRow | undefined {
  const now = new Date(nowMs).toISOString();
  return db.transaction((tx) => {
    if (!apply(db, tx, c, now)) return undefined;
    const row = prepared(db).run.get({ id: c.runId });
    // Only a run patch writes updated_at; the row handed back is stamped with this commit's time all the same.
    return row && !(c.run || c.approval || c.voidApprovals) ? { ...row, updatedAt: now } : row;
  });
}

/**
 * commit() for writes whose caller needs no run row back (a node result, an audit note): the same transaction,
 * without reading the run's plan and input. True when written, false when expectState did not hold.
 */
export function record(db: RunDb, c: Commit, nowMs: number): boolean {
  const now = new Date(nowMs).toISOString();
  return db.transaction((tx) => apply(db, tx, c, now));
}

function apply(db: RunDb, tx: Tx, c: Commit, now: string): boolean {
  const cur = prepared(db).runHead.get({ id: c.runId });
  if (!cur) return false;
  if (c.expectState !== undefined) {
    const ok = typeof c.expectState === 'string' ? [c.expectState] : c.expectState;
    if (!ok.includes(cur.state as RunState)) return false;
  }
  if (c.run) tx.update(runs).set({ ...c.run, updatedAt: now }).where(eq(runs.id, c.runId)).run();
  for (const s of c.steps ?? []) {
    const restart = s.finished === false;
    upsertStep(db).run(c.runId, s.stepId, s.node ?? '', s.status, s.phase ?? null, s.attempt ?? 1, s.resultJson ?? null,
      s.error ?? null, now, restart ? null : now, restart ? 1 : 0);
  }
  if (c.approval) {
    tx.insert(approvals).values({ runId: c.runId, approver: c.approval.approver, digest: c.approval.digest, createdAt: now }).run();
  }
  if (c.voidApprovals) {
    tx.update(approvals).set({ voidedAt: now }).where(and(eq(approvals.runId, c.runId), isNull(approvals.voidedAt))).run();
  }
  for (const e of c.audit) audit(tx, { ...e, ts: now, cluster: cur.cluster, runId: c.runId });
  const next = c.run?.state;
  if (next && TERMINAL.includes(next)) {
    const released = tx.delete(clusterLocks).where(and(eq(clusterLocks.cluster, cur.cluster), eq(clusterLocks.runId, c.runId))).run();
    if (released.changes > 0) {
      audit(tx, { ts: now, actor: 'system', cluster: cur.cluster, runId: c.runId, type: 'lock.released', payload: { state: next } });
    }
  } else if (next && next !== 'awaiting_approval') {
    // Once approved the lock no longer lapses with the approval window; it is held until a terminal state.
    tx.update(clusterLocks).set({ expiresAtMs: null }).where(and(eq(clusterLocks.cluster, cur.cluster), eq(clusterLocks.runId, c.runId))).run();
  }
  return true;
}

/** Stores the run's snapshot unless one exists (first one wins: it is the state before the change). */
export function saveSnapshot(db: RunDb, runId: string, s: { configmapText: string; configmapRv: string; dsUpdateStrategyJson: string }, nowMs: number): SnapshotRow {
  const now = new Date(nowMs).toISOString();
  return db.transaction((tx) => {
    const existing = tx.select().from(snapshots).where(eq(snapshots.runId, runId)).get();
    if (existing) return existing;
    const run = tx.select().from(runs).where(eq(runs.id, runId)).get();
    tx.insert(snapshots).values({ runId, ...s, createdAt: now }).run();
    audit(tx, { ts: now, actor: 'system', cluster: run?.cluster, runId, type: 'snapshot.saved',
      payload: { configmapRv: s.configmapRv, configmapBytes: s.configmapText.length, dsUpdateStrategy: JSON.parse(s.dsUpdateStrategyJson) } });
    return tx.select().from(snapshots).where(eq(snapshots.runId, runId)).get()!;
  });
}

/** Takes or renews the run's lease for `owner` unless another owner holds an unexpired one. */
export function acquireLease(db: RunDb, runId: string, owner: string, nowMs: number, leaseMs: number): boolean {
  const res = db.update(runs).set({ leaseOwner: owner, leaseExpiresAtMs: nowMs + leaseMs })
    .where(and(eq(runs.id, runId), or(isNull(runs.leaseOwner), eq(runs.leaseOwner, owner), lte(runs.leaseExpiresAtMs, nowMs))))
    .run();
  return res.changes > 0;
}

export function releaseLease(db: RunDb, runId: string, owner: string): void {
  db.update(runs).set({ leaseOwner: null, leaseExpiresAtMs: null }).where(and(eq(runs.id, runId), eq(runs.leaseOwner, owner))).run();
}

/** Plain column update with no state meaning (message location, wake time bookkeeping). */
export function setRunFields(db: RunDb, runId: string, patch: Pick<RunPatch, 'messageChannel' | 'messageTs' | 'wakeAtMs'>): void {
  db.update(runs).set(patch).where(eq(runs.id, runId)).run();
}

export function getRun(db: RunDb, runId: string): RunRow | undefined {
  return prepared(db).run.get({ id: runId });
}

export function listRuns(db: RunDb, opts: { cluster?: string; states?: readonly RunState[]; limit?: number } = {}): RunRow[] {
  const conds = [];
  if (opts.cluster) conds.push(eq(runs.cluster, opts.cluster));
  if (opts.states) conds.push(inArray(runs.state, [...opts.states]));
  return db.select().from(runs).where(conds.length ? and(...conds) : undefined)
    .orderBy(desc(runs.createdAt), desc(runs.id)).limit(opts.limit ?? 50).all();
}

export function getSteps(db: RunDb, runId: string): StepRow[] {
  return db.select().from(stepResults).where(eq(stepResults.runId, runId)).orderBy(asc(stepResults.startedAt)).all();
}

/** Run-level step rows (node ''), the ones that say where the run is. */
export function getRunSteps(db: RunDb, runId: string): StepRow[] {
  return prepared(db).runSteps.all({ runId });
}

/** One step's rows: the run-level row (node '') and its per-node rows. */
export function getStepRows(db: RunDb, runId: string, stepId: string): StepRow[] {
  return prepared(db).stepRows.all({ runId, stepId });
}

const progressByClient = new WeakMap<object, { all(...a: unknown[]): unknown[] }>();
/** The few columns a status view needs from every per-node row, oldest first (raw: read on every state event). */
export function getNodeProgressRows(db: RunDb, runId: string): { node: string; stepId: string; phase: string | null; status: string; error: string | null }[] {
  const client = (db as unknown as { $client: { prepare(s: string): { all(...a: unknown[]): unknown[] } } }).$client;
  let st = progressByClient.get(client);
  if (!st) {
    st = client.prepare(`select node, step_id as stepId, phase, status, error from step_results
      where run_id = ? and node <> '' order by started_at, rowid`);
    progressByClient.set(client, st);
  }
  return st.all(runId) as { node: string; stepId: string; phase: string | null; status: string; error: string | null }[];
}

/** Per-node rows only (node <> ''), oldest first. */
export function getNodeRows(db: RunDb, runId: string): StepRow[] {
  return prepared(db).nodeRows.all({ runId });
}

export function getApprovals(db: RunDb, runId: string): ApprovalRow[] {
  return prepared(db).approvals.all({ runId });
}

export function getSnapshot(db: RunDb, runId: string): SnapshotRow | undefined {
  return db.select().from(snapshots).where(eq(snapshots.runId, runId)).get();
}

const lastSeqByClient = new WeakMap<object, { get(...a: unknown[]): unknown }>();
/** Highest audit seq of a run (0 if none): a cheap "did anything get recorded" probe. */
export function lastAuditSeq(db: RunDb, runId: string): number {
  const client = (db as unknown as { $client: { prepare(s: string): { get(...a: unknown[]): unknown } } }).$client;
  let st = lastSeqByClient.get(client);
  if (!st) { st = client.prepare('select coalesce(max(seq), 0) as s from audit_events where run_id = ?'); lastSeqByClient.set(client, st); }
  return (st.get(runId) as { s: number }).s;
}

export function getLock(db: RunDb, cluster: string): LockRow | undefined {
  return db.select().from(clusterLocks).where(eq(clusterLocks.cluster, cluster)).get();
}

/**
 * The newest prep results of a cluster: the per-node prepare-nodes rows of its most recent run that has any (the
 * live pre-flight of a plan made later; issue #12 item 2). Undefined when no run of the cluster got that far.
 */
export function latestPrepRows(db: RunDb, cluster: string): { runId: string; at: string; rows: StepRow[] } | undefined {
  // The cluster's newest runs, each looked up by its (run, step) key: no scan of every run's step rows.
  for (const run of listRuns(db, { cluster, limit: 20 })) {
    const rows = getStepRows(db, run.id, 'prepare-nodes').filter((r) => r.node !== '');
    if (rows.length > 0) return { runId: run.id, at: rows.map((r) => r.finishedAt ?? r.startedAt).sort().at(-1)!, rows };
  }
  return undefined;
}
