// Undo for switched nodes (auto-rollback): config.conf back to the snapshot, then per node restart kube-proxy in the
// old mode, wait one sync, remove the new mode's leftovers and verify the old mode (log, /proxyMode, no kube-ipvs0).
import type { JsonObject } from '../../engine/define.js';
import { NodeFailure, checkNodes, restartCalico, restartKubeProxy, snapshotResult, podRefOf } from './node-ops.js';
import { ensureConfigText } from './ensure-config.js';
import { requireSnapshot } from './switch-mode.js';
import { batchOutcome, errorText, type Ctx, type PodRef } from './step-types.js';

export async function restoreNodes(ctx: Ctx, nodes: string[]): Promise<void> {
  if (nodes.length === 0) return;
  const snap = requireSnapshot(ctx);
  await ensureConfigText(ctx.deps.cluster, snap.configmapText);
  const records = ctx.nodeResults();
  const todo = nodes.filter((n) => !(records[n]?.phase === 'rolled-back' && records[n]!.ok));
  const restarted: { node: string; pod: PodRef }[] = [];
  const settled: PromiseSettledResult<unknown>[] = await Promise.allSettled(todo.map(async (node) => {
    const rec = records[node];
    try {
      const pod = rec?.result['pod'] as PodRef | undefined;
      const fresh = await restartKubeProxy(ctx, node, pod?.name ? pod : undefined);
      const s = snapshotResult(ctx);
      if (s.calico) await restartCalico(ctx, node, s.calico, rec?.result['calicoPod'] as PodRef | undefined);
      restarted.push({ node, pod: podRefOf(fresh) });
    } catch (e) {
      ctx.saveNodeResult(node, 'rolled-back', false, { errors: [errorText(e)] });
      throw e;
    }
  }));
  if (restarted.length > 0) {
    await ctx.sleep(ctx.deps.timing.syncWaitMs);
    const checks = await checkNodes(ctx, restarted, { mode: ctx.plan.currentMode, fromMode: ctx.plan.targetMode, cleanup: 'targeted', attempt: 'undo' });
    for (const [node, chk] of checks) {
      ctx.saveNodeResult(node, 'rolled-back', chk.ok, { mode: ctx.plan.currentMode, errors: chk.problems, log: chk.log, verify: chk.verify as JsonObject });
      if (!chk.ok) settled.push({ status: 'rejected', reason: new NodeFailure(node, chk.problems.join('; ')) });
    }
  }
  batchOutcome(settled, 'Rollback did not verify');
}
