// Drives one run forward (or backward) step by step: record 'started', run the step with no
// transaction open, record the outcome with the run's new state and audit event in one transaction.
// Each loop iteration re-reads the run, so API verbs (cancel, decide) act at the next step boundary.
import {
  acquireLease, commit, getRun, getRunSteps, releaseLease, setRunFields, type Commit, type RunDb, type RunRow, type StepRow,
} from '../../db/run-store.js';
import { storageProblemWords, type StorageHealth } from '../../db/storage-health.js';
import type { RunState } from '../kube-proxy-mode/api.js';
import { assertUniqueStepIds, DEFAULT_DECISION_TIMEOUT_MS, type Json, type RunInfo, type StepDef, type WorkflowDef } from './define.js';
import { StepError, toStepError } from './errors.js';
import type { Clock, Logger, Notifier, TimerHandle } from './ports.js';
import { DRIVEN_STATES, transition } from './state-machine.js';
import { makeStepContext, notifySafely, parseJson } from './step-context.js';
import { toRunStatus } from './run-status.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyWorkflow = WorkflowDef<any, any, any>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyStep = StepDef<any, any, any>;

export interface RunnerEnv {
  db: RunDb;
  clock: Clock;
  notifier: Notifier;
  logger: Logger;
  workflows: Record<string, AnyWorkflow>;
  ownerId: string;
  leaseMs: number;
  /** Wait before retrying a run whose driving failed outside any step (e.g. deps unreachable). */
  errorBackoffMs: number;
  signal: AbortSignal;
  /** True once stop() was called: finish the current step's record, then let go. */
  stopping(): boolean;
  /** Storage errors go here (pause, plain words); a step's outcome is retried until it reaches the disk. */
  storage?: StorageHealth;
}

/** A write that must not be lost (a step happened): retried across a full disk when the env has a storage guard. */
function persist<T>(env: RunnerEnv, fn: () => T): Promise<T> {
  return env.storage ? env.storage.persist(fn, env.signal) : Promise.resolve(fn());
}

/** A write whose failure must not escape a timer or a finally (it would end the process). */
function guarded(env: RunnerEnv, what: string, runId: string, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    if (!env.storage?.report(err)) env.logger.error({ runId, err: err instanceof Error ? err.message : String(err) }, what);
  }
}

const DEFAULT_MAX_BACKOFF_MS = 5 * 60_000;

/** Commits, then tells the Notifier the run's new status (only after the transaction committed). */
export function commitAndNotify(env: Pick<RunnerEnv, 'db' | 'clock' | 'notifier' | 'logger'>, c: Commit): RunRow | undefined {
  const row = commit(env.db, c, env.clock.now());
  if (row) notifySafely(env.notifier, env.logger, { type: 'state', runId: row.id, status: toRunStatus(env.db, row) });
  return row;
}

export function runInfo(def: AnyWorkflow, run: RunRow): RunInfo {
  const input: unknown = JSON.parse(run.inputJson);
  const plan: unknown = JSON.parse(run.planJson);
  const info: RunInfo = {
    runId: run.id, kind: run.kind, cluster: run.cluster, requester: run.requester,
    input: def.parseInput ? def.parseInput(input) : input,
    plan: def.parsePlan ? def.parsePlan(plan) : plan,
    planDigest: run.planDigest,
  };
  if (run.parentRunId) info.parentRunId = run.parentRunId;
  return info;
}

export function backoffMs(step: AnyStep, attempt: number): number {
  const r = step.retry!;
  return Math.min(r.baseMs * 2 ** (attempt - 1), r.maxMs ?? DEFAULT_MAX_BACKOFF_MS);
}

const errText = (e: StepError): string => `${e.kind}: ${e.message}`;

type CtxFor = (s: AnyStep, a: number, signal?: AbortSignal) => ReturnType<typeof makeStepContext>;

/**
 * Runs fn under the step's timeoutMs (if any): on expiry the step's ctx.signal is aborted and the
 * returned promise rejects with `onTimeout()`; whatever fn does later is not recorded.
 */
async function withTimeout<T>(env: RunnerEnv, ms: number | undefined, fn: (signal: AbortSignal) => Promise<T>, onTimeout: () => StepError): Promise<T> {
  if (!ms) return fn(env.signal);
  const own = new AbortController();
  const signal = AbortSignal.any([env.signal, own.signal]);
  let timer: TimerHandle | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = env.clock.setTimer(ms, () => { own.abort(); reject(onTimeout()); });
  });
  try {
    return await Promise.race([fn(signal), expired]);
  } finally {
    timer?.cancel();
  }
}

/**
 * Drives the run until it is terminal, waits (wake_at / operator / approval), or the engine stops.
 * Returns without doing anything when another live owner holds the run's lease.
 */
export async function driveRun(env: RunnerEnv, runId: string): Promise<void> {
  const { db, clock, logger, ownerId } = env;
  try {
    if (!acquireLease(db, runId, ownerId, clock.now(), env.leaseMs)) return;
  } catch (err) {
    if (env.storage?.report(err)) return; // paused: nothing was started
    throw err;
  }
  let renew: TimerHandle | undefined;
  const renewLoop = (): void => {
    renew = clock.setTimer(Math.max(1, Math.floor(env.leaseMs / 3)), () => {
      // A full disk fails the renewal: reported (engine paused), not thrown out of the timer.
      guarded(env, 'could not renew the lease of a run being driven', runId, () => {
        if (!acquireLease(db, runId, ownerId, clock.now(), env.leaseMs)) logger.error({ runId, ownerId }, 'lost the lease of a run being driven');
      });
      renewLoop();
    });
  };
  renewLoop();
  try {
    // Input and plan never change for a run, so its info, steps and deps are built once per drive.
    let prepared: { info: RunInfo; steps: AnyStep[]; deps: unknown } | undefined;
    for (;;) {
      if (env.stopping()) return;
      // No new step while its record cannot be written.
      if (env.storage && !env.storage.ok()) return;
      const run = getRun(db, runId);
      if (!run || !DRIVEN_STATES.has(run.state as RunState)) return;
      const def = env.workflows[run.kind];
      if (!def) {
        logger.error({ runId, kind: run.kind }, 'no workflow registered for this run kind; leaving the run untouched');
        return;
      }
      if (!prepared) {
        const info = runInfo(def, run);
        const steps = def.steps(info);
        assertUniqueStepIds(steps);
        prepared = { info, steps, deps: await def.deps(info) };
      }
      const { info, steps, deps } = prepared;
      const rows = getRunSteps(db, runId);
      const advanced = await advance(env, def, run, info, deps, steps, rows);
      if (!advanced) return;
    }
  } catch (err) {
    // Not a step outcome (deps could not be built, checkDrift threw, the DB is busy): try again later
    // rather than spin; the run's state is untouched.
    if (env.stopping() && env.signal.aborted) return;
    if (env.storage?.report(err)) return; // paused; the run is picked up again on recovery
    logger.error({ runId, err: err instanceof Error ? err.message : String(err) }, 'could not drive the run; retrying later');
    guarded(env, 'could not schedule the retry of a run', runId, () => setRunFields(db, runId, { wakeAtMs: clock.now() + env.errorBackoffMs }));
  } finally {
    renew?.cancel();
    guarded(env, 'could not release the lease of a run', runId, () => releaseLease(db, runId, ownerId));
  }
}

/** One move of the run. Returns false when the run must wait (timer, operator) or stop. */
async function advance(env: RunnerEnv, def: AnyWorkflow, run: RunRow, info: RunInfo, deps: unknown,
  steps: AnyStep[], rows: StepRow[]): Promise<boolean> {
  const { clock } = env;
  const state = run.state as RunState;
  const ctxFor = (step: AnyStep, attempt: number, signal: AbortSignal = env.signal) =>
    makeStepContext({ db: env.db, clock, logger: env.logger, notifier: env.notifier, signal }, info, deps, step.id, attempt);

  if (state === 'running' && run.cancelRequestedBy) {
    commitAndNotify(env, {
      runId: run.id, expectState: 'running',
      run: { state: transition(state, 'compensate'), phase: 'compensating', wakeAtMs: null, reason: `cancelled by <@${run.cancelRequestedBy}>` },
      audit: [{ actor: run.cancelRequestedBy, type: 'run.rolling_back', payload: { cause: 'cancel' } }],
    });
    return true;
  }
  if (run.wakeAtMs !== null && run.wakeAtMs > clock.now()) return false;

  if (state === 'approved') {
    const reason = def.checkDrift ? await def.checkDrift(ctxFor({ id: '(start)', run: async () => null }, 1)) : null;
    if (reason) { voidRun(env, run, 'approved', `the cluster changed since the plan was approved: ${reason}`, undefined); return false; }
    commitAndNotify(env, {
      runId: run.id, expectState: 'approved', run: { state: transition(state, 'start'), phase: 'forward' },
      audit: [{ actor: 'system', type: 'run.started', payload: { ownerId: env.ownerId, steps: steps.map((s) => s.id) } }],
    });
    return true;
  }
  if (state === 'rolling_back') return compensateNext(env, def, run, steps, rows, ctxFor);

  // Forward: the first step without a succeeded row.
  const byId = new Map(rows.map((r) => [r.stepId, r]));
  const step = steps.find((s) => byId.get(s.id)?.status !== 'succeeded');
  if (!step) {
    commitAndNotify(env, {
      runId: run.id, expectState: 'running', run: { state: transition(state, 'finish'), currentStep: null, wakeAtMs: null },
      audit: [{ actor: 'system', type: 'run.succeeded', payload: { steps: steps.length } }],
    });
    return false;
  }
  const row = byId.get(step.id);
  let observedNotApplied = false;
  if (row && (row.status === 'started' || row.status === 'unknown')) {
    const continuing = row.status === 'unknown' && run.decision === 'continue';
    if (!continuing) {
      const verdict = await observeStarted(env, def, run, step, row, ctxFor);
      if (verdict !== 'not-applied') return verdict;
      observedNotApplied = true;
    }
  }
  const attempt = row ? row.attempt + 1 : 1;
  if (step.gate === 'drift' && def.checkDrift) {
    const reason = await def.checkDrift(ctxFor(step, attempt));
    if (reason) { voidRun(env, run, 'running', `the cluster changed since the plan was approved: ${reason}`, step.id); return false; }
  }
  const started = commitAndNotify(env, {
    runId: run.id, expectState: 'running',
    run: { currentStep: step.id, wakeAtMs: null, decision: null },
    steps: [{ stepId: step.id, status: 'started', attempt, finished: false }],
    audit: [{ actor: 'system', type: 'step.started', payload: {
      step: step.id, attempt, ...(run.decision ? { decision: run.decision } : {}), ...(observedNotApplied ? { observed: 'not-applied' } : {}),
    } }],
  });
  if (!started) return true; // state moved under us (e.g. cancelled): re-read
  return runStep(env, def, run, info, step, attempt, ctxFor);
}

async function runStep(env: RunnerEnv, def: AnyWorkflow, run: RunRow, info: RunInfo, step: AnyStep, attempt: number,
  ctxFor: CtxFor): Promise<boolean> {
  let result: Json;
  try {
    result = await withTimeout(env, step.timeoutMs, (signal) => step.run(ctxFor(step, attempt, signal)),
      () => new StepError('unknown-outcome', `step ${step.id} did not finish within ${step.timeoutMs} ms`));
  } catch (e) {
    if (env.stopping() && env.signal.aborted) {
      // Interrupted by shutdown: the outcome is unknown, so nothing is recorded; the step stays
      // 'started' and the next process re-observes it (after any stored wake_at).
      env.logger.warn({ runId: run.id, step: step.id, attempt }, 'step interrupted by shutdown; it will be re-observed on restart');
      return false;
    }
    if (env.storage?.report(e)) {
      // The step's own records (node results) could not be written: a full or read-only database, not the step
      // failing. Steps are safe to repeat, so it runs again once the database takes writes (persist waits for that);
      // the engine is paused meanwhile. Found by test/host/db-disk-full.test.ts with the disk filled mid-verify.
      const error = `retryable: interrupted because the database could not be written (${storageProblemWords(e) ?? 'storage error'}); it runs again`;
      env.logger.warn({ runId: run.id, step: step.id, attempt }, 'step interrupted by the database; it runs again when the database can be written');
      return persist(env, () => {
        commitAndNotify(env, {
          runId: run.id, expectState: 'running',
          run: { wakeAtMs: env.clock.now() },
          steps: [{ stepId: step.id, status: 'retry_wait', attempt, error }],
          audit: [{ actor: 'system', type: 'step.retry_scheduled', payload: { step: step.id, attempt, delayMs: 0, error, storage: true } }],
        });
        return false;
      });
    }
    const err = toStepError(e);
    env.logger.warn({ runId: run.id, step: step.id, attempt, kind: err.kind, err: err.message }, 'step failed');
    return persist(env, () => onStepError(env, def, run, info, step, attempt, err));
  }
  await persist(env, () => commitAndNotify(env, {
    runId: run.id, expectState: 'running',
    run: { wakeAtMs: null },
    steps: [{ stepId: step.id, status: 'succeeded', attempt, resultJson: JSON.stringify(result ?? null) }],
    audit: [{ actor: 'system', type: 'step.succeeded', payload: { step: step.id, attempt, result: result as never } }],
  }));
  return true;
}

function onStepError(env: RunnerEnv, def: AnyWorkflow, run: RunRow, info: RunInfo, step: AnyStep, attempt: number, err: StepError): boolean {
  const max = step.retry?.max ?? 1;
  if (err.kind === 'retryable' && attempt < max) {
    const delay = backoffMs(step, attempt);
    commitAndNotify(env, {
      runId: run.id, expectState: 'running',
      run: { wakeAtMs: env.clock.now() + delay },
      steps: [{ stepId: step.id, status: 'retry_wait', attempt, error: errText(err) }],
      audit: [{ actor: 'system', type: 'step.retry_scheduled', payload: { step: step.id, attempt, delayMs: delay, error: errText(err) } }],
    });
    return false;
  }
  if (err.kind === 'drift') { voidRun(env, run, 'running', `the cluster changed during the run: ${err.message}`, step.id); return false; }
  if (err.kind === 'inconclusive') { pauseInconclusive(env, def, run, info, step.id, attempt, err); return false; }
  if (err.kind === 'unknown-outcome') {
    // Leave the step 'started': the next move re-observes it (or asks an operator).
    commitAndNotify(env, {
      runId: run.id, expectState: 'running',
      steps: [{ stepId: step.id, status: 'started', attempt, error: errText(err), finished: false }],
      audit: [{ actor: 'system', type: 'step.outcome_unknown', payload: { step: step.id, attempt, error: errText(err) } }],
    });
    return true;
  }
  return failForward(env, def, run, info, step.id, attempt, `step ${step.id} failed: ${err.message}`);
}

function failForward(env: RunnerEnv, def: AnyWorkflow, run: RunRow, info: RunInfo, stepId: string, attempt: number, reason: string): boolean {
  const auto = def.autoRollback ? def.autoRollback(info) : (info.input as { autoRollback?: unknown } | null)?.autoRollback !== false;
  const state = run.state as RunState;
  commitAndNotify(env, {
    runId: run.id, expectState: 'running',
    // A failure outranks a pending cancel: the run then ends rolled_back with the failure as its reason.
    run: auto
      ? { state: transition(state, 'compensate'), phase: 'compensating', reason, wakeAtMs: null, cancelRequestedBy: null }
      : { state: transition(state, 'fail'), reason: `${reason} (auto-rollback is off: the cluster is left as it is)`, wakeAtMs: null },
    steps: [{ stepId, status: 'failed', attempt, error: reason }],
    audit: [
      { actor: 'system', type: 'step.failed', payload: { step: stepId, attempt, error: reason } },
      { actor: 'system', type: auto ? 'run.rolling_back' : 'run.failed', payload: { reason, autoRollback: auto } },
    ],
  });
  return auto;
}

/**
 * An inconclusive step: the run waits for an operator with a decision deadline in wake_at (durable, no new
 * column); the engine's loop decides 'rollback' itself once it passes (engine.ts). The step row keeps the
 * error's detail, so decide('continue') can record the step succeeded with detail.result.
 */
function pauseInconclusive(env: RunnerEnv, def: AnyWorkflow, run: RunRow, info: RunInfo, stepId: string, attempt: number, err: StepError): void {
  const timeoutMs = def.decisionTimeoutMs?.(info) ?? DEFAULT_DECISION_TIMEOUT_MS;
  const deadline = env.clock.now() + timeoutMs;
  const decideBy = new Date(deadline).toISOString();
  const detail = err.detail ?? {};
  const reason = `${err.message}; choose Continue (accept the result), Roll back or Abort — without a decision by ${decideBy} it rolls back`;
  commitAndNotify(env, {
    runId: run.id, expectState: 'running',
    run: { state: transition('running', 'need_operator'), waitingFor: 'inconclusive', reason, decision: null, wakeAtMs: deadline },
    steps: [{ stepId, status: 'inconclusive', attempt, error: err.message, resultJson: JSON.stringify(detail) }],
    audit: [
      { actor: 'system', type: 'step.inconclusive', payload: { step: stepId, attempt, error: err.message, checks: detail['checks'] ?? [] } },
      { actor: 'system', type: 'run.waiting_operator', payload: { step: stepId, reason, waitingFor: 'inconclusive', decideBy, timeoutMs } },
    ],
  });
}

function voidRun(env: RunnerEnv, run: RunRow, from: RunState, reason: string, stepId: string | undefined): void {
  commitAndNotify(env, {
    runId: run.id, expectState: from,
    run: { state: transition(from, 'drift'), reason, wakeAtMs: null },
    voidApprovals: true,
    ...(stepId ? { steps: [{ stepId, status: 'failed', error: reason }] } : {}),
    audit: [{ actor: 'system', type: 'run.voided', payload: { reason, step: stepId ?? null } }],
  });
}

/** A step found 'started' (crash) or 'unknown': look at the world, else ask an operator. */
async function observeStarted(env: RunnerEnv, def: AnyWorkflow, run: RunRow, step: AnyStep, row: StepRow,
  ctxFor: CtxFor): Promise<boolean | 'not-applied'> {
  let observed: Json | 'unknown' | 'not-applied' = 'unknown';
  let why = 'the step has no way to observe its outcome';
  if (step.observe && row.status === 'started') {
    try {
      observed = await step.observe(ctxFor(step, row.attempt));
      why = 'observing the cluster could not tell whether it completed';
    } catch (e) {
      const err = toStepError(e);
      if (err.kind === 'fatal') return failForward(env, def, run, runInfo(def, run), step.id, row.attempt, `step ${step.id} failed: ${err.message}`);
      if (err.kind === 'drift') { voidRun(env, run, 'running', `the cluster changed during the run: ${err.message}`, step.id); return false; }
      why = `observing failed: ${err.message}`;
    }
  }
  if (observed === 'not-applied') return 'not-applied';
  if (observed !== 'unknown') {
    commitAndNotify(env, {
      runId: run.id, expectState: 'running', run: { wakeAtMs: null },
      steps: [{ stepId: step.id, status: 'succeeded', attempt: row.attempt, resultJson: JSON.stringify(observed) }],
      audit: [
        { actor: 'system', type: 'step.observed', payload: { step: step.id, attempt: row.attempt, result: observed as never } },
        { actor: 'system', type: 'step.succeeded', payload: { step: step.id, attempt: row.attempt, result: observed as never, observed: true } },
      ],
    });
    return true;
  }
  const reason = `outcome of step ${step.id} is unknown (${why}); choose Continue (run it again), Roll back or Abort`;
  commitAndNotify(env, {
    runId: run.id, expectState: 'running',
    run: { state: transition('running', 'need_operator'), waitingFor: 'unknown-outcome', reason, decision: null, wakeAtMs: null },
    steps: [{ stepId: step.id, status: 'unknown', attempt: row.attempt, error: why }],
    audit: [{ actor: 'system', type: 'run.waiting_operator', payload: { step: step.id, reason } }],
  });
  return false;
}

const NEEDS_UNDO = new Set(['succeeded', 'failed', 'unknown', 'inconclusive', 'started', 'retry_wait', 'compensating', 'compensation_failed']);

/** Compensates the next step in reverse order; finishes the rollback when none is left. */
async function compensateNext(env: RunnerEnv, def: AnyWorkflow, run: RunRow, steps: AnyStep[], rows: StepRow[],
  ctxFor: CtxFor): Promise<boolean> {
  const byId = new Map(rows.map((r) => [r.stepId, r]));
  const step = [...steps].reverse().find((s) => s.compensate && NEEDS_UNDO.has(byId.get(s.id)?.status ?? 'none'));
  if (!step) {
    const cancelled = run.cancelRequestedBy !== null;
    commitAndNotify(env, {
      runId: run.id, expectState: 'rolling_back',
      run: { state: transition('rolling_back', cancelled ? 'compensated_cancel' : 'compensated'), currentStep: null, wakeAtMs: null },
      audit: [{ actor: 'system', type: cancelled ? 'run.cancelled' : 'run.rolled_back', payload: { reason: run.reason } }],
    });
    return false;
  }
  const row = byId.get(step.id)!;
  const wasCompensating = row.status === 'compensating' || row.status === 'compensation_failed';
  const attempt = wasCompensating ? row.attempt + 1 : 1;
  // The original result is kept in result_json until the compensation records its own.
  const stored = parseJson(row.resultJson);
  const original = row.status === 'succeeded' ? stored : wasCompensating ? (stored as { original?: Json } | null)?.original ?? null : null;
  const begun = commitAndNotify(env, {
    runId: run.id, expectState: 'rolling_back', run: { currentStep: step.id, decision: null },
    steps: [{ stepId: step.id, status: 'compensating', attempt, resultJson: JSON.stringify({ original }), finished: false }],
    audit: [{ actor: 'system', type: 'step.compensating', payload: { step: step.id, attempt, ...(row.status === 'compensating' ? { resumedAfterCrash: true } : {}) } }],
  });
  if (!begun) return true;
  try {
    const undone = await withTimeout(env, step.timeoutMs, (signal) => step.compensate!(ctxFor(step, attempt, signal), original),
      () => new StepError('fatal', `rolling back step ${step.id} did not finish within ${step.timeoutMs} ms`));
    await persist(env, () => commitAndNotify(env, {
      runId: run.id, expectState: 'rolling_back',
      steps: [{ stepId: step.id, status: 'compensated', attempt, resultJson: JSON.stringify({ original, compensation: undone ?? null }) }],
      audit: [{ actor: 'system', type: 'step.compensated', payload: { step: step.id, attempt, result: (undone ?? null) as never } }],
    }));
    return true;
  } catch (e) {
    if (env.stopping() && env.signal.aborted) return false; // stays 'compensating': redone (idempotent) on restart
    const err = toStepError(e);
    const max = step.retry?.max ?? 1;
    if (err.kind === 'retryable' && attempt < max) {
      const delay = backoffMs(step, attempt);
      commitAndNotify(env, {
        runId: run.id, expectState: 'rolling_back', run: { wakeAtMs: env.clock.now() + delay },
        steps: [{ stepId: step.id, status: 'compensation_failed', attempt, error: errText(err), resultJson: JSON.stringify({ original }) }],
        audit: [{ actor: 'system', type: 'step.compensation_retry_scheduled', payload: { step: step.id, attempt, delayMs: delay, error: errText(err) } }],
      });
      return false;
    }
    const reason = `rolling back step ${step.id} failed: ${err.message}; the cluster may be half-changed. Choose Continue (retry the rollback) or Abort`;
    env.logger.error({ runId: run.id, step: step.id, err: err.message }, 'compensation failed');
    commitAndNotify(env, {
      runId: run.id, expectState: 'rolling_back',
      run: { state: transition('rolling_back', 'need_operator'), waitingFor: 'compensation-failed', reason, wakeAtMs: null },
      steps: [{ stepId: step.id, status: 'compensation_failed', attempt, error: errText(err), resultJson: JSON.stringify({ original }) }],
      audit: [
        { actor: 'system', type: 'step.compensation_failed', payload: { step: step.id, attempt, error: errText(err) } },
        { actor: 'system', type: 'run.waiting_operator', payload: { step: step.id, reason } },
      ],
    });
    return false;
  }
}
