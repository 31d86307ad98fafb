// Undo for switched nodes (auto-rollback): config.conf back to the snapshot, then per node restart kube-proxy in the
// old mode, wait for its first sync (in the first Job on the node), remove the new mode's leftovers and verify the old mode (log, /proxyMode, no kube-ipvs0).
import type { JsonObject } from '../../engine/define.js';
import { NodeFailure, checkNodes, restartCalicos, restartKubeProxies, snapshotResult, podRefOf } from './node-ops.js';
import { ensureConfigText } from './ensure-config.js';
import { requireSnapshot } from './switch-mode.js';
import { sysctlRestoreOf, turnedOnStrictArp } from '../strict-arp-restore.js';
import { isReportOnly } from '../check-outcome.js';
import { batchOutcome, errorText, type Ctx, type PodRef } from './step-types.js';

export async function restoreNodes(ctx: Ctx, nodes: string[]): Promise<void> {
  if (nodes.length === 0) return;
  const snap = requireSnapshot(ctx);
  await ensureConfigText(ctx.deps.cluster, snap.configmapText);
  const records = ctx.nodeResults();
  const todo = nodes.filter((n) => !(records[n]?.phase === 'rolled-back' && records[n]!.ok));
  const settled: PromiseSettledResult<unknown>[] = [];
  const fail = (node: string, e: unknown) => {
    ctx.saveNodeResult(node, 'rolled-back', false, { errors: [errorText(e)] });
    settled.push({ status: 'rejected', reason: e });
  };
  const outcomes = await restartKubeProxies(ctx, todo.map((node) => {
    const pod = records[node]?.result['pod'] as PodRef | undefined;
    return { node, old: pod?.name ? pod : undefined };
  }));
  let restarted: { node: string; pod: PodRef }[] = [];
  for (const o of outcomes) { if (o.error) fail(o.node, o.error); else restarted.push({ node: o.node, pod: podRefOf(o.pod) }); }
  const s = snapshotResult(ctx);
  if (s.calico && restarted.length > 0) {
    const calico = await restartCalicos(ctx, s.calico, restarted.map((r) => ({ node: r.node, known: records[r.node]?.result['calicoPod'] as PodRef | undefined })));
    restarted = restarted.filter((r) => { const c = calico.get(r.node); if (c instanceof Error) fail(r.node, c); return !(c instanceof Error); });
  }
  if (restarted.length > 0) {
    // strictARP's sysctls go back to what prep found, when this run turned strictARP on.
    const restore = turnedOnStrictArp(ctx.input, snap.configmapText)
      ? sysctlRestoreOf(Object.fromEntries(Object.entries(ctx.nodeResults('prepare-nodes')).map(([n, r]) => [n, r.result])))
      : undefined;
    await checkNodes(ctx, restarted, {
      mode: ctx.plan.currentMode, fromMode: ctx.plan.targetMode, cleanup: 'targeted', attempt: 'undo',
      ...(restore ? { restoreSysctls: restore } : {}),
      // Each node is recorded as soon as it is judged.
      // Only a failed check stops a rollback: an inconclusive one (kube-dns without endpoints) says nothing against
      // going back to the mode the cluster ran before, and a rollback cannot pause for a decision (issue #12 item 3).
      onNode: (node, chk) => {
        const failed = chk.checks.filter((c) => c.outcome === 'fail' && !isReportOnly(ctx.deps, c.name)).map((c) => c.detail);
        const unsure = chk.checks.filter((c) => c.outcome !== 'pass' && !failed.includes(c.detail)).map((c) => `${c.name} ${c.outcome}: ${c.detail}`);
        ctx.saveNodeResult(node, 'rolled-back', failed.length === 0, {
          mode: ctx.plan.currentMode, errors: failed, log: chk.log, verify: chk.verify as JsonObject, ...(unsure.length ? { notCounted: unsure } : {}),
          ...(chk.sync ? { sync: chk.sync as JsonObject } : {}),
        });
        if (failed.length > 0) settled.push({ status: 'rejected', reason: new NodeFailure(node, failed.join('; ')) });
      },
    });
  }
  batchOutcome(settled, 'Rollback did not verify');
}
