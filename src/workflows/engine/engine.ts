// createEngine: the API verbs the Workflows service calls, plus the loop that drives runs.
// The loop is timer-driven from the injected Clock (next approval expiry, next wake_at, next foreign
// lease expiry) and kicked immediately when a run becomes runnable; it never polls.
import { randomBytes } from 'node:crypto';
import {
  getApprovals, getLock, getRun, getRunSteps, insertRun, lastAuditSeq, listRuns, setRunFields, type LockRow, type RunDb, type RunRow,
} from '../../db/run-store.js';
import type { StorageHealth } from '../../db/storage-health.js';
import type { ApproveResult, RunState, RunStatus } from '../kube-proxy-mode/api.js';
import { WorkflowError } from '../kube-proxy-mode/api.js';
import type { Json, WorkflowDef } from './define.js';
import type { Clock, Logger, Notifier, TimerHandle } from './ports.js';
import { recoverRuns } from './recovery.js';
import { commitAndNotify, driveRun, type RunnerEnv } from './runner.js';
import { DRIVEN_STATES, isTerminal, transition } from './state-machine.js';
import { toRunStatus } from './run-status.js';
import { notifySafely } from './step-context.js';

export interface EngineOptions {
  db: RunDb;
  clock: Clock;
  notifier: Notifier;
  logger: Logger;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  workflows: Record<string, WorkflowDef<any, any, any>>;
  /** Stable identity of this process (e.g. hostname): runs leased by it are resumed at once after a restart. */
  ownerId: string;
  /** Runs driven at the same time (default 4). */
  concurrency?: number;
  /** Lease length; renewed every third of it while a run is driven (default 60 s). */
  leaseMs?: number;
  /** Wait before retrying a run whose driving failed outside a step, e.g. its deps could not be built (default 30 s). */
  errorBackoffMs?: number;
  /** Full or read-only DB: the engine pauses while it reports a problem, and resumes when it clears (issue #14 item 4). */
  storage?: StorageHealth;
}

export interface CreateRunRequest {
  kind: string;
  cluster: string;
  requester: string;
  input: Json;
  plan: Json;
  planDigest: string;
  /** 0 = no approval needed: the run starts at once. */
  requiredApprovals: number;
  /** End of the approval window. */
  expiresAt: Date | string | number;
  parentRunId?: string;
  runId?: string;
}

export type Decision = 'continue' | 'rollback' | 'abort';

export interface Engine {
  /** Recovers unfinished runs (leases of this owner or expired), then drives runs as they become due. */
  start(): Promise<void>;
  /**
   * Stops taking work and aborts ctx.signal. A step that finishes anyway records its outcome; one that
   * throws while stopping (or is in a ctx.sleep) is left 'started' and re-observed after restart.
   * Leases are released. An engine is not restarted after stop(): create a new one.
   */
  stop(): Promise<void>;
  /** Throws WorkflowError 'invalid' (unknown kind) or 'locked' (another run holds the cluster). */
  createRun(req: CreateRunRequest): RunStatus;
  approve(runId: string, approver: string, digest: string): ApproveResult;
  reject(runId: string, user: string, reason: string): RunStatus;
  /**
   * Before the run started: it ends 'cancelled'. While it runs: at the next step boundary every
   * completed step with a compensate is undone in reverse (so before the first mutating step this is a
   * plain stop, after it a rollback), then 'cancelled'. In waiting_operator: same as decide('rollback').
   */
  cancel(runId: string, user: string): RunStatus;
  /**
   * Operator decision for a run in waiting_operator; audited as operator.decision. On an inconclusive step,
   * continue accepts it (recorded succeeded with its detail.result, not re-run); elsewhere continue runs the
   * uncertain step again / retries the failed compensation. rollback compensates; abort fails, nothing undone.
   */
  decide(runId: string, user: string, decision: Decision, note?: string): RunStatus;
  getRun(runId: string): RunStatus | undefined;
  listRuns(opts?: { cluster?: string; active?: boolean; limit?: number }): RunStatus[];
  lock(cluster: string): LockRow | undefined;
  attachMessage(runId: string, channel: string, ts: string): void;
  /** Resolves when no run is being driven and no kick is pending (tests). */
  idle(): Promise<void>;
}

const notFound = (runId: string) => new WorkflowError('not_found', `No run ${runId}. \`/ipvs status\` lists recent runs.`);

export function createEngine(opts: EngineOptions): Engine {
  const { db, clock, notifier, logger, workflows, ownerId } = opts;
  const concurrency = opts.concurrency ?? 4;
  const leaseMs = opts.leaseMs ?? 60_000;
  const abort = new AbortController();
  const inFlight = new Map<string, Promise<void>>();
  let running = false;
  let stopping = false;
  let timer: TimerHandle | undefined;
  let kickPending: Promise<void> | undefined;
  const unknownKindLogged = new Set<string>();

  const env: RunnerEnv = {
    db, clock, notifier, logger, workflows, ownerId, leaseMs, errorBackoffMs: opts.errorBackoffMs ?? 30_000,
    signal: abort.signal, stopping: () => stopping, ...(opts.storage ? { storage: opts.storage } : {}),
  };
  opts.storage?.onChange((problem) => { if (!problem) kick(); });
  const now = () => clock.now();
  const iso = () => new Date(now()).toISOString();

  function mustGet(runId: string) {
    const run = getRun(db, runId);
    if (!run) throw notFound(runId);
    return run;
  }

  /** Expires due approval windows and starts due runs, then arms the timer for the next due time. */
  function tick(): void {
    if (!running || stopping) return;
    // Paused while the DB cannot be written; the storage probe's recovery kicks again.
    if (opts.storage && !opts.storage.ok()) return;
    try {
      tickOnce();
    } catch (err) {
      // Called from timers: an exception here would end the process.
      if (!opts.storage?.report(err)) logger.error({ err: err instanceof Error ? err.message : String(err) }, 'engine tick failed; retrying later');
      timer?.cancel();
      timer = clock.setTimer(env.errorBackoffMs, tick);
    }
  }

  function tickOnce(): void {
    const t = now();
    for (const r of listRuns(db, { states: ['awaiting_approval'], limit: 10_000 })) {
      if (r.expiresAtMs <= t) {
        commitAndNotify(env, {
          runId: r.id, expectState: 'awaiting_approval', run: { state: transition('awaiting_approval', 'expire'), reason: 'approval window ended' },
          audit: [{ actor: 'system', type: 'run.expired', payload: { expiresAt: new Date(r.expiresAtMs).toISOString() } }],
        });
      }
    }
    let next = Number.POSITIVE_INFINITY;
    const candidates = listRuns(db, { states: [...DRIVEN_STATES], limit: 10_000 }).reverse(); // oldest first
    for (const r of candidates) {
      if (inFlight.has(r.id)) continue;
      if (!workflows[r.kind]) {
        // Left untouched (and not retried in a loop): a deploy without this workflow must not spin.
        if (!unknownKindLogged.has(r.id)) logger.error({ runId: r.id, kind: r.kind }, 'no workflow registered for this run kind');
        unknownKindLogged.add(r.id);
        continue;
      }
      const leasedElsewhere = r.leaseOwner !== null && r.leaseOwner !== ownerId && (r.leaseExpiresAtMs ?? 0) > t;
      const due = Math.max(r.wakeAtMs ?? 0, leasedElsewhere ? (r.leaseExpiresAtMs ?? 0) : 0);
      // A cancel must act even during a retry backoff.
      const cancelNow = r.state === 'running' && r.cancelRequestedBy !== null && !leasedElsewhere;
      if ((due <= t || cancelNow) && inFlight.size < concurrency) {
        const before = lastAuditSeq(db, r.id);
        const p = driveRun(env, r.id)
          .catch((err: unknown) => logger.error({ runId: r.id, err: String(err) }, 'driving a run failed; it will be retried'))
          .finally(() => {
            inFlight.delete(r.id);
            try {
              guardAgainstSpinning(r.id, before);
            } catch (err) {
              if (!opts.storage?.report(err)) logger.error({ runId: r.id, err: String(err) }, 'could not push back a run that made no progress');
            }
            kick();
          });
        inFlight.set(r.id, p);
      } else if (due > t) next = Math.min(next, due);
    }
    for (const r of listRuns(db, { states: ['awaiting_approval'], limit: 10_000 })) next = Math.min(next, r.expiresAtMs);
    // An operator decision with a deadline (inconclusive step): past it, the bot itself decides to roll back.
    for (const r of listRuns(db, { states: ['waiting_operator'], limit: 10_000 })) {
      if (r.wakeAtMs === null) continue;
      if (r.wakeAtMs <= t) applyDecision(r, 'ipvs-bot', 'rollback', undefined, true);
      else next = Math.min(next, r.wakeAtMs);
    }
    timer?.cancel();
    timer = Number.isFinite(next) ? clock.setTimer(next - t, tick) : undefined;
  }

  /**
   * Safety net for "no busy polling": a drive that committed nothing (no new audit event) and left the
   * run still due would be picked again at once; push it back instead. Every real move writes an event.
   */
  function guardAgainstSpinning(runId: string, auditSeqBefore: number): void {
    if (stopping) return;
    const run = getRun(db, runId);
    if (!run || !DRIVEN_STATES.has(run.state as RunState) || lastAuditSeq(db, runId) !== auditSeqBefore) return;
    if ((run.wakeAtMs ?? 0) > now() || (run.leaseOwner !== null && run.leaseOwner !== ownerId)) return;
    logger.warn({ runId, state: run.state }, 'a drive made no progress; retrying the run later');
    setRunFields(db, runId, { wakeAtMs: now() + env.errorBackoffMs });
  }

  function kick(): void {
    if (!running || stopping || kickPending) return;
    // Coalesces bursts of kicks into one tick after the current synchronous work.
    kickPending = Promise.resolve().then(() => { kickPending = undefined; tick(); });
  }

  function stateRefusal(state: RunState): ApproveResult & { ok: false } {
    if (state === 'expired') return { ok: false, code: 'expired', message: 'This plan expired before it was approved. Run `/ipvs plan` again.' };
    if (state === 'voided') return { ok: false, code: 'drifted', message: 'The cluster changed since this plan was made, so its approvals were voided. Run `/ipvs plan` again.' };
    return { ok: false, code: 'not_awaiting', message: `This run is ${state.replace('_', ' ')}; it no longer takes approvals.` };
  }

  /** One decision, committed with its audit event (undefined when the run left waiting_operator meanwhile). */
  function applyDecision(run: RunRow, user: string, decision: Decision, note: string | undefined, timeout: boolean): RunRow | undefined {
    const phase = run.phase === 'compensating' ? 'compensating' : 'forward';
    const who = timeout ? 'ipvs-bot' : `<@${user}>`;
    const audit = [{ actor: user, type: 'operator.decision', payload: {
      decision, note: note ?? null, waitingFor: run.waitingFor, ...(timeout ? { timeout: true, deadline: new Date(run.wakeAtMs ?? now()).toISOString() } : {}),
    } }];
    // The inconclusive step (its row keeps the error's detail): continue records it succeeded instead of re-running it.
    const pending = run.waitingFor === 'inconclusive' && run.currentStep
      ? getRunSteps(db, run.id).find((s) => s.stepId === run.currentStep && s.status === 'inconclusive') : undefined;
    const why = pending?.error ?? run.reason ?? 'waiting for an operator';
    const noteText = note ? `: ${note}` : '';
    let c: Parameters<typeof commitAndNotify>[1];
    if (decision === 'abort') {
      c = { runId: run.id, expectState: 'waiting_operator', audit,
        run: { state: transition('waiting_operator', 'fail'), reason: `aborted by ${who}${noteText} (${why})`, waitingFor: null, wakeAtMs: null } };
    } else if (decision === 'rollback') {
      c = { runId: run.id, expectState: 'waiting_operator', audit,
        run: { state: transition('waiting_operator', 'compensate'), phase: 'compensating', waitingFor: null, decision: null, wakeAtMs: null,
          ...(pending ? { reason: timeout ? `${why}; no decision by the deadline, so ipvs-bot rolled back` : `${why}; rolled back by ${who}${noteText}` } : {}) } };
    } else if (pending) {
      const detail = (pending.resultJson ? JSON.parse(pending.resultJson) : {}) as { result?: Json };
      const result = detail.result ?? {};
      c = { runId: run.id, expectState: 'waiting_operator',
        run: { state: transition('waiting_operator', 'continue', phase), waitingFor: null, decision: null, wakeAtMs: null, reason: null },
        steps: [{ stepId: pending.stepId, status: 'succeeded', attempt: pending.attempt, resultJson: JSON.stringify(result) }],
        audit: [...audit, { actor: 'system', type: 'step.succeeded', payload: { step: pending.stepId, attempt: pending.attempt, result: result as never, acceptedBy: user } }] };
    } else {
      c = { runId: run.id, expectState: 'waiting_operator', audit,
        run: { state: transition('waiting_operator', 'continue', phase), waitingFor: null, decision: 'continue', wakeAtMs: null } };
    }
    const row = commitAndNotify(env, c);
    if (row) kick();
    return row;
  }

  const engine: Engine = {
    async start() {
      if (running) return;
      if (abort.signal.aborted) throw new Error('this engine was stopped; create a new one');
      running = true;
      recoverRuns({ db, clock, logger, ownerId });
      tick();
    },

    async stop() {
      stopping = true;
      // Steps see ctx.signal aborted; one that gives up is left 'started' for the next process to observe.
      abort.abort();
      timer?.cancel();
      timer = undefined;
      await Promise.allSettled([...inFlight.values()]);
      running = false;
    },

    createRun(req) {
      if (!workflows[req.kind]) throw new WorkflowError('invalid', `Unknown workflow kind "${req.kind}".`);
      if (!Number.isInteger(req.requiredApprovals) || req.requiredApprovals < 0) throw new WorkflowError('invalid', 'requiredApprovals must be a whole number ≥ 0.');
      const expiresAtMs = new Date(req.expiresAt).getTime();
      if (Number.isNaN(expiresAtMs)) throw new WorkflowError('invalid', 'expiresAt is not a valid time.');
      const id = req.runId ?? `${req.kind}-${iso().slice(0, 10).replaceAll('-', '')}-${randomBytes(3).toString('hex')}`;
      const row = insertRun(db, {
        id, kind: req.kind, cluster: req.cluster, requester: req.requester,
        inputJson: JSON.stringify(req.input), planJson: JSON.stringify(req.plan), planDigest: req.planDigest,
        ...(req.parentRunId ? { parentRunId: req.parentRunId } : {}),
        requiredApprovals: req.requiredApprovals, expiresAtMs,
        state: req.requiredApprovals === 0 ? 'approved' : 'awaiting_approval',
      }, now());
      const status = toRunStatus(db, row);
      notifySafely(notifier, logger, { type: 'state', runId: id, status });
      kick();
      return status;
    },

    approve(runId, approver, digest) {
      const run = getRun(db, runId);
      if (!run) return { ok: false, code: 'not_found', message: `No run ${runId}.` };
      const state = run.state as RunState;
      if (state !== 'awaiting_approval') return stateRefusal(state);
      if (run.expiresAtMs <= now()) {
        commitAndNotify(env, {
          runId, expectState: 'awaiting_approval', run: { state: transition(state, 'expire'), reason: 'approval window ended' },
          audit: [{ actor: 'system', type: 'run.expired', payload: { expiresAt: new Date(run.expiresAtMs).toISOString() } }],
        });
        return stateRefusal('expired');
      }
      if (approver === run.requester) return { ok: false, code: 'self_approval', message: 'You requested this run, so someone else has to approve it.' };
      const current = getApprovals(db, runId).filter((a) => a.voidedAt === null);
      if (current.some((a) => a.approver === approver)) return { ok: false, code: 'already_approved', message: 'You already approved this run.' };
      if (digest !== run.planDigest) {
        return { ok: false, code: 'digest_mismatch', message: 'The plan you approved is not the current one (it was re-planned). Look at the latest plan card and approve that.' };
      }
      const count = current.length + 1;
      const quorum = count >= run.requiredApprovals;
      const row = commitAndNotify(env, {
        runId, expectState: 'awaiting_approval',
        approval: { approver, digest },
        ...(quorum ? { run: { state: transition(state, 'quorum_met') } } : {}),
        audit: [
          { actor: approver, type: 'approval.recorded', payload: { digest, count, required: run.requiredApprovals } },
          ...(quorum ? [{ actor: 'system', type: 'run.approved', payload: { approvers: [...current.map((a) => a.approver), approver] } }] : []),
        ],
      });
      if (!row) return stateRefusal((getRun(db, runId)?.state ?? 'cancelled') as RunState);
      if (quorum) kick();
      return { ok: true, status: toRunStatus(db, row), started: quorum };
    },

    reject(runId, user, reason) {
      const run = mustGet(runId);
      const row = commitAndNotify(env, {
        runId, expectState: 'awaiting_approval',
        run: { state: transition('awaiting_approval', 'reject'), reason: `rejected by <@${user}>: ${reason}` },
        audit: [{ actor: user, type: 'run.rejected', payload: { reason } }],
      });
      if (!row) throw new WorkflowError('invalid', `Run ${runId} is ${run.state.replace('_', ' ')}; only a run awaiting approval can be rejected.`);
      return toRunStatus(db, row);
    },

    cancel(runId, user) {
      const run = mustGet(runId);
      const state = run.state as RunState;
      if (isTerminal(state)) throw new WorkflowError('invalid', `Run ${runId} already ended (${state.replace('_', ' ')}).`);
      let row;
      if (state === 'awaiting_approval' || state === 'approved') {
        row = commitAndNotify(env, {
          runId, expectState: state, run: { state: transition(state, 'cancel'), reason: `cancelled by <@${user}>` },
          audit: [{ actor: user, type: 'run.cancelled', payload: { before: state } }],
        });
      } else if (state === 'waiting_operator') {
        row = commitAndNotify(env, {
          runId, expectState: state,
          // wakeAtMs held the decision deadline of an inconclusive pause: the rollback starts now, not then.
          run: { state: transition(state, 'compensate'), phase: 'compensating', cancelRequestedBy: user, waitingFor: null, wakeAtMs: null, reason: `cancelled by <@${user}>` },
          audit: [{ actor: user, type: 'run.cancel_requested', payload: { during: state } }, { actor: 'system', type: 'run.rolling_back', payload: { cause: 'cancel' } }],
        });
      } else if (state === 'rolling_back') {
        throw new WorkflowError('invalid', `Run ${runId} is already rolling back; it will end rolled back.`);
      } else {
        row = commitAndNotify(env, {
          runId, expectState: state, run: { cancelRequestedBy: user },
          audit: [{ actor: user, type: 'run.cancel_requested', payload: { during: state } }],
        });
      }
      if (!row) return engine.cancel(runId, user); // state moved between read and write: decide again
      kick();
      return toRunStatus(db, row);
    },

    decide(runId, user, decision, note) {
      const run = mustGet(runId);
      if (run.state !== 'waiting_operator') {
        throw new WorkflowError('invalid', `Run ${runId} is ${run.state.replace('_', ' ')}; it is not waiting for a decision.`);
      }
      const row = applyDecision(run, user, decision, note, false);
      if (!row) throw new WorkflowError('invalid', `Run ${runId} changed while deciding; look at its status and try again.`);
      return toRunStatus(db, row);
    },

    getRun(runId) {
      const run = getRun(db, runId);
      return run ? toRunStatus(db, run) : undefined;
    },

    listRuns(o = {}) {
      const active: RunState[] = ['awaiting_approval', 'approved', 'running', 'waiting_operator', 'rolling_back'];
      return listRuns(db, { ...(o.cluster ? { cluster: o.cluster } : {}), ...(o.active ? { states: active } : {}), limit: o.limit ?? 50 })
        .map((r) => toRunStatus(db, r));
    },

    lock(cluster) {
      return getLock(db, cluster);
    },

    attachMessage(runId, channel, ts) {
      mustGet(runId);
      setRunFields(db, runId, { messageChannel: channel, messageTs: ts });
    },

    async idle() {
      for (;;) {
        if (kickPending) { await kickPending; continue; }
        if (inFlight.size === 0) return;
        await Promise.allSettled([...inFlight.values()]);
      }
    },
  };

  return engine;
}
