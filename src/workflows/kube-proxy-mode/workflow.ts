// The runbook (DESIGN.md "The migration workflow"), as step lists. Only this file knows the order.
import { defineWorkflow, type StepDef } from '../engine/define.js';
import { Plan as PlanT, PlanInput } from './api.js';
import type { KpmDeps } from './deps.js';
import { checkDigest } from './steps/check-digest.js';
import { finishRun } from './steps/finish-run.js';
import { prepareNodes } from './steps/prepare-nodes.js';
import { restartNodes } from './steps/restart-nodes.js';
import { restoreConfig } from './steps/restore-config.js';
import { switchMode } from './steps/switch-mode.js';
import { takeSnapshot } from './steps/take-snapshot.js';
import { verifyNodes } from './steps/verify-nodes.js';
import { retryTransient, type Step } from './steps/step-types.js';
import { gateStep } from './gates/gate-step.js';
import { sloStep } from './gates/slo-step.js';

function rolloutSteps(plan: PlanT, o: Pick<WorkflowOptions, 'gateRecheckMs'>): Step[] {
  const out: Step[] = [];
  const batches = 1 + plan.rollout.batches.length;
  for (let i = 0; i < batches; i++) {
    // gate:i (window, blocking alerts) before the batch's first change, slo:i (Prometheus) after it verified. No fixed
    // settle step between restart and verify: each node's first Job waits for its own kube-proxy's first sync.
    out.push(gateStep(i, o.gateRecheckMs ?? 60_000), restartNodes(i), verifyNodes(i), sloStep(i));
  }
  return out;
}

export interface WorkflowOptions {
  deps(run: { runId: string; cluster: string; plan?: PlanT }): KpmDeps | Promise<KpmDeps>;
  /** The cluster's decisionTimeout (default 30 min in the engine). */
  decisionTimeoutMs?(cluster: string): number;
  /** How often a closed gate:i looks again (durable: a retry wait stored on the run). */
  gateRecheckMs?: number;
}

export function migrateWorkflow(o: WorkflowOptions) {
  return defineWorkflow<PlanInput, PlanT, KpmDeps>({
    kind: 'migrate',
    parseInput: (json) => PlanInput.parse(json),
    parsePlan: (json) => json as PlanT,
    deps: (run) => o.deps(run),
    steps: (run) => [
      gateStep('start', o.gateRecheckMs ?? 60_000), prepareNodes(), takeSnapshot(), switchMode(), ...rolloutSteps(run.plan, o), finishRun('self'),
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
    steps: (run) => [takeSnapshot(), restoreConfig(), ...rolloutSteps(run.plan, o), finishRun('parent')].map(retryTransient),
    checkDrift: (ctx) => checkDigest(ctx),
    // A failing rollback stops for an operator instead of "undoing the undo".
    autoRollback: () => false,
    ...(o.decisionTimeoutMs ? { decisionTimeoutMs: (run: { cluster: string }) => o.decisionTimeoutMs!(run.cluster) } : {}),
  });
}
