// The drift gate (DESIGN.md step 2): recompute the plan digest from live facts when the run starts and right
// before the switch. Any difference voids the approvals; the reason names what changed.
import type { Plan } from '../api.js';
import { migrateTarget, planDigest, rollbackTarget } from '../digest.js';
import { configText, type ClusterFacts } from '../facts.js';
import { gatherFacts } from '../gather-facts.js';
import type { Ctx } from './step-types.js';

export async function checkDigest(ctx: Ctx): Promise<string | null> {
  const facts = await gatherFacts(ctx.deps.cluster, ctx.cluster);
  let target: Record<string, unknown>;
  if (ctx.kind === 'rollback') {
    const parent = ctx.parentRunId ? ctx.snapshot(ctx.parentRunId) : undefined;
    if (!parent || !ctx.parentRunId) return 'the snapshot this rollback restores is gone';
    target = rollbackTarget(ctx.parentRunId, parent.configmapText);
  } else {
    target = migrateTarget(ctx.input);
  }
  if (planDigest(facts, target, ctx.deps.policy, ctx.plan.rehearsal) === ctx.planDigest) return null;
  return `${describeDrift(ctx.plan, facts)}. The approvals are void; run /ipvs plan again`;
}

/** Human reason for a digest mismatch, from the plan's recorded basis. */
export function describeDrift(plan: Plan, facts: ClusterFacts): string {
  const reasons: string[] = [];
  const b = plan.basis;
  if (b && b.clusterUid !== facts.clusterUid) reasons.push('it is a different cluster (uid changed)');
  const before = new Set(plan.nodes.map((n) => n.name));
  const now = new Set(facts.nodes.map((n) => n.name));
  const added = [...now].filter((n) => !before.has(n));
  const removed = [...before].filter((n) => !now.has(n));
  if (added.length) reasons.push(`node(s) added: ${added.slice(0, 5).join(', ')}`);
  if (removed.length) reasons.push(`node(s) removed: ${removed.slice(0, 5).join(', ')}`);
  if (b?.configMapResourceVersion !== facts.configMap?.resourceVersion) {
    reasons.push(`the kube-proxy ConfigMap was edited (resourceVersion ${b?.configMapResourceVersion ?? 'none'} → ${facts.configMap?.resourceVersion ?? 'deleted'})`);
  } else if (configText(facts) === undefined) reasons.push('config.conf is missing');
  if (b?.daemonSetGeneration !== facts.daemonSet?.generation) {
    reasons.push(`the kube-proxy DaemonSet changed (generation ${b?.daemonSetGeneration ?? 'none'} → ${facts.daemonSet?.generation ?? 'deleted'})`);
  }
  return reasons.length > 0 ? reasons.join('; ') : 'the approval policy or the bot version changed';
}
