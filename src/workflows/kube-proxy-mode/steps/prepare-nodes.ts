// Step 3 of DESIGN.md: one prep Job per node (bounded concurrency), each node's JSON result saved to the step
// results, the audit log and the thread as soon as its chunk finishes (long before the Job's TTL). Any node that
// is not ready for the target mode stops the run here, before anything changed.
import { StepError } from '../../engine/errors.js';
import type { JsonObject } from '../../engine/define.js';
import { prepChecks } from '../rules/prep.js';
import { PrepResult, readResult } from '../node-results.js';
import { runJobs } from './node-ops.js';
import { blockers } from '../checks.js';
import type { Ctx, Step } from './step-types.js';

export function prepareNodes(): Step {
  return {
    id: 'prepare-nodes',
    retry: { max: 3, baseMs: 2_000 },
    async run(ctx) {
      const { jobs, timing } = ctx.deps;
      const done = ctx.nodeResults();
      const results: Record<string, PrepResult> = {};
      for (const [node, r] of Object.entries(done)) results[node] = readResult(PrepResult, r.result);
      const todo = ctx.plan.nodes.map((n) => n.name).filter((n) => !(n in done));
      for (let i = 0; i < todo.length; i += timing.jobConcurrency) {
        const chunk = todo.slice(i, i + timing.jobConcurrency);
        const specs = chunk.map((node) => jobs.prep(node, { scheduler: ctx.input.scheduler, targetMode: ctx.input.targetMode }));
        const finished = await runJobs(ctx, specs);
        chunk.forEach((node, k) => {
          const job = finished.find((j) => j.name === specs[k]!.name);
          const r = readResult(PrepResult, job?.result ?? (job ? { ok: false, errors: [`prep Job ${job.outcome}${job.reason ? `: ${job.reason}` : ''}`] } : undefined));
          results[node] = r;
          ctx.saveNodeResult(node, 'prep', r.ok, { ...(r as JsonObject), job: specs[k]!.name });
        });
      }
      return judge(ctx, results);
    },
    // Prep Jobs only load modules and write node files; after a crash re-running ensures the same Jobs.
  };
}

function judge(ctx: Ctx, results: Record<string, PrepResult>) {
  const checks = prepChecks(results, ctx.input);
  const blocking = blockers(checks);
  if (blocking.length > 0) {
    const summary = blocking.filter((c) => c.id !== 'prep-details').map((c) => c.message).join(' ');
    const detail = blocking.find((c) => c.id === 'prep-details')?.message;
    throw new StepError('fatal', `Stopped before the switch: ${summary}${detail ? ` (${detail})` : ''}`, {
      detail: { checks: checks.map((c) => ({ id: c.id, verdict: c.verdict, message: c.message, nodes: c.nodes ?? [] })) },
    });
  }
  const warnings = checks.filter((c) => c.verdict === 'warn').map((c) => c.message);
  for (const w of warnings) ctx.log(w);
  const leftovers: Record<string, Record<string, number>> = {};
  for (const [node, r] of Object.entries(results)) if (r.leftovers) leftovers[node] = r.leftovers;
  return { prepared: Object.keys(results).length, warnings, leftovers: summariseLeftovers(leftovers) };
}

/** Totals per kind over all nodes (the per-node counts are in the node rows). */
function summariseLeftovers(per: Record<string, Record<string, number>>): Record<string, number> {
  const total: Record<string, number> = {};
  for (const counts of Object.values(per)) for (const [k, v] of Object.entries(counts)) total[k] = (total[k] ?? 0) + v;
  return total;
}
