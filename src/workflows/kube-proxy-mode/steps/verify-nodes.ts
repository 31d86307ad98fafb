// Step 6b: verify each node of a batch once its new kube-proxy has synced (the first Job on the node waits for it):
// log line, old-mode cleanup (targeted), verify Job. Any node
// failing stops the run; the engine then compensates every batch switched so far, this one included. A node with an
// inconclusive check (and no failed one) pauses the run for an operator (StepError 'inconclusive', issue #12 item 3);
// the cluster's report-only checks are recorded but count for neither.
import type { JsonObject } from '../../engine/define.js';
import { StepError } from '../../engine/errors.js';
import { isReportOnly, overallOutcome, type CheckResult } from '../check-outcome.js';
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
      const inconclusive: CheckResult[] = [];
      const settled: PromiseSettledResult<unknown>[] = missing.map((node) => ({ status: 'rejected', reason: new Error(`${node}: no restarted kube-proxy pod on record`) }));
      await checkNodes(ctx, todo, {
        mode: ctx.plan.targetMode, fromMode: ctx.plan.currentMode, cleanup, attempt: 'fwd',
        // A rollback plan carries the parent migration's strictARP values to restore (workflows-service.ts).
        ...(ctx.plan.restoreSysctls ? { restoreSysctls: ctx.plan.restoreSysctls } : {}),
        // Each node is recorded as soon as its verify Job is judged, not once the whole batch is.
        onNode: (node, chk) => {
          const outcome = overallOutcome(chk.checks, ctx.deps);
          const counted = chk.checks.filter((c) => c.outcome !== 'pass' && !isReportOnly(ctx.deps, c.name));
          const reported = chk.checks.filter((c) => c.outcome !== 'pass' && isReportOnly(ctx.deps, c.name));
          ctx.saveNodeResult(node, outcome === 'inconclusive' ? 'inconclusive' : 'verified', outcome === 'pass', {
            mode: ctx.plan.targetMode, errors: counted.map((c) => c.detail), log: chk.log, verify: chk.verify as JsonObject,
            ...(chk.sync ? { sync: chk.sync as JsonObject } : {}),
            checks: chk.checks.map((c) => ({ name: c.name, outcome: c.outcome, detail: c.detail })),
            ...(reported.length ? { reportOnly: reported.map((c) => `${c.name} ${c.outcome} (report-only): ${c.detail}`) } : {}),
            ...(chk.cleanup ? { removed: { ...(chk.cleanup.removed ?? {}) } } : {}),
          });
          if (outcome === 'inconclusive') inconclusive.push(...counted);
          settled.push(outcome !== 'fail' ? { status: 'fulfilled', value: node }
            : { status: 'rejected', reason: new Error(`${node}: ${counted.filter((c) => c.outcome === 'fail').map((c) => c.detail).join('; ')}`) });
        },
      });
      await expireSilences(ctx, nodes);
      batchOutcome(settled, 'Verification failed');
      const result = { batch: index, verified: nodes.length };
      if (inconclusive.length > 0) {
        const names = inconclusive.map((c) => `${c.node}: ${c.name} (${c.detail})`).join('; ');
        throw new StepError('inconclusive', `Verification inconclusive on ${names}`, {
          detail: { checks: inconclusive.map((c) => ({ ...c })), result },
        });
      }
      return result;
    },
  };
}
