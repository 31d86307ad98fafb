// Step 3 of DESIGN.md: one prep Job per node (bounded concurrency), each node's JSON result saved to the step
// results, the audit log and the thread as soon as its Job finished (long before the Job's TTL). Any node that
// is not ready for the target mode stops the run here, before anything changed.
import { StepError } from '../../engine/errors.js';
import type { JsonObject } from '../../engine/define.js';
import { prepChecks } from '../rules/prep.js';
import { PrepResult, readResult } from '../node-results.js';
import type { JobResult, NodeJobSpec } from '../../../k8s/cluster.js';
import { awaitJobs } from './node-ops.js';
import { blockers } from '../checks.js';
import { CONFIRM_LIVE, liveChecks, summariseLive } from '../live-preflight.js';
import { isReportOnly } from '../check-outcome.js';
import type { Ctx, Step } from './step-types.js';

// Lanes are worth their extra watch only for big chunks: 100 → 4 lanes of 25, 10 → one lane of 10.
const LANES = 4;
const MIN_LANE = 20;

export function prepareNodes(): Step {
  return {
    id: 'prepare-nodes',
    retry: { max: 3, baseMs: 2_000 },
    async run(ctx) {
      const { cluster, jobs, timing } = ctx.deps;
      const done = ctx.nodeResults();
      const results: Record<string, PrepResult> = {};
      for (const [node, r] of Object.entries(done)) results[node] = readResult(PrepResult, r.result);
      const todo = ctx.plan.nodes.map((n) => n.name).filter((n) => !(n in done));
      const save = (node: string, spec: NodeJobSpec, job: JobResult | undefined) => {
        if (node in results) return;
        const r = readResult(PrepResult, job?.result ?? (job ? { ok: false, errors: [`prep Job ${job.outcome}${job.reason ? `: ${job.reason}` : ''}`] } : undefined));
        results[node] = r;
        ctx.saveNodeResult(node, 'prep', r.ok, { ...(r as JsonObject), job: spec.name });
      };
      // Sliding windows: LANES lanes of jobConcurrency / LANES Jobs each. When one of a lane's Jobs finishes, the
      // lane's next node starts at once (its Job joins the lane's next wait), so the concurrency stays at its bound
      // instead of draining at every chunk's end; each wait is one watch for the lane's Jobs of that round.
      const lanes = Math.max(1, Math.min(LANES, Math.floor(timing.jobConcurrency / MIN_LANE)));
      const size = Math.max(1, Math.floor(timing.jobConcurrency / lanes)); // lanes × size ≤ jobConcurrency
      let next = 0;
      let failure: { e: unknown } | undefined;
      type Item = { node: string; spec: NodeJobSpec };
      const take = (): Item | undefined => {
        if (failure || next >= todo.length) return undefined;
        const node = todo[next++]!;
        const metricsAddress = ctx.plan.jobContext?.metricsAddress;
        return { node, spec: jobs.prep(node, { scheduler: ctx.input.scheduler, targetMode: ctx.input.targetMode, ...(metricsAddress ? { metricsAddress } : {}) }) };
      };
      const lane = async () => {
        let round: Item[] = [];
        for (let i = 0; i < size; i++) { const it = take(); if (it) round.push(it); }
        const ensuring: Promise<void>[] = round.map((it) => cluster.ensureJob(it.spec));
        while (round.length > 0) {
          const nextRound: Item[] = [];
          try {
            await Promise.all(ensuring.splice(0));
            const nodeOf = new Map(round.map((it) => [it.spec.name, it.node]));
            // Each node's result is recorded as soon as its Job finished and was read.
            const finished = await awaitJobs(ctx, round.map((it) => it.spec), (spec, j) => save(nodeOf.get(spec.name)!, spec, j), () => {
              const it = take();
              if (!it) return;
              nextRound.push(it);
              const p = cluster.ensureJob(it.spec);
              p.catch(() => { /* awaited with the next round */ });
              ensuring.push(p);
            });
            round.forEach((it, k) => save(it.node, it.spec, finished[k]));
          } catch (e) {
            failure ??= { e };
            await Promise.allSettled(ensuring.splice(0));
            return;
          }
          round = nextRound;
        }
      };
      await Promise.all(Array.from({ length: Math.min(lanes, Math.ceil(todo.length / size)) }, lane));
      if (failure) throw failure.e;
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
  // The live pre-flight: what the running kube-proxies report (live-preflight.ts). The approvers did not see it on the
  // plan, so a hazard for the target mode pauses the run for them (Continue / Roll back / Abort) unless report-only.
  const preflight = summariseLive(results, ctx.input.targetMode);
  const live = liveChecks(preflight, ctx.input.targetMode, ctx.plan.jobContext?.kubeProxyMinor, ctx.deps.timing.syncTimeoutMs);
  const warnings = [...checks, ...live].filter((c) => c.verdict === 'warn').map((c) => c.message);
  for (const w of warnings) ctx.log(w);
  const leftovers: Record<string, Record<string, number>> = {};
  for (const [node, r] of Object.entries(results)) if (r.leftovers) leftovers[node] = r.leftovers;
  const result = {
    prepared: Object.keys(results).length, warnings, leftovers: summariseLeftovers(leftovers),
    ...(preflight ? { preflight: { ...preflight, checks: live.map((c) => ({ id: c.id, verdict: c.verdict, message: c.message })) } as unknown as JsonObject } : {}),
  };
  const confirm = live.filter((c) => (CONFIRM_LIVE as readonly string[]).includes(c.id) && c.nodes?.length && !isReportOnly(ctx.deps, c.id));
  if (confirm.length > 0) {
    throw new StepError('inconclusive', `Live pre-flight, before the switch: ${confirm.map((c) => c.message).join(' ')}`, {
      detail: { checks: confirm.map((c) => ({ name: c.id, outcome: 'inconclusive', detail: c.message, node: c.nodes![0]! })), result },
    });
  }
  return result;
}

/** Totals per kind over all nodes (the per-node counts are in the node rows). */
function summariseLeftovers(per: Record<string, Record<string, number>>): Record<string, number> {
  const total: Record<string, number> = {};
  for (const counts of Object.values(per)) for (const [k, v] of Object.entries(counts)) total[k] = (total[k] ?? 0) + v;
  return total;
}
