// The one hook on the plan path (Slack's workflows-service.ts and the CLI's plan.ts): rehearse the assembled plan,
// store the outcome in it, turn a failed rehearsal into a blocking check (so nothing can approve it) and recompute
// the digest over the rehearsal too.
import type { ClusterConfig } from '../../config.js';
import type { Check, Plan } from '../kube-proxy-mode/api.js';
import { migrateTarget, planDigest } from '../kube-proxy-mode/digest.js';
import type { ClusterFacts } from '../kube-proxy-mode/facts.js';
import { policyOf } from '../kube-proxy-mode/plan.js';
import { rehearsalBlocks, rehearsalLine, type Rehearsal } from './rehearsal-result.js';

export type RehearseFn = (facts: ClusterFacts, plan: Plan, cfg: ClusterConfig) => Promise<Rehearsal>;

export async function attachRehearsal(plan: Plan, facts: ClusterFacts, cfg: ClusterConfig, rehearse: RehearseFn | undefined, skip: boolean): Promise<Plan> {
  if (!rehearse || plan.kind !== 'migrate') return plan;
  const r: Rehearsal = skip ? { outcome: 'skipped', batches: 1 + plan.rollout.batches.length, durationMs: 0 } : await rehearse(facts, plan, cfg);
  const checks: Check[] = rehearsalBlocks(r)
    ? [...plan.checks, { id: 'rehearsal', verdict: 'block', message: rehearsalLine(r), ...(r.failure?.nodes.length ? { nodes: r.failure.nodes } : {}) }]
    : plan.checks;
  return { ...plan, rehearsal: r, checks, digest: planDigest(facts, migrateTarget(plan.input), policyOf(cfg), r) };
}
