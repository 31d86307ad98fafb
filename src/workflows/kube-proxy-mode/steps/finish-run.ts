// Step 8: the DaemonSet's update strategy back as it was before the run (from `fromRunId`'s snapshot: this
// run's for a migration, the parent's for a rollback), and a summary line for the channel.
import type { DaemonSetInfo } from '../../../k8s/cluster.js';
import { ensureUpdateStrategy } from './ensure-config.js';
import { requireSnapshot } from './switch-mode.js';
import type { Step } from './step-types.js';
import { expireSilences } from '../alert-silences.js';
import { KUBE_PROXY_NAME, KUBE_PROXY_NAMESPACE } from '../facts.js';

export function finishRun(from: 'self' | 'parent'): Step {
  return {
    id: 'finish',
    retry: { max: 5, baseMs: 1_000 },
    async run(ctx) {
      await expireSilences(ctx);
      const snap = requireSnapshot(ctx, from === 'parent' ? ctx.parentRunId : undefined);
      const strategy = snap.dsUpdateStrategy as unknown as DaemonSetInfo['updateStrategy'];
      // The cleanup init container goes first, while the DaemonSet is still OnDelete. Its pods were created with it,
      // so a RollingUpdate strategy then restarts each kube-proxy once more, in the same mode and without cleanup.
      const initRemoved = ctx.input.cleanup === 'kube-proxy'
        ? await ctx.deps.cluster.setKubeProxyCleanupInit(KUBE_PROXY_NAMESPACE, KUBE_PROXY_NAME, false) : false;
      await ensureUpdateStrategy(ctx.deps.cluster, strategy);
      const nodes = ctx.plan.nodes.length;
      const summary = `kube-proxy runs in ${ctx.plan.targetMode} mode on all ${nodes} node(s) of ${ctx.cluster}; DaemonSet update strategy restored to ${strategy.type}${initRemoved ? `, and the cleanup init container removed${strategy.type === 'RollingUpdate' ? ' (the DaemonSet now restarts each kube-proxy once more, same mode)' : ''}` : ''}.`;
      ctx.log(summary);
      return { summary, nodes, mode: ctx.plan.targetMode };
    },
  };
}
