// Per-node operations the rollout, verify and restore steps are made of. Each is safe to repeat: pods are deleted
// by name + uid (gone is fine), new pods are awaited with a watch, Jobs are ensured under deterministic names.
import type { Cluster, JobResult, NodeJobSpec, PodInfo } from '../../../k8s/cluster.js';
import { K8sError } from '../../../k8s/errors.js';
import type { ProxyMode } from '../api.js';
import { KUBE_PROXY_NAMESPACE, KUBE_PROXY_SELECTOR } from '../facts.js';
import { CleanupResult, logExcerpt, logProblems, readResult, VerifyResult, verifyProblems } from '../node-results.js';
import type { Ctx, PodRef, SnapshotResult } from './step-types.js';

export class NodeFailure extends Error {
  constructor(readonly node: string, message: string, readonly detail: Record<string, unknown> = {}) {
    super(`${node}: ${message}`);
    this.name = 'NodeFailure';
  }
}

export function snapshotResult(ctx: Ctx): SnapshotResult {
  const r = ctx.results('snapshot');
  if (!r || typeof r !== 'object') throw new Error('the snapshot step has no result');
  return r as unknown as SnapshotResult;
}

async function deleteQuietly(cluster: Cluster, ns: string, pod: PodRef): Promise<void> {
  try {
    await cluster.deletePod(ns, pod.name, pod.uid);
  } catch (e) {
    // Already gone, or replaced (uid precondition failed): either way the old pod is not running any more.
    if (e instanceof K8sError && (e.kind === 'NotFound' || e.kind === 'Conflict')) return;
    throw e;
  }
}

/** Deletes the node's kube-proxy pod (if `old` is known) and waits for its replacement to be Ready. */
export async function restartKubeProxy(ctx: Ctx, node: string, old: PodRef | undefined): Promise<PodInfo> {
  const { cluster, timing } = ctx.deps;
  let current = old;
  if (!current) {
    const found = (await cluster.listPods(KUBE_PROXY_NAMESPACE, KUBE_PROXY_SELECTOR)).find((p) => p.nodeName === node && !p.deleting);
    if (found) current = { name: found.name, uid: found.uid };
  }
  if (current) await deleteQuietly(cluster, KUBE_PROXY_NAMESPACE, current);
  let pod: PodInfo;
  try {
    pod = await cluster.waitForPodOnNode(KUBE_PROXY_NAMESPACE, KUBE_PROXY_SELECTOR, node, {
      ...(current ? { notUid: current.uid } : {}), timeoutMs: timing.podReadyTimeoutMs,
    });
  } catch (e) {
    throw new NodeFailure(node, `the new kube-proxy pod did not become Ready (${e instanceof Error ? e.message : String(e)})`);
  }
  if (!pod.ready) {
    let log = '';
    // The crashed container's log is "previous" once it restarted; fall back to the current one when there is none.
    for (const previous of pod.restartCount > 0 ? [true, false] : [false]) {
      try { log = await cluster.podLogs(KUBE_PROXY_NAMESPACE, pod.name, { previous, tailLines: 50 }); break; } catch { /* the reason below is enough */ }
    }
    throw new NodeFailure(node, `kube-proxy is not Ready (${pod.reason ?? pod.phase})${log ? `: ${logExcerpt(log) || log.split('\n').slice(-3).join(' ')}` : ''}`,
      { pod: { name: pod.name, uid: pod.uid }, reason: pod.reason ?? pod.phase, restarts: pod.restartCount });
  }
  return pod;
}

/** Restarts calico-node on the node so that Felix sees the new mode (it only checks at start-up). */
export async function restartCalico(ctx: Ctx, node: string, calico: NonNullable<SnapshotResult['calico']>, known?: PodRef): Promise<PodRef | undefined> {
  const old = known ?? calico.pods[node];
  if (!old) return undefined;
  await deleteQuietly(ctx.deps.cluster, calico.namespace, old);
  const pod = await ctx.deps.cluster.waitForPodOnNode(calico.namespace, 'k8s-app=calico-node', node, { notUid: old.uid, timeoutMs: ctx.deps.timing.podReadyTimeoutMs });
  if (!pod.ready) throw new NodeFailure(node, `calico-node did not become Ready after the restart (${pod.reason ?? pod.phase})`);
  return { name: pod.name, uid: pod.uid };
}

export async function runJob(ctx: Ctx, spec: NodeJobSpec): Promise<JobResult> {
  return (await runJobs(ctx, [spec]))[0]!;
}

const labelsOf = (s: NodeJobSpec) => ((s.manifest.metadata ?? {}) as { labels?: Record<string, string> }).labels ?? {};

/** `key=value,…` of the run and phase labels every spec shares, so the wait watches only this batch's kind of Job. */
export function sharedJobLabels(specs: NodeJobSpec[]): string | undefined {
  const pairs = ['ipvs-bot/run', 'ipvs-bot/phase'].flatMap((k) => {
    const v = labelsOf(specs[0]!)[k];
    return v !== undefined && specs.every((s) => labelsOf(s)[k] === v) ? [`${k}=${v}`] : [];
  });
  return pairs.length ? pairs.join(',') : undefined;
}

/**
 * sharedJobLabels plus the batch's own nodes (`ipvs-bot/node in (…)`, a label every node Job has carried from the
 * start): run + phase alone still matches every earlier batch's Jobs of that phase (they stay an hour), so the last
 * batches of a 1,000-node run would list ~1,000 Jobs, and their ~1,000 pods for the results, to learn about 100.
 */
export function batchJobSelector(specs: NodeJobSpec[]): string | undefined {
  const shared = sharedJobLabels(specs);
  const nodes = new Set(specs.map((s) => labelsOf(s)['ipvs-bot/node']));
  // An `in` list keeps the request line short only for batch-sized sets; a node without the label disables it.
  if (!shared || nodes.has(undefined) || nodes.size > 200) return shared;
  return `${shared},ipvs-bot/node in (${[...nodes].sort().join(',')})`;
}

/** Ensures every Job, then waits for all of them with one watch (not one per node). */
export async function runJobs(ctx: Ctx, specs: NodeJobSpec[]): Promise<JobResult[]> {
  if (specs.length === 0) return [];
  await Promise.all(specs.map((s) => ctx.deps.cluster.ensureJob(s)));
  return awaitJobs(ctx, specs);
}

/** Waits, with one watch, for Jobs that were all ensured already. */
async function awaitJobs(ctx: Ctx, specs: NodeJobSpec[]): Promise<JobResult[]> {
  if (specs.length === 0) return [];
  const { cluster, jobs, timing } = ctx.deps;
  const labelSelector = batchJobSelector(specs);
  const done = await cluster.waitForJobs(jobs.namespace, specs.map((s) => s.name), { timeoutMs: timing.jobTimeoutMs, ...(labelSelector ? { labelSelector } : {}) });
  const byName = new Map(done.map((j) => [j.name, j]));
  return specs.map((s) => byName.get(s.name) ?? { name: s.name, outcome: 'failed', reason: 'the Job disappeared' });
}

function jobResult(j: JobResult): unknown {
  return j.result ?? { ok: false, errors: [`Job ${j.name} ${j.outcome}${j.reason ? `: ${j.reason}` : ''} without a result`] };
}

export interface NodeCheck { ok: boolean; problems: string[]; log: string; cleanup?: CleanupResult; verify: VerifyResult }
export interface CheckOptions { mode: ProxyMode; fromMode: ProxyMode; cleanup: 'targeted' | 'none' | 'done'; attempt: string }

/**
 * After kube-proxy restarted in `mode` (coming from `fromMode`) on each node: read its log, remove the old mode's
 * leftovers (unless cleanup is 'none' or was done before the restart), then run the verify Jobs and judge them.
 * Jobs of the whole batch are awaited together, so a batch costs two watches, not two per node.
 */
export async function checkNodes(ctx: Ctx, targets: { node: string; pod: PodRef }[], o: CheckOptions): Promise<Map<string, NodeCheck>> {
  const { cluster, jobs } = ctx.deps;
  const snap = snapshotResult(ctx);
  const problems = new Map<string, string[]>(targets.map((t) => [t.node, []]));
  const logs = new Map<string, string>();
  const cleanupJobs = new Map<string, NodeJobSpec>();
  await Promise.all(targets.map(async ({ node, pod }) => {
    try {
      const log = await cluster.podLogs(KUBE_PROXY_NAMESPACE, pod.name, { tailLines: 200 });
      logs.set(node, log);
      problems.get(node)!.push(...logProblems(log, o.mode));
    } catch (e) {
      problems.get(node)!.push(`could not read the kube-proxy log (${e instanceof Error ? e.message : String(e)})`);
    }
    // A node's cleanup Job starts as soon as its own log is judged, not once the whole batch's logs are read.
    if (o.cleanup === 'targeted' && problems.get(node)!.length === 0) {
      const spec = jobs.cleanup(node, { fromMode: o.fromMode, targetMode: o.mode, method: 'targeted', kubeProxyImage: snap.kubeProxyImage, attempt: o.attempt });
      await cluster.ensureJob(spec);
      cleanupJobs.set(node, spec);
    }
  }));
  const cleanups = new Map<string, CleanupResult>();
  if (o.cleanup === 'targeted') {
    const todo = targets.filter((t) => cleanupJobs.has(t.node));
    const results = await awaitJobs(ctx, todo.map((t) => cleanupJobs.get(t.node)!));
    todo.forEach((t, i) => {
      const r = readResult(CleanupResult, jobResult(results[i]!));
      cleanups.set(t.node, r);
      if (!r.ok) problems.get(t.node)!.push(`cleanup of ${o.fromMode} leftovers failed: ${r.errors.join('; ') || 'no detail'}`);
    });
  }
  const vspecs = targets.map((t) => jobs.verify(t.node, { targetMode: o.mode, targets: snap.targets, attempt: o.attempt }));
  const vres = await runJobs(ctx, vspecs);
  const out = new Map<string, NodeCheck>();
  targets.forEach((t, i) => {
    const verify = readResult(VerifyResult, jobResult(vres[i]!));
    let vp = verifyProblems(verify, { mode: o.mode, servicePorts: snap.targets.servicePorts });
    // Without cleanup, IPVS leftovers are expected after leaving IPVS; they are reported, not failed.
    if (o.cleanup === 'none' && o.mode !== 'ipvs') vp = vp.filter((p) => !/kube-ipvs0|answers ping|IPVS virtual servers created by Kubernetes/.test(p));
    if (o.cleanup === 'none' && o.mode !== 'nftables') vp = vp.filter((p) => !/an nftables leftover/.test(p));
    const p = [...problems.get(t.node)!, ...vp];
    const cleanup = cleanups.get(t.node);
    out.set(t.node, { ok: p.length === 0, problems: p, log: logExcerpt(logs.get(t.node) ?? ''), ...(cleanup ? { cleanup } : {}), verify });
  });
  return out;
}

export function podRefOf(p: { name: string; uid: string }): PodRef {
  return { name: p.name, uid: p.uid };
}
