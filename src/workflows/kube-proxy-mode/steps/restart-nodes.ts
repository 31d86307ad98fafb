// Step 6a: one rollout batch (the canary is batch 0). Per node: optional `kube-proxy --cleanup` first, delete the
// kube-proxy pod, wait (watch) for the new one to be Ready, restart calico-node if Calico runs. Compensation
// puts every node this batch touched back in the old mode and verifies it (restore-nodes.ts).
import type { JsonObject } from '../../engine/define.js';
import { CleanupResult, readResult } from '../node-results.js';
import { NodeFailure, restartCalico, restartKubeProxy, runJob, snapshotResult, podRefOf } from './node-ops.js';
import { restoreNodes } from './restore-nodes.js';
import { batchOutcome, errorText, type Ctx, type PodRef, type Step } from './step-types.js';

export function batchNodes(ctx: Pick<Ctx, 'plan'>, index: number): string[] {
  return index === 0 ? [ctx.plan.rollout.canary] : ctx.plan.rollout.batches[index - 1] ?? [];
}

export function restartNodes(index: number): Step {
  const id = `rollout:${index}`;
  return {
    id,
    async run(ctx) {
      const nodes = batchNodes(ctx, index);
      const snap = snapshotResult(ctx);
      const done = ctx.nodeResults();
      const settled = await Promise.allSettled(nodes.map(async (node) => {
        const prev = done[node];
        if (prev?.phase === 'restarted' && prev.ok) return;
        const old = (prev?.result['oldPod'] as PodRef | undefined) ?? snap.pods[node];
        ctx.saveNodeResult(node, 'restarting', true, { oldPod: old ? { ...old } : null, mode: ctx.input.targetMode });
        try {
          if (ctx.input.cleanup === 'kube-proxy') await cleanupBeforeStart(ctx, node, snap.kubeProxyImage);
          const pod = await restartKubeProxy(ctx, node, old);
          const calicoPod = snap.calico ? await restartCalico(ctx, node, snap.calico) : undefined;
          ctx.saveNodeResult(node, 'restarted', true, { pod: { ...podRefOf(pod) }, ...(calicoPod ? { calicoPod: { ...calicoPod } } : {}) });
        } catch (e) {
          const detail = e instanceof NodeFailure ? e.detail : {};
          ctx.saveNodeResult(node, 'restarted', false, { errors: [errorText(e)], ...(detail as JsonObject) });
          throw e;
        }
      }));
      batchOutcome(settled, `kube-proxy did not come up in ${ctx.input.targetMode} mode`);
      return { batch: index, nodes: nodes.length };
    },
    async compensate(ctx) {
      const touched = Object.keys(ctx.nodeResults());
      await restoreNodes(ctx, touched);
      return { restored: touched.length };
    },
  };
}

// `kube-proxy --cleanup` removes both modes' rules, so it runs while the old kube-proxy is still up and right
// before the new one starts (domain §6.6, the Gardener pattern without the init container).
async function cleanupBeforeStart(ctx: Ctx, node: string, image: string): Promise<void> {
  const spec = ctx.deps.jobs.cleanup(node, { fromMode: ctx.plan.currentMode, targetMode: ctx.input.targetMode, method: 'kube-proxy', kubeProxyImage: image, attempt: 'fwd' });
  const j = await runJob(ctx, spec);
  const r = readResult(CleanupResult, j.result ?? { ok: j.outcome === 'succeeded', errors: j.outcome === 'succeeded' ? [] : [`kube-proxy --cleanup Job ${j.outcome}${j.reason ? `: ${j.reason}` : ''}`] });
  if (!r.ok) throw new NodeFailure(node, `kube-proxy --cleanup failed: ${r.errors.join('; ')}`);
}
