// Per-node operations the rollout, verify and restore steps are made of. Each is safe to repeat: pods are deleted
// by name + uid (gone is fine), new pods are awaited with a watch, Jobs are ensured under deterministic names.
import type { Cluster, JobResult, NodeJobSpec, PodInfo, PodWaitTarget } from '../../../k8s/cluster.js';
import { K8sError } from '../../../k8s/errors.js';
import type { ProxyMode } from '../api.js';
import { KUBE_PROXY_NAMESPACE, KUBE_PROXY_SELECTOR } from '../facts.js';
import type { CheckResult } from '../check-outcome.js';
import { CleanupResult, logExcerpt, logProblems, nodeCheckResults, readResult, VerifyResult, verifyProblems, type SyncReport } from '../node-results.js';
import { readKubeProxySettings } from '../../../k8s/kube-proxy-config.js';
import type { SyncTargets } from '../../../k8s/node-jobs.js';
import type { Ctx, PodRef, SnapshotResult } from './step-types.js';
import { restoreFor, type SysctlRestore } from '../strict-arp-restore.js';

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

/** kube-proxy's pod selector as the snapshot took it from the DaemonSet (kubeadm's label for older snapshots). */
function kubeProxySelectorOf(ctx: Ctx): string {
  const r = ctx.results('snapshot') as { podSelector?: unknown } | undefined;
  return typeof r?.podSelector === 'string' && r.podSelector ? r.podSelector : KUBE_PROXY_SELECTOR;
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

/** A node whose kube-proxy is to restart, with its current pod when known. */
export interface RestartTarget { node: string; old?: PodRef | undefined }
export type RestartOutcome = { node: string; pod: PodInfo; error?: undefined } | { node: string; pod?: undefined; error: Error };

/**
 * Deletes each node's kube-proxy pod and waits, with one watch for the whole batch, for each replacement to be Ready.
 * Per node: the new Ready pod, or a NodeFailure (crash loop with its log excerpt, timeout naming the node).
 * `onReady` hears each node as soon as its pod is Ready, while the others still start.
 */
export async function restartKubeProxies(ctx: Ctx, targets: RestartTarget[], hooks: {
  /** Called right before the node's pod is deleted (to record that the node is being touched). */
  beforeDelete?: (node: string) => void;
  onReady?: (node: string, pod: PodInfo) => void;
} = {}): Promise<RestartOutcome[]> {
  const { cluster, timing } = ctx.deps;
  const selector = kubeProxySelectorOf(ctx);
  const current = new Map(targets.map((t) => [t.node, t.old]));
  if (targets.some((t) => !t.old)) {
    // Unknown old pod (no snapshot entry): the node's current one, if any, is the one to replace.
    const pods = await cluster.listPods(KUBE_PROXY_NAMESPACE, selector);
    for (const t of targets) {
      const found = t.old ? undefined : pods.find((p) => p.nodeName === t.node && !p.deleting);
      if (found) current.set(t.node, { name: found.name, uid: found.uid });
    }
  }
  const out = new Map<string, RestartOutcome>();
  const deleting: Promise<void>[] = [];
  for (const [i, t] of targets.entries()) {
    hooks.beforeDelete?.(t.node);
    const old = current.get(t.node);
    deleting.push(old ? deleteQuietly(cluster, KUBE_PROXY_NAMESPACE, old) : Promise.resolve());
    // Let the deletes issued so far go out while the next nodes are recorded (each record is a DB write).
    if (hooks.beforeDelete && i % 10 === 9) await new Promise<void>((r) => setImmediate(r));
  }
  const deleted = await Promise.allSettled(deleting);
  const waiting: PodWaitTarget[] = [];
  targets.forEach((t, i) => {
    const d = deleted[i]!;
    if (d.status === 'rejected') { out.set(t.node, { node: t.node, error: d.reason instanceof Error ? d.reason : new Error(String(d.reason)) }); return; }
    const old = current.get(t.node);
    waiting.push({ node: t.node, ...(old ? { notUid: old.uid } : {}) });
  });
  const settled = await cluster.waitForPodsOnNodes(KUBE_PROXY_NAMESPACE, selector, waiting, {
    timeoutMs: timing.podReadyTimeoutMs,
    onSettled: (o) => { if (o.pod?.ready) hooks.onReady?.(o.node, o.pod); },
  });
  await Promise.all(settled.map(async (o) => {
    if (o.error) {
      out.set(o.node, { node: o.node, error: new NodeFailure(o.node, `the new kube-proxy pod did not become Ready (${o.error.message})`) });
      return;
    }
    const pod = o.pod;
    if (pod.ready) { out.set(o.node, { node: o.node, pod }); return; }
    let log = '';
    // The crashed container's log is "previous" once it restarted; fall back to the current one when there is none.
    for (const previous of pod.restartCount > 0 ? [true, false] : [false]) {
      try { log = await cluster.podLogs(KUBE_PROXY_NAMESPACE, pod.name, { previous, tailLines: 50 }); break; } catch { /* the reason below is enough */ }
    }
    out.set(o.node, { node: o.node, error: new NodeFailure(o.node, `kube-proxy is not Ready (${pod.reason ?? pod.phase})${log ? `: ${logExcerpt(log) || log.split('\n').slice(-3).join(' ')}` : ''}`,
      { pod: { name: pod.name, uid: pod.uid }, reason: pod.reason ?? pod.phase, restarts: pod.restartCount }) });
  }));
  return targets.map((t) => out.get(t.node)!);
}

/**
 * Restarts calico-node on each node so that Felix sees the new mode (it only checks at start-up): deletes the pods,
 * then one watch for the batch. Per node: the new pod, undefined when the node had none, or a NodeFailure.
 */
export async function restartCalicos(ctx: Ctx, calico: NonNullable<SnapshotResult['calico']>, targets: { node: string; known?: PodRef | undefined }[]):
  Promise<Map<string, PodRef | undefined | Error>> {
  const { cluster, timing } = ctx.deps;
  const out = new Map<string, PodRef | undefined | Error>();
  const todo = targets.flatMap((t) => { const old = t.known ?? calico.pods[t.node]; if (!old) out.set(t.node, undefined); return old ? [{ node: t.node, old }] : []; });
  const deleted = await Promise.allSettled(todo.map((t) => deleteQuietly(cluster, calico.namespace, t.old)));
  const waiting: PodWaitTarget[] = [];
  todo.forEach((t, i) => {
    const d = deleted[i]!;
    if (d.status === 'rejected') out.set(t.node, d.reason instanceof Error ? d.reason : new Error(String(d.reason)));
    else waiting.push({ node: t.node, notUid: t.old.uid });
  });
  for (const o of await cluster.waitForPodsOnNodes(calico.namespace, 'k8s-app=calico-node', waiting, { timeoutMs: timing.podReadyTimeoutMs })) {
    if (o.error) out.set(o.node, new NodeFailure(o.node, `calico-node did not become Ready after the restart (${o.error.message})`));
    else if (!o.pod.ready) out.set(o.node, new NodeFailure(o.node, `calico-node did not become Ready after the restart (${o.pod.reason ?? o.pod.phase})`));
    else out.set(o.node, { name: o.pod.name, uid: o.pod.uid });
  }
  return out;
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

/** Ensures every Job, then waits for all of them with one watch (not one per node); `onResult` hears each as it finishes. */
export async function runJobs(ctx: Ctx, specs: NodeJobSpec[], onResult?: (spec: NodeJobSpec, r: JobResult) => void): Promise<JobResult[]> {
  if (specs.length === 0) return [];
  await Promise.all(specs.map((s) => ctx.deps.cluster.ensureJob(s)));
  return awaitJobs(ctx, specs, onResult);
}

/** Waits, with one watch, for Jobs that were all ensured already; `onFinished` hears each the moment it finished. */
export async function awaitJobs(ctx: Ctx, specs: NodeJobSpec[], onResult?: (spec: NodeJobSpec, r: JobResult) => void,
  onFinished?: (spec: NodeJobSpec) => void): Promise<JobResult[]> {
  if (specs.length === 0) return [];
  const { cluster, jobs, timing } = ctx.deps;
  const labelSelector = batchJobSelector(specs);
  const specOf = new Map(specs.map((s) => [s.name, s]));
  const done = await cluster.waitForJobs(jobs.namespace, specs.map((s) => s.name), {
    timeoutMs: timing.jobTimeoutMs, ...(labelSelector ? { labelSelector } : {}),
    ...(onResult ? { onResult: (r: JobResult) => { const spec = specOf.get(r.name); if (spec) onResult(spec, r); } } : {}),
    ...(onFinished ? { onFinished: (r: JobResult) => { const spec = specOf.get(r.name); if (spec) onFinished(spec); } } : {}),
  });
  const byName = new Map(done.map((j) => [j.name, j]));
  return specs.map((s) => byName.get(s.name) ?? { name: s.name, outcome: 'failed', reason: 'the Job disappeared' });
}

function jobResult(j: JobResult): unknown {
  return j.result ?? { ok: false, errors: [`Job ${j.name} ${j.outcome}${j.reason ? `: ${j.reason}` : ''} without a result`] };
}

export interface NodeCheck {
  ok: boolean; problems: string[]; log: string; cleanup?: CleanupResult; verify: VerifyResult;
  /** The wait for kube-proxy's first sync, from the node's first Job (cleanup, else verify). */
  sync?: SyncReport;
  /** The problems as pass/fail/inconclusive per check (node-results.ts nodeCheckResults). */
  checks: CheckResult[];
}
export interface CheckOptions {
  mode: ProxyMode; fromMode: ProxyMode; cleanup: 'targeted' | 'none' | 'done'; attempt: string;
  /** Hears each node's check as soon as its verify Job's result is in (to record it while the others still run). */
  onNode?: (node: string, check: NodeCheck) => void;
  /** Sysctls the cleanup puts back when leaving IPVS (strictARP's, as prep found them). */
  restoreSysctls?: SysctlRestore;
}

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

/**
 * Where and how long a node's first Job after the restart waits for kube-proxy's first sync: both addresses from the
 * snapshot's config.conf (kube-proxy binds them in the node's netns, often on loopback, so the bot cannot reach them
 * itself and needs no nodes/proxy RBAC); the deadline is counted on the node from the Job's start.
 */
export function syncTargets(ctx: Ctx): SyncTargets {
  const snap = snapshotResult(ctx);
  let healthz = '';
  try { healthz = readKubeProxySettings(ctx.snapshot()?.configmapText ?? '').healthzBindAddress; } catch { /* the default */ }
  return {
    metricsAddress: snap.targets.metricsAddress ?? '127.0.0.1:10249',
    healthzAddress: healthzAddressOf(healthz),
    timeoutMs: ctx.deps.timing.syncTimeoutMs,
    pollMs: ctx.deps.timing.syncPollMs,
  };
}

/**
 * After kube-proxy restarted in `mode` (coming from `fromMode`) on each node: read its log, remove the old mode's
 * leftovers (unless cleanup is 'none' or was done before the restart), then run the verify Jobs and judge them. The
 * node's first Job waits for the new kube-proxy's first sync (domain §8.3) instead of a fixed settle time; a node
 * whose cleanup Job saw no sync by the deadline removed nothing and is not verified (the wait would only repeat).
 * Each node moves on by itself (its cleanup Job starts once its log is judged, its verify Job once its cleanup
 * finished), while the Jobs of each phase are awaited with one watch for the batch: two watches per batch, not per node.
 */
export async function checkNodes(ctx: Ctx, targets: { node: string; pod: PodRef }[], o: CheckOptions): Promise<Map<string, NodeCheck>> {
  const { cluster, jobs } = ctx.deps;
  const snap = snapshotResult(ctx);
  const problems = new Map<string, string[]>(targets.map((t) => [t.node, []]));
  const logs = new Map<string, string>();
  const cleanupJobs = new Map<string, NodeJobSpec>();
  const cleanups = new Map<string, CleanupResult>();
  const sync = syncTargets(ctx);
  // verify waits too: after a cleanup Job that waited, its first read of /metrics already shows the sync.
  const vspecs = new Map(targets.map((t) => [t.node, jobs.verify(t.node, { targetMode: o.mode, targets: snap.targets, attempt: o.attempt, sync })]));
  const unsynced = new Set<string>();
  const verifyEnsured: Promise<void>[] = [];
  const startVerify = (node: string) => {
    const p = cluster.ensureJob(vspecs.get(node)!);
    p.catch(() => { /* awaited below */ });
    verifyEnsured.push(p);
  };
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
      const restore = o.fromMode === 'ipvs' ? restoreFor(o.restoreSysctls, node) : undefined;
      const spec = jobs.cleanup(node, {
        fromMode: o.fromMode, targetMode: o.mode, method: 'targeted', kubeProxyImage: snap.kubeProxyImage, attempt: o.attempt, sync,
        ...(restore ? { restoreSysctls: restore } : {}),
      });
      await cluster.ensureJob(spec);
      cleanupJobs.set(node, spec);
    } else startVerify(node);
  }));
  if (cleanupJobs.size > 0) {
    const nodeOfJob = new Map([...cleanupJobs].map(([node, spec]) => [spec.name, node]));
    const judged = new Set<string>();
    const judge = (spec: NodeJobSpec, j: JobResult) => {
      const node = nodeOfJob.get(spec.name)!;
      if (judged.has(node)) return;
      judged.add(node);
      const r = readResult(CleanupResult, jobResult(j));
      cleanups.set(node, r);
      if (r.sync?.synced === false) {
        // Not synced by the deadline: the cleanup removed nothing, and a verify Job would wait the same time again.
        unsynced.add(node);
        problems.get(node)!.push(...r.errors);
        return;
      }
      if (!r.ok) problems.get(node)!.push(`cleanup of ${o.fromMode} leftovers failed: ${r.errors.join('; ') || 'no detail'}`);
      if (!verifying.has(node)) { verifying.add(node); startVerify(node); }
    };
    // The node's verify Job starts as soon as its own cleanup Job's result is read: not before, since a cleanup that
    // saw no sync means no verify Job (it would wait out the same deadline again).
    const verifying = new Set<string>();
    const specs = [...cleanupJobs.values()];
    const results = await awaitJobs(ctx, specs, judge);
    // Jobs that did not finish in time are judged from the wait's answer (outcome 'running': no result).
    specs.forEach((spec, i) => judge(spec, results[i]!));
  }
  await Promise.all(verifyEnsured);
  const out = new Map<string, NodeCheck>();
  const nodeOfVerify = new Map([...vspecs].map(([node, spec]) => [spec.name, node]));
  const finish = (spec: NodeJobSpec, j: JobResult) => {
    const node = nodeOfVerify.get(spec.name)!;
    if (out.has(node)) return;
    const verify = readResult(VerifyResult, jobResult(j));
    // Without cleanup, the old mode's leftovers are expected; they are reported, not failed.
    const vp = verifyProblems(verify, {
      mode: o.mode, servicePorts: snap.targets.servicePorts, cleanup: o.cleanup,
      ...(ctx.plan.jobContext?.kubeProxyMinor !== undefined ? { kubeProxyMinor: ctx.plan.jobContext.kubeProxyMinor } : {}),
    });
    const p = [...problems.get(node)!, ...vp];
    const cleanup = cleanups.get(node);
    // The wait that counted is the first Job's: the cleanup's when it ran one, else verify's own.
    const waited = cleanup?.sync ?? verify.sync;
    const chk: NodeCheck = {
      ok: p.length === 0, problems: p, log: logExcerpt(logs.get(node) ?? ''), ...(cleanup ? { cleanup } : {}), verify,
      ...(waited ? { sync: waited } : {}), checks: nodeCheckResults(node, p, verify, waited),
    };
    out.set(node, chk);
    o.onNode?.(node, chk);
  };
  for (const t of targets) {
    if (!unsynced.has(t.node)) continue;
    const cleanup = cleanups.get(t.node)!;
    const p = problems.get(t.node)!;
    const verify = readResult(VerifyResult, { ok: false, errors: [] });
    const chk: NodeCheck = { ok: false, problems: p, log: logExcerpt(logs.get(t.node) ?? ''), cleanup, verify, ...(cleanup.sync ? { sync: cleanup.sync } : {}), checks: nodeCheckResults(t.node, p, verify, cleanup.sync) };
    out.set(t.node, chk);
    o.onNode?.(t.node, chk);
  }
  const specs = targets.filter((t) => !unsynced.has(t.node)).map((t) => vspecs.get(t.node)!);
  const vres = await awaitJobs(ctx, specs, finish);
  specs.forEach((spec, i) => finish(spec, vres[i]!));
  // In the order of `targets`, as before.
  return new Map(targets.map((t) => [t.node, out.get(t.node)!]));
}

export function podRefOf(p: { name: string; uid: string }): PodRef {
  return { name: p.name, uid: p.uid };
}
