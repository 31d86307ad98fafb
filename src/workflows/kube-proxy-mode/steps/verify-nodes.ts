// Step 6b: verify each node of a batch after one sync: log line, old-mode cleanup (targeted), verify Job. Any node
// failing stops the run; the engine then compensates every batch switched so far, this one included.
import type { JsonObject } from '../../engine/define.js';
import { checkNode } from './node-ops.js';
import { batchNodes } from './restart-nodes.js';
import { batchOutcome, type PodRef, type Step } from './step-types.js';

export function verifyNodes(index: number): Step {
  return {
    id: `verify:${index}`,
    async run(ctx) {
      const nodes = batchNodes(ctx, index);
      const restarted = ctx.nodeResults(`rollout:${index}`);
      const done = ctx.nodeResults();
      const cleanup = ctx.input.cleanup === 'kube-proxy' ? 'done' : ctx.input.cleanup;
      const settled = await Promise.allSettled(nodes.map(async (node) => {
        if (done[node]?.phase === 'verified' && done[node]!.ok) return;
        const pod = restarted[node]?.result['pod'] as PodRef | undefined;
        if (!pod) throw new Error(`${node}: no restarted kube-proxy pod on record`);
        const chk = await checkNode(ctx, node, pod, { mode: ctx.plan.targetMode, fromMode: ctx.plan.currentMode, cleanup, attempt: 'fwd' });
        ctx.saveNodeResult(node, 'verified', chk.ok, {
          mode: ctx.plan.targetMode, errors: chk.problems, log: chk.log, verify: chk.verify as JsonObject,
          ...(chk.cleanup ? { removed: { ...(chk.cleanup.removed ?? {}) } } : {}),
        });
        if (!chk.ok) throw new Error(`${node}: ${chk.problems.join('; ')}`);
      }));
      batchOutcome(settled, 'Verification failed');
      return { batch: index, verified: nodes.length };
    },
  };
}
