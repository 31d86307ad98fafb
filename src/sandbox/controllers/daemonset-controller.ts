// DaemonSet controller (pkg/controller/daemon, v1.28 behaviour as captured in fixtures daemonset/*): one pod per
// node from the newest ControllerRevision, RollingUpdate one node at a time (maxUnavailable, maxSurge 0), OnDelete
// replaces only deleted pods, status written only when it changes, with the zero-valued optional fields omitted.
import type { K8sObject } from '../object-store.js';
import type { Informer } from './informer.js';
import { type ClusterContext, type Obj, deletePod, isDeleting, isReady, isTerminal, ownedBy, randomSuffix, templateHash } from './context.js';
import { daemonTolerations, nodeShouldRunDaemonPod } from './daemonset-placement.js';

/** The pod the controller creates for `node` (unbound: the scheduler binds it through the affinity). */
export function daemonPod(ctx: ClusterContext, ds: Obj, node: string, hash: string, bound = false): Obj {
  const tpl = structuredClone(ds.spec.template) as { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec: Record<string, unknown> };
  const gen = String((ds.metadata.annotations as Record<string, string> | undefined)?.['deprecated.daemonset.template.generation'] ?? ds.metadata.generation ?? 1);
  // 27^5 suffixes: at 5,000 nodes a generated name meets an existing pod's now and then. The real API server answers
  // that create with AlreadyExists and the controller's next sync tries another name; the end state is the same.
  let name: string;
  do name = `${ds.metadata.name}-${randomSuffix(ctx.rng)}`; while (ctx.store.peek('pods', ds.metadata.namespace, name));
  const spec = tpl.spec as Record<string, unknown> & { volumes?: unknown[]; containers?: { volumeMounts?: unknown[] }[]; tolerations?: unknown[]; hostNetwork?: boolean; priorityClassName?: string };
  const api = `kube-api-access-${randomSuffix(ctx.rng)}`;
  spec.volumes = [...(spec.volumes ?? []), {
    name: api,
    projected: { sources: [{ serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
      { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
      { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } }], defaultMode: 420 },
  }];
  for (const c of spec.containers ?? []) c.volumeMounts = [...(c.volumeMounts ?? []), { name: api, readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }];
  const tol = daemonTolerations(spec);
  const out: Record<string, unknown> = { ...spec };
  if (bound) out.nodeName = node;
  out.affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }] }] } } };
  out.tolerations = tol;
  if (spec.priorityClassName === 'system-node-critical') out.priority = 2000001000;
  else if (spec.priorityClassName === 'system-cluster-critical') out.priority = 2000000000;
  else out.priority = 0;
  out.enableServiceLinks = true;
  out.preemptionPolicy = 'PreemptLowerPriority';
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: {
      name, generateName: `${ds.metadata.name}-`, namespace: ds.metadata.namespace,
      labels: { 'controller-revision-hash': hash, ...(tpl.metadata?.labels ?? {}), 'pod-template-generation': gen },
      ...(tpl.metadata?.annotations ? { annotations: tpl.metadata.annotations } : {}),
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: ds.metadata.name, uid: ds.metadata.uid, controller: true, blockOwnerDeletion: true }],
    },
    spec: out,
    status: { phase: 'Pending', qosClass: 'BestEffort' },
  } as Obj;
}

/** Node a DS pod belongs to: spec.nodeName, else its matchFields affinity. */
export function podNode(p: Obj): string | undefined {
  return p.spec?.nodeName ?? p.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms?.[0]?.matchFields?.[0]?.values?.[0];
}

// Stored objects are immutable versions (object-store.ts), so a DaemonSet version's template hash never changes:
// computed once per version instead of twice per sync (every kube-proxy pod change syncs).
const hashOfDs = new WeakMap<object, string>();
function dsTemplateHash(ds: Obj): string {
  let h = hashOfDs.get(ds);
  if (h === undefined) { h = templateHash(ds.spec.template); hashOfDs.set(ds, h); }
  return h;
}

/** Ensures a ControllerRevision for the current template; returns its hash. */
export function ensureRevision(ctx: ClusterContext, ds: Obj): string {
  const hash = dsTemplateHash(ds);
  const ns = ds.metadata.namespace;
  const name = `${ds.metadata.name}-${hash}`;
  // Read-only here (writes go through create/mutate), so the shared objects do: no deep copy per sync.
  const revs = ctx.store.listShared('controllerrevisions', ns).filter((r) => ownedBy(r, ds.metadata.uid as string));
  const max = revs.reduce((m, r) => Math.max(m, Number(r.revision ?? 0)), 0);
  const mine = revs.find((r) => r.metadata.name === name);
  if (!mine) {
    ctx.store.create('controllerrevisions', {
      apiVersion: 'apps/v1', kind: 'ControllerRevision',
      metadata: {
        name, namespace: ns,
        labels: { ...((ds.spec.selector?.matchLabels ?? {}) as Record<string, string>), 'controller-revision-hash': hash },
        annotations: { 'deprecated.daemonset.template.generation': String((ds.metadata.annotations as Record<string, string> | undefined)?.['deprecated.daemonset.template.generation'] ?? '1') },
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: ds.metadata.name, uid: ds.metadata.uid ?? '', controller: true, blockOwnerDeletion: true }],
      },
      data: { spec: { template: { ...structuredClone(ds.spec.template), $patch: 'replace' } } },
      revision: max + 1,
    });
  } else if (Number(mine.revision) !== max) {
    ctx.store.mutate('controllerrevisions', ns, name, (r) => { r.revision = max + 1; });
  }
  return hash;
}

const NONE: readonly Obj[] = [];

export class DaemonSetController {
  private queued = new Set<string>();
  private readonly nodeSig = new Map<string, string>();

  constructor(private readonly ctx: ClusterContext, private readonly pods: Informer, private readonly nodes: Informer, private readonly dss: Informer) {}

  start(): void {
    // Spec changes are observed a moment later, like the real controller's work queue: a client's PATCH followed
    // at once by a GET sees the old observedGeneration (fixture note 4).
    this.dss.onEvent((e) => this.enqueue(e.object.metadata.namespace, e.object.metadata.name, this.ctx.opts.stepMs));
    this.pods.onEvent((e) => {
      const ref = ((e.object.metadata.ownerReferences ?? []) as { kind: string; name: string; controller?: boolean }[]).find((r) => r.kind === 'DaemonSet' && r.controller);
      if (ref) this.enqueue(e.object.metadata.namespace, ref.name);
    });
    // Like the real controller's updateNode: status heartbeats are ignored, label and taint changes resync.
    this.nodes.onEvent((e) => {
      const n = e.object as Obj;
      const sig = JSON.stringify([n.metadata.labels ?? {}, n.spec?.taints ?? []]);
      if (e.type === 'MODIFIED' && this.nodeSig.get(n.metadata.name) === sig) return;
      if (e.type === 'DELETED') this.nodeSig.delete(n.metadata.name); else this.nodeSig.set(n.metadata.name, sig);
      for (const ds of this.dss.list()) this.enqueue(ds.metadata.namespace, ds.metadata.name);
    });
    for (const n of this.nodes.list()) this.nodeSig.set(n.metadata.name, JSON.stringify([n.metadata.labels ?? {}, (n as Obj).spec?.taints ?? []]));
  }

  private enqueue(ns: string | undefined, name: string, delayMs = 0): void {
    // Immediate and delayed syncs are deduplicated separately: a pending delayed sync must not hold back the
    // reaction to a pod change (sync is idempotent, running it twice is harmless).
    const key = `${delayMs === 0 ? 'now' : 'later'}:${ns}/${name}`;
    if (this.queued.has(key)) return;
    this.queued.add(key);
    const run = () => { this.queued.delete(key); if (!this.ctx.stopped) this.sync(ns, name); };
    // Pod/node changes are handled right after the writes that caused them: in this turn of the event loop (never
    // inside the store's event fan-out, and before any timer of the next turn), so the kubelets' timers stay ordered
    // after the controller's reaction even on a busy machine. setImmediate rather than a microtask: the changes of one
    // turn (a burst of API requests or kubelet steps of a 100-node batch) then cost one sync over all nodes, not one
    // each, as a real controller's work queue coalesces them.
    if (delayMs === 0) setImmediate(run);
    else this.ctx.timers.after(delayMs, run);
  }

  sync(ns: string | undefined, name: string): void {
    const ds = this.dss.get(ns, name) as Obj | undefined;
    if (!ds || isDeleting(ds)) return;
    if (this.bumpTemplateGeneration(ds)) return; // the resulting event syncs again
    const hash = ensureRevision(this.ctx, ds);
    const placement = new Map<string, { shouldRun: boolean; shouldContinueRunning: boolean }>();
    for (const n of this.nodes.list()) placement.set(n.metadata.name, nodeShouldRunDaemonPod(ds, n as Obj));
    const nodes = [...placement.keys()].filter((n) => placement.get(n)?.shouldRun);
    const pods = this.pods.ownedBy(ds.metadata.uid as string) as Obj[];
    // Live (non-terminal) pods per node, built once and shared by the status and the actions below: this runs on
    // every pod change, over every node.
    const liveByNode = new Map<string, Obj[]>();
    for (const p of pods) {
      const n = podNode(p);
      if (!n || isTerminal(p)) continue;
      const l = liveByNode.get(n);
      if (l) l.push(p); else liveByNode.set(n, [p]);
    }
    // Status first (the controller writes what it saw before acting), then create / delete.
    let misscheduled = 0;
    for (const [n, live] of liveByNode) {
      const pl = placement.get(n);
      if (pl?.shouldRun) continue;
      misscheduled++;
      // a pod on a node the DaemonSet no longer covers goes unless only a NoSchedule taint is untolerated
      if (!pl?.shouldContinueRunning) for (const p of live) deletePod(this.ctx, p);
    }
    this.writeStatus(ds, nodes, liveByNode, hash, misscheduled);
    const rolling = ds.spec.updateStrategy?.type === 'RollingUpdate';
    let unavailable = 0;
    const old: Obj[] = [];
    for (const n of nodes) {
      const live = liveByNode.get(n) ?? NONE;
      if (live.length === 0) {
        this.ctx.store.create('pods', daemonPod(this.ctx, ds, n, hash));
        unavailable++;
        continue;
      }
      let anyReady = false;
      for (const p of live) {
        if (isDeleting(p)) continue;
        if (!anyReady && isReady(p)) anyReady = true;
        if (p.metadata.labels?.['controller-revision-hash'] !== hash) old.push(p);
      }
      if (!anyReady) unavailable++;
    }
    if (!rolling || old.length === 0) return;
    const max = maxUnavailable(ds.spec.updateStrategy?.rollingUpdate?.maxUnavailable, nodes.length);
    // Old pods that are not ready go first (they cost no availability), then ready ones while the budget allows.
    for (const p of old.filter((x) => !isReady(x))) deletePod(this.ctx, p);
    let budget = max - unavailable;
    for (const p of old.filter(isReady)) {
      if (budget <= 0) break;
      deletePod(this.ctx, p);
      budget--;
    }
  }

  /**
   * The real API server raises annotation deprecated.daemonset.template.generation on every template change. When
   * the API layer in front of the store has not (the template is new but the annotation equals the newest
   * revision's), do it here so pod-template-generation labels follow template changes (fixture note 2).
   */
  private bumpTemplateGeneration(ds: Obj): boolean {
    const key = 'deprecated.daemonset.template.generation';
    const hash = dsTemplateHash(ds);
    const revs = this.ctx.store.listShared('controllerrevisions', ds.metadata.namespace).filter((r) => ownedBy(r, ds.metadata.uid as string));
    if (revs.length === 0 || revs.some((r) => r.metadata.name === `${ds.metadata.name}-${hash}`)) return false;
    const newest = revs.reduce((a, b) => (Number(b.revision ?? 0) > Number(a.revision ?? 0) ? b : a));
    const cur = (ds.metadata.annotations as Record<string, string> | undefined)?.[key] ?? '1';
    if (newest.metadata.annotations?.[key] !== cur) return false;
    this.ctx.store.mutate('daemonsets', ds.metadata.namespace, ds.metadata.name, (o) => {
      o.metadata.annotations = { ...(o.metadata.annotations ?? {}), [key]: String(Number(cur) + 1) };
    });
    return true;
  }

  private writeStatus(ds: Obj, nodes: string[], liveByNode: Map<string, Obj[]>, hash: string, misscheduled: number): void {
    let current = 0, ready = 0, updated = 0;
    for (const n of nodes) {
      const live = liveByNode.get(n);
      if (!live || live.length === 0) continue;
      current++;
      if (live.some(isReady)) ready++;
      if (live.some((p) => p.metadata.labels?.['controller-revision-hash'] === hash)) updated++;
    }
    const desired = nodes.length;
    const status: Record<string, unknown> = { currentNumberScheduled: current, numberMisscheduled: misscheduled, desiredNumberScheduled: desired, numberReady: ready };
    if (ds.metadata.generation) status.observedGeneration = ds.metadata.generation;
    if (updated) status.updatedNumberScheduled = updated;
    if (ready) status.numberAvailable = ready;
    if (desired - ready > 0) status.numberUnavailable = desired - ready;
    if (ds.status?.collisionCount) status.collisionCount = ds.status.collisionCount;
    if (JSON.stringify(status) === JSON.stringify(ds.status ?? {})) return;
    this.ctx.store.mutate('daemonsets', ds.metadata.namespace, ds.metadata.name, (o) => { o.status = status; }, { status: true });
  }
}

function maxUnavailable(v: unknown, nodes: number): number {
  if (typeof v === 'number') return Math.max(1, v);
  if (typeof v === 'string' && v.endsWith('%')) return Math.max(1, Math.floor((Number(v.slice(0, -1)) / 100) * nodes));
  return 1;
}

export type { K8sObject };
