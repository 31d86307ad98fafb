// The runbook (DESIGN.md "The migration workflow"), as step lists. Only this file knows the order.
import { defineWorkflow, type StepDef } from '../engine/define.js';
import { Plan as PlanT, PlanInput } from './api.js';
import type { KpmDeps } from './deps.js';
import { checkDigest } from './steps/check-digest.js';
import { finishRun } from './steps/finish-run.js';
import { prepareNodes } from './steps/prepare-nodes.js';
import { restartNodes } from './steps/restart-nodes.js';
import { restoreConfig } from './steps/restore-config.js';
import { settleNodes } from './steps/settle-nodes.js';
import { switchMode } from './steps/switch-mode.js';
import { takeSnapshot } from './steps/take-snapshot.js';
import { verifyNodes } from './steps/verify-nodes.js';
import { retryTransient, type Step } from './steps/step-types.js';

function rolloutSteps(plan: PlanT, _syncWaitMs: number): Step[] {
  const out: Step[] = [];
  const batches = 1 + plan.rollout.batches.length;
  for (let i = 0; i < batches; i++) {
    // settle:i waits for each node's new kube-proxy to sync (its /metrics), not a fixed time.
    out.push(restartNodes(i), settleNodes(i), verifyNodes(i));
  }
  return out;
}

export interface WorkflowOptions {
  deps(run: { runId: string; cluster: string; plan?: PlanT }): KpmDeps | Promise<KpmDeps>;
  /** Kept for the engine options; settle:i now waits for the real sync (timing.syncTimeoutMs is its deadline). */
  syncWaitMs: number;
  /** The cluster's decisionTimeout (default 30 min in the engine). */
  decisionTimeoutMs?(cluster: string): number;
}

export function migrateWorkflow(o: WorkflowOptions) {
  return defineWorkflow<PlanInput, PlanT, KpmDeps>({
    kind: 'migrate',
    parseInput: (json) => PlanInput.parse(json),
    parsePlan: (json) => json as PlanT,
    deps: (run) => o.deps(run),
    steps: (run) => [
      prepareNodes(), takeSnapshot(), switchMode(), ...rolloutSteps(run.plan, o.syncWaitMs), finishRun('self'),
    ].map(retryTransient) as StepDef<PlanInput, PlanT, KpmDeps>[],
    checkDrift: (ctx) => checkDigest(ctx),
    autoRollback: (run) => run.input.autoRollback,
    ...(o.decisionTimeoutMs ? { decisionTimeoutMs: (run: { cluster: string }) => o.decisionTimeoutMs!(run.cluster) } : {}),
  });
}

export function rollbackWorkflow(o: WorkflowOptions) {
  return defineWorkflow<PlanInput, PlanT, KpmDeps>({
    kind: 'rollback',
    parseInput: (json) => PlanInput.parse(json),
    parsePlan: (json) => json as PlanT,
    deps: (run) => o.deps(run),
    steps: (run) => [takeSnapshot(), restoreConfig(), ...rolloutSteps(run.plan, o.syncWaitMs), finishRun('parent')].map(retryTransient),
    checkDrift: (ctx) => checkDigest(ctx),
    // A failing rollback stops for an operator instead of "undoing the undo".
    autoRollback: () => false,
    ...(o.decisionTimeoutMs ? { decisionTimeoutMs: (run: { cluster: string }) => o.decisionTimeoutMs!(run.cluster) } : {}),
  });
}
