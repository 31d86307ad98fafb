// Step 6a: one rollout batch (the canary is batch 0). Per node: delete the kube-proxy pod (with --cleanup
// kube-proxy its replacement first runs `kube-proxy --cleanup` as an init container, switch-mode.ts), wait (watch)
// for the new one to be Ready, restart calico-node if Calico runs. Compensation puts every node this batch touched back in the old mode and verifies it (restore-nodes.ts).
import type { PodInfo } from '../../../k8s/cluster.js';
import type { JsonObject } from '../../engine/define.js';
import { NodeFailure, restartCalicos, restartKubeProxies, snapshotResult, podRefOf, type RestartTarget } from './node-ops.js';
import { restoreNodes } from './restore-nodes.js';
import { expireSilences, silenceNodes } from '../alert-silences.js';
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
      const failures = new Map<string, unknown>();
      const fail = (node: string, e: unknown) => {
        failures.set(node, e);
        const detail = e instanceof NodeFailure ? e.detail : {};
        ctx.saveNodeResult(node, 'restarted', false, { errors: [errorText(e)], ...(detail as JsonObject) });
      };
      let todo: RestartTarget[] = [];
      for (const node of nodes) {
        const prev = done[node];
        if (prev?.phase === 'restarted' && prev.ok) continue;
        todo.push({ node, old: (prev?.result['oldPod'] as PodRef | undefined) ?? snap.pods[node] });
      }
      // Recorded before anything happens to the node, so that compensation after a crash knows it was touched.
      const oldPods = new Map(todo.map((t) => [t.node, t.old]));
      const touching = (node: string) => {
        const old = oldPods.get(node);
        ctx.saveNodeResult(node, 'restarting', true, { oldPod: old ? { ...old } : null, mode: ctx.input.targetMode });
      };
      // Without Calico a node is done once its kube-proxy is Ready: recorded at once, while the others still start.
      const restarted = (node: string, pod: PodRef, calicoPod?: PodRef) =>
        ctx.saveNodeResult(node, 'restarted', true, { pod: { ...podRefOf(pod) }, ...(calicoPod ? { calicoPod: { ...calicoPod } } : {}) });
      const silences = await silenceNodes(ctx, todo.map((t) => t.node));
      const recorded = new Set<string>();
      const outcomes = await restartKubeProxies(ctx, todo, {
        beforeDelete: touching,
        ...(snap.calico ? {} : { onReady: (node: string, pod: PodInfo) => { recorded.add(node); restarted(node, pod); } }),
      });
      const up: { node: string; pod: PodRef }[] = [];
      for (const o of outcomes) {
        if (o.error) fail(o.node, o.error);
        else if (!recorded.has(o.node)) up.push({ node: o.node, pod: podRefOf(o.pod) });
      }
      if (snap.calico && up.length > 0) {
        const calico = await restartCalicos(ctx, snap.calico, up);
        for (const u of up) {
          const c = calico.get(u.node);
          if (c instanceof Error) fail(u.node, c); else restarted(u.node, u.pod, c);
        }
      } else for (const u of up) restarted(u.node, u.pod);
      batchOutcome([...failures.values()].map((reason) => ({ status: 'rejected', reason })), `kube-proxy did not come up in ${ctx.input.targetMode} mode`);
      return { batch: index, nodes: nodes.length, ...(Object.keys(silences).length ? { silences } : {}) };
    },
    async compensate(ctx) {
      const touched = Object.keys(ctx.nodeResults());
      try { await restoreNodes(ctx, touched); } finally { await expireSilences(ctx); }
      return { restored: touched.length };
    },
  };
}
