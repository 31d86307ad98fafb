// The workflow definition API: a workflow is a kind plus a step list computed from the run's stored
// input and plan; a step is { id, run, observe?, compensate?, retry?, gate? }. Only the workflow knows
// the order of steps; only steps touch the world (STYLE habit 2). Types plus tiny helpers only.
import type { RunEvent } from '../kube-proxy-mode/api.js';
import type { Clock, Logger } from './ports.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** What observe() may answer besides a result. */
export type ObserveVerdict = 'unknown' | 'not-applied';
export type JsonObject = { [key: string]: Json };

/** What a run is, as stored (read-only to steps). */
export interface RunInfo<Input = unknown, Plan = unknown> {
  runId: string;
  kind: string;
  cluster: string;
  requester: string;
  input: Input;
  plan: Plan;
  planDigest: string;
  parentRunId?: string;
}

/** A per-node detail row (step_results keyed by run, step id, node). */
export interface NodeResult { node: string; phase: string; ok: boolean; result: JsonObject; at: string }

/** Ensure-style snapshot of what a run changes, kept for rollback runs (snapshots table). */
export interface SnapshotData {
  configmapText: string;
  configmapResourceVersion: string;
  dsUpdateStrategy: JsonObject;
}

export interface StepContext<Input = unknown, Plan = unknown, Deps = unknown> extends RunInfo<Input, Plan> {
  /** The step being run (or compensated / observed). */
  stepId: string;
  /** 1 on the first try, n on the n-th retry. */
  attempt: number;
  deps: Deps;
  clock: Clock;
  logger: Logger;
  /** Aborted when the engine stops: finish or give up the current I/O promptly (the step row stays 'started'). */
  signal: AbortSignal;
  /** Sends an event to the Notifier (after nothing: no DB write). Use saveNodeResult for per-node results. */
  emit(event: RunEvent): void;
  /** Shorthand for emit({ type: 'log', runId, text }). */
  log(text: string): void;
  /** Result of an earlier succeeded step of this run (DBOS-style), or undefined. */
  results(stepId: string): Json | undefined;
  /** Per-node rows saved by a step (default: the current step), keyed by node. Lets a re-run skip done nodes. */
  nodeResults(stepId?: string): Record<string, NodeResult>;
  /**
   * Records a per-node result: step_results row + audit event 'node.<phase>' in one transaction,
   * then a Notifier 'node' event. Upserts: the latest phase for (step, node) wins; the audit keeps all.
   */
  saveNodeResult(node: string, phase: string, ok: boolean, result: JsonObject): void;
  /** Stores this run's snapshot (with audit event 'snapshot.saved'); idempotent: the first one is kept. */
  saveSnapshot(snapshot: SnapshotData): SnapshotData;
  /** The snapshot of this run, or of another run (e.g. the parent of a rollback run). */
  snapshot(runId?: string): SnapshotData | undefined;
  /**
   * Waits ms by the injected clock. The wake time is stored on the run (wake_at) first, so after a
   * crash the runner waits out the remainder before re-observing the step instead of acting early.
   */
  sleep(ms: number): Promise<void>;
}

export interface RetryPolicy {
  /** Total attempts including the first (default 1 = no retry). */
  max: number;
  /** Backoff before attempt n+1 is baseMs * 2^(n-1), capped by maxMs (default 5 min). */
  baseMs: number;
  maxMs?: number;
}

export interface StepDef<Input = unknown, Plan = unknown, Deps = unknown> {
  /** Stable string id, unique in the run ('switch', 'rollout:k8s-worker-1', 'rollout:batch-2'). */
  id: string;
  /** Does the work; must be an idempotent ensure… (a crash after the side effect re-observes or re-runs it). */
  run(ctx: StepContext<Input, Plan, Deps>): Promise<Json>;
  /**
   * After a crash left this step 'started': look at the world and return the step's result if it
   * is known to have completed, 'not-applied' if it is known NOT to have taken effect (the runner then
   * runs it again, as the next attempt), or 'unknown'. Throwing StepError('fatal') fails the step.
   * Without observe, or on 'unknown', the run waits for an operator decision.
   */
  observe?(ctx: StepContext<Input, Plan, Deps>): Promise<Json | 'unknown' | 'not-applied'>;
  /**
   * Undo, run in reverse order on failure/cancel. Called for every succeeded step that has it, AND for
   * the step that failed (with result null) since it may have half-applied. Must be idempotent:
   * a crash mid-compensation re-runs it once.
   */
  compensate?(ctx: StepContext<Input, Plan, Deps>, result: Json | null): Promise<Json>;
  retry?: RetryPolicy;
  /**
   * Upper bound for one run (or compensate) of this step, by the injected clock. On expiry ctx.signal is
   * aborted and the step counts as 'unknown-outcome' (re-observed, else an operator decides); a
   * compensation that times out counts as failed. Steps should stop their I/O when ctx.signal aborts.
   */
  timeoutMs?: number;
  /** 'drift': the workflow's checkDrift runs right before this step starts (e.g. before the switch). */
  gate?: 'drift';
}

export interface WorkflowDef<Input = unknown, Plan = unknown, Deps = unknown> {
  /** Stored in runs.kind; e.g. 'migrate', 'rollback'. */
  kind: string;
  /** Parses the stored input/plan JSON (zod at the boundary); default: used as stored. */
  parseInput?(json: unknown): Input;
  parsePlan?(json: unknown): Plan;
  /** Builds the run's dependencies (e.g. the Cluster for run.cluster); called when a run starts or resumes. */
  deps(run: RunInfo<Input, Plan>): Deps | Promise<Deps>;
  /** The step list, computed from the stored plan/input only (must be the same on every call for a run). */
  steps(run: RunInfo<Input, Plan>): StepDef<Input, Plan, Deps>[];
  /**
   * Recomputes the plan digest; returns a reason when the world drifted from the approved plan, else null.
   * Called when an approved run starts and before every step with gate 'drift'.
   */
  checkDrift?(ctx: StepContext<Input, Plan, Deps>): Promise<string | null>;
  /** Whether a failed run compensates (default: input.autoRollback !== false). */
  autoRollback?(run: RunInfo<Input, Plan>): boolean;
  /**
   * How long a run paused on an inconclusive step waits for an operator before the engine rolls it back
   * (default DEFAULT_DECISION_TIMEOUT_MS). Read when the run pauses; the deadline is stored in wake_at.
   */
  decisionTimeoutMs?(run: RunInfo<Input, Plan>): number;
}

/** 30 minutes: the default wait for an operator's decision on an inconclusive step. */
export const DEFAULT_DECISION_TIMEOUT_MS = 30 * 60_000;

/** Identity helper that fixes the generic types once for a workflow. */
export function defineWorkflow<Input, Plan, Deps>(def: WorkflowDef<Input, Plan, Deps>): WorkflowDef<Input, Plan, Deps> {
  return Object.freeze(def);
}

/** Identity helper for a step with the workflow's types. */
export function defineStep<Input, Plan, Deps>(step: StepDef<Input, Plan, Deps>): StepDef<Input, Plan, Deps> {
  return step;
}

/** A step that only waits (durably): e.g. "one kube-proxy sync" between rollout and verify. */
export function waitStep<Input, Plan, Deps>(id: string, ms: number): StepDef<Input, Plan, Deps> {
  return {
    id,
    async run(ctx) { await ctx.sleep(ms); return { waitedMs: ms }; },
    // Waiting has no side effect: after a crash the runner has already waited out wake_at.
    async observe() { return { waitedMs: ms }; },
  };
}

/**
 * observe() for a step whose run is an idempotent ensure… that is safe to run again after a crash:
 * it tells the runner to run it again (audited as attempt n+1 with observed 'not-applied').
 */
export async function rerunIsSafe(): Promise<'not-applied'> {
  return 'not-applied';
}

/** Throws if step ids repeat (a duplicate id would make results ambiguous). */
export function assertUniqueStepIds(steps: readonly { id: string }[]): void {
  const seen = new Set<string>();
  for (const s of steps) {
    if (seen.has(s.id)) throw new Error(`duplicate step id "${s.id}"`);
    seen.add(s.id);
  }
}
