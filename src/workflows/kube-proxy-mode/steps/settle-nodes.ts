// Step 6a½ (`settle:i`): instead of a fixed settle time, wait on each node of the batch until its new kube-proxy has
// finished a sync after it started (domain §8.3), read by a hostNetwork settle Job from kube-proxy's own /metrics and
// /healthz at the addresses of the cluster's config.conf (kube-proxy binds them in the node's netns, often loopback,
// so the bot cannot reach them itself and needs no nodes/proxy RBAC). The deadline is the script's, counted on the
// node from the Job's start; the Job has a deterministic name, so a bot restarted mid-wait finds the same Job (and
// its deadline) again. Each node is recorded as soon as its Job is judged; one that did not sync fails the batch.
import { z } from 'zod';
import type { NodeJobSpec } from '../../../k8s/cluster.js';
import { readKubeProxySettings } from '../../../k8s/kube-proxy-config.js';
import type { SettleTargets } from '../../../k8s/node-jobs.js';
import type { JsonObject } from '../../engine/define.js';
import { ResultSchema, readResult } from '../node-results.js';
import { runJobs, snapshotResult } from './node-ops.js';
import { batchNodes } from './restart-nodes.js';
import type { Ctx, Step } from './step-types.js';
import { batchOutcome } from './step-types.js';

export const DEFAULT_SYNC_TIMEOUT_MS = 60_000;

export const SettleResult = new ResultSchema({
  synced: z.boolean(),
  startedAt: z.number().nullable(),
  syncedAt: z.number().nullable(),
  waitedMs: z.number().nullable(),
  syncDurationMs: z.number(),
  healthz: z.looseObject({ status: z.number().nullable(), lastUpdated: z.string().optional() }),
  metricsStatus: z.number().nullable(),
});

/** kube-proxy's healthzBindAddress as reached from the node: v1alpha1 default 0.0.0.0:10256; wildcard → loopback. */
export function healthzAddressOf(healthzBindAddress: string): string {
  const s = healthzBindAddress.trim();
  if (s === '') return '127.0.0.1:10256';
  const m = /^(\[[0-9A-Fa-f:.]*\]|[0-9A-Za-z.-]*):(\d{1,5})$/.exec(s);
  // A bare host gets kube-proxy's port (AppendPortIfNeeded).
  const [host, port] = m ? [m[1]!, m[2]!] : [s.includes(':') ? `[${s}]` : s, '10256'];
  if (host === '' || host === '0.0.0.0') return `127.0.0.1:${port}`;
  if (host === '[::]') return `[::1]:${port}`;
  return `${host}:${port}`;
}

/** Where the settle Job reads kube-proxy: both addresses from the snapshot's config.conf. */
export function settleTargets(ctx: Ctx): SettleTargets {
  const snap = snapshotResult(ctx);
  let healthz = '';
  try { healthz = readKubeProxySettings(ctx.snapshot()?.configmapText ?? '').healthzBindAddress; } catch { /* default below */ }
  const timeoutMs = ctx.deps.timing.syncTimeoutMs ?? DEFAULT_SYNC_TIMEOUT_MS;
  return {
    metricsAddress: snap.targets.metricsAddress ?? '127.0.0.1:10249',
    healthzAddress: healthzAddressOf(healthz),
    timeoutMs,
    // About 60 reads per deadline, at most one a second.
    pollMs: Math.min(1000, Math.max(50, Math.round(timeoutMs / 60))),
  };
}

export function settleNodes(index: number): Step {
  return {
    id: `settle:${index}`,
    async run(ctx) {
      const nodes = batchNodes(ctx, index);
      const done = ctx.nodeResults();
      const targets = settleTargets(ctx);
      const todo = nodes.filter((n) => !(done[n]?.phase === 'settled' && done[n]!.ok));
      const specs = new Map<string, NodeJobSpec>(todo.map((node) => [node, ctx.deps.jobs.settle(node, { targetMode: ctx.plan.targetMode, targets, attempt: 'fwd' })]));
      const nodeOf = new Map([...specs].map(([node, spec]) => [spec.name, node]));
      // Recorded before the wait: a restart knows which Job (and so which deadline) each node is waiting on.
      for (const [node, spec] of specs) {
        if (done[node]?.phase !== 'settling') ctx.saveNodeResult(node, 'settling', true, { job: spec.name, timeoutMs: targets.timeoutMs });
      }
      const settled: PromiseSettledResult<unknown>[] = [];
      const judged = new Set<string>();
      let waitedMax = 0;
      const judge = (spec: NodeJobSpec, j: { outcome: string; reason?: string; result?: Record<string, unknown> }) => {
        const node = nodeOf.get(spec.name);
        if (!node || judged.has(node)) return;
        judged.add(node);
        const raw = j.result ?? { ok: false, errors: [`settle Job ${spec.name} ${j.outcome}${j.reason ? `: ${j.reason}` : ''} without a result`] };
        const r = readResult(SettleResult, raw);
        const ok = r.ok && r.synced === true;
        const errors = r.errors.length ? r.errors : ok ? [] : ['kube-proxy did not report a sync'];
        waitedMax = Math.max(waitedMax, r.waitedMs ?? 0);
        ctx.saveNodeResult(node, 'settled', ok, {
          errors, synced: r.synced ?? false, startedAt: r.startedAt ?? null, syncedAt: r.syncedAt ?? null, waitedMs: r.waitedMs ?? null,
          ...(r.syncDurationMs !== undefined ? { syncDurationMs: r.syncDurationMs } : {}),
          healthz: (r.healthz ?? { status: null }) as JsonObject, metricsStatus: r.metricsStatus ?? null,
        });
        settled.push(ok ? { status: 'fulfilled', value: node } : { status: 'rejected', reason: new Error(`${node}: ${errors.join('; ')}`) });
      };
      const list = [...specs.values()];
      const results = await runJobs(ctx, list, judge);
      list.forEach((spec, i) => judge(spec, results[i]!));
      batchOutcome(settled, 'kube-proxy did not sync');
      return { batch: index, settled: nodes.length, waitedMs: waitedMax, timeoutMs: targets.timeoutMs };
    },
  };
}
