// Step 6b: verify each node of a batch after one sync: log line, old-mode cleanup (targeted), verify Job. Any node
// failing stops the run; the engine then compensates every batch switched so far, this one included.
import type { JsonObject } from '../../engine/define.js';
import { checkNodes } from './node-ops.js';
import { batchNodes } from './restart-nodes.js';
import { batchOutcome, type PodRef, type Step } from './step-types.js';
import { expireSilences } from '../alert-silences.js';

export function verifyNodes(index: number): Step {
  return {
    id: `verify:${index}`,
    async run(ctx) {
      const nodes = batchNodes(ctx, index);
      const restarted = ctx.nodeResults(`rollout:${index}`);
      const done = ctx.nodeResults();
      const cleanup = ctx.input.cleanup === 'kube-proxy' ? 'done' : ctx.input.cleanup;
      const todo: { node: string; pod: PodRef }[] = [];
      const missing: string[] = [];
      for (const node of nodes) {
        if (done[node]?.phase === 'verified' && done[node]!.ok) continue;
        const pod = restarted[node]?.result['pod'] as PodRef | undefined;
        if (pod) todo.push({ node, pod }); else missing.push(node);
      }
      const settled: PromiseSettledResult<unknown>[] = missing.map((node) => ({ status: 'rejected', reason: new Error(`${node}: no restarted kube-proxy pod on record`) }));
      await checkNodes(ctx, todo, {
        mode: ctx.plan.targetMode, fromMode: ctx.plan.currentMode, cleanup, attempt: 'fwd',
        // A rollback plan carries the parent migration's strictARP values to restore (workflows-service.ts).
        ...(ctx.plan.restoreSysctls ? { restoreSysctls: ctx.plan.restoreSysctls } : {}),
        // Each node is recorded as soon as its verify Job is judged, not once the whole batch is.
        onNode: (node, chk) => {
          ctx.saveNodeResult(node, 'verified', chk.ok, {
            mode: ctx.plan.targetMode, errors: chk.problems, log: chk.log, verify: chk.verify as JsonObject,
            ...(chk.cleanup ? { removed: { ...(chk.cleanup.removed ?? {}) } } : {}),
          });
          settled.push(chk.ok ? { status: 'fulfilled', value: node } : { status: 'rejected', reason: new Error(`${node}: ${chk.problems.join('; ')}`) });
        },
      });
      await expireSilences(ctx, nodes);
      batchOutcome(settled, 'Verification failed');
      return { batch: index, verified: nodes.length };
    },
  };
}
