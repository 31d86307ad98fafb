// The drift gate (DESIGN.md step 2): recompute the plan digest from live facts when the run starts and right
// before the switch. Any difference voids the approvals; the reason names what changed.
import type { Plan } from '../api.js';
import { migrateTarget, planDigest, rollbackTarget } from '../digest.js';
import { KUBE_PROXY_CONFIG_KEY, KUBE_PROXY_NAME, KUBE_PROXY_NAMESPACE, configText, type ClusterFacts } from '../facts.js';
import { dataSha, sha256Text } from '../../../k8s/write-mark.js';
import { ensureConfigText, ensureUpdateStrategy } from './ensure-config.js';
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
  const seen = withoutOwnWrites(facts, ctx);
  if (planDigest(seen.facts, target, ctx.deps.policy, ctx.plan.rehearsal) === ctx.planDigest) return null;
  // The run must stop: what it wrote itself (before a crash) is put back first, so the DaemonSet is not left OnDelete.
  const undone = seen.own ? await undoOwnWrites(ctx) : '';
  return `${describeDrift(ctx.plan, seen.facts)}. The approvals are void; run /ipvs plan again${undone}`;
}

/**
 * Facts as they were before this run's own writes (a switch or restore-config killed after writing, before recording
 * it): a write is ours when its mark names this run and nothing changed since (write-mark.ts). Never drift.
 */
export function withoutOwnWrites(facts: ClusterFacts, ctx: Ctx): { facts: ClusterFacts; own: boolean } {
  let out = facts;
  let own = false;
  const ds = facts.daemonSet;
  const dm = ds?.writeMark;
  if (ds && dm && dm.run === ctx.runId && ds.generation === dm.base + dm.writes) {
    out = { ...out, daemonSet: { ...ds, generation: dm.base } };
    own = true;
  }
  const cm = facts.configMap;
  const cmMark = cm?.writeMark;
  const before = ctx.snapshot()?.configmapText;
  if (cm && cmMark && before !== undefined && cmMark.run === ctx.runId && dataSha(cm.data) === cmMark.dataSha && sha256Text(before) === cmMark.fromSha) {
    out = { ...out, configMap: { ...cm, resourceVersion: cmMark.from, data: { ...cm.data, [KUBE_PROXY_CONFIG_KEY]: before } } };
    own = true;
  }
  return { facts: out, own };
}

async function undoOwnWrites(ctx: Ctx): Promise<string> {
  const done: string[] = [];
  const original = ctx.snapshot()?.configmapText;
  const liveCm = await ctx.deps.cluster.getConfigMap(KUBE_PROXY_NAMESPACE, KUBE_PROXY_NAME);
  const m = liveCm.writeMark;
  // Only while our write is the last one (its data hash still matches): someone else's later edit is left alone.
  if (original !== undefined && m?.run === ctx.runId && dataSha(liveCm.data) === m.dataSha && liveCm.data[KUBE_PROXY_CONFIG_KEY] !== original) {
    await ensureConfigText(ctx.deps.cluster, original, liveCm.resourceVersion);
    done.push('config.conf');
  }
  const ds = await ctx.deps.cluster.getDaemonSet(KUBE_PROXY_NAMESPACE, KUBE_PROXY_NAME);
  if (ds.writeMark?.run === ctx.runId && ds.writeMark.original && ds.updateStrategy.type === 'OnDelete') {
    if (ctx.input.cleanup === 'kube-proxy') await ctx.deps.cluster.setKubeProxyCleanupInit(KUBE_PROXY_NAMESPACE, KUBE_PROXY_NAME, false);
    await ensureUpdateStrategy(ctx.deps.cluster, ds.writeMark.original);
    done.push(`the DaemonSet update strategy (${ds.writeMark.original.type})`);
  }
  return done.length ? ` (the bot first put back what it had changed itself: ${done.join(', ')})` : '';
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
