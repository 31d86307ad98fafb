// The engine's workflow table for this product: 'migrate' and 'rollback', with per-run deps (the cluster's
// Cluster, Job specs bound to the run id, the approval policy for the drift check, timing).
import type { ClusterConfig } from '../../config.js';
import type { Cluster } from '../../k8s/cluster.js';
import { createNodeJobFactory } from '../../k8s/node-jobs.js';
import { DEFAULT_DECISION_TIMEOUT_MS, type WorkflowDef } from '../engine/define.js';
import { DEFAULT_TIMING, type KpmDeps, type Timing } from './deps.js';
import { migrateWorkflow, rollbackWorkflow } from './workflow.js';
import { policyOf } from './plan.js';
import type { Plan } from './api.js';
import { gateDepsOf, type GateMetrics } from './gates/gate-deps.js';

export interface KubeProxyModeOptions {
  clusterFor(name: string): Cluster;
  config: { clusters: readonly ClusterConfig[] };
  timing?: Partial<Timing>;
  /** Counts gate outcomes (Prometheus: ipvs_bot_gate_outcomes_total). */
  metrics?: GateMetrics;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function kubeProxyModeWorkflows(o: KubeProxyModeOptions): Record<string, WorkflowDef<any, any, any>> {
  const timing: Timing = { ...DEFAULT_TIMING, ...o.timing };
  const deps = (run: { runId: string; cluster: string; plan?: Plan }): KpmDeps => {
    const cfg = o.config.clusters.find((c) => c.name === run.cluster);
    if (!cfg) throw new Error(`cluster ${run.cluster} is no longer in the configuration`);
    return {
      cluster: o.clusterFor(run.cluster),
      jobs: createNodeJobFactory({
        runId: run.runId, namespace: cfg.jobNamespace, ...(cfg.jobImage ? { image: cfg.jobImage } : {}),
        activeDeadlineSeconds: Math.max(60, Math.ceil(timing.jobTimeoutMs / 1000)),
        ...(run.plan?.jobContext ? { nodeContext: run.plan.jobContext } : {}),
      }),
      policy: policyOf(cfg),
      timing,
      ...(cfg.reportOnly ? { reportOnly: cfg.reportOnly } : {}),
      ...gateDepsOf(cfg, o.metrics),
    };
  };
  // Read when a run pauses on an inconclusive check (the deadline is then stored with the run).
  const decisionTimeoutMs = (cluster: string) => o.config.clusters.find((c) => c.name === cluster)?.decisionTimeoutMs ?? DEFAULT_DECISION_TIMEOUT_MS;
  return {
    migrate: migrateWorkflow({ deps, gateRecheckMs: timing.gateRecheckMs, decisionTimeoutMs }),
    rollback: rollbackWorkflow({ deps, gateRecheckMs: timing.gateRecheckMs, decisionTimeoutMs }),
  };
}
